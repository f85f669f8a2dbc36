/**
 * Golden vector: a real cosign v2 `.sig` written by GitHub Actions against public-good Sigstore
 * (../shared/vectors/cosign-legacy-github, read in place — third-party data, not copied).
 * Everything here runs offline: the vector's trusted_root.json is the public-good root embedded in @sigstore/tuf.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@d2/sandbox/paths';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_SIGNATURE,
  buildSignatureImage,
  certificatePem,
  dockerReference,
  simpleSigningPayload,
} from '../../src/sign/index.js';
import { loadTrust, verifyLegacyLayer, VerificationFailure, type LoadedTrust } from '../../src/verify/index.js';
import type { Descriptor } from '../../src/oci/types.js';

const dir = join(repoRoot(), '..', 'shared', 'vectors', 'cosign-legacy-github');
const read = (f: string): Buffer => readFileSync(join(dir, f));
const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const IMAGE = { registry: 'docker.io', repository: 'salrashid123/server_image' };
const DIGEST = 'sha256:c05263d2ff654c3a94243662440913f045075d59c436e2c69e9145ec2b87a321';
const OTHER_DIGEST = 'sha256:adce22cdd04fa2b012209f2d048c883c66b7ab89eaadf4f596899fde52d3b0bd';
const SAN = 'https://github.com/salrashid123/go-bazel-github-workflow/.github/workflows/release.yaml@refs/tags/v0.0.30';
const ISSUER = 'https://token.actions.githubusercontent.com';

interface SigManifest {
  schemaVersion: number;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

describe('golden vector cosign-legacy-github', () => {
  const manifest = JSON.parse(read('sig-manifest.json').toString()) as SigManifest;
  const layer = manifest.layers[0];
  let trust: LoadedTrust;
  beforeAll(async () => {
    trust = await loadTrust(join(dir, 'trusted_root.json'));
  });

  it('the simple-signing payload rebuilt for the image is byte-identical to the vector and hashes to the layer digest', () => {
    expect(dockerReference(IMAGE)).toBe('index.docker.io/salrashid123/server_image');
    const payload = simpleSigningPayload(IMAGE, DIGEST);
    expect(payload.equals(read('payload.json'))).toBe(true);
    expect(payload.length).toBe(layer.size);
    expect(sha256(payload)).toBe(layer.digest);
  });

  it('the .sig config and manifest rebuilt from payload + annotations match the published digests', () => {
    const img = buildSignatureImage([{ payload: simpleSigningPayload(IMAGE, DIGEST), annotations: layer.annotations ?? {} }]);
    expect(img.config.equals(read('config.json'))).toBe(true);
    expect(img.configDigest).toBe(manifest.config.digest);
    expect(img.config.length).toBe(manifest.config.size);
    // Same structure and values as the published manifest (the vector file is re-indented, so compare parsed JSON).
    expect(JSON.parse(img.manifest.toString())).toEqual(manifest);
    // Go key order: schemaVersion, mediaType, config, layers; descriptor mediaType, size, digest, annotations.
    expect(img.manifest.toString()).toMatch(/^\{"schemaVersion":2,"mediaType":"application\/vnd\.oci\.image\.manifest\.v1\+json","config":\{"mediaType":/);
    expect(img.manifest.toString()).toContain(`{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":257,"digest":"${layer.digest}","annotations":{"dev.cosignproject.cosign/signature":`);
  });

  it('signature, SET (public Rekor key by logID), tlog body, chain to Fulcio, SCT and identity verify offline', () => {
    const bundle = JSON.parse(layer.annotations![ANNOTATION_BUNDLE]) as { Payload: { logIndex: number; integratedTime: number; logID: string } };
    expect(bundle.Payload.logID).toBe('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d');
    const r = verifyLegacyLayer(layer, read('payload.json'), {
      digest: DIGEST,
      trust: trust.material,
      identity: { subjectRegExp: '^https://github\\.com/salrashid123/go-bazel-github-workflow/\\.github/workflows/release\\.yaml@refs/tags/v0\\.0\\.30$', issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$' },
    });
    expect(r).toEqual({ format: 'legacy', identity: SAN, issuer: ISSUER, logIndex: 1004096555, integratedTime: 1772216446 });
  });

  it('RE2 semantics: unanchored regexes match a substring, as cosign does', () => {
    const r = verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: { subjectRegExp: 'go-bazel-github-workflow', issuerRegExp: 'githubusercontent' } });
    expect(r.identity).toBe(SAN);
  });

  const fail = (fn: () => unknown): VerificationFailure => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(VerificationFailure);
      return err as VerificationFailure;
    }
    throw new Error('expected a verification failure');
  };
  const ok = { subjectRegExp: '^https://github\\.com/salrashid123/', issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$' };

  it('negative: the signature does not cover the other image digest of the same repository (payload claim)', () => {
    const e = fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: OTHER_DIGEST, trust: trust.material, identity: ok }));
    expect(e.check).toBe('payload-claims');
    expect(e.message).toContain(OTHER_DIGEST);
  });

  it('negative: a payload rebuilt for the other digest (with its own layer digest) fails the tlog body hash', () => {
    const forged = simpleSigningPayload(IMAGE, OTHER_DIGEST);
    const e = fail(() => verifyLegacyLayer({ ...layer, digest: sha256(forged), size: forged.length }, forged, { digest: OTHER_DIGEST, trust: trust.material, identity: ok }));
    expect(e.check).toBe('tlog-body');
  });

  it('negative: wrong workflow or wrong ref in the identity regex', () => {
    const wf = fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: { ...ok, subjectRegExp: '^https://github\\.com/salrashid123/go-bazel-github-workflow/\\.github/workflows/push\\.yaml@' } }));
    expect(wf.check).toBe('identity');
    const ref = fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: { ...ok, subjectRegExp: '@refs/heads/main$' } }));
    expect(ref.check).toBe('identity');
    const iss = fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: { ...ok, issuerRegExp: '^https://accounts\\.google\\.com$' } }));
    expect(iss.check).toBe('identity');
  });

  it('negative: a flipped signature byte, a tampered SET, and a swapped certificate each fail their check', () => {
    const a = layer.annotations!;
    const sig = Buffer.from(a[ANNOTATION_SIGNATURE], 'base64');
    sig[sig.length - 3] ^= 1;
    const badSig = fail(() => verifyLegacyLayer({ ...layer, annotations: { ...a, [ANNOTATION_SIGNATURE]: sig.toString('base64') } }, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: ok }));
    expect(badSig.check).toBe('tlog-body'); // the logged signature no longer equals the annotation

    const b = JSON.parse(a[ANNOTATION_BUNDLE]) as { Payload: { integratedTime: number } };
    b.Payload.integratedTime += 1;
    const badSet = fail(() => verifyLegacyLayer({ ...layer, annotations: { ...a, [ANNOTATION_BUNDLE]: JSON.stringify(b) } }, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: ok }));
    expect(badSet.check).toBe('rekor-set');

    const otherCert = a['dev.sigstore.cosign/chain'].split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----\n';
    const badCert = fail(() => verifyLegacyLayer({ ...layer, annotations: { ...a, [ANNOTATION_CERTIFICATE]: otherCert } }, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: ok }));
    expect(badCert.check).toBe('tlog-body');
  });

  it('negative: a trusted root without the CT log fails the SCT check; one without the Fulcio CA fails the chain check', async () => {
    const root = JSON.parse(read('trusted_root.json').toString()) as { ctlogs: unknown[]; certificateAuthorities: unknown[] };
    const noCt = await loadTrust({ ...root, ctlogs: [] });
    expect(fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: noCt.material, identity: ok })).check).toBe('sct');
    const noCa = await loadTrust({ ...root, certificateAuthorities: root.certificateAuthorities.slice(0, 1) });
    expect(fail(() => verifyLegacyLayer(layer, read('payload.json'), { digest: DIGEST, trust: noCa.material, identity: ok })).check).toBe('certificate-chain');
  });

  it('our PEM writer reproduces the certificate annotation byte for byte (64-char lines, trailing newline)', () => {
    const pem = layer.annotations![ANNOTATION_CERTIFICATE];
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(certificatePem(der)).toBe(pem);
  });

  it('negative: an integer written as a string in the bundle annotation is rejected like Go does', () => {
    const a = layer.annotations!;
    const b = JSON.parse(a[ANNOTATION_BUNDLE]) as { Payload: { logIndex: number | string } };
    b.Payload.logIndex = String(b.Payload.logIndex);
    const e = fail(() => verifyLegacyLayer({ ...layer, annotations: { ...a, [ANNOTATION_BUNDLE]: JSON.stringify(b) } }, read('payload.json'), { digest: DIGEST, trust: trust.material, identity: ok }));
    expect(e.check).toBe('rekor-bundle');
  });
});
