// The GitHub REST emulator lives in ./github/; this module is its public entry (@d2/sandbox/github-emulator).
export * from './github/index.js';
