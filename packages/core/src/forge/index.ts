export * from './image-updates.js';
export { FORGES, forgeFor } from './registry.js';
export { githubForge } from './github.js';
export { gitlabForge } from './gitlab.js';
export { GITLAB_DEFAULT_API_URL } from '../gitlab/index.js';
export type * from './types.js';
