import { OpenApiValidator } from './openapi.js';
import { pullObject } from './render.js';
import { requestHandler, serveLoopback } from './server.js';
import { EmulatorState } from './state.js';
import type { GitHubEmulator, StartGitHubEmulatorOptions } from './types.js';

/**
 * A GitHub REST (and one GraphQL mutation) emulator on 127.0.0.1, backed by the sandbox git server's real bare
 * repositories: branches, commits, compare and merges are real git state; pull requests, labels and reviewers
 * live in memory. Every request and response is checked against GitHub's OpenAPI description; in strict mode a
 * violation turns the answer into a 500 so the test that caused it fails.
 *
 * Parts: state.ts (repositories, pulls, tokens, queued failures), render.ts (pull requests as REST objects),
 * handlers/ (one file per resource), faults.ts (injectable GitHub errors), server.ts (the request pipeline).
 */
export async function startGitHubEmulator(opts: StartGitHubEmulatorOptions): Promise<GitHubEmulator> {
  const state = new EmulatorState(opts.git, opts.tokens ?? [opts.git.token]);
  const validator = new OpenApiValidator();
  const handle = requestHandler(state, validator, { strict: opts.strict ?? true, retryAfterSeconds: opts.retryAfterSeconds ?? 1 });
  const { server, port } = await serveLoopback(handle);
  const base = `http://127.0.0.1:${port}`;
  state.urls = { api: base, html: base };

  return {
    url: base,
    graphqlUrl: `${base}/graphql`,
    serverUrl: base,
    requests: state.requests,
    violations: state.violations,
    failNext(route, kind, times = 1) {
      state.failures.push({ route, kind, left: times });
    },
    addRepo: (fullName, o) => state.addRepo(fullName, o),
    async pulls(fullName) {
      const r = state.repos.get(fullName.toLowerCase());
      if (!r) return [];
      return Promise.all(r.pulls.map((p) => pullObject(state.urls, r, p, true)));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
