import { readFileSync } from 'node:fs';
import { clip, InputError } from '../../errors.js';
import type { IdentityProvider } from './github.js';

type Env = Record<string, string | undefined>;

/**
 * The environment variable naming a file that holds the OIDC token: a Kubernetes projected service account token
 * (a `serviceAccountToken` volume with `audience: sigstore`), `AWS_WEB_IDENTITY_TOKEN_FILE` of EKS, or any token a
 * sidecar keeps fresh. The file rotates, so it is read again for every token request.
 */
export const ID_TOKEN_FILE_ENV = 'SIGSTORE_ID_TOKEN_FILE';

const HINT =
  `point ${ID_TOKEN_FILE_ENV} at a file holding one OIDC token (a JWT) minted for the audience the token is used for ` +
  '(sigstore for signing), e.g. a Kubernetes projected service account token; or unset it';

/**
 * The token in the file `SIGSTORE_ID_TOKEN_FILE` names. The file is read (and checked) when the provider is chosen, so
 * a missing, empty or malformed file is refused before anything is pushed, and read again on every token request.
 * Like `SIGSTORE_ID_TOKEN`, the token carries the audience it was minted for. Its content never appears in an error.
 */
export function fileIdentityProvider(env: Env): IdentityProvider | undefined {
  const path = env[ID_TOKEN_FILE_ENV];
  if (!path) return undefined;
  readIdToken(path);
  return { getToken: () => Promise.resolve().then(() => readIdToken(path)) };
}

/** The trimmed token in `path`, or an InputError naming the file (never its content). */
export function readIdToken(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code ?? 'error'})`;
    throw new InputError(`${ID_TOKEN_FILE_ENV} names ${clip(path)}, which ${why}`, HINT);
  }
  const token = text.trim();
  if (!token) throw new InputError(`${ID_TOKEN_FILE_ENV} names ${clip(path)}, which is empty`, HINT);
  if (!isJwt(token)) {
    throw new InputError(`${ID_TOKEN_FILE_ENV} names ${clip(path)}, whose ${token.length} characters are not a JWT (header.payload.signature)`, HINT);
  }
  return token;
}

/** Three base64url parts whose first two decode to JSON objects (the signature is Fulcio's to check). */
function isJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return false;
  return parts.slice(0, 2).every((p) => {
    try {
      const v: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    } catch {
      return false;
    }
  });
}
