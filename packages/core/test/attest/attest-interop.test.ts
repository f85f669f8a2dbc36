/**
 * Attestations against the real tools (docs/attestations.md): the sandbox registry (no referrers API: the fallback
 * index), the Sigstore stand-in (Rekor canonicalizes `dsse` entries as real Rekor does), the Actions-like OIDC endpoint,
 * and cosign 3, cosign 2 and oras as oracles (skipped when the reference tools are not built).
 *  - cosign 3 `verify-attestation --type slsaprovenance1|cyclonedx|<OpenVEX URI>` accepts every bundle referrer we write,
 *    and rejects a wrong identity; cosign 2 `verify-attestation` accepts the legacy `.att` layers on their own;
 *  - `oras discover` lists the referrers with their predicate types;
 *  - an artifact with a legacy `.sig` plus attestation referrers still verifies with the push identity under cosign 3
 *    and 2 (`cosign verify` takes the bundle path once any bundle referrer exists);
 *  - our verifier accepts what `cosign attest` writes;
 *  - a re-run adds nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { CosignCli, OrasCli, referenceTools, startFulcioV1Bridge, type FulcioV1Bridge } from '@d2/sandbox/reference-tools';
import { pushTinyArtifact } from '@d2/sandbox/tiny-artifact';
import { Attestor, githubProvenanceBuilder, OPENVEX_PREDICATE_TYPE, SLSA_PROVENANCE_V1, CYCLONEDX_PREDICATE_TYPE, type AttestationType } from '../../src/attest/index.js';
import { ANNOTATION_PREDICATE_TYPE, DSSE_ENVELOPE_MEDIA_TYPE, attestationTag } from '../../src/base/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import type { Repository } from '../../src/oci/types.js';
import { ArtifactSigner, exactRegExp, githubIdentityProvider, type SignatureFormat } from '../../src/sign/index.js';
import { loadTrust, verifyAttestations } from '../../src/verify/index.js';
import { openVexDocument, testSbom } from './helpers.js';

const tools = referenceTools();
const ISSUER_RE = exactRegExp('https://token.actions.githubusercontent.com');
const MAIN: OidcContext = { repository: 'acme/fleet', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main', sha: 'a'.repeat(40) };
const OTHER: OidcContext = { ...MAIN, ref: 'refs/tags/v9.9.9' };
const quiet = { debug: () => {}, info: () => {}, warn: () => {} };

describe.skipIf(!tools.cosign || !tools.cosign2 || !tools.oras)('attestations against cosign 3, cosign 2 and oras (needs the reference tools)', () => {
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let bridge: FulcioV1Bridge;
  let client: RegistryClient;
  let cosign3: CosignCli;
  let cosign2: CosignCli;
  let oras: OrasCli;
  let n = 0;

  beforeAll(async () => {
    [registry, sigstore, oidc] = await Promise.all([startRegistry(), startSigstore(), startOidc()]);
    bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
    client = new RegistryClient({ credentials: { get: async () => undefined } });
    cosign3 = new CosignCli(tools.cosign!, { ...sigstore, fulcioURL: bridge.url });
    cosign2 = new CosignCli(tools.cosign2!, { ...sigstore, fulcioURL: bridge.url }, 2);
    oras = new OrasCli(tools.oras!);
  });
  afterAll(async () => {
    await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop(), bridge?.stop()]);
  });

  async function push(): Promise<{ repo: Repository; digest: string; ref: string }> {
    const repo = { registry: registry.host, repository: `acme/attest${++n}` };
    const digest = await pushTinyArtifact(client, repo, `attest ${n} ${Date.now()}`);
    return { repo, digest, ref: `${registry.host}/${repo.repository}@${digest}` };
  }

  function signer(format: SignatureFormat, ctx: OidcContext = MAIN): ArtifactSigner {
    return new ArtifactSigner({ registry: client, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format, identityProvider: githubIdentityProvider({ env: oidc.envFor(ctx) }), env: {} });
  }

  function attestor(s: ArtifactSigner, types: AttestationType[] = ['provenance', 'sbom', 'vex'], ctx: OidcContext = MAIN): Attestor {
    return new Attestor({
      config: { types, sbomFormat: 'cyclonedx', vex: openVexDocument() },
      signer: s,
      registry: client,
      identity: githubIdentityProvider({ env: oidc.envFor(ctx) }),
      provenance: githubProvenanceBuilder({ GITHUB_ACTIONS: 'true' }),
      sbom: testSbom,
      trust: async () => (await loadTrust(sigstore.trustedRoot)).material,
    });
  }

  const identity = (ctx: OidcContext) => ({ identityRegexp: exactRegExp(oidc.expectedIdentity(ctx)), issuerRegexp: ISSUER_RE });
  const COSIGN_TYPES: [AttestationType, string, string][] = [
    ['provenance', 'slsaprovenance1', SLSA_PROVENANCE_V1],
    ['sbom', 'cyclonedx', CYCLONEDX_PREDICATE_TYPE],
    // cosign's short name `openvex` is the unversioned namespace: an OpenVEX v0.2.0 attestation is selected by its URI.
    ['vex', OPENVEX_PREDICATE_TYPE, OPENVEX_PREDICATE_TYPE],
  ];

  it('bundle referrers: cosign 3 verify-attestation accepts each type with the push identity and rejects another; oras discover lists them', async () => {
    const a = await push();
    const s = signer('bundle');
    await s.sign(a.repo, a.digest);
    const results = await attestor(s).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    expect(results.map((r) => [r.type, r.existing, r.legacyTag])).toEqual([
      ['provenance', false, undefined],
      ['sbom', false, undefined],
      ['vex', false, undefined],
    ]);
    for (const [type, cosignType, predicateType] of COSIGN_TYPES) {
      const ok = await cosign3.verifyAttestation(a.ref, { ...identity(MAIN), type: cosignType });
      expect(ok.code, `${type}: ${ok.stderr}`).toBe(0);
      const payloads = ok.stdout.trim().split('\n').map((l) => JSON.parse(Buffer.from((JSON.parse(l) as { payload: string }).payload, 'base64').toString()) as { predicateType: string });
      expect(payloads.every((p) => p.predicateType === predicateType)).toBe(true);
      const bad = await cosign3.verifyAttestation(a.ref, { ...identity(OTHER), type: cosignType });
      expect(bad.code, type).not.toBe(0);
    }
    // The provenance cosign printed is the attest-build-provenance shape for this run.
    const prov = await cosign3.verifyAttestation(a.ref, { ...identity(MAIN), type: 'slsaprovenance1' });
    const statement = JSON.parse(Buffer.from((JSON.parse(prov.stdout.trim().split('\n')[0]) as { payload: string }).payload, 'base64').toString()) as {
      subject: { name: string; digest: { sha256: string } }[];
      predicate: { buildDefinition: { buildType: string; resolvedDependencies: { digest: { gitCommit: string } }[] }; runDetails: { builder: { id: string } } };
    };
    expect(statement.subject).toEqual([{ name: `${a.repo.registry}/${a.repo.repository}`, digest: { sha256: a.digest.slice(7) } }]);
    expect(statement.predicate.buildDefinition.buildType).toBe('https://actions.github.io/buildtypes/workflow/v1');
    expect(statement.predicate.buildDefinition.resolvedDependencies[0].digest.gitCommit).toBe(MAIN.sha);
    expect(statement.predicate.runDetails.builder.id).toBe(oidc.expectedIdentity(MAIN));

    const tree = await oras.discover(a.ref);
    const referrers = tree.referrers ?? tree.manifests ?? [];
    const types = referrers.map((r) => r.annotations?.['dev.sigstore.bundle.predicateType']).sort();
    expect(types).toEqual([CYCLONEDX_PREDICATE_TYPE, 'https://sigstore.dev/cosign/sign/v1', SLSA_PROVENANCE_V1, OPENVEX_PREDICATE_TYPE].sort());
    for (const r of referrers) {
      expect(r.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
      expect(r.annotations?.['dev.sigstore.bundle.content']).toBe('dsse-envelope');
    }
  });

  it('legacy .sig plus attestation referrers still verifies with the push identity under cosign 3 and cosign 2; cosign 2 verify-attestation reads the .att alone', async () => {
    const a = await push();
    const s = signer('legacy');
    await s.sign(a.repo, a.digest);
    const results = await attestor(s).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    expect(results.every((r) => r.legacyTag === `${a.repo.registry}/${a.repo.repository}:${attestationTag(a.digest)}`)).toBe(true);

    // The signature: the attestation referrers are bundle candidates for `cosign verify`, and carry the push identity.
    const v3 = await cosign3.verify(a.ref, identity(MAIN));
    expect(v3.code, v3.stderr).toBe(0);
    const v2 = await cosign2.verify(a.ref, { ...identity(MAIN), newBundleFormat: true });
    expect(v2.code, v2.stderr).toBe(0);
    expect((await cosign3.verify(a.ref, identity(OTHER))).code).not.toBe(0);

    // The .att image: one DSSE layer per attestation with cosign's annotations.
    const att = JSON.parse((await client.getManifest(a.repo, attestationTag(a.digest))).bytes.toString()) as { layers: { mediaType: string; annotations: Record<string, string> }[] };
    expect(att.layers.map((l) => [l.mediaType, l.annotations[ANNOTATION_PREDICATE_TYPE]])).toEqual([
      [DSSE_ENVELOPE_MEDIA_TYPE, SLSA_PROVENANCE_V1],
      [DSSE_ENVELOPE_MEDIA_TYPE, CYCLONEDX_PREDICATE_TYPE],
      [DSSE_ENVELOPE_MEDIA_TYPE, OPENVEX_PREDICATE_TYPE],
    ]);
    // cosign 2 switches to bundle referrers whenever one exists: remove the fallback index so only the .att is left.
    const index = await client.headManifest(a.repo, a.digest.replace(':', '-'));
    await client.deleteManifest(a.repo, index!.digest);
    expect(await client.referrers(a.repo, a.digest)).toEqual([]);
    for (const [type, cosignType] of COSIGN_TYPES) {
      const ok = await cosign2.verifyAttestation(a.ref, { ...identity(MAIN), type: cosignType });
      expect(ok.code, `${type}: ${ok.stderr}`).toBe(0);
      expect((await cosign2.verifyAttestation(a.ref, { ...identity(OTHER), type: cosignType })).code, type).not.toBe(0);
    }
  });

  it('a re-run on unchanged content adds nothing when the same predicate types by the same identity exist; another identity adds its own', async () => {
    const a = await push();
    const s = signer('both');
    await s.sign(a.repo, a.digest);
    await attestor(s).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    const before = await client.referrers(a.repo, a.digest);
    const attBefore = (await client.getManifest(a.repo, attestationTag(a.digest))).digest;
    const again = await attestor(s).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    expect(again.every((r) => r.existing)).toBe(true);
    expect((await client.referrers(a.repo, a.digest)).map((d) => d.digest).sort()).toEqual(before.map((d) => d.digest).sort());
    expect((await client.getManifest(a.repo, attestationTag(a.digest))).digest).toBe(attBefore);

    const other = await attestor(signer('both', OTHER), ['provenance'], OTHER).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    expect(other.map((r) => r.existing)).toEqual([false]);
    expect((await client.referrers(a.repo, a.digest)).length).toBe(before.length + 1);
  });

  it("appends to the .att image cosign wrote (never replaces it): cosign 2 verifies cosign's layer and ours", async () => {
    const a = await push();
    const dir = mkdtempSync(join(tmpdir(), 'd2-attest-'));
    const predicate = join(dir, 'vuln.json');
    writeFileSync(predicate, JSON.stringify({ scanner: { uri: 'pkg:generic/test-scanner' } }));
    const c = await cosign3.attest(a.ref, { identityToken: oidc.issueToken(OTHER), format: 'legacy', predicatePath: predicate, type: 'vuln' });
    expect(c.code, c.stderr).toBe(0);
    const s = signer('legacy');
    await s.sign(a.repo, a.digest);
    await attestor(s, ['provenance']).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    const att = JSON.parse((await client.getManifest(a.repo, attestationTag(a.digest))).bytes.toString()) as { layers: { annotations: Record<string, string> }[] };
    expect(att.layers.map((l) => l.annotations[ANNOTATION_PREDICATE_TYPE])).toEqual(['https://cosign.sigstore.dev/attestation/vuln/v1', SLSA_PROVENANCE_V1]);
    const index = await client.headManifest(a.repo, a.digest.replace(':', '-'));
    await client.deleteManifest(a.repo, index!.digest);
    const theirs = await cosign2.verifyAttestation(a.ref, { ...identity(OTHER), type: 'vuln' });
    expect(theirs.code, theirs.stderr).toBe(0);
    const ours = await cosign2.verifyAttestation(a.ref, { ...identity(MAIN), type: 'slsaprovenance1' });
    expect(ours.code, ours.stderr).toBe(0);
  });

  it('the other-signer trap: a foreign attestation referrer hides a valid legacy .sig from cosign verify, until D2 attests with the push identity', async () => {
    const a = await push();
    await signer('legacy').sign(a.repo, a.digest);
    expect((await cosign3.verify(a.ref, identity(MAIN))).code).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'd2-attest-'));
    const predicate = join(dir, 'provenance.json');
    writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: 'https://example.invalid/other' } }));
    const c = await cosign3.attest(a.ref, { identityToken: oidc.issueToken(OTHER), format: 'bundle', predicatePath: predicate, type: 'slsaprovenance1' });
    expect(c.code, c.stderr).toBe(0);
    // The bundle path runs now and no bundle carries the push identity: the valid .sig is never consulted.
    const trapped = await cosign3.verify(a.ref, identity(MAIN));
    expect(trapped.code).not.toBe(0);
    await attestor(signer('legacy'), ['provenance']).attest({ repo: a.repo, digest: a.digest, path: '.', logger: quiet });
    const ok = await cosign3.verify(a.ref, identity(MAIN));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("our verifier accepts what cosign attest writes, and refuses another identity or a missing type", async () => {
    const a = await push();
    const dir = mkdtempSync(join(tmpdir(), 'd2-attest-'));
    const predicate = join(dir, 'provenance.json');
    writeFileSync(predicate, JSON.stringify({ buildDefinition: { buildType: 'https://example.invalid/build' }, runDetails: { builder: { id: 'https://example.invalid/builder' } } }));
    const r = await cosign3.attest(a.ref, { identityToken: oidc.issueToken(MAIN), format: 'bundle', predicatePath: predicate, type: 'slsaprovenance1' });
    expect(r.code, r.stderr).toBe(0);
    const policy = { subjectRegExp: exactRegExp(oidc.expectedIdentity(MAIN)), issuerRegExp: ISSUER_RE };
    const verified = await verifyAttestations({ registry: client, repo: a.repo, digest: a.digest, predicateTypes: [SLSA_PROVENANCE_V1], identity: policy, trustedRoot: sigstore.trustedRoot });
    expect(verified).toHaveLength(1);
    expect(verified[0]).toMatchObject({ predicateType: SLSA_PROVENANCE_V1, identity: oidc.expectedIdentity(MAIN), predicate: { runDetails: { builder: { id: 'https://example.invalid/builder' } } } });
    await expect(
      verifyAttestations({ registry: client, repo: a.repo, digest: a.digest, predicateTypes: [SLSA_PROVENANCE_V1], identity: { ...policy, subjectRegExp: exactRegExp(oidc.expectedIdentity(OTHER)) }, trustedRoot: sigstore.trustedRoot }),
    ).rejects.toMatchObject({ check: 'identity' });
    await expect(
      verifyAttestations({ registry: client, repo: a.repo, digest: a.digest, predicateTypes: [CYCLONEDX_PREDICATE_TYPE], identity: policy, trustedRoot: sigstore.trustedRoot }),
    ).rejects.toMatchObject({ code: 'ATTESTATION_NOT_FOUND' });
  });
});
