export * from './paths.js';
export * from './process.js';
export * from './runner.js';
export * from './git-server.js';
export * from './sigstore.js';
export * from './oidc.js';
export { OpenApiValidator, startGitHubEmulator } from './github-emulator.js';
export type { EmulatorToken, FailureKind, GitHubEmulator, RecordedRequest, StartGitHubEmulatorOptions } from './github-emulator.js';
export * from './reference-tools.js';
