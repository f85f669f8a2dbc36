/**
 * End to end against REAL parts: the sandbox registry (CNCF distribution on loopback) through the product
 * RegistryClient (@d2/core/oci; one test uses the minimal test client without `pushReferrer`), the Sigstore stand-in
 * (@sigstore/mock Fulcio with CT log + Rekor v1 behind a real HTTP server) and the Actions-like OIDC endpoint.
 * Layouts: docs/signing.md "Signature layouts" (legacy .sig, bundle referrer + fallback index) and "Who verifies
 * what"; the stand-in canonicalizes `dsse` Rekor entries as real Rekor does, so the production default `dsse` is used.
 * Nothing is mocked in-process.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { D2Error } from '../../src/errors.js';
import type { Descriptor, Repository } from '../../src/oci/types.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161,
  ANNOTATION_SIGNATURE,
  ArtifactSigner,
  assertIdTokenAvailable,
  exactRegExp,
  githubIdentityProvider,
  simpleSigningPayload,
  type SignatureFormat,
} from '../../src/sign/index.js';
import { sha256Digest } from '../../src/base/index.js';
import { verifyArtifact, VerificationFailure, type IdentityPolicy } from '../../src/verify/index.js';
import { RegistryClient } from '../../src/oci/index.js';
import { MiniRegistry } from './mini-registry.js';
import { pushTinyArtifact } from '@d2/sandbox/tiny-artifact';

const ISSUER_RE = exactRegExp('https://token.actions.githubusercontent.com');
const MAIN: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
let client: RegistryClient;
let host: string;

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry(), startSigstore(), startOidc()]);
  client = new RegistryClient({ credentials: { get: async () => undefined } });
  host = registry.host;
});
afterAll(async () => {
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
});

let counter = 0;
/** Pushes a small OCI manifest (config + one layer) and returns its repository and digest. */
async function pushArtifact(name = `app${++counter}`): Promise<{ repo: Repository; digest: string }> {
  const repo = { registry: host, repository: `acme/${name}` };
  return { repo, digest: await pushTinyArtifact(client, repo, `content of ${name} ${Date.now()}`) };
}

function signerFor(ctx: OidcContext, format: SignatureFormat = 'legacy', s: SandboxSigstore = sigstore, extra: Partial<ConstructorParameters<typeof ArtifactSigner>[0]> = {}): ArtifactSigner {
  return new ArtifactSigner({
    registry: client,
    fulcioURL: s.fulcioURL,
    rekorURL: s.rekorURL,
    tsaURL: s.tsaURL,
    format,
    identityProvider: githubIdentityProvider({ env: oidc.envFor(ctx) }),
    retry: { attempts: 3, baseMs: 10, maxMs: 50 },
    env: {},
    ...extra,
  });
}

const exactIdentity = (ctx: OidcContext): IdentityPolicy => ({ subjectRegExp: exactRegExp(oidc.expectedIdentity(ctx)), issuerRegExp: ISSUER_RE });

async function verifyFails(opts: Parameters<typeof verifyArtifact>[0]): Promise<VerificationFailure> {
  try {
    await verifyArtifact(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(VerificationFailure);
    return err as VerificationFailure;
  }
  throw new Error('verification unexpectedly passed');
}

async function sigManifest(repo: Repository, digest: string): Promise<{ layers: Descriptor[]; config: Descriptor; mediaType: string }> {
  const m = await client.getManifest(repo, `${digest.replace(':', '-')}.sig`);
  return JSON.parse(m.bytes.toString()) as { layers: Descriptor[]; config: Descriptor; mediaType: string };
}

describe('legacy .sig format', () => {
  let art: { repo: Repository; digest: string };
  beforeAll(async () => {
    art = await pushArtifact();
  });

  it('signs: .sig tag with the simple-signing payload and the four cosign annotations; outputs identity and log index', async () => {
    const r = await signerFor(MAIN).sign(art.repo, art.digest);
    expect(r.signature).toBe(`${host}/${art.repo.repository}:${art.digest.replace(':', '-')}.sig`);
    expect(r.certificateIdentity).toBe('https://github.com/acme/app/.github/workflows/push-artifact.yaml@refs/heads/main');
    expect(r.certificateOidcIssuer).toBe('https://token.actions.githubusercontent.com');
    expect(Number.isInteger(r.rekorLogIndex)).toBe(true);
    expect(r.bundleReferrer).toBeUndefined();

    const m = await sigManifest(art.repo, art.digest);
    expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(m.layers).toHaveLength(1);
    const [layer] = m.layers;
    expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = await client.fetchBlob(art.repo, layer.digest);
    expect(payload.equals(simpleSigningPayload(art.repo, art.digest))).toBe(true);
    expect(payload.toString()).toContain(`"docker-reference":"${host}/${art.repo.repository}"`);
    const a = layer.annotations!;
    expect(Object.keys(a).sort()).toEqual([ANNOTATION_SIGNATURE, ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE, ANNOTATION_CHAIN].sort());
    expect(a[ANNOTATION_CHAIN]).toBe('');
    expect(a[ANNOTATION_CERTIFICATE]).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n$/);
    // exact key order, integers as numbers, logID hex, body a base64 string.
    expect(a[ANNOTATION_BUNDLE]).toMatch(/^\{"SignedEntryTimestamp":"[A-Za-z0-9+/=]+","Payload":\{"body":"[A-Za-z0-9+/=]+","integratedTime":\d+,"logIndex":\d+,"logID":"[0-9a-f]{64}"\}\}$/);
    expect(JSON.parse(a[ANNOTATION_BUNDLE]).Payload.logIndex).toBe(r.rekorLogIndex);
  });

  it('verifies with the exact identity regex; fails with a wrong workflow, a wrong ref, a wrong issuer', async () => {
    const ok = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRootPath });
    expect(ok).toMatchObject({ verified: true, format: 'legacy', identity: oidc.expectedIdentity(MAIN), issuer: 'https://token.actions.githubusercontent.com' });

    const wrongWorkflow = await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity({ ...MAIN, workflow: '.github/workflows/other.yaml' }), trustedRoot: sigstore.trustedRoot });
    expect(wrongWorkflow.check).toBe('identity');
    const wrongRef = await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity({ ...MAIN, ref: 'refs/heads/dev' }), trustedRoot: sigstore.trustedRoot });
    expect(wrongRef.check).toBe('identity');
    const wrongIssuer = await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: { subjectRegExp: '.*', issuerRegExp: '^https://gitlab\\.com$' }, trustedRoot: sigstore.trustedRoot });
    expect(wrongIssuer.check).toBe('identity');
  });

  it('fails against another Sigstore instance\'s trusted root (Rekor key unknown by log ID)', async () => {
    const other = await startSigstore();
    try {
      const e = await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: other.trustedRoot });
      expect(e.check).toBe('rekor-set');
    } finally {
      await other.stop();
    }
  });

  it('a second signature appends a layer: existing layer kept byte for byte, config gets a second diff_id', async () => {
    const before = await sigManifest(art.repo, art.digest);
    const tagCtx = { ...MAIN, ref: 'refs/tags/v1.0.0' };
    await signerFor(tagCtx).sign(art.repo, art.digest);
    const after = await sigManifest(art.repo, art.digest);
    expect(after.layers).toHaveLength(2);
    expect(after.layers[0]).toEqual(before.layers[0]);
    const config = JSON.parse((await client.fetchBlob(art.repo, after.config.digest)).toString()) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    expect(config.rootfs.diff_ids).toEqual([after.layers[0].digest, after.layers[1].digest]);
    expect(config.history).toHaveLength(2);
    // Either identity verifies: one good layer suffices.
    const v1 = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(tagCtx), trustedRoot: sigstore.trustedRoot });
    expect(v1.identity).toBe(oidc.expectedIdentity(tagCtx));
    const v0 = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(v0.identity).toBe(oidc.expectedIdentity(MAIN));
  });
});

/** Rewrites the .sig of `target` from a manipulated copy of `layers`. */
async function writeSig(repo: Repository, targetDigest: string, layers: { payload: Buffer; annotations: Record<string, string> }[]): Promise<void> {
  const { buildSignatureImage } = await import('../../src/sign/index.js');
  const img = buildSignatureImage(layers);
  for (const b of img.blobs) await client.pushBlob(repo, { data: b.data }, b.digest);
  await client.pushBlob(repo, { data: img.config }, img.configDigest);
  await client.putManifest(repo, `${targetDigest.replace(':', '-')}.sig`, img.manifest, img.manifestMediaType);
}

describe('legacy verification rejects manipulated signatures', () => {
  let a: { repo: Repository; digest: string };
  let b: { repo: Repository; digest: string };
  let layerA: Descriptor;
  let payloadA: Buffer;
  beforeAll(async () => {
    a = await pushArtifact('tamper-a');
    b = await pushArtifact('tamper-b');
    await signerFor(MAIN).sign(a.repo, a.digest);
    [layerA] = (await sigManifest(a.repo, a.digest)).layers;
    payloadA = await client.fetchBlob(a.repo, layerA.digest);
  });

  it('a tampered payload (same claims, edited reference) fails', async () => {
    const tampered = Buffer.from(payloadA.toString().replace('acme/tamper-a', 'acme/tamper-x'));
    await writeSig(a.repo, a.digest, [{ payload: tampered, annotations: layerA.annotations! }]);
    const e = await verifyFails({ registry: client, repo: a.repo, digest: a.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(e.check).toBe('tlog-body');
    await writeSig(a.repo, a.digest, [{ payload: payloadA, annotations: layerA.annotations! }]);
    await expect(verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true });
  });

  it('a swapped certificate (from another signing) fails', async () => {
    await signerFor(MAIN).sign(b.repo, b.digest);
    const [layerB] = (await sigManifest(b.repo, b.digest)).layers;
    await writeSig(a.repo, a.digest, [{ payload: payloadA, annotations: { ...layerA.annotations!, [ANNOTATION_CERTIFICATE]: layerB.annotations![ANNOTATION_CERTIFICATE] } }]);
    const e = await verifyFails({ registry: client, repo: a.repo, digest: a.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(e.check).toBe('tlog-body');
    await writeSig(a.repo, a.digest, [{ payload: payloadA, annotations: layerA.annotations! }]);
  });

  it('a valid signature of another digest, copied to this digest\'s .sig tag, fails the payload claim', async () => {
    await writeSig(b.repo, b.digest, [{ payload: payloadA, annotations: layerA.annotations! }]);
    const e = await verifyFails({ registry: client, repo: b.repo, digest: b.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(e.check).toBe('payload-claims');
  });

  it('a referrers lookup that errors (fallback tag holds no index) falls back to the .sig, as cosign v3 does', async () => {
    const c = await pushArtifact('odd-fallback-tag');
    await signerFor(MAIN).sign(c.repo, c.digest);
    const m = await client.getManifest(c.repo, c.digest);
    await client.putManifest(c.repo, c.digest.replace(':', '-'), m.bytes, m.mediaType); // an image manifest, not an index
    await expect(client.referrers(c.repo, c.digest)).rejects.toThrow();
    await expect(verifyArtifact({ registry: client, repo: c.repo, digest: c.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ format: 'legacy' });
  });

  it('no signature at all is reported as such', async () => {
    const c = await pushArtifact('unsigned');
    const e = await verifyFails({ registry: client, repo: c.repo, digest: c.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(e.check).toBe('no-signature');
  });
});

describe('certificate validity vs integratedTime', () => {
  it('a certificate that expired before Rekor integrated the entry fails', async () => {
    // The stand-in's CA clock is an hour behind: its 10-minute certificates are expired when Rekor logs the entry.
    const stale = await startSigstore({ caClock: new Date(Date.now() - 3600_000), validFrom: new Date(Date.now() - 7200_000) });
    try {
      const art = await pushArtifact('expired');
      await signerFor(MAIN, 'legacy', stale).sign(art.repo, art.digest);
      const e = await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: stale.trustedRoot });
      expect(e.check).toBe('certificate-expiry');
    } finally {
      await stale.stop();
    }
  });
});

describe('bundle format: DSSE v0.3 referrer', () => {
  it('bundle: pushes a referrer listed in the fallback index; verification takes the bundle path', async () => {
    const art = await pushArtifact();
    const r = await signerFor(MAIN, 'bundle').sign(art.repo, art.digest);
    expect(r.signature).toMatch(new RegExp(`^${host}/acme/app\\d+@sha256:[0-9a-f]{64}$`));
    expect(r.bundleReferrer).toBe(r.signature);
    expect(await client.headManifest(art.repo, `${art.digest.replace(':', '-')}.sig`)).toBeUndefined();
    const refs = await client.referrers(art.repo, art.digest);
    expect(refs).toHaveLength(1);
    expect(refs[0]).toMatchObject({ artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: r.bundleReferrer!.split('@')[1] });
    const m = JSON.parse((await client.getManifest(art.repo, refs[0].digest)).bytes.toString()) as { subject: Descriptor; layers: Descriptor[]; annotations: Record<string, string>; config: Descriptor };
    expect(m.subject.digest).toBe(art.digest);
    expect(m.layers).toHaveLength(1);
    expect(m.config.digest).toBe('sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(m.annotations['dev.sigstore.bundle.predicateType']).toBe('https://sigstore.dev/cosign/sign/v1');
    const bundle = JSON.parse((await client.fetchBlob(art.repo, m.layers[0].digest)).toString()) as { mediaType: string; dsseEnvelope: { payload: string } };
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString())).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: art.digest.slice(7) } }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    });
    const v = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(v).toMatchObject({ verified: true, format: 'bundle', identity: oidc.expectedIdentity(MAIN), logIndex: r.rekorLogIndex });
    expect((await verifyFails({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity({ ...MAIN, ref: 'refs/heads/x' }), trustedRoot: sigstore.trustedRoot })).check).toBe('identity');
  });

  it('a registry client without pushReferrer: the signer maintains the fallback index itself', async () => {
    const art = await pushArtifact();
    const mini = new MiniRegistry(registry.url);
    const r = await signerFor(MAIN, 'bundle', sigstore, { registry: mini }).sign(art.repo, art.digest);
    expect(mini.log).toContain(`PUT /v2/${art.repo.repository}/manifests/${art.digest.replace(':', '-')}`);
    const refs = await client.referrers(art.repo, art.digest);
    expect(refs.map((d) => d.digest)).toEqual([r.bundleReferrer!.split('@')[1]]);
    await expect(verifyArtifact({ registry: mini, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ format: 'bundle' });
  });

  it('bundle with the legacy `intoto` Rekor entry type also verifies', async () => {
    const art = await pushArtifact();
    await signerFor(MAIN, 'bundle', sigstore, { dsseEntryType: 'intoto' }).sign(art.repo, art.digest);
    const v = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(v.format).toBe('bundle');
  });

  it('both: .sig and referrer; the bundle takes precedence and a failing bundle does not fall back to .sig', async () => {
    const art = await pushArtifact();
    const fulcioBefore = sigstore.requests.fulcio;
    const r = await signerFor(MAIN, 'both').sign(art.repo, art.digest);
    expect(sigstore.requests.fulcio - fulcioBefore).toBe(1); // one certificate for both recipes
    expect(r.signature).toContain('.sig');
    expect(r.bundleReferrer).toMatch(/@sha256:/);
    const v = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(v.format).toBe('bundle');
    const legacy = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot, format: 'legacy' });
    expect(legacy.format).toBe('legacy');
    // Add a second referrer signed by another workflow; a second bundle signature appends to the fallback index.
    const other = { ...MAIN, workflow: '.github/workflows/other.yaml' };
    await signerFor(other, 'bundle').sign(art.repo, art.digest);
    expect(await client.referrers(art.repo, art.digest)).toHaveLength(2);
    const v2 = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(other), trustedRoot: sigstore.trustedRoot });
    expect(v2.format).toBe('bundle');

    // A .sig by MAIN plus a bundle by another workflow: MAIN's valid .sig is never consulted (cosign v3, Flux >= 2.8).
    const mixed = await pushArtifact();
    await signerFor(MAIN, 'legacy').sign(mixed.repo, mixed.digest);
    await signerFor(other, 'bundle').sign(mixed.repo, mixed.digest);
    const e = await verifyFails({ registry: client, repo: mixed.repo, digest: mixed.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot });
    expect(e.check).toBe('identity');
    const viaSig = await verifyArtifact({ registry: client, repo: mixed.repo, digest: mixed.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot, format: 'legacy' });
    expect(viaSig.format).toBe('legacy');
  });
});

describe('failures and guards', () => {
  it('a Fulcio outage makes sign() throw a D2Error after bounded retries, and nothing is written', async () => {
    const art = await pushArtifact();
    const before = sigstore.requests.fulcio;
    sigstore.failFulcio(10);
    try {
      await expect(signerFor(MAIN).sign(art.repo, art.digest)).rejects.toMatchObject({ code: 'SIGNING_FAILED', message: expect.stringContaining('Fulcio') });
    } finally {
      sigstore.failFulcio(0);
    }
    expect(sigstore.requests.fulcio - before).toBe(3); // 1 + 2 retries
    expect(await client.headManifest(art.repo, `${art.digest.replace(':', '-')}.sig`)).toBeUndefined();
  });

  it('a single Fulcio 5xx is retried and signing succeeds', async () => {
    const art = await pushArtifact();
    sigstore.failFulcio(1, 503);
    const r = await signerFor(MAIN).sign(art.repo, art.digest);
    expect(r.certificateIdentity).toBe(oidc.expectedIdentity(MAIN));
  });

  it('a Rekor outage makes sign() throw naming Rekor', async () => {
    const art = await pushArtifact();
    sigstore.failRekor(10);
    try {
      await expect(signerFor(MAIN).sign(art.repo, art.digest)).rejects.toThrow(/Rekor/);
    } finally {
      sigstore.failRekor(0);
    }
  });

  it('refuses to sign a digest that is not in the registry, before asking Fulcio', async () => {
    const before = sigstore.requests.fulcio;
    const repo = { registry: host, repository: 'acme/none' };
    await expect(signerFor(MAIN).sign(repo, sha256Digest('nothing'))).rejects.toThrow(/not in the registry/);
    expect(sigstore.requests.fulcio).toBe(before);
  });

  it('warns that the public log reveals names when the repository is private', async () => {
    const art = await pushArtifact();
    const warnings: string[] = [];
    const logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m) };
    await signerFor({ ...MAIN, visibility: 'private' }, 'legacy', sigstore, { logger }).sign(art.repo, art.digest);
    expect(warnings.join('\n')).toMatch(/private.*public transparency log/);
    const quiet: string[] = [];
    await signerFor(MAIN, 'legacy', sigstore, { logger: { ...logger, warn: (m: string) => quiet.push(m) } }).sign(art.repo, art.digest);
    expect(quiet).toEqual([]);
  });

  it('assertIdTokenAvailable names `permissions: id-token: write` and `sign: false`', () => {
    let err: unknown;
    try {
      assertIdTokenAvailable({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).hint).toContain('permissions: id-token: write');
    expect((err as D2Error).hint).toContain('sign: false');
    expect(() => assertIdTokenAvailable({ ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1/x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' })).not.toThrow();
    expect(() => assertIdTokenAvailable({ SIGSTORE_ID_TOKEN: 'x.y.z' })).not.toThrow();
  });
});

describe('timestamp authority (optional, the rfc3161timestamp annotation)', () => {
  it('adds the rfc3161timestamp annotation and still verifies', async () => {
    const withTsa = await startSigstore({ tsa: true });
    try {
      const art = await pushArtifact();
      await signerFor(MAIN, 'legacy', withTsa).sign(art.repo, art.digest);
      const [layer] = (await sigManifest(art.repo, art.digest)).layers;
      expect(layer.annotations![ANNOTATION_RFC3161]).toMatch(/^\{"SignedRFC3161Timestamp":"[A-Za-z0-9+/=]+"\}$/);
      const v = await verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: withTsa.trustedRoot });
      expect(v.verified).toBe(true);
    } finally {
      await withTsa.stop();
    }
  });
});

describe('signAll (several artifacts in one step)', () => {
  it('signs every artifact with bounded concurrency and one Fulcio certificate (like cosign with several refs)', async () => {
    const arts = [await pushArtifact(), await pushArtifact(), await pushArtifact()];
    const before = sigstore.requests.fulcio;
    const results = await signerFor(MAIN).signAll(arts, 2);
    expect(sigstore.requests.fulcio - before).toBe(1);
    const certs = new Set<string>();
    for (const a of arts) certs.add((await sigManifest(a.repo, a.digest)).layers[0].annotations![ANNOTATION_CERTIFICATE]);
    expect(certs.size).toBe(1);
    expect(results.map((r) => r.signature)).toEqual(arts.map((a) => `${host}/${a.repo.repository}:${a.digest.replace(':', '-')}.sig`));
    for (const a of arts) {
      await expect(verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true });
    }
  });

  it('one signer asks Fulcio once for every sign() and attest() call of its run (a step of many components)', async () => {
    const arts = [await pushArtifact(), await pushArtifact()];
    const signer = signerFor(MAIN, 'both');
    const before = sigstore.requests.fulcio;
    const results = [await signer.sign(arts[0].repo, arts[0].digest), await signer.sign(arts[1].repo, arts[1].digest)];
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: arts[0].digest.slice(7) } }], predicateType: 'https://example.com/p/v1', predicate: {} }));
    const [attested] = await signer.attest(arts[0].repo, arts[0].digest, [{ predicateType: 'https://example.com/p/v1', statement }], { legacy: false });
    expect(sigstore.requests.fulcio - before).toBe(1);
    const certs = new Set(await Promise.all(arts.map(async (a) => (await sigManifest(a.repo, a.digest)).layers[0].annotations![ANNOTATION_CERTIFICATE])));
    expect(certs.size).toBe(1);
    expect(attested.certificateIdentity).toBe(results[0].certificateIdentity);
    for (const a of arts) {
      await expect(verifyArtifact({ registry: client, repo: a.repo, digest: a.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true });
    }
  });

  it('a signer whose certificate request failed asks Fulcio again on its next call', async () => {
    const [a, b] = [await pushArtifact(), await pushArtifact()];
    const signer = signerFor(MAIN);
    sigstore.failFulcio(10);
    try {
      await expect(signer.sign(a.repo, a.digest)).rejects.toMatchObject({ code: 'SIGNING_FAILED' });
    } finally {
      sigstore.failFulcio(0);
    }
    const before = sigstore.requests.fulcio;
    await expect(signer.sign(b.repo, b.digest)).resolves.toMatchObject({ certificateIdentity: oidc.expectedIdentity(MAIN) });
    expect(sigstore.requests.fulcio - before).toBe(1);
  });

  it('sign() with the descriptor of a manifest just pushed does not ask the registry for it; a descriptor of another digest is refused', async () => {
    const art = await pushArtifact();
    const subject = (await client.headManifest(art.repo, art.digest))!;
    const asked: string[] = [];
    const counting: typeof client = Object.create(client, {
      headManifest: { value: (repo: Repository, reference: string) => (asked.push(reference), client.headManifest(repo, reference)) },
    });
    const signer = new ArtifactSigner({ registry: counting, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format: 'both', identityProvider: githubIdentityProvider({ env: oidc.envFor(MAIN) }) });
    const r = await signer.sign(art.repo, art.digest, subject);
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: 'x', digest: { sha256: art.digest.slice(7) } }], predicateType: 'https://example.com/p/v1', predicate: {} }));
    await signer.attest(art.repo, art.digest, [{ predicateType: 'https://example.com/p/v1', statement }], { legacy: false, subject });
    expect(asked).not.toContain(art.digest);
    expect(r.bundleReferrer).toBeDefined();
    await expect(verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true, format: 'bundle' });
    const other = await pushArtifact();
    await expect(signer.sign(other.repo, other.digest, subject)).rejects.toMatchObject({ code: 'SIGNING_FAILED' });
    await signer.sign(other.repo, other.digest);
    expect(asked).toContain(other.digest);
  });

  it('verifyArtifact reads the .sig tag with one GET (no HEAD first), and a missing one is no-signature', async () => {
    const art = await pushArtifact();
    await signerFor(MAIN).sign(art.repo, art.digest);
    const asked: string[] = [];
    const counting: typeof client = Object.create(client, {
      headManifest: { value: (repo: Repository, reference: string) => (asked.push(`HEAD ${reference}`), client.headManifest(repo, reference)) },
      getManifest: { value: (repo: Repository, reference: string) => (asked.push(`GET ${reference}`), client.getManifest(repo, reference)) },
    });
    const sigTag = `${art.digest.replace(':', '-')}.sig`;
    await expect(verifyArtifact({ registry: counting, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot, format: 'legacy' })).resolves.toMatchObject({ verified: true });
    expect(asked).toEqual([`GET ${sigTag}`]);
    const unsigned = await pushArtifact();
    const e = await verifyFails({ registry: counting, repo: unsigned.repo, digest: unsigned.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot, format: 'legacy' });
    expect(e.check).toBe('no-signature');
  });

  it('sign() reads the .sig tag with one GET while Rekor is asked, and uploads the signature image without HEADs', async () => {
    const art = await pushArtifact();
    const events: string[] = [];
    const sigTag = `${art.digest.replace(':', '-')}.sig`;
    const counting: typeof client = Object.create(client, {
      headManifest: { value: (repo: Repository, reference: string) => (events.push(`HEAD ${reference}`), client.headManifest(repo, reference)) },
      getManifest: { value: (repo: Repository, reference: string) => (events.push(`GET ${reference} rekor=${sigstore.requests.rekor}`), client.getManifest(repo, reference)) },
      pushBlob: { value: (repo: Repository, source: { data: Buffer }, digest: string, size?: number, opts?: { dedup?: boolean }) => (events.push(`blob dedup=${String(opts?.dedup ?? true)}`), client.pushBlob(repo, source, digest, size, opts)) },
    });
    const rekorBefore = sigstore.requests.rekor;
    const signer = new ArtifactSigner({ registry: counting, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format: 'legacy', identityProvider: githubIdentityProvider({ env: oidc.envFor(MAIN) }) });
    await signer.sign(art.repo, art.digest);
    expect(events.filter((e) => e.startsWith(`HEAD ${sigTag}`))).toEqual([]);
    expect(events.find((e) => e.startsWith(`GET ${sigTag}`))).toBe(`GET ${sigTag} rekor=${rekorBefore}`); // before the Rekor entry
    expect(events.filter((e) => e.startsWith('blob'))).toEqual(['blob dedup=false', 'blob dedup=false']);
    await expect(verifyArtifact({ registry: client, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true });
    // A second signer appends to the image it reads (the append and its read-back are unchanged).
    await signerFor(MAIN).sign(art.repo, art.digest);
    expect((await sigManifest(art.repo, art.digest)).layers).toHaveLength(2);
  });

  it('verifyArtifact asks for the .sig tag while it looks for bundles (which still decide first: see "both" above)', async () => {
    const art = await pushArtifact();
    await signerFor(MAIN).sign(art.repo, art.digest);
    const events: string[] = [];
    const sigTag = `${art.digest.replace(':', '-')}.sig`;
    const counting: typeof client = Object.create(client, {
      referrers: { value: async (repo: Repository, digest: string) => { events.push('referrers asked'); await new Promise((r) => setTimeout(r, 50)); const out = await client.referrers(repo, digest); events.push('referrers answered'); return out; } },
      getManifest: { value: (repo: Repository, reference: string) => (events.push(`GET ${reference}`), client.getManifest(repo, reference)) },
    });
    await expect(verifyArtifact({ registry: counting, repo: art.repo, digest: art.digest, identity: exactIdentity(MAIN), trustedRoot: sigstore.trustedRoot })).resolves.toMatchObject({ verified: true, format: 'legacy' });
    expect(events.indexOf(`GET ${sigTag}`)).toBeGreaterThanOrEqual(0);
    expect(events.indexOf(`GET ${sigTag}`)).toBeLessThan(events.indexOf('referrers answered'));
  });

  it('throws when one artifact cannot be signed', async () => {
    const arts = [await pushArtifact(), { repo: { registry: host, repository: 'acme/missing' }, digest: sha256Digest('missing') }];
    await expect(signerFor(MAIN).signAll(arts)).rejects.toThrow(/not in the registry/);
  });
});
