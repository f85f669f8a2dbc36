/**
 * `d2 demo --provider aws` through the BUILT binary: push-artifact and release-artifact (their committed bundles) with
 * `provider: aws` against moto's STS and ECR and a CNCF distribution registry that accepts only the ECR token moto
 * issues, then `d2 verify --provider aws` with the push and release identities (a wrong one rejected). moto is the AWS
 * stand-in (its server, installed by the set-up); nothing else would let the pushes in.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MOTO_MISSING, motoServer } from '@d2/sandbox/moto';
import { ensureCliBundle, runD2 } from '../adversarial/helpers.js';
import type { AwsDemoReport } from '../../packages/cli/src/demo/aws.js';

const installed = motoServer() !== undefined;
if (!installed) console.warn(`test/cloud/demo-aws.test.ts skipped: ${MOTO_MISSING}`);
const out = mkdtempSync(join(tmpdir(), 'd2-demo-aws-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(!installed)('d2 demo --provider aws', () => {
  let run: { code: number; stdout: string; stderr: string };
  let report: AwsDemoReport;

  beforeAll(async () => {
    ensureCliBundle();
    run = await runD2(['demo', '--provider', 'aws', '--out', out, '-o', 'json'], { timeoutMs: 170_000 });
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as AwsDemoReport;
  }, 200_000);

  it('pushes and releases through the bundles with provider aws, and every verification gives the expected result', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
    expect(report.steps.map((s) => s.ok)).toEqual([true, true, true]);
    expect(report.artifacts.map((a) => a.repository.split('/').slice(1).join('/')).sort()).toEqual(['d2-demo/d2-apps/backend', 'd2-demo/d2-apps/frontend', 'd2-demo/d2-apps/frontend']);
    expect(report.artifacts.find((a) => a.tags.includes('latest-stable'))?.tags).toEqual(['v1.0.0', 'latest-stable']);
    expect(report.verifications.map((v) => [v.identity, v.result])).toEqual([
      ['staging', 'verified'],
      ['staging', 'verified'],
      ['production', 'verified'],
      ['wrong-workflow', 'rejected'],
    ]);
  });

  it('refuses combinations it does not run, before starting anything', async () => {
    const r = await runD2(['demo', '--provider', 'gcp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--provider must be aws');
  });
});
