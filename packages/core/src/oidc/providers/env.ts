import type { IdentityProvider } from './github.js';

type Env = Record<string, string | undefined>;

/** The token in `SIGSTORE_ID_TOKEN` (GitLab CI `id_tokens`, any other CI system, or a token minted by hand). */
export function envIdentityProvider(env: Env): IdentityProvider | undefined {
  const token = env.SIGSTORE_ID_TOKEN;
  if (!token) return undefined;
  return { getToken: () => Promise.resolve(token) };
}
