// One file for the start of an action: a step of scripts/build.mjs after esbuild's split (docs/architecture.md,
// "Action start-up").
import { build } from 'esbuild';
import { readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * esbuild's code splitting groups modules into chunks by the set of entry points that reach them, dynamic imports
 * included: a module the entry needs at start and three lazily imported modules also use lands in a chunk apart from one
 * that only two of them use. An action's start then reads, compiles, resolves and links about ten files, and a file
 * costs about as much as its bytes (measured: a start 39 KiB smaller with three more files took the same time; the
 * same start in one file, 5 ms less, docs/benchmarks.md "Action start-up").
 *
 * This step merges the entry and every chunk it imports statically into the entry file, which then also exports each
 * of those chunks' exports under a name prefixed by the chunk's; every lazily loaded chunk that imported them imports
 * them from the entry instead (by then the entry has run: it is what loaded the chunk). Module instances stay single.
 * The merge is checked: a chunk file that is removed must no longer be named by any file left.
 *
 * @param {string} dist the output directory (every chunk of the bundle, and nothing else that imports them)
 * @param {string} entry the entry file's name in `dist` (index.mjs)
 * @param {Record<string, { imports: { path: string, kind: string }[], exports: string[] }>} outputs esbuild's metafile
 *   outputs of the bundle, keyed by path relative to the working directory
 * @param {{ target: string, minify: boolean, legalComments: string, charset: string }} output the output options of
 *   the bundle itself, so that the merged entry is written as its chunks were
 * @returns {{ merged: number }} how many chunk files went into the entry
 */
export async function mergeStartChunks(dist, entry, outputs, output) {
  const byName = new Map(Object.entries(outputs).map(([path, o]) => [basename(path), o]));
  const start = [];
  const visit = (name) => {
    for (const i of byName.get(name).imports) {
      const dep = basename(i.path);
      if (i.kind === 'import-statement' && byName.has(dep) && !start.includes(dep)) {
        start.push(dep);
        visit(dep);
      }
    }
  };
  visit(entry);
  if (start.length === 0) return { merged: 0 };
  const prefix = (chunk) => `${chunk.replace(/\.mjs$/, '').replace(/[^A-Za-z0-9_$]/g, '_')}$`;
  // The entry of the merge: the entry's own code, and every start chunk's exports under prefixed names.
  const source = [
    ...start.map((c) => {
      const names = byName.get(c).exports;
      return names.length > 0 ? `export { ${names.map((n) => `${n} as ${prefix(c)}${n}`).join(', ')} } from './${c}';` : '';
    }),
    `import './${entry}';`,
  ].join('\n');
  const result = await build({
    stdin: { contents: source, resolveDir: dist, sourcefile: `merge-${entry}`, loader: 'js' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: output.target,
    minify: output.minify,
    legalComments: output.legalComments,
    charset: output.charset,
    logLevel: 'warning',
    write: false,
    plugins: [
      {
        name: 'd2-merge-externals',
        setup(b) {
          // Lazily imported chunks stay files of their own; built-ins stay as the chunks import them.
          b.onResolve({ filter: /.*/ }, (a) => {
            if (a.kind === 'dynamic-import' || a.path.startsWith('node:')) return { path: a.path, external: true };
            return undefined;
          });
        },
      },
    ],
  });
  const merged = result.outputFiles[0].text;
  // Every other chunk: its imports from a start chunk now come from the entry, under the prefixed names.
  const startSet = new Set(start);
  const rewritten = new Map();
  for (const file of readdirSync(dist).filter((f) => f.endsWith('.mjs') && f !== entry && !startSet.has(f))) {
    const text = readFileSync(join(dist, file), 'utf8');
    const out = text.replace(/import\s*\{([^}]*)\}\s*from\s*"\.\/([^"]+)";?|import\s*"\.\/([^"]+)";?/g, (whole, specs, from, bare) => {
      if (bare !== undefined) return startSet.has(bare) ? `import"./${entry}";` : whole;
      if (!startSet.has(from)) return whole;
      const list = specs.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const m = /^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/.exec(s);
        if (!m) throw new Error(`${file}: cannot read the import specifier '${s}' of ./${from}`);
        return `${prefix(from)}${m[1]} as ${m[2] ?? m[1]}`;
      });
      return `import{${list.join(',')}}from"./${entry}";`;
    });
    if (out !== text) rewritten.set(file, out);
  }
  for (const [file, text] of rewritten) writeFileSync(join(dist, file), text);
  const tmp = join(dist, `${entry}.${process.pid}.tmp`);
  writeFileSync(tmp, merged);
  renameSync(tmp, join(dist, entry));
  for (const c of start) rmSync(join(dist, c));
  for (const file of readdirSync(dist)) {
    const text = readFileSync(join(dist, file), 'utf8');
    const named = start.find((c) => text.includes(c));
    if (named) throw new Error(`merging the start of ${dist}: ${file} still names ${named}, which is now part of ${entry}`);
  }
  return { merged: start.length };
}
