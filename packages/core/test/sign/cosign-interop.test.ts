/**
 * Interoperability with the real cosign 3 CLI (built by scripts/reference-tools.sh; skipped when it is absent) against
 * the sandbox registry and the Sigstore stand-in: what we write, cosign verifies; what cosign writes, we verify
 * (docs/signing.md "Signature layouts"; a bundle must be correct, because once one exists cosign no longer falls back
 * to the .sig).
 * cosign reaches the stand-in's Fulcio through the v1 bridge of @d2/sandbox/reference-tools.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { CosignCli, referenceTools, startFulcioV1Bridge, type FulcioV1Bridge } from '@d2/sandbox/reference-tools';
import type { Repository } from '../../src/oci/types.js';
import { ArtifactSigner, exactRegExp, githubIdentityProvider, type SignatureFormat } from '../../src/sign/index.js';
import { verifyArtifact } from '../../src/verify/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { pushTinyArtifact } from '@d2/sandbox/tiny-artifact';

const cosignBin = referenceTools().cosign;
const ISSUER_RE = exactRegExp('https://token.actions.githubusercontent.com');
const MAIN = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
const TAG = { ...MAIN, ref: 'refs/tags/v1.0.0' };

describe.skipIf(!cosignBin)('cosign 3 interoperability (needs the reference tools)', () => {
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let bridge: FulcioV1Bridge;
  let client: RegistryClient;
  let cosign: CosignCli;
  let n = 0;

  beforeAll(async () => {
    [registry, sigstore, oidc] = await Promise.all([startRegistry(), startSigstore(), startOidc()]);
    bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
    client = new RegistryClient({ credentials: { get: async () => undefined } });
    cosign = new CosignCli(cosignBin!, { ...sigstore, fulcioURL: bridge.url });
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop(), bridge?.stop()]);
  });

  async function push(): Promise<{ repo: Repository; digest: string; ref: string }> {
    const repo = { registry: registry.host, repository: `acme/interop${++n}` };
    const digest = await pushTinyArtifact(client, repo, `interop ${n} ${Date.now()}`);
    return { repo, digest, ref: `${registry.host}/${repo.repository}@${digest}` };
  }

  const sign = (ctx: typeof MAIN, format: SignatureFormat, a: { repo: Repository; digest: string }) =>
    new ArtifactSigner({ registry: client, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format, identityProvider: githubIdentityProvider({ env: oidc.envFor(ctx) }), env: {} }).sign(a.repo, a.digest);
  const cosignVerify = (ref: string, ctx: typeof MAIN, newBundleFormat?: boolean) =>
    cosign.verify(ref, { identityRegexp: exactRegExp(oidc.expectedIdentity(ctx)), issuerRegexp: ISSUER_RE, newBundleFormat });

  for (const format of ['legacy', 'bundle', 'both'] as SignatureFormat[]) {
    it(`cosign verify accepts our ${format} signature (default dsse Rekor entries for bundles) and rejects a wrong ref`, async () => {
      const a = await push();
      await sign(MAIN, format, a);
      const ok = await cosignVerify(a.ref, MAIN);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stderr).toContain('The code-signing certificate was verified');
      const bad = await cosignVerify(a.ref, TAG);
      expect(bad.code).not.toBe(0);
    });
  }

  it('cosign verify reads our append to a .sig that cosign wrote, and we verify cosign\'s layer', async () => {
    const a = await push();
    const s = await cosign.sign(a.ref, { identityToken: oidc.issueToken(TAG), format: 'legacy' });
    expect(s.code, s.stderr).toBe(0);
    await sign(MAIN, 'legacy', a);
    const sig = JSON.parse((await client.getManifest(a.repo, `${a.digest.replace(':', '-')}.sig`)).bytes.toString()) as { layers: unknown[] };
    expect(sig.layers).toHaveLength(2);
    for (const ctx of [MAIN, TAG]) {
      const r = await cosignVerify(a.ref, ctx, false);
      expect(r.code, r.stderr).toBe(0);
      const ours = await verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: { subjectRegExp: exactRegExp(oidc.expectedIdentity(ctx)), issuerRegExp: ISSUER_RE }, trustedRoot: sigstore.trustedRoot });
      expect(ours).toMatchObject({ verified: true, format: 'legacy', identity: oidc.expectedIdentity(ctx) });
    }
  });

  it('we verify cosign 3\'s default bundle referrer (listed with artifactType application/vnd.oci.empty.v1+json)', async () => {
    const a = await push();
    const s = await cosign.sign(a.ref, { identityToken: oidc.issueToken(MAIN), format: 'bundle' });
    expect(s.code, s.stderr).toBe(0);
    const v = await verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: { subjectRegExp: exactRegExp(oidc.expectedIdentity(MAIN)), issuerRegExp: ISSUER_RE }, trustedRoot: sigstore.trustedRoot });
    expect(v).toMatchObject({ verified: true, format: 'bundle', identity: oidc.expectedIdentity(MAIN) });
    await expect(verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: { subjectRegExp: exactRegExp(oidc.expectedIdentity(TAG)), issuerRegExp: ISSUER_RE }, trustedRoot: sigstore.trustedRoot })).rejects.toMatchObject({ check: 'identity' });
  });
});
