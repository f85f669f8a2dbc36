import type { CredentialProvider } from '../../base/index.js';
import { StaticCredentials } from './static.js';

type Env = Record<string, string | undefined>;

/**
 * A GitLab CI job's own registry login (docs/gitlab.md "Defaults from the job"): `CI_REGISTRY_USER` and
 * `CI_REGISTRY_PASSWORD` (the job token) for the project's registry `CI_REGISTRY` only, never for another host.
 */
export function gitlabCiCredentials(env: Env): CredentialProvider | undefined {
  if (env.GITLAB_CI !== 'true' || !env.CI_REGISTRY || !env.CI_REGISTRY_USER || !env.CI_REGISTRY_PASSWORD) return undefined;
  return StaticCredentials.for(env.CI_REGISTRY, { username: env.CI_REGISTRY_USER, password: env.CI_REGISTRY_PASSWORD });
}
