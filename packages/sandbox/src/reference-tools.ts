// The reference tools live in ./reference-tools/; this module is their public entry (@d2/sandbox/reference-tools).
export * from './reference-tools/index.js';
