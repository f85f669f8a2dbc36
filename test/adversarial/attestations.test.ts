/**
 * Attestations that must not half-happen (docs/security.md, "Ordering guarantees"; docs/attestations.md): bad input is
 * refused before anything is sent, and an attestation that cannot be attached moves no tag. Through the push-artifact
 * bundle and the d2 CLI bundle, against the sandbox registry (behind a fault proxy), the Sigstore stand-in and the
 * Actions-like OIDC endpoint.
 *  - an unknown attestation type, a VEX file that is not OpenVEX, `vex` without `vex-path`, attestations without
 *    signing: input errors (exit 1 for the action, 2 for the CLI), nothing pushed;
 *  - `provenance` outside a CI system D2 can describe: input error naming the CI systems, nothing pushed;
 *  - a registry that refuses the attestation referrer (or its fallback index): exit != 0, the digest is pushed and
 *    signed, no tag moved.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { runActionBundle, startFaultProxy, startOidc, startRegistry, startSigstore, type ActionRun, type FaultProxy, type SandboxOidc, type SandboxRegistry, type SandboxSigstore } from '@d2/sandbox';
import { ensureCliBundle, runD2, tempDir } from './helpers.js';

const explain = (r: ActionRun) => `exit ${r.exitCode}\nerrors: ${r.errors.join('\n')}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-2000)}`;
const identity = { repository: 'acme/fleet', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
const client = () => new RegistryClient({});
const GOOD_VEX = JSON.stringify({
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.invalid/vex/1',
  author: 'D2',
  timestamp: '2026-01-01T00:00:00Z',
  version: 1,
  statements: [{ vulnerability: { name: 'CVE-2023-1' }, products: [{ '@id': 'pkg:oci/app' }], status: 'not_affected', justification: 'component_not_present' }],
});

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
let proxy: FaultProxy;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
  proxy = await startFaultProxy(registry.url);
  ensureCliBundle();
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), registry?.stop(), sigstore?.stop(), oidc?.stop()]);
  for (const c of cleanups) c();
});

function workspace(name: string, extra: Record<string, string> = {}): string {
  const t = tempDir('d2-attest-ws-');
  cleanups.push(t.cleanup);
  mkdirSync(join(t.dir, 'components', name), { recursive: true });
  writeFileSync(join(t.dir, 'components', name, 'cm.yaml'), `kind: ConfigMap\nmetadata:\n  name: ${name}\n`);
  for (const [f, c] of Object.entries(extra)) writeFileSync(join(t.dir, f), c);
  return t.dir;
}

function push(ws: string, name: string, inputs: Record<string, string>, host = registry.host): Promise<ActionRun> {
  return runActionBundle('push-artifact', {
    workspace: ws,
    repository: identity.repository,
    inputs: {
      path: `components/${name}`,
      repository: `${host}/acme/${name}`,
      'diff-tag': 'latest',
      'fulcio-url': sigstore.fulcioURL,
      'rekor-url': sigstore.rekorURL,
      'trusted-root': sigstore.trustedRootPath,
      ...inputs,
    },
    env: oidc.envFor(identity),
  });
}

/** Tags of a repository in the sandbox registry (empty when it was never pushed to). */
async function tags(name: string): Promise<string[]> {
  return client()
    .listTags({ registry: registry.host, repository: `acme/${name}` })
    .catch(() => []);
}

describe('input errors: refused before anything is sent', () => {
  const cases: [string, Record<string, string>, Record<string, string>, RegExp][] = [
    ['unknown-type', { attestations: 'provenance,slsa' }, {}, /unknown attestation type 'slsa'/],
    ['bad-vex', { attestations: 'vex', 'vex-path': 'vex.json' }, { 'vex.json': JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [{ status: 'maybe' }] }) }, /not a valid OpenVEX v0\.2\.0 document[\s\S]*author is required[\s\S]*status must be one of/],
    ['vex-not-json', { attestations: 'vex', 'vex-path': 'vex.json' }, { 'vex.json': 'statements: []' }, /vex-path 'vex\.json' is not JSON/],
    ['vex-no-path', { attestations: 'vex' }, {}, /includes vex but vex-path is empty/],
    ['unsigned', { attestations: 'provenance', sign: 'false' }, {}, /attestations needs signing/],
  ];
  for (const [name, inputs, files, message] of cases) {
    it(`push-artifact: ${name}`, async () => {
      const r = await push(workspace(name, files), name, inputs);
      expect(r.exitCode, explain(r)).toBe(1);
      expect(r.errors.join('\n')).toMatch(message);
      expect(await tags(name)).toEqual([]);
    });
  }

  it('d2 push: an unknown type and a bad VEX are usage errors (exit 2), nothing pushed', async () => {
    const ws = workspace('cli-bad', { 'vex.json': JSON.stringify({ '@context': 'https://example.invalid/ns' }) });
    const env = { SIGSTORE_ID_TOKEN: oidc.issueToken(identity), D2_FULCIO_URL: sigstore.fulcioURL, D2_REKOR_URL: sigstore.rekorURL, D2_TRUSTED_ROOT: sigstore.trustedRootPath };
    const unknown = await runD2(['push', 'components/cli-bad', `oci://${registry.host}/acme/cli-bad:latest`, '--sign', '--attestations', 'provenance,vexx'], { cwd: ws, env });
    expect(unknown.code, unknown.stderr).toBe(2);
    expect(unknown.stderr).toMatch(/--attestations: unknown attestation type 'vexx'/);
    const vex = await runD2(['push', 'components/cli-bad', `oci://${registry.host}/acme/cli-bad:latest`, '--sign', '--attestations', 'vex', '--vex-path', 'vex.json'], { cwd: ws, env });
    expect(vex.code, vex.stderr).toBe(2);
    expect(vex.stderr).toMatch(/@context must be 'https:\/\/openvex\.dev\/ns\/v0\.2\.0'/);
    expect(await tags('cli-bad')).toEqual([]);
  });

  it('d2 push --attestations provenance outside a CI system it can describe: exit 2 naming the CI systems, nothing pushed', async () => {
    const ws = workspace('no-ci');
    const env = {
      SIGSTORE_ID_TOKEN: oidc.issueToken(identity),
      D2_FULCIO_URL: sigstore.fulcioURL,
      D2_REKOR_URL: sigstore.rekorURL,
      D2_TRUSTED_ROOT: sigstore.trustedRootPath,
      GITHUB_ACTIONS: '',
    };
    const r = await runD2(['push', 'components/no-ci', `oci://${registry.host}/acme/no-ci:latest`, '--sign', '--attestations', 'provenance'], { cwd: ws, env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/the 'provenance' attestation needs a CI system D2 can describe \(github-actions\)/);
    expect(r.stderr).toMatch(/hint: .*GitHub Actions/);
    expect(await tags('no-ci')).toEqual([]);
  });
});

describe('a registry that refuses the attestation: exit != 0, no tag moved', () => {
  it('the referrer manifest PUT is denied', async () => {
    // Guards: publishArtifact attests before moveTags; the first PUT by digest is the artifact, the next the referrer.
    const ws = workspace('denied', { 'vex.json': GOOD_VEX });
    const rule = proxy.addFault({ method: 'PUT', path: /^\/v2\/acme\/denied\/manifests\/sha256:/, skip: 1, action: { status: 403, body: JSON.stringify({ errors: [{ code: 'DENIED', message: 'referrers are not allowed here' }] }) } });
    try {
      const r = await push(ws, 'denied', { attestations: 'provenance,vex', 'vex-path': 'vex.json' }, proxy.host);
      expect(r.exitCode, explain(r)).toBe(1);
      expect(rule.hits).toBeGreaterThan(0);
      expect(r.errors.join('\n')).toMatch(/denied|DENIED|403/);
    } finally {
      proxy.clearFaults();
    }
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/denied' }, 'latest')).toBeUndefined();
    // The digest was pushed and signed (the legacy .sig), only the tag did not move.
    expect((await tags('denied')).some((t) => t.endsWith('.sig'))).toBe(true);
  });

  it('the referrers fallback index PUT fails', async () => {
    const ws = workspace('noindex');
    const rule = proxy.addFault({ method: 'PUT', path: /^\/v2\/acme\/noindex\/manifests\/sha256-[0-9a-f]{64}$/, action: { status: 500 } });
    try {
      const r = await push(ws, 'noindex', { attestations: 'provenance' }, proxy.host);
      expect(r.exitCode, explain(r)).toBe(1);
      expect(rule.hits).toBeGreaterThan(0);
    } finally {
      proxy.clearFaults();
    }
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/noindex' }, 'latest')).toBeUndefined();
  });
});
