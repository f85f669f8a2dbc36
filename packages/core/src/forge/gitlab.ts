import { GITLAB_DEFAULT_API_URL, GitLabMergeRequests, gitlabHost } from '../gitlab/index.js';
import type { Forge, ForgeOptions } from './types.js';

/** GitLab (gitlab.com or a self-managed instance): merge requests through the gitlab/ domain's client. */
export function gitlabForge(opts: ForgeOptions): Forge {
  return new GitLabMergeRequests(gitlabHost(opts.apiUrl ?? GITLAB_DEFAULT_API_URL), opts.repository, opts.token, opts.budget);
}
