export * from './types.js';
export * from './image.js';
export * from './scan.js';
export * from './manifest.js';
