// The `yaml` package in the bundles: an esbuild plugin used by scripts/build.mjs (actions, CLI, single binary) and
// scripts/bench.mjs, so that a bench measures the code the product runs (docs/architecture.md, "The yaml build").
import { dirname, join } from 'node:path';

/**
 * `yaml` ships two builds of the same sources: `dist/` (CommonJS, chosen under Node's `node` export condition) and
 * `browser/` (ES modules, the package's `default` condition). The Node build reads `process.env.LOG_TOKENS` for every
 * token its parser yields and `process.env.LOG_STREAM` for every item its composer takes (debug logging); each read
 * of `process.env` goes through Node's C++ environment accessor, about 0.2 µs. On the setter pass over 2,000 files
 * that was about 12 % of the time (docs/benchmarks.md, "Image automation"). The browser build has no such reads;
 * otherwise it differs only where a Node API is optional (a warning goes to console.warn instead of
 * process.emitWarning; `!!binary`, a YAML 1.1 tag d2 does not use, decodes with atob). Every bare `yaml` import in a
 * bundle resolves to it, so a bundle holds one copy; the tests run the sources against the Node build, and the
 * bundle tests run the bundles.
 */
export const yamlBrowserBuild = {
  name: 'd2-yaml-browser-build',
  setup(b) {
    b.onResolve({ filter: /^yaml$/ }, async (a) => {
      const pkg = await b.resolve('yaml/package.json', { kind: a.kind, importer: a.importer, resolveDir: a.resolveDir });
      if (pkg.errors.length > 0) return { errors: pkg.errors };
      return { path: join(dirname(pkg.path), 'browser', 'index.js') };
    });
  },
};
