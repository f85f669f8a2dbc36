// The GitLab REST stand-in: startGitLabStandIn (server.ts) and what its tests and users need.
export { startGitLabStandIn } from './server.js';
export type { SandboxGitLab, StartGitLabOptions } from './server.js';
export type { GitLabRecordedRequest, GitLabToken } from './state.js';
