export * from './gojson.js';
export * from './deadline.js';
