export * from './receivers.js';
