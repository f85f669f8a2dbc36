/**
 * The identity providers of keyless signing, by name: each looks at the environment and returns a provider when its
 * source of OIDC tokens is there. The first one that answers is used (docs/architecture.md "How to add an identity
 * provider").
 */
import type { IdentityProvider } from './providers/github.js';
import { envIdentityProvider } from './providers/env.js';
import { fileIdentityProvider } from './providers/file.js';
import { githubActionsIdentityProvider } from './providers/github-actions.js';

type Env = Record<string, string | undefined>;

/** Returns a provider when `env` holds what it needs, else undefined. */
export type IdentityProviderFactory = (env: Env) => IdentityProvider | undefined;

/** In order of precedence: an explicit token (in the environment, then in a file) wins over the CI system's. */
export const IDENTITY_PROVIDERS: ReadonlyMap<string, IdentityProviderFactory> = new Map<string, IdentityProviderFactory>([
  ['env', envIdentityProvider],
  ['file', fileIdentityProvider],
  ['github-actions', githubActionsIdentityProvider],
]);

/** The first identity provider available in `env`, or undefined when no OIDC token can be had. */
export function resolveIdentityProvider(env: Env, providers: ReadonlyMap<string, IdentityProviderFactory> = IDENTITY_PROVIDERS): IdentityProvider | undefined {
  for (const factory of providers.values()) {
    const provider = factory(env);
    if (provider) return provider;
  }
  return undefined;
}
