export * from './checkout.js';
export * from './ref.js';
