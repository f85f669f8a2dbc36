export * from './gojson.js';
export * from './redact.js';
