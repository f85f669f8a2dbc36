/**
 * The file identity provider (oidc/providers/file.ts): an OIDC token read from the file SIGSTORE_ID_TOKEN_FILE names
 * (a Kubernetes projected service account token, AWS_WEB_IDENTITY_TOKEN_FILE), read again on every request because the
 * file rotates, trimmed, and refused with an InputError that names the file but never its content.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import {
  audienceTokenSource,
  fileIdentityProvider,
  ID_TOKEN_FILE_ENV,
  IDENTITY_PROVIDERS,
  resolveIdentityProvider,
} from '../../src/oidc/index.js';

const dir = mkdtempSync(join(tmpdir(), 'd2-id-token-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
/** A JWT-shaped token (unsigned for these tests: Fulcio checks the signature, not the provider). */
function jwt(sub: string, aud = 'sigstore'): string {
  return `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ iss: 'https://kubernetes.default.svc', sub, aud })}.c2lnbmF0dXJl`;
}

let n = 0;
function tokenFile(content: string): string {
  const path = join(dir, `token-${n++}`);
  writeFileSync(path, content);
  return path;
}

/** The InputError a call throws or rejects with. */
async function inputError(f: () => unknown): Promise<InputError> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error('expected an InputError');
}

describe('file identity provider', () => {
  it('is registered after the explicit SIGSTORE_ID_TOKEN and before the GitHub Actions endpoint', () => {
    expect([...IDENTITY_PROVIDERS.keys()]).toEqual(['env', 'file', 'github-actions']);
    expect(ID_TOKEN_FILE_ENV).toBe('SIGSTORE_ID_TOKEN_FILE');
  });

  it('answers only when SIGSTORE_ID_TOKEN_FILE is set', () => {
    expect(fileIdentityProvider({})).toBeUndefined();
    expect(fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: '' })).toBeUndefined();
    expect(fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: tokenFile(jwt('a')) })).toBeDefined();
  });

  it('returns the token trimmed (a trailing newline, CRLF, surrounding blanks)', async () => {
    const token = jwt('system:serviceaccount:flux-system:d2');
    for (const content of [token, `${token}\n`, `  ${token}\r\n`]) {
      await expect(fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: tokenFile(content) })?.getToken()).resolves.toBe(token);
    }
  });

  it('reads the file again on every request: a rewritten or swapped file gives the new token', async () => {
    const path = tokenFile(jwt('first'));
    const provider = fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: path });
    await expect(provider?.getToken()).resolves.toBe(jwt('first'));
    writeFileSync(path, jwt('second'));
    await expect(provider?.getToken()).resolves.toBe(jwt('second'));
    // The kubelet's way: a new file renamed over the old one (atomic), or a symlink moved to a new data directory.
    const next = join(dir, 'next');
    writeFileSync(next, jwt('third'));
    renameSync(next, path);
    await expect(provider?.getToken()).resolves.toBe(jwt('third'));

    const data1 = join(dir, '..data1');
    const data2 = join(dir, '..data2');
    mkdirSync(data1);
    mkdirSync(data2);
    writeFileSync(join(data1, 'token'), jwt('v1'));
    writeFileSync(join(data2, 'token'), jwt('v2'));
    const link = join(dir, 'projected');
    symlinkSync(join(data1, 'token'), link);
    const projected = fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: link });
    await expect(projected?.getToken()).resolves.toBe(jwt('v1'));
    unlinkSync(link);
    symlinkSync(join(data2, 'token'), link);
    await expect(projected?.getToken()).resolves.toBe(jwt('v2'));
  });

  it('a missing file is refused when the provider is chosen (before anything is pushed), naming the file', async () => {
    const path = join(dir, 'no-such-token');
    const err = await inputError(() => resolveIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: path }));
    expect(err.message).toBe(`SIGSTORE_ID_TOKEN_FILE names ${path}, which does not exist`);
    expect(err.hint).toMatch(/projected service account token/);
  });

  it('a file removed after the provider was chosen fails the token request with the same error', async () => {
    const path = tokenFile(jwt('gone'));
    const provider = fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: path });
    unlinkSync(path);
    const err = await inputError(() => provider?.getToken());
    expect(err.message).toMatch(/which does not exist$/);
  });

  it('an empty or blank file is refused', async () => {
    for (const content of ['', '\n', '  \r\n\t']) {
      const err = await inputError(() => fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: tokenFile(content) }));
      expect(err.message).toMatch(/, which is empty$/);
      expect(err.hint).toMatch(/SIGSTORE_ID_TOKEN_FILE/);
    }
  });

  it('a file that becomes empty (mid-rotation) fails the request instead of sending an empty token', async () => {
    const path = tokenFile(jwt('x'));
    const provider = fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: path });
    writeFileSync(path, '');
    expect((await inputError(() => provider?.getToken())).message).toMatch(/which is empty$/);
  });

  it('content that is not a JWT is refused, and never appears in the error', async () => {
    const secret = 'hunter2-not-a-token';
    const cases = [
      secret,
      `${secret}.${secret}`,
      `${b64({ alg: 'none' })}.${b64({ sub: 'x' })}`, // two parts
      `${b64({ alg: 'RS256' })}.${secret}.sig`, // payload is not JSON
      `${b64([1, 2])}.${b64({ sub: 'x' })}.sig`, // header is not an object
      `${jwt('a')} ${jwt('b')}`, // two tokens
      `-----BEGIN CERTIFICATE-----\n${secret}\n-----END CERTIFICATE-----`,
    ];
    for (const content of cases) {
      const err = await inputError(() => fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: tokenFile(content) }));
      expect(err.message).toMatch(/are not a JWT \(header\.payload\.signature\)$/);
      expect(`${err.message}\n${err.hint ?? ''}`).not.toContain(secret);
    }
  });

  it('a directory is refused', async () => {
    const err = await inputError(() => fileIdentityProvider({ SIGSTORE_ID_TOKEN_FILE: dir }));
    expect(err.message).toMatch(/which is a directory$/);
  });

  it('precedence: SIGSTORE_ID_TOKEN wins over the file, the file over the GitHub Actions endpoint', async () => {
    const path = tokenFile(jwt('from-file'));
    const actions = { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://127.0.0.1:9/token?x=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' };
    await expect(resolveIdentityProvider({ SIGSTORE_ID_TOKEN: 'explicit.token.sig', SIGSTORE_ID_TOKEN_FILE: path })?.getToken()).resolves.toBe('explicit.token.sig');
    // Port 9 answers nothing: reaching the endpoint would fail the request.
    await expect(resolveIdentityProvider({ ...actions, SIGSTORE_ID_TOKEN_FILE: path })?.getToken()).resolves.toBe(jwt('from-file'));
    // An explicit token in the environment is taken even when the file would be refused.
    await expect(resolveIdentityProvider({ SIGSTORE_ID_TOKEN: 'explicit.token.sig', SIGSTORE_ID_TOKEN_FILE: join(dir, 'absent') })?.getToken()).resolves.toBe('explicit.token.sig');
  });

  it('audience: like SIGSTORE_ID_TOKEN, the token carries the audience it was minted for, whatever is asked', async () => {
    const sts = jwt('system:serviceaccount:apps:pusher', 'sts.amazonaws.com');
    const masked: string[] = [];
    const source = audienceTokenSource({ SIGSTORE_ID_TOKEN_FILE: tokenFile(sts) }, (s) => masked.push(s));
    expect(source).toBeDefined();
    await expect(source?.('sts.amazonaws.com')).resolves.toBe(sts);
    await expect(source?.('api://AzureADTokenExchange')).resolves.toBe(sts);
    expect(masked).toEqual([sts, sts]);
  });
});
