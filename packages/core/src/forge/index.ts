export * from './image-updates.js';
export { FORGES, forgeFor } from './registry.js';
export { githubForge } from './github.js';
export type * from './types.js';
