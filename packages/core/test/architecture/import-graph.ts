/**
 * The import graph of packages/core/src and the two checks the layering relies on (docs/architecture.md, "Layers and
 * boundaries"): no import cycle (between files, between domains, between the folders of a domain), and no import
 * from another domain except through that domain's `index.ts`. Parsed with the TypeScript compiler's pre-processor
 * (`ts.preProcessFile`: import and `export … from` declarations, `import type`, dynamic `import()`), so this guard
 * holds even when lint is not run.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One relative import: the importing file, the specifier as written, the imported file (paths relative to src). */
export interface ImportEdge {
  from: string;
  specifier: string;
  to: string;
}

/** Every `.ts` file under `dir`, as posix paths relative to `dir`, sorted. */
export function listSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out;
}

/** Module specifiers of one source text (static imports, re-exports, `import type`, dynamic `import()`). */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * Resolves a relative specifier of `from` to a source file (`./x.js` → `x.ts`, as TypeScript's bundler resolution
 * does for our sources). Package imports (no leading dot) give undefined.
 */
export function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  return joined.replace(/\.js$/, '.ts');
}

/** The relative imports of every file in `files` (path → source text). */
export function importEdges(files: Map<string, string>): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const [from, text] of files) {
    for (const specifier of importSpecifiers(text)) {
      const to = resolveRelative(from, specifier);
      if (to !== undefined) edges.push({ from, specifier, to });
    }
  }
  return edges;
}

/** Reads packages/core/src (or any source root) into path → text. */
export function readSources(dir: string): Map<string, string> {
  return new Map(listSources(dir).map((p) => [p, readFileSync(join(dir, p), 'utf8')]));
}

/**
 * The domain of a file: its top-level folder (`oci/client.ts` → `oci`). A file at the root of src (`errors.ts`,
 * `index.ts`) is a domain of its own.
 */
export function domainOf(file: string): string {
  const i = file.indexOf('/');
  return i < 0 ? file : file.slice(0, i);
}

/** The folder of a file (`image-automation/policy/select.ts` → `image-automation/policy`; root files → `.`). */
export function folderOf(file: string): string {
  return posix.dirname(file);
}

/**
 * Imports that cross into another domain without going through its `index.ts`: `../oci/client.js` from `sign/`, where
 * `../oci/index.js` is the boundary. Imports inside a domain and imports of root files are free.
 */
export function boundaryViolations(edges: ImportEdge[]): ImportEdge[] {
  return edges.filter((e) => {
    const target = domainOf(e.to);
    if (!e.to.includes('/')) return false; // a root file (errors.ts)
    if (domainOf(e.from) === target) return false;
    return e.to !== `${target}/index.ts`;
  });
}

/** A directed graph: node → the nodes it imports. Self edges are dropped (a file never imports itself usefully). */
export function graphOf(edges: ImportEdge[], nodeOf: (file: string) => string = (f) => f): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = nodeOf(e.from);
    const b = nodeOf(e.to);
    if (!g.has(a)) g.set(a, new Set());
    if (!g.has(b)) g.set(b, new Set());
    if (a !== b) g.get(a)!.add(b);
  }
  return g;
}

/**
 * The cycles of a graph: its strongly connected components with more than one node (Tarjan), each sorted, in a
 * stable order. An empty list means the graph is acyclic.
 */
export function findCycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];

  const strongConnect = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component.sort());
    }
  };

  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) strongConnect(v);
  return components.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One path a → … → a through a cycle's nodes, for a readable failure message. */
export function cyclePath(graph: Map<string, Set<string>>, component: string[]): string[] {
  const inside = new Set(component);
  const start = component[0];
  const previous = new Map<string, string>();
  const queue = [start];
  const seen = new Set([start]);
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!inside.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0])!);
        return [...path, start];
      }
      if (!seen.has(w)) {
        seen.add(w);
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return component;
}

/** The source root of @d2/core. */
export const CORE_SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src');
