/**
 * The layering of packages/core/src (docs/architecture.md, "Layers and boundaries"), checked on the real import graph:
 * no import cycle between files, domains or folders; another domain only through its `index.ts`; the lower layers
 * (redact.ts, errors.ts, util/, base/) import nothing above them. The checks themselves are tested first on small
 * graphs, so a broken checker cannot pass silently.
 */
import { describe, expect, it } from 'vitest';
import {
  boundaryViolations,
  CORE_SRC,
  cyclePath,
  domainOf,
  findCycles,
  folderOf,
  graphOf,
  importEdges,
  importSpecifiers,
  readSources,
  resolveRelative,
  type ImportEdge,
} from './import-graph.js';

const edge = (from: string, to: string): ImportEdge => ({ from, to, specifier: to });
const graph = (pairs: [string, string][]): Map<string, Set<string>> => graphOf(pairs.map(([a, b]) => edge(a, b)));

/** Lowest first: a file of one layer may import its own layer and the layers before it, nothing else. */
const LOWER_LAYERS: string[][] = [['redact.ts'], ['errors.ts'], ['util'], ['base']];

function lowerLayerViolations(edges: ImportEdge[]): ImportEdge[] {
  const rank = (domain: string): number => LOWER_LAYERS.findIndex((l) => l.includes(domain));
  return edges.filter((e) => {
    const from = rank(domainOf(e.from));
    if (from < 0) return false;
    const to = rank(domainOf(e.to));
    return to < 0 || to > from;
  });
}

const show = (edges: ImportEdge[]) => edges.map((e) => `${e.from} imports '${e.specifier}'`);

describe('the checker', () => {
  it('finds no cycle in an acyclic graph', () => {
    expect(findCycles(graph([['a', 'b'], ['b', 'c'], ['a', 'c']]))).toEqual([]);
  });

  it('finds a two-node cycle and a longer one, and ignores self imports', () => {
    const g = graph([['a', 'b'], ['b', 'a'], ['c', 'd'], ['d', 'e'], ['e', 'c'], ['f', 'f'], ['e', 'f']]);
    expect(findCycles(g)).toEqual([['a', 'b'], ['c', 'd', 'e']]);
    expect(cyclePath(g, ['c', 'd', 'e'])).toEqual(['c', 'd', 'e', 'c']);
  });

  it('finds a cycle between domains that no single file pair shows', () => {
    const edges = [edge('sign/signer.ts', 'verify/index.ts'), edge('verify/verify.ts', 'sign/index.ts')];
    expect(findCycles(graphOf(edges))).toEqual([]);
    expect(findCycles(graphOf(edges, domainOf))).toEqual([['sign', 'verify']]);
  });

  it('finds a cycle between the folders of one domain', () => {
    const edges = [
      edge('image-automation/policy/select.ts', 'image-automation/reflector/scan.ts'),
      edge('image-automation/reflector/scan.ts', 'image-automation/policy/errors.ts'),
    ];
    expect(findCycles(graphOf(edges, domainOf))).toEqual([]);
    expect(findCycles(graphOf(edges, folderOf))).toEqual([['image-automation/policy', 'image-automation/reflector']]);
  });

  it('flags an import of another domain that bypasses its index.ts', () => {
    const edges = [
      edge('sign/signer.ts', 'oci/types.ts'),
      edge('sign/signer.ts', 'oci/index.ts'),
      edge('sign/signer.ts', 'sign/cosign.ts'),
      edge('sign/signer.ts', 'errors.ts'),
      edge('image-automation/engine/engine.ts', 'image-automation/policy/select.ts'),
      edge('image-automation/engine/engine.ts', 'util/redact.ts'),
      edge('errors.ts', 'util/redact.ts'),
    ];
    expect(boundaryViolations(edges).map((e) => `${e.from} -> ${e.to}`)).toEqual([
      'sign/signer.ts -> oci/types.ts',
      'image-automation/engine/engine.ts -> util/redact.ts',
      'errors.ts -> util/redact.ts',
    ]);
  });

  it('flags a lower layer that imports a layer above it', () => {
    const edges = [
      edge('base/cosign.ts', 'errors.ts'),
      edge('util/deadline.ts', 'errors.ts'),
      edge('errors.ts', 'redact.ts'),
      edge('base/oci.ts', 'oci/index.ts'),
      edge('errors.ts', 'util/index.ts'),
      edge('redact.ts', 'errors.ts'),
    ];
    expect(show(lowerLayerViolations(edges))).toEqual([
      "base/oci.ts imports 'oci/index.ts'",
      "errors.ts imports 'util/index.ts'",
      "redact.ts imports 'errors.ts'",
    ]);
  });

  it('reads every kind of module specifier and resolves relative ones to .ts files', () => {
    const text = [
      "import { a } from '../oci/client.js';",
      "import type { B } from './types.js';",
      "export { c } from '../sign/index.js';",
      "export * from './d.js';",
      "import 'node:fs';",
      "const e = await import('../verify/index.js');",
    ].join('\n');
    expect(importSpecifiers(text)).toEqual(['../oci/client.js', './types.js', '../sign/index.js', './d.js', 'node:fs', '../verify/index.js']);
    expect(resolveRelative('publish/publish.ts', '../oci/client.js')).toBe('oci/client.ts');
    expect(resolveRelative('image-automation/engine/engine.ts', '../../util/index.js')).toBe('util/index.ts');
    expect(resolveRelative('errors.ts', './util/index.js')).toBe('util/index.ts');
    expect(resolveRelative('oci/client.ts', 'node:fs')).toBeUndefined();
  });
});

describe('packages/core/src', () => {
  const files = readSources(CORE_SRC);
  const edges = importEdges(files);

  it('is read whole (the graph is not empty or truncated)', () => {
    expect(files.size).toBeGreaterThan(100);
    expect(edges.length).toBeGreaterThan(300);
    for (const e of edges) expect(files.has(e.to), `${e.from} imports '${e.specifier}', which is not a source file`).toBe(true);
  });

  it.each([
    ['files', (f: string) => f],
    ['domains', domainOf],
    ['folders', folderOf],
  ] as const)('has no import cycle between %s', (_what, nodeOf) => {
    const g = graphOf(edges, nodeOf);
    expect(findCycles(g).map((c) => cyclePath(g, c).join(' -> '))).toEqual([]);
  });

  it('imports another domain only through its index.ts', () => {
    expect(show(boundaryViolations(edges))).toEqual([]);
  });

  it('keeps the lower layers (redact.ts, errors.ts, util/, base/) free of imports from above', () => {
    expect(show(lowerLayerViolations(edges))).toEqual([]);
  });
});
