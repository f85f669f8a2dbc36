/**
 * Test fixtures: fixture "fx" (docs/artifacts.md "Golden vectors (fixture \"fx\")") is recreated with explicit chmods so
 * the result does not depend on the umask.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The metadata used for every golden manifest vector. */
export const VECTOR_META = {
  created: '1970-01-01T00:00:00Z',
  source: 'https://github.com/example/repo',
  revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567',
} as const;

export const LONG_DIR = `long/${'a'.repeat(60)}`;
export const LONG_FILE = `${LONG_DIR}/${'b'.repeat(50)}.yaml`;

function bigData(): string {
  let s = '';
  for (let i = 0; i < 10000; i++) s += `line ${String(i).padStart(6, '0')}\n`;
  return s;
}

/** Files of fixture "fx" (path → [content, mode]); directories are 0755. */
export function fxFiles(): Record<string, [string, number]> {
  return {
    'app/deploy.yaml': ['apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n', 0o644],
    'app/empty.txt': ['', 0o644],
    'README.md': ['demo\n', 0o644],
    'Zeta.yaml': ['kind: Zeta\n', 0o644],
    '.git/HEAD': ['ref: refs/heads/main\n', 0o644],
    'logo.png': ['PNG', 0o644],
    'scripts/run.sh': ['#!/bin/sh\necho hi\n', 0o755],
    'big/data.txt': [bigData(), 0o644],
    [LONG_FILE]: ['kind: Long\n', 0o644],
  };
}

/** Writes a tree of files (and their directories, mode `dirMode`) below `root`, chmod'ing everything explicitly. */
export function writeTree(root: string, files: Record<string, [string | Buffer, number]>, dirMode = 0o755): void {
  mkdirSync(root, { recursive: true });
  chmodSync(root, dirMode);
  for (const [rel, [content, mode]] of Object.entries(files)) {
    const parts = dirname(rel).split('/').filter((p) => p !== '.');
    let d = root;
    for (const p of parts) {
      d = join(d, p);
      mkdirSync(d, { recursive: true });
      chmodSync(d, dirMode);
    }
    writeFileSync(join(root, rel), content);
    chmodSync(join(root, rel), mode);
  }
}

/** `files` (path → content) as writeTree's entries, every file with mode `mode`. */
export function regularFiles(files: Record<string, string | Buffer>, mode = 0o644): Record<string, [string | Buffer, number]> {
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, [v, mode]]));
}

/** A fresh temp directory; call the returned cleanup in afterAll/afterEach. */
export function tempDir(prefix = 'd2-flux-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates fixture "fx" at `<parent>/fx` and returns its path. */
export function makeFx(parent: string): string {
  const root = join(parent, 'fx');
  writeTree(root, fxFiles());
  return root;
}
