export * from './inputs.js';
export * from './run.js';
export * from './log.js';
export * from './publish.js';
export * from './receivers.js';
export * from './e2e-update.js';
export * from './image-updates-pr.js';
