import type { CredentialProvider, Credentials } from '../../base/index.js';

type Env = Record<string, string | undefined>;

/**
 * GHCR with the workflow's GITHUB_TOKEN: username = the actor, password = the token, for
 * ghcr.io only (a workflow token must never be sent to another registry).
 */
export class GitHubTokenCredentials implements CredentialProvider {
  constructor(private readonly opts: { token?: string; actor?: string; registry?: string }) {}

  /** From GITHUB_TOKEN (or INPUT_GITHUB-TOKEN) and GITHUB_ACTOR; undefined when no token is set. */
  static fromEnv(env: Env = process.env): GitHubTokenCredentials | undefined {
    const token = env.GITHUB_TOKEN || env['INPUT_GITHUB-TOKEN'];
    return token ? new GitHubTokenCredentials({ token, actor: env.GITHUB_ACTOR }) : undefined;
  }

  get(registry: string): Promise<Credentials | undefined> {
    if (!this.opts.token || registry.toLowerCase() !== (this.opts.registry ?? 'ghcr.io')) return Promise.resolve(undefined);
    // GHCR ignores the username but requires one; the actor is what docker/login-action sends.
    return Promise.resolve({ username: this.opts.actor || 'github-actions', password: this.opts.token });
  }
}
