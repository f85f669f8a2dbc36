/** Reference parsing and validation. */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatReference, isLoopback, parseReference, referrersTag, validateDigest, validateRepository, validateTag } from '../../src/oci/references.js';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['ghcr.io/org/app:v1', { registry: 'ghcr.io', repository: 'org/app', tag: 'v1' }],
    ['oci://ghcr.io/org/app:v1', { registry: 'ghcr.io', repository: 'org/app', tag: 'v1' }],
    [`127.0.0.1:5001/flux/demo@${D}`, { registry: '127.0.0.1:5001', repository: 'flux/demo', digest: D }],
    [`localhost:5000/a/b/c:latest@${D}`, { registry: 'localhost:5000', repository: 'a/b/c', tag: 'latest', digest: D }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['[::1]:5000/app:1', { registry: '[::1]:5000', repository: 'app', tag: '1' }],
    ['registry.example.com:443/team/app', { registry: 'registry.example.com:443', repository: 'team/app' }],
  ])('%s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it('applies Docker Hub rules: docker.io → registry-1.docker.io, library/ for one-component names', () => {
    expect(parseReference('alpine')).toEqual({ registry: 'registry-1.docker.io', repository: 'library/alpine' });
    expect(parseReference('alpine:3.20')).toEqual({ registry: 'registry-1.docker.io', repository: 'library/alpine', tag: '3.20' });
    expect(parseReference('docker.io/alpine')).toEqual({ registry: 'registry-1.docker.io', repository: 'library/alpine' });
    expect(parseReference('docker.io/fluxcd/flux-cli:v2')).toEqual({ registry: 'registry-1.docker.io', repository: 'fluxcd/flux-cli', tag: 'v2' });
    expect(parseReference('index.docker.io/fluxcd/flux')).toEqual({ registry: 'registry-1.docker.io', repository: 'fluxcd/flux' });
    expect(parseReference('fluxcd/flux')).toEqual({ registry: 'registry-1.docker.io', repository: 'fluxcd/flux' });
  });

  it('rejects upper-case repositories with the lower-case fix (github.repository can contain capitals)', () => {
    const err = (() => {
      try {
        parseReference('ghcr.io/Org/Repo:v1', { what: 'repository' });
      } catch (e) {
        return e as InputError;
      }
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.message).toBe("repository 'ghcr.io/Org/Repo' contains upper-case letters; OCI names must be lowercase");
    expect(err?.hint).toContain('use ghcr.io/org/repo');
    expect(err?.hint).toContain('${{ github.repository }}');
  });

  it('lower-cases the host but never the repository', () => {
    expect(parseReference('GHCR.io/org/app').registry).toBe('ghcr.io');
  });

  it.each([
    ['', /is empty/],
    ['https://ghcr.io/org/app', /only oci:\/\//],
    ['ghcr.io/org/app:1.0.0+build', /contains '\+'/],
    ['ghcr.io/org/app@sha256:abc', /not a valid digest/],
    ['ghcr.io/org//app', /empty path component/],
    ['ghcr.io/org/-app', /starts or ends with a separator/],
    ['ghcr.io/org/app$', /contains "\$"/],
    ['bad_host!.io/org/app', /not a valid OCI repository name|invalid registry host/],
  ])('rejects %j', (input, msg) => {
    expect(() => parseReference(input)).toThrow(msg);
  });

  it('formats back', () => {
    expect(formatReference(parseReference(`ghcr.io/org/app:v1@${D}`))).toBe(`ghcr.io/org/app:v1@${D}`);
    expect(formatReference({ registry: 'r:1', repository: 'a' })).toBe('r:1/a');
  });
});

describe('validateTag', () => {
  it.each(['v1', 'latest', '1.0.0', '_x', 'A-b_c.d', 'a'.repeat(128), 'sha256-' + 'a'.repeat(64), 'sha256-' + 'a'.repeat(64) + '.sig'])('accepts %s', (t) => {
    expect(() => validateTag(t)).not.toThrow();
  });

  it('explains semver build metadata', () => {
    expect(() => validateTag('1.0.0+build.5')).toThrow(InputError);
    try {
      validateTag('1.0.0+build.5', 'input tags');
    } catch (e) {
      expect((e as InputError).message).toContain("input tags '1.0.0+build.5' contains '+'");
      expect((e as InputError).hint).toContain("'1.0.0-build.5'");
    }
  });

  it.each([
    ['', /is empty/],
    ['a'.repeat(129), /at most 128/],
    ['feature/x', /contains '\/'/],
    ['.hidden', /starts with '\.'/],
    ['-x', /starts with '-'/],
    ['tag with space', /characters OCI tags do not allow/],
  ])('rejects %j', (t, msg) => {
    expect(() => validateTag(t)).toThrow(msg);
  });
});

describe('validateRepository / validateDigest / isLoopback / referrersTag', () => {
  it('follows the distribution name grammar', () => {
    for (const ok of ['a', 'a/b', 'a.b/c_d/e__f/g-h/i--j', 'x0/1y']) expect(() => validateRepository(ok)).not.toThrow();
    for (const bad of ['A', 'a/', '/a', 'a//b', 'a_', 'a___b', 'a.-b', 'a:b']) expect(() => validateRepository(bad), bad).toThrow(InputError);
    expect(() => validateRepository('a'.repeat(250), 'ghcr.io')).toThrow(/at most 255/);
  });

  it('checks digest algorithms and hex lengths', () => {
    expect(() => validateDigest(D)).not.toThrow();
    expect(() => validateDigest(`sha512:${'b'.repeat(128)}`)).not.toThrow();
    for (const bad of ['sha256:ABC', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'nodigest', `sha512:${'b'.repeat(64)}`]) expect(() => validateDigest(bad), bad).toThrow(InputError);
  });

  it('treats only loopback hosts as loopback', () => {
    for (const h of ['127.0.0.1:5000', '127.9.8.7', 'localhost:1', 'registry.localhost', '[::1]:5000']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['10.0.0.1:5000', 'ghcr.io', '127.example.com', 'localhost.example.com', '[::2]']) expect(isLoopback(h), h).toBe(false);
  });

  it('derives the fallback tag <alg>-<hex>', () => {
    expect(referrersTag(D)).toBe(`sha256-${'a'.repeat(64)}`);
    expect(referrersTag(`sha512:${'b'.repeat(128)}`)).toBe(`sha512-${'b'.repeat(64)}`);
  });
});
