// Adopting D2 Actions: `d2 init` (a new repository) and `d2 migrate` (an existing one) — docs/adopt.md.
export * from './suite.js';
export * from './init/index.js';
export * from './migrate/index.js';
