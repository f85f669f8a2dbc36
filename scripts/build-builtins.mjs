// Node's built-in modules in the ESM bundles: an esbuild plugin used by scripts/build.mjs (docs/architecture.md,
// "Action start-up").
import { readFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';

const requireHere = createRequire(import.meta.url);

/**
 * Node's built-in modules reach the ESM bundles through `require()`, and only when the code first uses them
 * (docs/architecture.md "Action start-up"):
 * - never as an ESM `import`, which makes Node read every export to build the namespace; `node:http`'s exports include
 *   lazy getters (WebSocket, EventSource …) that load and compile Node's own copy of undici, about 20 ms of every start;
 * - the built-ins of LAZY_BUILTINS, which a bare `node -e 0` has not loaded (tls alone costs about 20 ms of CPU,
 *   OpenSSL's set-up), are required on the first read of one of their exports: the module object the code sees
 *   forwards each export (read and write) to the real module, loaded then. A run that stops at an input check does
 *   not pay for the HTTP, TLS or compression stack it would have used next. Their export names come from this Node
 *   (the newest the bundles run on) and sit once in the bundle, in the module `d2-lazy-builtins` (a module per
 *   built-in, measured, was no faster: it becomes a chunk file of its own, see below);
 * - LAZY_CALLABLE_BUILTINS are modules that are themselves a function and are only ever called (assert): the code sees
 *   a function that calls the real one, its properties forwarded the same way. Other function modules (stream, which
 *   code extends) are required directly;
 * - an `import { a, b } from 'node:x'` sees an object of just `a` and `b` (forwarded to the module), and so does an
 *   `import * as x` whose every use is `x.a` or `x.b`: esbuild copies every property of what an ES module imports
 *   from CommonJS (`__toESM`), per importing file, and copying all of node:fs's or node:crypto's exports into each of
 *   the ~80 importers of a start cost about 5 ms. A default import, a namespace import used otherwise, an `export *`,
 *   and every `require()` see the whole module.
 * The wrapper of a built-in is written per importing file, so that it lands in its importer's chunk (a wrapper shared
 * by files of different chunks would be a tiny chunk of its own, and every chunk file costs a read and a compile).
 * `import()` of a built-in stays as esbuild writes it.
 */
export const LAZY_BUILTINS = ['child_process', 'crypto', 'dgram', 'diagnostics_channel', 'dns', 'dns/promises', 'fs/promises', 'http', 'http2', 'https', 'net', 'os', 'perf_hooks', 'readline', 'stream/promises', 'stream/web', 'string_decoder', 'tls', 'util/types', 'worker_threads', 'zlib'];
export const LAZY_CALLABLE_BUILTINS = ['assert'];

/**
 * The names an importer takes from built-in `name` with import/export declarations, or undefined when it takes the
 * whole module (a default import, a namespace import not only read as `ns.<name>`, `export *`, or no declaration
 * this parser finds).
 */
function importedNames(ts, file, name) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, /\.[cm]?tsx?$/.test(file) ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const names = new Set();
  let found = false;
  for (const st of sf.statements) {
    const spec = (ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
    if (spec === undefined || spec.replace(/^node:/, '') !== name) continue;
    found = true;
    if (ts.isImportDeclaration(st)) {
      const clause = st.importClause;
      if (!clause) return undefined; // `import 'node:x'`
      if (clause.isTypeOnly) continue;
      if (clause.name) return undefined; // default import
      const bindings = clause.namedBindings;
      if (!bindings) return undefined;
      if (ts.isNamespaceImport(bindings)) {
        const used = memberNames(ts, sf, bindings.name);
        if (!used) return undefined;
        for (const n of used) names.add(n);
      } else for (const el of bindings.elements) if (!el.isTypeOnly) names.add((el.propertyName ?? el.name).text);
    } else {
      if (st.isTypeOnly) continue;
      if (!st.exportClause || !ts.isNamedExports(st.exportClause)) return undefined; // export * (as ns) from
      for (const el of st.exportClause.elements) if (!el.isTypeOnly) names.add((el.propertyName ?? el.name).text);
    }
  }
  if (!found || names.has('default')) return undefined;
  return [...names].sort();
}

/**
 * The properties read from namespace `ns` (`import * as ns`) when every use of its name is `ns.<name>`, else undefined
 * (the namespace is passed on, indexed, or spread: it takes the whole module). A local binding of the same name only
 * adds names or makes it undefined, never drops one.
 */
function memberNames(ts, sf, ns) {
  const names = new Set();
  let whole = false;
  const visit = (node) => {
    if (whole) return;
    if (ts.isIdentifier(node) && node !== ns && node.text === ns.text) {
      const p = node.parent;
      const asObject = p && ts.isPropertyAccessExpression(p) && p.expression === node && ts.isIdentifier(p.name);
      // A name in a type position (`ns.Stats` as a type, typeof ns) is erased; a property name `x.ns` is not a use.
      const notAUse = p && ((ts.isPropertyAccessExpression(p) && p.name === node) || ts.isQualifiedName(p) || (ts.isPropertyAssignment(p) && p.name === node) || ts.isTypeQueryNode(p));
      if (asObject) names.add(p.name.text);
      else if (!notAUse) whole = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return whole ? undefined : [...names];
}

export const builtinsOnFirstUse = {
  name: 'd2-builtins-on-first-use',
  setup(b) {
    let ts;
    b.onResolve({ filter: /^d2-lazy-builtins$/ }, () => ({ path: 'd2-lazy-builtins', namespace: 'd2-builtin' }));
    b.onResolve({ filter: /^(node:)?[a-z_][a-z0-9_/]*$/ }, (a) => {
      if (!isBuiltin(a.path) || a.kind === 'dynamic-import') return undefined;
      const name = a.path.replace(/^node:/, '');
      if (a.namespace === 'd2-builtin') return { path: `node:${name}`, external: true };
      // The path ends in .cjs: esbuild reads the wrapper as CommonJS whatever its importer's extension (.mjs …).
      // An import statement gets a wrapper of its own (`.import.cjs`): it may take only some names; require() takes all.
      return { path: `${a.importer}|${name}${a.kind === 'import-statement' ? '.import' : ''}.cjs`, namespace: 'd2-builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'd2-builtin' }, async (a) => {
      if (a.path === 'd2-lazy-builtins') return { loader: 'js', contents: lazyBuiltinsModule() };
      const [, importer, name, kind] = /^(.*)\|([^|]+?)(\.import)?\.cjs$/.exec(a.path);
      const lazy = LAZY_BUILTINS.includes(name) || LAZY_CALLABLE_BUILTINS.includes(name);
      let names;
      if (kind) {
        ts ??= (await import('typescript')).default;
        names = importedNames(ts, importer, name);
      }
      if (names) {
        // Every picked name must be an export of the built-in here: a name it lacks would read as undefined at run time.
        const exported = new Set(Object.getOwnPropertyNames(requireHere(`node:${name}`)));
        const missing = names.filter((n) => !exported.has(n));
        if (missing.length > 0) throw new Error(`${importer} imports ${missing.join(', ')} from node:${name}, which has no such export in Node ${process.versions.node}`);
        return { loader: 'js', contents: `module.exports = require('d2-lazy-builtins').pick(${JSON.stringify(name)}, ${JSON.stringify(names)}, ${lazy});` };
      }
      if (!lazy) return { loader: 'js', contents: `module.exports = require(${JSON.stringify(`node:${name}`)});` };
      return { loader: 'js', contents: `module.exports = require('d2-lazy-builtins').lazy(${JSON.stringify(name)});` };
    });
  },
};

/**
 * The module every wrapper requires: the export names of each lazily required built-in, the forwarding module objects
 * (`lazy`), and the objects of just the names an import statement takes (`pick`).
 */
function lazyBuiltinsModule() {
  const table = Object.fromEntries(
    [...LAZY_BUILTINS, ...LAZY_CALLABLE_BUILTINS].map((n) => {
      const m = requireHere(`node:${n}`);
      const callable = LAZY_CALLABLE_BUILTINS.includes(n);
      // A module that is itself a function (called, or extended by a class) cannot be forwarded as an object.
      if (typeof m !== (callable ? 'function' : 'object')) throw new Error(`node:${n} is a ${typeof m}, not ${callable ? 'a function' : 'an object of exports'}`);
      // The forwarding function is an arrow function: its own length and name are replaced, it has no prototype.
      return [n, Object.getOwnPropertyNames(m).filter((k) => !callable || !['length', 'name', 'prototype'].includes(k))];
    }),
  );
  return [
    `const names = ${JSON.stringify(table)};`,
    'const loaded = {};',
    'const loader = (name) => () => (loaded[name] ??= require(`node:${name}`));',
    'const forward = (o, keys, load) => {',
    '  for (const k of keys) Object.defineProperty(o, k, { get: () => load()[k], set: (v) => { load()[k] = v; }, enumerable: true, configurable: true });',
    '  return o;',
    '};',
    `const callable = new Set(${JSON.stringify(LAZY_CALLABLE_BUILTINS)});`,
    'const made = {};',
    '/** The whole module, forwarded: required on the first read (or call) of an export. */',
    'exports.lazy = (name) => {',
    '  if (made[name]) return made[name];',
    '  const load = loader(name);',
    '  return (made[name] = forward(callable.has(name) ? (...args) => load()(...args) : {}, names[name], load));',
    '};',
    '/** The names one import statement takes, forwarded to the module (required on first read when `lazy`). */',
    "exports.pick = (name, keys, lazy) => forward({}, keys, lazy ? loader(name) : ((m) => () => m)(require(`node:${name}`)));",
  ].join('\n');
}
