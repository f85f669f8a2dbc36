export * from './inputs.js';
export * from './run.js';
