export * from './gojson.js';
export * from './tempdir.js';
