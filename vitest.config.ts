import { defineConfig } from 'vitest/config';

// Unit and integration tests (pnpm test). Integration tests start real servers from packages/sandbox
// (registry, git, Sigstore stand-in, GitHub emulator) on 127.0.0.1 and stop them in teardown.
export default defineConfig({
  // Silence Vite's notices about dependencies' missing source maps.
  logLevel: 'error',
  test: {
    include: ['packages/*/test/**/*.test.ts', 'actions/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    // @actions/workflow-parser imports JSON without import attributes: let Vite transform it.
    server: { deps: { inline: [/@actions\/workflow-parser/] } },
  },
});
