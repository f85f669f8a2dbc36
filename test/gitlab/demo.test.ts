/**
 * `d2 demo --forge gitlab` end to end through the BUILT binary: the D2 loop as GitLab pipelines run it (the
 * components' d2 commands with GitLab job variables and GitLab-shaped ID tokens from the sandbox issuer; merge
 * requests on the GitLab REST stand-in, which follows GitLab's documentation and is not GitLab), verified with GitLab
 * identities.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBundle, runD2 } from '../adversarial/helpers.js';
import type { DemoReport, IdentitiesFile } from '../../packages/cli/src/demo/report.js';

const out = mkdtempSync(join(tmpdir(), 'd2-demo-gitlab-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('d2 demo --forge gitlab', () => {
  let run: { code: number; stdout: string; stderr: string };
  let report: DemoReport;

  beforeAll(async () => {
    ensureCliBundle();
    run = await runD2(['demo', '--forge', 'gitlab', '--out', out], { timeoutMs: 170_000 });
    report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as DemoReport;
  }, 200_000);

  it('every step passes and the report says so', () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.steps.map((s) => s.ok)).toEqual([true, true, true, true, true]);
  });

  it('artifacts are signed by GitLab pipelines and verified with GitLab identities; wrong identities are rejected', () => {
    const identities = JSON.parse(readFileSync(join(out, 'identities.json'), 'utf8')) as IdentitiesFile;
    expect(identities.issuerRegExp).toBe('^https://gitlab\\.com$');
    const production = report.verifications.filter((v) => v.identity === 'production');
    expect(production.length).toBeGreaterThan(0);
    for (const v of production) {
      expect(v.result).toBe('verified');
      expect(v.subjectRegExp).toMatch(/^\^https:\/\/gitlab\\\.com\/d2-demo\/d2-apps\/\/\\\.gitlab-ci\\\.yml@refs\/tags\//);
    }
    expect(report.verifications.filter((v) => v.expected === 'rejected').every((v) => v.result === 'rejected')).toBe(true);
    expect(report.verifications.some((v) => v.identity === 'wrong-ref')).toBe(true);
    expect(report.verifications.some((v) => v.identity === 'wrong-project')).toBe(true);
  });

  it('merge requests were opened on the GitLab API and the merged updates gave new digests only where content changed', () => {
    expect(report.pullRequests.length).toBe(2);
    for (const mr of report.pullRequests) expect(mr.url).toMatch(/\/-\/merge_requests\/1$/);
    expect(report.merges.some((m) => m.changed)).toBe(true);
    expect(report.merges.every((m) => m.changed === m.expectedChange)).toBe(true);
  });
});
