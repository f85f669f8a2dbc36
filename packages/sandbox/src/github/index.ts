// The GitHub REST emulator: startGitHubEmulator (emulator.ts) and what its tests and users need.
export { BareRepo, GitCommandError } from './bare-repo.js';
export type { CommitInfo, FileChange, GitIdentity } from './bare-repo.js';
export { startGitHubEmulator } from './emulator.js';
export type { AddRepoOptions, EmulatorToken, FailureKind, GitHubEmulator, RecordedRequest, StartGitHubEmulatorOptions } from './types.js';
export * from './model.js';
export { OpenApiValidator } from './openapi.js';
export type { Operation, Violation } from './openapi.js';
