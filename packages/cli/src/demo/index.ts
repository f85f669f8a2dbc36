export { runDemo, quoteMeta, DEMO_OWNER, GITHUB_ISSUER } from './run.js';
export type { DemoOptions, DemoResult } from './run.js';
export { startStack, checkRegistryFlag } from './stack.js';
export type { DemoStack } from './stack.js';
export type * from './report.js';
