/** Unit tests of the cosign layout writers and the Flux verify block. */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RE2JS } from 're2js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  bundleReferrerManifest,
  buildSignatureImage,
  cosignAnnotationsFromBundle,
  cosignSignStatement,
  dockerReference,
  exactRegExp,
  fluxVerifyBlock,
  generalisedIdentityRegExp,
  githubIdentityProvider,
  MAX_SIGNATURE_LAYERS,
  referrersFallbackTag,
  rekorBundleJSON,
  signatureTag,
  simpleSigningPayload,
} from '../../src/sign/index.js';
import { decodeJwtClaims, expectedSignerIdentity, isPrivateRepository } from '../../src/oidc/index.js';
import type { SerializedBundle } from '@sigstore/bundle';

const D = `sha256:${'ab'.repeat(32)}`;
const sha = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('references, tags and payload', () => {
  it('docker-reference is ggcr Repository.Name(): index.docker.io and library/ for Docker Hub', () => {
    expect(dockerReference({ registry: 'ghcr.io', repository: 'org/app' })).toBe('ghcr.io/org/app');
    expect(dockerReference({ registry: 'docker.io', repository: 'alpine' })).toBe('index.docker.io/library/alpine');
    expect(dockerReference({ registry: 'registry-1.docker.io', repository: 'org/app' })).toBe('index.docker.io/org/app');
    expect(dockerReference({ registry: '127.0.0.1:5000', repository: 'a/b/c' })).toBe('127.0.0.1:5000/a/b/c');
  });

  it('tags: sha256-<hex>.sig and the referrers fallback tag; bad digests are rejected', () => {
    expect(signatureTag(D)).toBe(`sha256-${'ab'.repeat(32)}.sig`);
    expect(referrersFallbackTag(D)).toBe(`sha256-${'ab'.repeat(32)}`);
    expect(() => signatureTag('sha256:XYZ')).toThrow(/not a sha256 manifest digest/);
  });

  it('optional annotations: sorted keys, Go HTML escaping of < > &', () => {
    const p = simpleSigningPayload({ registry: 'ghcr.io', repository: 'o/a' }, D, { z: '1', a: '<b>&' }).toString();
    expect(p).toBe(`{"critical":{"identity":{"docker-reference":"ghcr.io/o/a"},"image":{"docker-manifest-digest":"${D}"},"type":"cosign container image signature"},"optional":{"a":"\\u003cb\\u003e\\u0026","z":"1"}}`);
  });
});

describe('the .sig image: append, never replace', () => {
  const layer = (n: number) => ({ payload: Buffer.from(`payload-${n}`), annotations: { 'dev.cosignproject.cosign/signature': `sig${n}`, 'dev.sigstore.cosign/bundle': '{}' } });

  it('appends to an existing Docker-media-type .sig, keeping its media types, layers, diff_ids and history', () => {
    const first = buildSignatureImage([layer(1)]);
    const dockerManifest = Buffer.from(first.manifest.toString()
      .replace('application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json')
      .replace('application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'));
    const second = buildSignatureImage([layer(2)], { manifest: dockerManifest, config: first.config });
    const m = JSON.parse(second.manifest.toString());
    expect(m.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(m.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(m.layers.map((l: { digest: string }) => l.digest)).toEqual([sha('payload-1'), sha('payload-2')]);
    expect(m.layers[0]).toEqual(JSON.parse(first.manifest.toString()).layers[0]);
    expect(second.config.toString()).toBe(
      `{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${sha('payload-1')}","${sha('payload-2')}"]},"config":{}}`,
    );
    expect(second.configDigest).toBe(sha(second.config));
    expect(second.blobs).toEqual([{ digest: sha('payload-2'), data: Buffer.from('payload-2') }]);
  });

  it('refuses to grow past cosign\'s 1000-layer limit', () => {
    const many = buildSignatureImage(Array.from({ length: MAX_SIGNATURE_LAYERS }, (_, i) => layer(i)));
    expect(JSON.parse(many.manifest.toString()).layers).toHaveLength(1000);
    expect(() => buildSignatureImage([layer(1001)], { manifest: many.manifest, config: many.config })).toThrow(/at most 1000/);
  });
});

describe('bundle → annotations', () => {
  const leaf = Buffer.from('3003020100', 'hex'); // any DER bytes: the PEM writer does not parse them
  const bundle = (withPromise = true): SerializedBundle => ({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.2',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: leaf.toString('base64') }] },
      tlogEntries: [{
        logIndex: '42',
        logId: { keyId: Buffer.from('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d', 'hex').toString('base64') },
        kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
        integratedTime: '1700000000',
        inclusionPromise: withPromise ? { signedEntryTimestamp: 'U0VU' } : undefined,
        inclusionProof: undefined,
        canonicalizedBody: 'Ym9keQ==',
      }],
      timestampVerificationData: undefined,
    },
    messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: 'ZGln' }, signature: 'c2ln' },
  }) as SerializedBundle;

  it('maps strings to JSON numbers, base64 logId to lowercase hex, keeps body a base64 string', () => {
    const a = cosignAnnotationsFromBundle(bundle());
    expect(a['dev.sigstore.cosign/bundle']).toBe('{"SignedEntryTimestamp":"U0VU","Payload":{"body":"Ym9keQ==","integratedTime":1700000000,"logIndex":42,"logID":"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"}}');
    expect(a['dev.cosignproject.cosign/signature']).toBe('c2ln');
    expect(a['dev.sigstore.cosign/chain']).toBe('');
    expect(a['dev.sigstore.cosign/certificate']).toBe(`-----BEGIN CERTIFICATE-----\n${leaf.toString('base64')}\n-----END CERTIFICATE-----\n`);
    expect(rekorBundleJSON({ SignedEntryTimestamp: 's', Payload: { logID: 'x', logIndex: 1, integratedTime: 2, body: 'b' } })).toBe('{"SignedEntryTimestamp":"s","Payload":{"body":"b","integratedTime":2,"logIndex":1,"logID":"x"}}');
  });

  it('an entry without SET (Rekor v2) is refused with the fix: Rekor v1', () => {
    expect(() => cosignAnnotationsFromBundle(bundle(false))).toThrow(/signed entry timestamp/);
  });
});

describe('referrer manifest, statement and fallback index', () => {
  it('statement: in-toto v1, subject digest without name, cosign sign predicate', () => {
    expect(cosignSignStatement(D).toString()).toBe(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"${'ab'.repeat(32)}"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}`);
  });

  it('manifest: artifactType, empty config {}, one bundle layer, subject, annotations', () => {
    const blob = Buffer.from('{"bundle":1}');
    const { bytes, digest } = bundleReferrerManifest(blob, { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 123, digest: D }, new Date('2026-01-02T03:04:05.678Z'));
    expect(digest).toBe(sha(bytes));
    const m = JSON.parse(bytes.toString());
    expect(m.config).toEqual({ mediaType: 'application/vnd.oci.empty.v1+json', size: 2, digest: sha('{}') });
    expect(m.artifactType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(m.layers).toEqual([{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', size: blob.length, digest: sha(blob) }]);
    expect(m.subject).toEqual({ mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 123, digest: D });
    expect(m.annotations).toEqual({
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1',
      'org.opencontainers.image.created': '2026-01-02T03:04:05Z',
    });
  });

});

describe('Flux verify block', () => {
  const SAN = 'https://github.com/acme/app/.github/workflows/release.yaml@refs/tags/app/v1.2.3';
  const ISS = 'https://token.actions.githubusercontent.com';
  const matches = (re: string, s: string) => RE2JS.compile(re).matcher(s).find();

  it('is valid YAML with provider cosign and one anchored, escaped matchOIDCIdentity', () => {
    const y = parse(fluxVerifyBlock(SAN, ISS)) as { verify: { provider: string; matchOIDCIdentity: { issuer: string; subject: string }[] } };
    expect(y.verify.provider).toBe('cosign');
    expect(y.verify.matchOIDCIdentity).toHaveLength(1);
    const { issuer, subject } = y.verify.matchOIDCIdentity[0];
    expect(subject).toBe('^https://github\\.com/acme/app/\\.github/workflows/release\\.yaml@refs/tags/app/v1\\.2\\.3$');
    expect(matches(subject, SAN)).toBe(true);
    expect(matches(subject, SAN.replace('release.yaml', 'releaseXyaml'))).toBe(false);
    expect(matches(subject, `${SAN}x`)).toBe(false);
    expect(matches(issuer, ISS)).toBe(true);
    expect(matches(issuer, `${ISS}/enterprise`)).toBe(false);
  });

  it('the generalised regex accepts the component\'s other release tags, not other components or branches', () => {
    const re = generalisedIdentityRegExp(SAN);
    expect(re).toBe('^https://github\\.com/acme/app/\\.github/workflows/release\\.yaml@refs/tags/app/.*$');
    expect(matches(re, SAN.replace('v1.2.3', 'v2.0.0'))).toBe(true);
    expect(matches(re, SAN.replace('app/v1.2.3', 'other/v1.2.3'))).toBe(false);
    expect(matches(re, SAN.replace('refs/tags/app/v1.2.3', 'refs/heads/main'))).toBe(false);
    expect(generalisedIdentityRegExp(SAN.replace('refs/tags/app/v1.2.3', 'refs/heads/main'))).toBe(exactRegExp(SAN.replace('refs/tags/app/v1.2.3', 'refs/heads/main')));
    const y = parse(fluxVerifyBlock(SAN, ISS, { subjectRegExp: re, trustedRootSecretRef: 'sigstore-root' })) as { verify: { matchOIDCIdentity: { subject: string }[]; trustedRootSecretRef: { name: string } } };
    expect(y.verify.matchOIDCIdentity[0].subject).toBe(re);
    expect(y.verify.trustedRootSecretRef).toEqual({ name: 'sigstore-root' });
  });
});

describe('GitHub OIDC helpers', () => {
  const jwt = (claims: object) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

  it('decodes claims, derives the Fulcio SAN from job_workflow_ref', () => {
    const c = decodeJwtClaims(jwt({ job_workflow_ref: 'o/r/.github/workflows/x.yaml@refs/heads/main' }));
    expect(expectedSignerIdentity(c)).toBe('https://github.com/o/r/.github/workflows/x.yaml@refs/heads/main');
    expect(decodeJwtClaims('garbage')).toEqual({});
  });

  it('private repository: token claim first, else the event payload', () => {
    expect(isPrivateRepository({ claims: { repository_visibility: 'private' }, env: {} })).toBe(true);
    expect(isPrivateRepository({ claims: { repository_visibility: 'public' }, env: {} })).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'd2-event-'));
    writeFileSync(join(dir, 'event.json'), JSON.stringify({ repository: { private: true } }));
    expect(isPrivateRepository({ env: { GITHUB_EVENT_PATH: join(dir, 'event.json') } })).toBe(true);
    writeFileSync(join(dir, 'event.json'), JSON.stringify({ repository: { private: false } }));
    expect(isPrivateRepository({ env: { GITHUB_EVENT_PATH: join(dir, 'event.json') } })).toBe(false);
  });

  it('SIGSTORE_ID_TOKEN wins; without any token source getToken fails naming the permission', async () => {
    await expect(githubIdentityProvider({ env: { SIGSTORE_ID_TOKEN: 'a.b.c' } }).getToken()).resolves.toBe('a.b.c');
    await expect(githubIdentityProvider({ env: {} }).getToken()).rejects.toMatchObject({ hint: expect.stringContaining('permissions: id-token: write') });
  });
});
