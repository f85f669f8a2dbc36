/**
 * `d2 demo --provider aws`: the push and release steps of the D2 loop against an ECR stand-in with no registry secret
 * anywhere (docs/cloud-registries.md "Amazon ECR"). moto's server (packages/sandbox/src/moto.ts) plays STS and ECR, a
 * CNCF distribution registry accepts exactly the ECR token moto issues (user AWS), and the sandbox OIDC issuer plays
 * the workflow's id-token endpoint. push-artifact and release-artifact run THROUGH THEIR COMMITTED BUNDLES with
 * `provider: aws` and `aws-role-arn` only; then `d2 verify --provider aws` (the same exchange) checks every artifact with
 * the push and release identities and rejects the wrong one.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@d2/core';
import { ecrPassword, MOTO_MISSING, MOTO_ROLE_ARN, motoServer, startMoto } from '@d2/sandbox/moto';
import { startOidc, type OidcContext } from '@d2/sandbox/oidc';
import { startRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';
import { startSigstore } from '@d2/sandbox/sigstore';
import { runCli, type Io } from '../cli.js';
import { verifyCommand } from '../commands/verify.js';
import { ms, runSteps, writeReport } from './context.js';
import { tempDir } from './git.js';
import { quoteMeta } from './identities.js';

export interface AwsDemoReport {
  version: 1;
  provider: 'aws';
  ok: boolean;
  durationMs: number;
  registry: string;
  steps: { id: number; title: string; ok: boolean; durationMs: number; details: string[]; error?: string }[];
  artifacts: { repository: string; digest: string; tags: string[] }[];
  verifications: { reference: string; identity: string; expected: 'verified' | 'rejected'; result: 'verified' | 'rejected' | 'error'; ok: boolean }[];
}

const REGION = 'eu-west-1';
const OWNER = 'd2-demo';

export async function runAwsDemo(opts: { out: string; log: (line: string) => void }): Promise<{ ok: boolean; report: AwsDemoReport; stop(): Promise<void> }> {
  if (!motoServer()) throw new InputError(`d2 demo --provider aws needs moto: ${MOTO_MISSING}`, 'run ./scripts/dev demo --provider aws from a clone (its set-up installs moto), or drop --provider');
  const started = performance.now();
  const { log } = opts;
  await mkdir(opts.out, { recursive: true });
  const [moto, oidc, sigstore, registry] = await Promise.all([
    startMoto(),
    startOidc(),
    startSigstore(),
    startRegistry({ auth: 'htpasswd', users: [{ username: 'AWS', password: ecrPassword() }] }),
  ]);
  const stop = async (): Promise<void> => {
    await Promise.all([moto.stop(), oidc.stop(), sigstore.stop(), registry.stop()]);
  };
  const reg = registry.host;
  const trustedRoot = join(opts.out, 'trusted_root.json');
  await writeFile(trustedRoot, JSON.stringify(sigstore.trustedRoot, null, 2) + '\n');
  const report: AwsDemoReport = { version: 1, provider: 'aws', ok: false, durationMs: 0, registry: reg, steps: [], artifacts: [], verifications: [] };
  log(`d2 demo --provider aws — push and release with no registry secret (owner ${OWNER})`);
  log(`  STS + ECR   ${moto.url} (moto's server)`);
  log(`  registry    http://${reg} (CNCF distribution, accepts only the ECR token, user AWS)`);
  log(`  Sigstore    ${sigstore.url} · OIDC ${oidc.url}`);

  const work = await tempDir('d2-demo-aws-');
  const ws = join(work, 'd2-apps');
  for (const c of ['frontend', 'backend']) {
    await mkdir(join(ws, 'components', c), { recursive: true });
    await writeFile(join(ws, 'components', c, 'deploy.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${c}\ndata:\n  cloud: aws\n`);
  }
  const repository = `${reg}/${OWNER}/d2-apps/{component}`;
  const aws = { provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN, 'aws-region': REGION };
  const sign = { 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': trustedRoot };
  const pushId: OidcContext = { repository: `${OWNER}/d2-apps`, workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
  const releaseId: OidcContext = { repository: `${OWNER}/d2-apps`, workflow: '.github/workflows/release-artifact.yaml', ref: 'refs/tags/frontend/v1.0.0' };
  const envFor = (id: OidcContext): Record<string, string> => ({ ...moto.env(REGION), ...oidc.envFor(id), DOCKER_CONFIG: work });
  const check = (run: ActionRun, what: string): void => {
    if (run.exitCode !== 0) throw new Error(`${what} failed: ${run.errors.join('; ') || run.stderr.trim().split('\n').slice(-2).join(' ')}`);
    const masked = run.stdout.split('\n').filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice(12));
    if (!masked.includes(ecrPassword())) throw new Error(`${what} did not mask the ECR token`);
    const printed = [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs)].join('\n');
    if (printed.includes(ecrPassword())) throw new Error(`${what} printed the ECR token`);
  };

  const steps: { title: string; run: (details: string[]) => Promise<void> }[] = [
    {
      title: 'push-artifact with provider aws: OIDC → STS → ECR token; repositories created; signed',
      async run(details) {
        const r = await runActionBundle('push-artifact', {
          workspace: ws,
          inputs: { components: '*', path: 'components/{component}', repository, 'diff-tag': 'latest', 'create-repository': 'true', ...aws, ...sign },
          env: envFor(pushId),
          timeoutMs: 120_000,
        });
        check(r, 'push-artifact');
        const artifacts = JSON.parse(r.outputs.artifacts ?? '[]') as { repository: string; digest: string; tags: string[]; pushed: boolean }[];
        for (const a of artifacts) report.artifacts.push({ repository: a.repository, digest: a.digest, tags: a.tags });
        details.push(...artifacts.map((a) => `${a.repository.slice(reg.length + 1)} ${a.pushed ? 'pushed' : 'unchanged'} ${a.digest.slice(7, 19)} ${a.tags.join(',')}`));
        if (artifacts.length !== 2) throw new Error(`expected two artifacts, got ${artifacts.length}`);
      },
    },
    {
      title: 'release-artifact frontend/v1.0.0 with provider aws (latest-stable moves)',
      async run(details) {
        const r = await runActionBundle('release-artifact', { workspace: ws, ref: releaseId.ref, inputs: { repository, ...aws, ...sign }, env: envFor(releaseId), timeoutMs: 120_000 });
        check(r, 'release-artifact');
        details.push(`frontend v1.0.0 → ${r.outputs.tags} ${String(r.outputs.digest).slice(7, 19)}`);
        report.artifacts.push({ repository: `${reg}/${OWNER}/d2-apps/frontend`, digest: r.outputs.digest ?? '', tags: (r.outputs.tags ?? '').split(',') });
      },
    },
    {
      title: 'd2 verify --provider aws: staging (latest) and production (latest-stable) identities; a wrong one rejected',
      async run(details) {
        const subject = (workflow: string, ref: string): string => `^${quoteMeta(`https://github.com/${OWNER}/d2-apps/.github/workflows/${workflow}.yaml@`)}${ref}$`;
        const plan = [
          { reference: `oci://${reg}/${OWNER}/d2-apps/frontend:latest`, identity: 'staging', re: subject('push-artifact', quoteMeta('refs/heads/main')), expected: 'verified' as const },
          { reference: `oci://${reg}/${OWNER}/d2-apps/backend:latest`, identity: 'staging', re: subject('push-artifact', quoteMeta('refs/heads/main')), expected: 'verified' as const },
          { reference: `oci://${reg}/${OWNER}/d2-apps/frontend:latest-stable`, identity: 'production', re: subject('release-artifact', 'refs/tags/.*'), expected: 'verified' as const },
          { reference: `oci://${reg}/${OWNER}/d2-apps/frontend:latest-stable`, identity: 'wrong-workflow', re: subject('push-artifact', quoteMeta('refs/heads/main')), expected: 'rejected' as const },
        ];
        for (const p of plan) {
          let err = '';
          const io: Io = { stdout: () => undefined, stderr: (x) => void (err += x), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...envFor(pushId) } };
          const code = await runCli(
            [verifyCommand],
            ['verify', p.reference, '--certificate-identity-regexp', p.re, '--certificate-oidc-issuer-regexp', `^${quoteMeta('https://token.actions.githubusercontent.com')}$`, '--trusted-root', trustedRoot, '--provider', 'aws', '--aws-role-arn', MOTO_ROLE_ARN, '--aws-region', REGION, '-o', 'json'],
            'demo',
            io,
          );
          const result = code === 0 ? 'verified' : /signature verification failed/.test(err) ? 'rejected' : 'error';
          const ok = result === p.expected;
          report.verifications.push({ reference: p.reference, identity: p.identity, expected: p.expected, result, ok });
          details.push(`${ok ? '✓' : '✗'} ${p.identity.padEnd(15)} ${p.reference.slice(6 + reg.length + 1)} ${result}${result === 'error' ? `: ${err.trim().split('\n')[0]}` : ''}`);
        }
        const bad = report.verifications.filter((v) => !v.ok);
        if (bad.length) throw new Error(`${bad.length} verification(s) did not give the expected result`);
      },
    },
  ];

  await runSteps(steps, report.steps, log, (step, s) => step.run(s.details));
  await writeReport(report, started, opts.out);
  log(`\n${report.ok ? '✓ every step and verification passed' : '✗ a step failed'} in ${ms(report.durationMs)}\n  ${join(opts.out, 'report.json')}`);
  return { ok: report.ok, report, stop };
}
