import { createOctokit, PullRequests } from '../github/index.js';
import type { Forge, ForgeOptions } from './types.js';

/** GitHub (and GitHub Enterprise Server): the REST and GraphQL client of github/. */
export function githubForge(opts: ForgeOptions): Forge {
  const octokit = createOctokit(opts.token, {
    ...(opts.apiUrl ? { baseUrl: opts.apiUrl } : {}),
    ...(opts.warn ? { warn: opts.warn } : {}),
    ...(opts.budget ? { budget: opts.budget } : {}),
  });
  return new PullRequests(octokit, opts.repository, opts.graphqlUrl ? { graphqlUrl: opts.graphqlUrl } : {});
}
