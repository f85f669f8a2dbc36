export * from './cli.js';
export { commands } from './commands/index.js';
export { VERSION } from './version.js';
