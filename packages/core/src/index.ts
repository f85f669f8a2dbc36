export * from './errors.js';
export * as action from './action/index.js';
