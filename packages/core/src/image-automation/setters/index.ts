export * from './types.js';
export * from './markers.js';
export * from './quote.js';
export * from './document.js';
export * from './apply.js';
