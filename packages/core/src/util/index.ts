export * from './gojson.js';
