export * from './bare-repo.js';
export * from './emulator.js';
export * from './model.js';
export * from './openapi.js';
