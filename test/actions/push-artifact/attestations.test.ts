/**
 * push-artifact with `attestations: provenance,vex` through its bundle, then `d2 verify-attestation` (CLI bundle) and
 * cosign 3 `verify-attestation` (when the reference tools are built) on what it attached: the outputs, the job summary
 * (types, referrer digests, Rekor indexes, a ready cosign command), the tags moved after the attestations, and a re-run
 * that adds nothing (docs/attestations.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { runActionBundle, startOidc, startRegistry, startSigstore, type ActionRun, type SandboxOidc, type SandboxRegistry, type SandboxSigstore } from '@d2/sandbox';
import { CosignCli, referenceTools, startFulcioV1Bridge, type FulcioV1Bridge } from '@d2/sandbox/reference-tools';
import { ensureCliBundle, runD2, tempDir } from '../../adversarial/helpers.js';

const explain = (r: ActionRun) => `exit ${r.exitCode}\nerrors: ${r.errors.join('\n')}\nstdout:\n${r.stdout.slice(-4000)}\nstderr:\n${r.stderr.slice(-2000)}`;
const identity = { repository: 'acme/fleet', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
const ISSUER_RE = '^https://token\\.actions\\.githubusercontent\\.com$';
const VEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.invalid/vex/fleet-1',
  author: 'Fleet team',
  timestamp: '2026-01-01T00:00:00Z',
  version: 1,
  statements: [{ vulnerability: { name: 'CVE-2024-3094' }, products: [{ '@id': 'pkg:oci/fleet' }], status: 'not_affected', justification: 'component_not_present' }],
};

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
let bridge: FulcioV1Bridge;
let ws: string;
const cosignBin = referenceTools().cosign;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
  bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
  ensureCliBundle();
  const t = tempDir('d2-attest-action-');
  cleanups.push(t.cleanup);
  ws = t.dir;
  mkdirSync(join(ws, 'fleet'), { recursive: true });
  writeFileSync(join(ws, 'fleet', 'cm.yaml'), 'kind: ConfigMap\nmetadata:\n  name: fleet\n');
  mkdirSync(join(ws, 'security'));
  writeFileSync(join(ws, 'security', 'openvex.json'), JSON.stringify(VEX));
});
afterAll(async () => {
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop(), bridge?.stop()]);
  for (const c of cleanups) c();
});

const push = () =>
  runActionBundle('push-artifact', {
    workspace: ws,
    repository: identity.repository,
    sha: 'b'.repeat(40),
    inputs: {
      path: 'fleet',
      repository: `${registry.host}/acme/fleet`,
      'diff-tag': 'latest',
      'signature-format': 'both',
      attestations: 'provenance\nvex',
      'vex-path': 'security/openvex.json',
      'fulcio-url': sigstore.fulcioURL,
      'rekor-url': sigstore.rekorURL,
      'trusted-root': sigstore.trustedRootPath,
    },
    env: oidc.envFor({ ...identity, sha: 'b'.repeat(40) }),
  });

describe('push-artifact attestations', () => {
  let digest = '';

  it('attaches provenance and VEX before the tag moves; outputs, summary and verification agree', async () => {
    const r = await push();
    expect(r.exitCode, explain(r)).toBe(0);
    digest = r.outputs.digest;
    const out = JSON.parse(r.outputs.attestations) as { type: string; 'predicate-type': string; 'referrer-digest': string; 'rekor-log-index': number; 'legacy-tag': string; existing: boolean; digest: string }[];
    expect(out.map((a) => [a.type, a['predicate-type'], a.existing, a.digest])).toEqual([
      ['provenance', 'https://slsa.dev/provenance/v1', false, digest],
      ['vex', 'https://openvex.dev/ns/v0.2.0', false, digest],
    ]);
    expect(out.every((a) => a['legacy-tag'].endsWith(`${digest.replace(':', '-')}.att`))).toBe(true);
    for (const a of out) {
      expect(r.summary).toContain(a['referrer-digest']);
      expect(r.summary).toContain(`| ${a['rekor-log-index']} |`);
    }
    expect(r.summary).toContain('### Attestations');
    expect(r.summary).toMatch(/cosign verify-attestation --type 'slsaprovenance1' --certificate-identity-regexp '\^https:\/\/github\\\.com\/acme\/fleet\//);
    expect(r.summary).toContain(`--type 'https://openvex.dev/ns/v0.2.0'`);
    const head = await new RegistryClient({}).headManifest({ registry: registry.host, repository: 'acme/fleet' }, 'latest');
    expect(head?.digest).toBe(digest);

    // d2 verify-attestation prints the predicate; -o json the statements.
    const ref = `oci://${registry.host}/acme/fleet:latest`;
    const args = ['--certificate-identity', oidc.expectedIdentity(identity), '--certificate-oidc-issuer-regexp', ISSUER_RE, '--trusted-root', sigstore.trustedRootPath];
    const vex = await runD2(['verify-attestation', ref, '--type', 'openvex', ...args]);
    expect(vex.code, vex.stderr).toBe(0);
    expect(JSON.parse(vex.stdout)).toEqual(VEX);
    const prov = await runD2(['verify-attestation', ref, '--type', 'slsaprovenance', ...args, '-o', 'json']);
    expect(prov.code, prov.stderr).toBe(0);
    const st = (JSON.parse(prov.stdout) as { attestations: { statement: { subject: unknown; predicate: { buildDefinition: { externalParameters: unknown; resolvedDependencies: unknown } } } }[] }).attestations[0].statement;
    expect(st.subject).toEqual([{ name: `${registry.host}/acme/fleet`, digest: { sha256: digest.slice(7) } }]);
    expect(st.predicate.buildDefinition.externalParameters).toEqual({ workflow: { ref: 'refs/heads/main', repository: 'https://github.com/acme/fleet', path: '.github/workflows/push-artifact.yaml' } });
    expect(st.predicate.buildDefinition.resolvedDependencies).toEqual([{ uri: 'git+https://github.com/acme/fleet@refs/heads/main', digest: { gitCommit: 'b'.repeat(40) } }]);
    const wrong = await runD2(['verify-attestation', ref, '--type', 'slsaprovenance', '--certificate-identity', 'https://github.com/acme/fleet/.github/workflows/other.yaml@refs/heads/main', '--certificate-oidc-issuer-regexp', ISSUER_RE, '--trusted-root', sigstore.trustedRootPath]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/identity/);
    const missing = await runD2(['verify-attestation', ref, '--type', 'cyclonedx', ...args]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no attestation of type https:\/\/cyclonedx\.org\/bom .*found: /);
  });

  it.skipIf(!cosignBin)('cosign 3 verify-attestation accepts what the action attached', async () => {
    expect(digest).not.toBe('');
    const cosign = new CosignCli(cosignBin!, { ...sigstore, fulcioURL: bridge.url });
    const ref = `${registry.host}/acme/fleet@${digest}`;
    for (const type of ['slsaprovenance1', 'https://openvex.dev/ns/v0.2.0']) {
      const r = await cosign.verifyAttestation(ref, { identityRegexp: `^${oidc.expectedIdentity(identity).replace(/[.]/g, '\\.')}$`, issuerRegexp: ISSUER_RE, type });
      expect(r.code, `${type}: ${r.stderr}`).toBe(0);
    }
  });

  it('a re-run on unchanged content attaches nothing new', async () => {
    const before = await new RegistryClient({}).referrers({ registry: registry.host, repository: 'acme/fleet' }, digest);
    const r = await push();
    expect(r.exitCode, explain(r)).toBe(0);
    const out = JSON.parse(r.outputs.attestations) as { existing: boolean }[];
    expect(out.map((a) => a.existing)).toEqual([true, true]);
    const after = await new RegistryClient({}).referrers({ registry: registry.host, repository: 'acme/fleet' }, digest);
    expect(after.map((d) => d.digest).sort()).toEqual(before.map((d) => d.digest).sort());
    expect(r.summary).toContain('already attached');
  });
});

describe('d2 release --attestations (CLI bundle, GitHub Actions environment)', () => {
  it('attaches provenance and VEX as bundle referrers only (signature-format bundle), then d2 verify-attestation reads them', async () => {
    const ctx = { repository: 'acme/apps', workflow: '.github/workflows/release.yaml', ref: 'refs/tags/frontend/v1.2.0', sha: 'e'.repeat(40) };
    mkdirSync(join(ws, 'components', 'frontend'), { recursive: true });
    writeFileSync(join(ws, 'components', 'frontend', 'deploy.yaml'), 'kind: Deployment\nmetadata:\n  name: frontend\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_SERVER_URL: 'https://github.com', SIGSTORE_ID_TOKEN: oidc.issueToken(ctx) };
    const sign = ['--sign', '--signature-format', 'bundle', '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--trusted-root', sigstore.trustedRootPath];
    const r = await runD2(['release', 'frontend/v1.2.0', `oci://${registry.host}/acme/apps/{component}`, ...sign, '--attestations', 'provenance', '--attestations', 'vex', '--vex-path', 'security/openvex.json', '-o', 'json'], { cwd: ws, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { digest: string; tags: string[]; attestations: { type: string; predicateType: string; legacyTag?: string; existing: boolean }[] };
    expect(out.tags).toEqual(['v1.2.0', 'latest-stable']);
    expect(out.attestations.map((a) => [a.type, a.predicateType, a.legacyTag, a.existing])).toEqual([
      ['provenance', 'https://slsa.dev/provenance/v1', undefined, false],
      ['vex', 'https://openvex.dev/ns/v0.2.0', undefined, false],
    ]);
    // signature-format bundle: no legacy .att image.
    expect(await new RegistryClient({}).headManifest({ registry: registry.host, repository: 'acme/apps/frontend' }, `${out.digest.replace(':', '-')}.att`)).toBeUndefined();
    const v = await runD2(['verify-attestation', `oci://${registry.host}/acme/apps/frontend:latest-stable`, '--type', 'slsaprovenance', '--certificate-identity', oidc.expectedIdentity(ctx), '--certificate-oidc-issuer-regexp', ISSUER_RE, '--trusted-root', sigstore.trustedRootPath]);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({
      buildDefinition: { externalParameters: { workflow: { ref: 'refs/tags/frontend/v1.2.0', path: '.github/workflows/release.yaml' } } },
      runDetails: { builder: { id: oidc.expectedIdentity(ctx) } },
    });
  });
});
