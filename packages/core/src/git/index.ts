export * from './git.js';
export * from './signing.js';
