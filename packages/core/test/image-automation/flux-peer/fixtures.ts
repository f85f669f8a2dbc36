/**
 * Helpers for the Flux peer tests: image-automation-controller's `testdata` folders are read in place from
 * ../shared/vectors/flux-peer/fixtures (third-party data, never copied into the repository; the README there names the
 * commit), and the test utilities those Go tests rely on are re-stated here: copy a fixture into a scratch directory,
 * put a setter marker where the fixture says `SETTER_SITE`, compare two directory trees, and turn an image reference
 * into a policy's `latestRef`.
 */
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@d2/sandbox/paths';
import type { LatestRef } from '../../../src/image-automation/setters/types.js';

/** Root of the copied `fluxcd/image-automation-controller` test data. */
export const IAC_FIXTURES = join(repoRoot(), '..', 'shared', 'vectors', 'flux-peer', 'fixtures', 'image-automation-controller');

/** `internal/<pkg>/testdata/<rel>` of image-automation-controller; fails loudly when the shared data is missing. */
export function iacTestdata(pkg: 'update' | 'policy' | 'controller' | 'source', rel: string): string {
  const p = join(IAC_FIXTURES, 'internal', pkg, 'testdata', rel);
  if (!existsSync(p)) {
    throw new Error(`Flux fixture ${p} is missing: the peer tests read ../shared/vectors/flux-peer/fixtures next to the repository`);
  }
  return p;
}

const scratch: string[] = [];

/** A new empty scratch directory, removed by `cleanupScratch()`. */
export function scratchDir(prefix = 'd2-flux-peer-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(d);
  return d;
}

export function cleanupScratch(): void {
  while (scratch.length) rmSync(scratch.pop() as string, { recursive: true, force: true });
}

/**
 * Copies a fixture tree into `dst` (created when missing). File contents are copied, not modes: the shared fixtures are
 * read-only and the copies must be writable.
 */
export function copyTree(src: string, dst: string): string {
  mkdirSync(dst, { recursive: true });
  for (const name of readdirSync(src)) {
    const s = join(src, name);
    const d = join(dst, name);
    const st = lstatSync(s);
    if (st.isDirectory()) copyTree(s, d);
    else if (st.isFile()) writeFileSync(d, readFileSync(s));
  }
  return dst;
}

/** IAC testutil `setterRef`: the marker naming `namespace:name`. */
export const setterRef = (namespace: string, name: string): string => `{"$imagepolicy": "${namespace}:${name}"}`;

/** IAC testutil `ReplaceMarkerWithMarker`: every `marker` in the file becomes the setter reference of the policy. */
export function replaceMarker(path: string, namespace: string, name: string, marker = 'SETTER_SITE'): void {
  writeFileSync(path, readFileSync(path, 'utf8').split(marker).join(setterRef(namespace, name)));
}

/** IAC testutil `ImageToRef`: `name[:tag][@digest]`, split at the last `@` and then at the last `:`. */
export function imageToRef(image: string): LatestRef {
  let rest = image;
  let digest = '';
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag = '';
  const colon = rest.lastIndexOf(':');
  if (colon >= 0) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return { name: rest, tag, digest };
}

/** Regular files below `root` (relative, `/`-separated), skipping dot files, dot directories and `~` backups. */
export function listFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.') || name.endsWith('~')) continue;
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) visit(p);
      else if (st.isFile()) out.set(relative(root, p).split(sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  visit(root);
  return out;
}

/**
 * IAC testutil `DiffDirectories`: files only in `actual`, only in `expected`, and in both with different contents
 * (dot files, dot directories and `~` backups ignored).
 */
export function diffDirectories(actual: string, expected: string): { actualOnly: string[]; expectedOnly: string[]; different: string[] } {
  const a = listFiles(actual);
  const e = listFiles(expected);
  return {
    actualOnly: [...a.keys()].filter((k) => !e.has(k)),
    expectedOnly: [...e.keys()].filter((k) => !a.has(k)),
    different: [...a.keys()].filter((k) => e.has(k) && e.get(k) !== a.get(k)),
  };
}

const execFileAsync = promisify(execFile);

/** Runs git (asynchronously: the sandbox git server answers from this process). */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
  return stdout;
}

/** Commits everything in `dir` as a test user (the "CommitInRepo" of the Go tests). */
export async function commitAll(dir: string, message: string): Promise<string> {
  await git(dir, 'add', '-A');
  await git(dir, '-c', 'user.name=Flux peer', '-c', 'user.email=peer@example.com', 'commit', '-q', '--allow-empty', '-m', message);
  return (await git(dir, 'rev-parse', 'HEAD')).trim();
}
