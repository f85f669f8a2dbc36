/**
 * The composition root of publishing (publish/wire.ts, publish/config.ts): what it builds from a PublishConfig, and what
 * it refuses before anything is sent.
 */
import { describe, expect, it } from 'vitest';
import { D2Error, InputError } from '../../src/errors.js';
import { StaticCredentials, type Logger } from '../../src/oci/index.js';
import {
  ciRevision,
  ciSource,
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  parseSignatureFormat,
  planRelease,
  publishSummary,
  wirePublish,
  type PublishConfig,
  type PublishResult,
  type SigningConfig,
} from '../../src/publish/index.js';
import { TimeBudget } from '../../src/util/index.js';

const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined };
const identity = { getToken: () => Promise.resolve('header.payload.sig') };
const signing: SigningConfig = { format: 'legacy', fulcioURL: DEFAULT_FULCIO_URL, rekorURL: DEFAULT_REKOR_URL, verifyAfterSign: true };

function deps(extra: Partial<Parameters<typeof wirePublish>[1]> = {}): Parameters<typeof wirePublish>[1] {
  return { env: {}, logger, credentials: new StaticCredentials({}), budget: new TimeBudget(60_000, '--timeout'), ...extra };
}

describe('wirePublish', () => {
  it('without signing returns a client only', async () => {
    const w = await wirePublish({}, deps());
    expect(w.client).toBeDefined();
    expect(w.signer).toBeUndefined();
    expect(w.verifier).toBeUndefined();
    w.client.close();
  });

  it('with signing returns the signer and the post-sign verifier', async () => {
    const w = await wirePublish({ signing }, deps({ identity }));
    expect(typeof w.signer?.sign).toBe('function');
    expect(typeof w.verifier).toBe('function');
    w.client.close();
  });

  it('verify-after-sign off gives no verifier', async () => {
    const w = await wirePublish({ signing: { ...signing, verifyAfterSign: false } }, deps({ identity }));
    expect(w.signer).toBeDefined();
    expect(w.verifier).toBeUndefined();
    w.client.close();
  });

  it("refuses signing without an identity, with the caller's error", async () => {
    const mine = new InputError('no token here', 'grant it');
    await expect(wirePublish({ signing }, deps({ missingIdentity: () => mine }))).rejects.toBe(mine);
    await expect(wirePublish({ signing }, deps())).rejects.toThrow(/OIDC identity token/);
  });

  it('refuses an unreadable trusted root before anything is sent', async () => {
    const config: PublishConfig = { signing: { ...signing, trustedRoot: '/nonexistent/trusted_root.json' } };
    await expect(wirePublish(config, deps({ identity }))).rejects.toBeInstanceOf(D2Error);
  });

  it('refuses a bad Sigstore URL (the signer checks it)', async () => {
    await expect(wirePublish({ signing: { ...signing, fulcioURL: 'not a url' } }, deps({ identity }))).rejects.toBeInstanceOf(D2Error);
  });
});

describe('publish config', () => {
  it('parseSignatureFormat: default legacy, the three formats, an error naming the flag', () => {
    expect(parseSignatureFormat(undefined, '--signature-format')).toBe('legacy');
    for (const f of ['legacy', 'bundle', 'both']) expect(parseSignatureFormat(f, '--signature-format')).toBe(f);
    expect(() => parseSignatureFormat('cosign', '--signature-format')).toThrow("--signature-format must be legacy, bundle or both, got 'cosign'");
  });

  it('ciSource / ciRevision: GitHub first, then GitLab CI, else undefined', () => {
    const gh = { GITHUB_REPOSITORY: 'acme/fleet', GITHUB_SERVER_URL: 'https://ghe.example/', GITHUB_REF: 'refs/heads/main', GITHUB_SHA: 'abc' };
    expect(ciSource(gh)).toBe('https://ghe.example/acme/fleet');
    expect(ciSource({ GITHUB_REPOSITORY: 'acme/fleet' })).toBe('https://github.com/acme/fleet');
    expect(ciRevision(gh)).toBe('refs/heads/main@sha1:abc');
    const gl = { CI_PROJECT_URL: 'https://gitlab.example/acme/fleet', CI_COMMIT_REF_NAME: 'main', CI_COMMIT_SHA: 'def' };
    expect(ciSource(gl)).toBe('https://gitlab.example/acme/fleet');
    expect(ciRevision(gl)).toBe('main@sha1:def');
    expect(ciSource({})).toBeUndefined();
    expect(ciRevision({ GITHUB_REF: 'refs/heads/main' })).toBeUndefined();
  });

  it('planRelease fills the tags from the release ref', () => {
    const p = planRelease({ ref: 'refs/tags/frontend/v1.2.0', mode: 'component', tagPattern: '{component}/{version}', versionTag: '{component}-{version}' });
    expect(p.release).toMatchObject({ component: 'frontend', version: 'v1.2.0' });
    expect(p.versionTag).toBe('frontend-v1.2.0');
    expect(p.stableTag).toBe('latest-stable');
    expect(p.defaultPath).toBe('components/{component}');
    const fleet = planRelease({ ref: 'refs/tags/v2.0.0', mode: 'fleet', tagPattern: '{version}' });
    expect(fleet.versionTag).toBe('v2.0.0');
    expect(fleet.defaultPath).toBe('.');
  });

  it('planRelease refuses a ref that is not a release and an invalid tag', () => {
    expect(() => planRelease({ ref: 'refs/heads/main', mode: 'component', tagPattern: '{component}/{version}' })).toThrow(InputError);
    expect(() => planRelease({ ref: 'refs/tags/frontend/v1.0.0', mode: 'component', tagPattern: '{component}/{version}', stableTag: 'bad tag' })).toThrow(InputError);
  });
});

describe('publishSummary', () => {
  const signature = { signature: 'sha256-abc.sig', rekorLogIndex: 7, certificateIdentity: 'https://github.com/acme/fleet/.github/workflows/release.yml@refs/tags/v1', certificateOidcIssuer: 'https://token.actions.githubusercontent.com' };
  const result = {
    path: 'components/web',
    component: 'web',
    repository: 'ghcr.io/acme/web',
    digest: `sha256:${'a'.repeat(64)}`,
    digestUrl: `ghcr.io/acme/web@sha256:${'a'.repeat(64)}`,
    tags: ['latest-stable'],
    pushed: true,
    size: 2048,
    signature,
  } as unknown as PublishResult;

  it("places the caller's sections after the table and before the Flux verification", async () => {
    const md = await publishSummary('release-artifact web/v1', [result], [], { sections: ['**Promotion** of x'] });
    const table = md.indexOf('| web |');
    const section = md.indexOf('**Promotion** of x');
    const verify = md.indexOf('### Flux verification');
    expect(table).toBeGreaterThan(0);
    expect(section).toBeGreaterThan(table);
    expect(verify).toBeGreaterThan(section);
    expect(md.match(/### Flux verification/g)).toHaveLength(1);
  });

  it('without sections renders the table and the verification only', async () => {
    const md = await publishSummary('push-artifact', [result], []);
    expect(md).toContain('### Flux verification');
    expect(md).not.toContain('Promotion');
  });
});
