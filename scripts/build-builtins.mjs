// Node's built-in modules in the ESM bundles: an esbuild plugin used by scripts/build.mjs (docs/architecture.md,
// "Action start-up").
import { createRequire, isBuiltin } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * Node's built-in modules reach the ESM bundles through `require()`, and only when the code first uses them
 * (docs/architecture.md "Action start-up"):
 * - never as an ESM `import`, which makes Node read every export to build the namespace; `node:http`'s exports include
 *   lazy getters (WebSocket, EventSource …) that load and compile Node's own copy of undici, about 20 ms of every start;
 * - the built-ins of LAZY_BUILTINS, which a bare `node -e 0` has not loaded (tls alone costs about 20 ms of CPU,
 *   OpenSSL's set-up), are required on the first read of one of their exports: the module object the code sees
 *   forwards each export (read and write) to the real module, loaded then (modules that are themselves functions,
 *   assert and stream, are required directly). A run that stops at an input check does not
 *   pay for the HTTP, TLS or compression stack it would have used next. Their export names come from this Node (the
 *   newest the bundles run on) and sit once in the bundle, in the module `d2-lazy-builtins`.
 * The wrapper of a built-in is written per importing file, so that it lands in its importer's chunk (a wrapper shared
 * by files of different chunks would be a tiny chunk of its own, and every chunk file costs a read and a compile).
 * `import()` of a built-in stays as esbuild writes it.
 */
export const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'diagnostics_channel', 'dns', 'dns/promises', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'perf_hooks', 'readline', 'stream/promises', 'stream/web', 'string_decoder', 'tls', 'util/types', 'worker_threads', 'zlib'];
export const builtinsOnFirstUse = {
  name: 'd2-builtins-on-first-use',
  setup(b) {
    b.onResolve({ filter: /^d2-lazy-builtins$/ }, () => ({ path: 'd2-lazy-builtins', namespace: 'd2-builtin' }));
    b.onResolve({ filter: /^(node:)?[a-z_][a-z0-9_/]*$/ }, (a) => {
      if (!isBuiltin(a.path) || a.kind === 'dynamic-import') return undefined;
      const name = a.path.replace(/^node:/, '');
      if (a.namespace === 'd2-builtin') return { path: `node:${name}`, external: true };
      // The path ends in .cjs: esbuild reads the wrapper as CommonJS whatever its importer's extension (.mjs …).
      return { path: `${a.importer}|${name}.cjs`, namespace: 'd2-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'd2-builtin' }, (a) => {
      if (a.path === 'd2-lazy-builtins') {
        // One module for every wrapper: the export names of each lazily required built-in, and the forwarding object.
        const table = Object.fromEntries(
          LAZY_BUILTINS.map((n) => {
            const m = requireHere(`node:${n}`);
            // A module that is itself a function (assert, stream: called, or extended by a class) cannot be forwarded.
            if (typeof m !== 'object') throw new Error(`LAZY_BUILTINS: node:${n} is a ${typeof m}, not an object of exports`);
            return [n, Object.getOwnPropertyNames(m)];
          }),
        );
        return {
          loader: 'js',
          contents: [
            `const names = ${JSON.stringify(table)};`,
            'const loaders = {',
            ...LAZY_BUILTINS.map((n) => `  ${JSON.stringify(n)}: () => require(${JSON.stringify(`node:${n}`)}),`),
            '};',
            'const made = {};',
            'exports.lazy = (name) => {',
            '  if (made[name]) return made[name];',
            '  let m;',
            '  const load = () => (m ??= loaders[name]());',
            '  const o = {};',
            '  for (const k of names[name]) Object.defineProperty(o, k, { get: () => load()[k], set: (v) => { load()[k] = v; }, enumerable: true, configurable: true });',
            '  return (made[name] = o);',
            '};',
          ].join('\n'),
        };
      }
      const name = /\|([^|]+)\.cjs$/.exec(a.path)[1];
      if (!LAZY_BUILTINS.includes(name)) return { loader: 'js', contents: `module.exports = require(${JSON.stringify(`node:${name}`)});` };
      return { loader: 'js', contents: `module.exports = require('d2-lazy-builtins').lazy(${JSON.stringify(name)});` };
    });
  },
};
