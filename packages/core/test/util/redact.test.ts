/** redactUrl / redactUrls: the one helper that removes credentials from URLs before they are logged or returned. */
import { describe, expect, it } from 'vitest';
import { hasUrlCredentials, redactUrl, redactUrls } from '../../src/util/index.js';

const T = 'ghp_0123456789abcdefSECRET';

describe('redactUrl', () => {
  it.each([
    [`https://x-access-token:${T}@github.com/org/repo.git`, 'https://***@github.com/org/repo.git'],
    [`https://${T}@github.com/org/repo.git`, 'https://***@github.com/org/repo.git'],
    [`http://user:${T}@127.0.0.1:8080/a/b.git?x=1#f`, 'http://***@127.0.0.1:8080/a/b.git?x=1#f'],
    [`https://user:p@ss:${T}@host/x`, 'https://***@host/x'],
    [`https://user:pa%2Fss${T}@host/x`, 'https://***@host/x'],
    [`ssh://git:${T}@github.com/org/repo.git`, 'ssh://***@github.com/org/repo.git'],
    [`git+ssh://git:${T}@github.com/org/repo.git`, 'git+ssh://***@github.com/org/repo.git'],
    [`oci://user:${T}@ghcr.io/org/app:1.0`, 'oci://***@ghcr.io/org/app:1.0'],
    [`OCI://user:${T}@ghcr.io/org/app@sha256:${'a'.repeat(64)}`, `OCI://***@ghcr.io/org/app@sha256:${'a'.repeat(64)}`],
    // Not parseable as a URL (a raw '/' in the password): everything up to the last '@' goes.
    [`https://user:pa/ss${T}@host/x`, 'https://***@host/x'],
    [`http://user:${T}@[bad/x`, 'http://***@[bad/x'],
    // Scheme-less registry references and scp-like remotes with a password.
    [`user:${T}@ghcr.io/org/app:1.0`, '***@ghcr.io/org/app:1.0'],
    [`${T}@ghcr.io/org/app`, '***@ghcr.io/org/app'],
    [`user:${T}@127.0.0.1:5000/org/app`, '***@127.0.0.1:5000/org/app'],
    [`user:${T}@127.0.0.1:5000`, '***@127.0.0.1:5000'],
    [`x-access-token:${T}@github.com:org/repo.git`, '***@github.com:org/repo.git'],
  ])('%s', (input, want) => {
    expect(redactUrl(input)).toBe(want);
    expect(redactUrl(input)).not.toContain(T);
    expect(hasUrlCredentials(input)).toBe(true);
    // Idempotent.
    expect(redactUrl(want)).toBe(want);
  });

  it.each([
    'https://github.com/org/repo.git',
    'oci://ghcr.io/org/app:1.0',
    `ghcr.io/org/app:1.0@sha256:${'b'.repeat(64)}`,
    `nginx:1.2@sha256:${'c'.repeat(64)}`,
    `127.0.0.1:5000/org/app@sha256:${'d'.repeat(64)}`,
    'git@github.com:org/repo.git',
    'fluxcdbot@users.noreply.github.com',
    'file:///tmp/repo.git',
    '/tmp/some@dir/repo',
    '',
  ])('leaves %s alone', (input) => {
    expect(redactUrl(input)).toBe(input);
    expect(hasUrlCredentials(input)).toBe(false);
  });
});

describe('redactUrls (free text)', () => {
  it("git's stderr, error messages and hints", () => {
    const text = [
      `fatal: unable to access 'https://x-access-token:${T}@github.com/org/repo.git/': The requested URL returned error: 403`,
      `error: failed to push some refs to "http://${T}@127.0.0.1:1/a.git"`,
      `could not parse reference: x-access-token:${T}@127.0.0.1:34825/apps/a`,
      `  hint: registries must be valid RFC 3986 URI authorities: x-access-token:${T}@127.0.0.1:34825; spec.image must…`,
      `proxy (http://user:${T}@proxy.internal:3128) refused`,
      `see <https://u:${T}@example.com/x>, then retry.`,
      `remote: ${T}@ghcr.io/org/app denied`,
    ].join('\n');
    const out = redactUrls(text);
    expect(out).not.toContain(T);
    expect(out).toBe(
      [
        "fatal: unable to access 'https://***@github.com/org/repo.git/': The requested URL returned error: 403",
        'error: failed to push some refs to "http://***@127.0.0.1:1/a.git"',
        'could not parse reference: ***@127.0.0.1:34825/apps/a',
        '  hint: registries must be valid RFC 3986 URI authorities: ***@127.0.0.1:34825; spec.image must…',
        'proxy (http://***@proxy.internal:3128) refused',
        'see <https://***@example.com/x>, then retry.',
        'remote: ***@ghcr.io/org/app denied',
      ].join('\n'),
    );
  });

  it('keeps text without credentials byte for byte (digests, e-mail addresses, scp remotes, plain URLs)', () => {
    const text = [
      `ImagePolicy apps/a: latest ghcr.io/org/app:1.0@sha256:${'e'.repeat(64)}`,
      `podinfo:6.9.0@sha256:${'f'.repeat(64)} and nginx@sha256:${'0'.repeat(64)}`,
      'Author: fluxcdbot <fluxcdbot@users.noreply.github.com>',
      'git@github.com:org/repo.git and ssh://github.com/org/repo',
      'pushed 1c316d2c8f696161e0bb03045fa25c8ccc051acf to image-updates of https://github.com/org/repo.git',
    ].join('\n');
    expect(redactUrls(text)).toBe(text);
  });
});
