export * from './gojson.js';
export * from './deadline.js';
export * from './markdown.js';
export * from './redact.js';
export * from './tempdir.js';
