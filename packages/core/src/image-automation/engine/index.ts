export * from './engine.js';
export * from './groups.js';
export * from './branch.js';
