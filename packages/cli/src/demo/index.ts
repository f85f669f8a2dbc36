export { runDemo } from './run.js';
export { quoteMeta, DEMO_OWNER, GITHUB_ISSUER } from './identities.js';
export type { DemoOptions, DemoResult } from './run.js';
export { startStack, checkRegistryFlag } from './stack.js';
export type { DemoStack } from './stack.js';
export type * from './report.js';
