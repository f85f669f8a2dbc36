// Barrel imports, resolved at build time: an esbuild plugin used by scripts/build.mjs (docs/architecture.md,
// "Action start-up").
//
// Every domain of packages/core is imported through its index.ts, a barrel of re-exports (the boundary rule). esbuild
// decides which chunk a module goes into by following import statements file by file: once a file the entry reaches
// imports a barrel, every module that barrel re-exports counts as reached, and a module some lazily loaded chunk uses
// (re2js and yaml behind the Flux verify block, the attestor) is then loaded at start by every run, although nothing
// at start calls it. This plugin rewrites, in the sources it bundles, each `import { a, b as c } from '<barrel>'` into
// imports from the modules that define `a` and `b`, so that a file reaches exactly the modules whose exports it names.
// The sources and the boundary rule stay as they are; the bundle only skips the barrel. An import it cannot resolve
// name by name (a namespace import, a name it does not find) is left as written.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * @param {string} root the repository root
 * @param {{ include?: RegExp }} [options] `include`: more files to rewrite besides the sources of core, the CLI and the
 *   actions (tests bundle entries of their own)
 */
export function barrelImports(root, options = {}) {
  const core = join(root, 'packages', 'core', 'src');
  let ts;
  /** file → { values: Map<name, { file, name }>, types: Set<name> } */
  const exportsCache = new Map();
  const sourceCache = new Map();

  const source = (file) => {
    let sf = sourceCache.get(file);
    if (!sf) {
      sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      sourceCache.set(file, sf);
    }
    return sf;
  };
  /** A core module specifier as a file: './x.js' → x.ts, '@d2/core/<domain>' → <domain>/index.ts. */
  const specifierFile = (from, spec) => {
    if (spec.startsWith('@d2/core/')) return join(core, spec.slice('@d2/core/'.length), 'index.ts');
    if (spec === '@d2/core') return join(core, 'index.ts');
    if (!spec.startsWith('.')) return undefined;
    const file = resolve(dirname(from), spec).replace(/\.js$/, '.ts');
    return file.startsWith(core + '/') ? file : undefined;
  };
  const hasModifier = (node, kind) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind === kind);

  /** The exports of a core module, each value export traced to the module that defines it. */
  const exportsOf = (file, visiting = new Set()) => {
    const cached = exportsCache.get(file);
    if (cached) return cached;
    if (visiting.has(file)) return { values: new Map(), types: new Set() };
    visiting.add(file);
    const values = new Map();
    const types = new Set();
    for (const st of source(file).statements) {
      if (ts.isExportDeclaration(st)) {
        const spec = st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) ? st.moduleSpecifier.text : undefined;
        const target = spec ? specifierFile(file, spec) : undefined;
        if (spec && !target) continue;
        if (!st.exportClause) {
          // export * from / export type * from
          const inner = exportsOf(target, visiting);
          for (const t of inner.types) types.add(t);
          for (const [n, v] of inner.values) {
            if (st.isTypeOnly) types.add(n);
            else values.set(n, v);
          }
        } else if (ts.isNamedExports(st.exportClause)) {
          for (const el of st.exportClause.elements) {
            const name = el.name.text;
            const original = (el.propertyName ?? el.name).text;
            if (st.isTypeOnly || el.isTypeOnly) { types.add(name); continue; }
            if (!target) { values.set(name, { file, name: original }); continue; }
            const inner = exportsOf(target, visiting);
            if (inner.values.has(original)) values.set(name, inner.values.get(original));
            else if (inner.types.has(original)) types.add(name);
            else values.set(name, { file: target, name: original });
          }
        }
      } else if (hasModifier(st, ts.SyntaxKind.ExportKeyword)) {
        if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) types.add(st.name.text);
        else if (hasModifier(st, ts.SyntaxKind.DefaultKeyword)) values.set('default', { file, name: 'default' });
        else if (ts.isVariableStatement(st)) {
          for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name)) values.set(d.name.text, { file, name: d.name.text });
        } else if (st.name && ts.isIdentifier(st.name)) values.set(st.name.text, { file, name: st.name.text });
      }
    }
    const result = { values, types };
    exportsCache.set(file, result);
    return result;
  };

  /** `export { a, b as c } from '<barrel>'` (outside barrels) as re-exports from the defining modules; types stay. */
  const rewriteReexport = (file, sf, st) => {
    if (file.endsWith('/index.ts') || st.isTypeOnly || !st.exportClause || !ts.isNamedExports(st.exportClause)) return undefined;
    if (!st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) return undefined;
    const barrel = specifierFile(file, st.moduleSpecifier.text);
    if (!barrel || !barrel.endsWith('/index.ts')) return undefined;
    const { values, types } = exportsOf(barrel);
    const byFile = new Map();
    const typeNames = [];
    for (const el of st.exportClause.elements) {
      const imported = (el.propertyName ?? el.name).text;
      const spelled = el.propertyName ? `${imported} as ${el.name.text}` : imported;
      if (el.isTypeOnly || (types.has(imported) && !values.has(imported))) { typeNames.push(spelled); continue; }
      const def = values.get(imported);
      if (!def) return undefined;
      const list = byFile.get(def.file) ?? [];
      list.push(def.name === el.name.text ? def.name : `${def.name} as ${el.name.text}`);
      byFile.set(def.file, list);
    }
    const parts = [...byFile].map(([f, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(f)};`);
    if (typeNames.length) parts.push(`export type { ${typeNames.join(', ')} } from ${JSON.stringify(st.moduleSpecifier.text)};`);
    return [st.getStart(sf), st.getEnd(), parts.join(' ')];
  };

  /** The source of `file` with each import from a core barrel split into imports from the defining modules. */
  const rewrite = (file, text) => {
    const sf = source(file);
    const edits = [];
    for (const st of sf.statements) {
      if (ts.isExportDeclaration(st)) {
        const edit = rewriteReexport(file, sf, st);
        if (edit) edits.push(edit);
        continue;
      }
      if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const clause = st.importClause;
      if (!clause || clause.isTypeOnly || clause.name || !clause.namedBindings || !ts.isNamedImports(clause.namedBindings)) continue;
      const barrel = specifierFile(file, st.moduleSpecifier.text);
      if (!barrel || !barrel.endsWith('/index.ts')) continue;
      const { values, types } = exportsOf(barrel);
      const byFile = new Map();
      let complete = true;
      for (const el of clause.namedBindings.elements) {
        const imported = (el.propertyName ?? el.name).text;
        if (el.isTypeOnly || (types.has(imported) && !values.has(imported))) continue;
        const def = values.get(imported);
        if (!def) { complete = false; break; }
        const list = byFile.get(def.file) ?? [];
        list.push(def.name === el.name.text ? def.name : `${def.name} as ${el.name.text}`);
        byFile.set(def.file, list);
      }
      if (!complete) continue;
      const replacement = [...byFile].map(([f, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(f)};`).join(' ');
      edits.push([st.getStart(sf), st.getEnd(), replacement]);
    }
    let out = text;
    for (const [start, end, rep] of edits.reverse()) out = out.slice(0, start) + rep + out.slice(end);
    return out;
  };

  return {
    name: 'd2-barrel-imports',
    async setup(b) {
      ts = (await import('typescript')).default;
      const ours = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(packages/(core|cli)/src|actions/[^/]+/src)/.*\\.ts$`);
      b.onLoad({ filter: /\.ts$/ }, (a) => {
        if (!ours.test(a.path) && !options.include?.test(a.path)) return undefined;
        const text = readFileSync(a.path, 'utf8');
        sourceCache.delete(a.path);
        return { contents: rewrite(a.path, text), loader: 'ts', resolveDir: dirname(a.path) };
      });
    },
  };
}
