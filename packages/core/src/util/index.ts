export * from './gojson.js';
export * from './deadline.js';
export * from './markdown.js';
// URL redaction sits below errors.ts (formatError uses it); it stays part of this entry point's API.
export * from '../redact.js';
export * from './tempdir.js';
