export * from './engine.js';
export * from './groups.js';
