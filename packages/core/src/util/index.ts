export * from './gojson.js';
export * from './markdown.js';
