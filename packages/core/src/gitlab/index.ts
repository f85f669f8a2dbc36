// GitLab's REST API as the forge needs it (forge/gitlab.ts registers it): merge requests through @gitbeaker/rest.
export { GitLabMergeRequests } from './merge-requests.js';
export { classifyGitLabError, translateGitLabError } from './errors.js';
export type { ClassifiedGitLabError } from './errors.js';
export { gitlabHost, GITLAB_REQUEST_DEADLINE_MS } from './client.js';

/** The GitLab API of gitlab.com when neither an API URL nor CI_API_V4_URL is given. */
export const GITLAB_DEFAULT_API_URL = 'https://gitlab.com/api/v4';
