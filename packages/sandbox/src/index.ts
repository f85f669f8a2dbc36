export * from './paths.js';
export * from './process.js';
export * from './runner.js';
export * from './git-server.js';
export * from './sigstore.js';
export * from './oidc.js';
