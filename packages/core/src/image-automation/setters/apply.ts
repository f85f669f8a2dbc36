/**
 * Setters over a directory tree (docs/image-automation.md, "Setters"; IAC ScreeningLocalReader + kio.LocalPackageWriter),
 * writing minimal diffs.
 */
import { lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { D2Error } from '../../errors.js';
import { updateText } from './document.js';
import { defineSetters, SETTER_SHORTHAND } from './markers.js';
import { compareUtf8, UpdateResult, type PolicySetterSource } from './types.js';

export interface SettersOptions {
  /** Compute only; do not write files. */
  dryRun?: boolean;
  /** Only files for which this returns true (path relative to the update path, `/`-separated); default all. */
  include?: (path: string) => boolean;
}

export interface FileUpdate {
  /** Path relative to the update path, `/`-separated. */
  path: string;
  before: string;
  after: string;
}

export interface SettersRun {
  result: UpdateResult;
  /** Rewritten files (written unless dryRun), in walk order. */
  files: FileUpdate[];
  /** Files containing the marker token that could not be read as YAML (Flux skips them silently). */
  problemFiles: Array<{ path: string; reason: string }>;
  /** Number of files that contained the marker token and were parsed. */
  scannedFiles: number;
}

/** The screening token: the literal bytes `"$imagepolicy"` including the double quotes. */
export const SCREENING_TOKEN = JSON.stringify(SETTER_SHORTHAND);

/** Flux's file selection: `.yaml`/`.yml` (case-sensitive) or a file named exactly `Kustomization`. */
export function isCandidateFile(path: string): boolean {
  const ext = extname(path);
  return ext === '.yaml' || ext === '.yml' || basename(path) === 'Kustomization';
}

/**
 * Go filepath.Walk order: entries sorted by name (bytes), depth first, hidden directories included. Symbolic links
 * are never followed: a link to a directory is not entered (as in Go) and, unlike Flux, a link to a file is not read
 * either, so a write can never land outside the tree.
 */
export function* walkFiles(root: string): Generator<string> {
  // Synchronous fs: for thousands of small files the thread-pool round trips of fs/promises dominate.
  const st = lstatSync(root);
  if (!st.isDirectory()) {
    if (st.isFile()) yield root;
    return;
  }
  const names = readdirSync(root).sort(compareUtf8);
  for (const name of names) {
    const p = join(root, name);
    const s = lstatSync(p);
    if (s.isSymbolicLink()) continue;
    if (s.isDirectory()) yield* walkFiles(p);
    else if (s.isFile()) yield p;
  }
}

/** Resolves `update.path` inside `repoDir` (securejoin-like: it may not escape the repository). */
export function resolveUpdatePath(repoDir: string, updatePath: string): string {
  const root = resolve(repoDir);
  const p = resolve(root, updatePath.replace(/^\/+/, '') || '.');
  if (p !== root && !p.startsWith(root + sep)) {
    throw new D2Error(`update path '${updatePath}' is outside the repository`, { code: 'INPUT_INVALID', hint: 'use a path relative to the repository root, e.g. ./components' });
  }
  return p;
}

/**
 * Runs the setters of `policies` over `updatePath` (absolute). Markers must name one of these policies, so passing
 * only the automation's namespace's policies implements "namespace required and must be the automation's".
 */
export async function updateWithSetters(updatePath: string, policies: readonly PolicySetterSource[], opts: SettersOptions = {}): Promise<SettersRun> {
  const setters = defineSetters(policies);
  const run: SettersRun = { result: new UpdateResult(), files: [], problemFiles: [], scannedFiles: 0 };
  let rootIsDir: boolean;
  try {
    rootIsDir = lstatSync(updatePath).isDirectory();
  } catch (err) {
    throw new D2Error(`update path ${updatePath} does not exist`, { code: 'SETTER_PATH', cause: err, hint: 'check spec.update.path of the ImageUpdateAutomation (or the update-path input)' });
  }
  const base = rootIsDir ? updatePath : resolve(updatePath, '..');
  if (setters.size === 0) return run;
  for (const file of walkFiles(updatePath)) {
    if (!isCandidateFile(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (!text.includes(SCREENING_TOKEN)) continue;
    run.scannedFiles++;
    const rel = relative(base, file).split(sep).join('/');
    if (opts.include && !opts.include(rel)) continue;
    const upd = updateText(text, setters);
    if (upd.status === 'problem') {
      run.problemFiles.push({ path: rel, reason: upd.reason });
      continue;
    }
    if (upd.status !== 'updated') continue;
    for (const c of upd.changes) run.result.addChange(rel, c.object, c.change);
    run.files.push({ path: rel, before: text, after: upd.text });
    if (!opts.dryRun) writeFileSync(file, upd.text);
  }
  return run;
}

/** `spec.update` of an ImageUpdateAutomation (after CRD defaulting every stored object has one). */
export interface UpdateSpec {
  path?: string;
  strategy?: string;
}

/**
 * IAC `policy.ApplyPolicies`: runs the setters of `policies` over `update.path` inside the checkout `repoDir`. It takes
 * the update spec as the API server stores it (readFleetConfig applies the CRD defaults), so a missing spec is a
 * programming error here, and a strategy other than `Setters` is refused before any file is read.
 */
export async function applyPolicies(
  repoDir: string,
  update: UpdateSpec | undefined,
  policies: readonly PolicySetterSource[],
  opts: SettersOptions = {},
): Promise<SettersRun & { root: string }> {
  if (!update) {
    throw new D2Error('no update strategy', { code: 'UPDATE_STRATEGY', hint: 'pass spec.update with the CRD defaults applied ({strategy: Setters})' });
  }
  if (update.strategy !== 'Setters') {
    throw new D2Error(`unsupported update strategy: ${String(update.strategy ?? '')}`, { code: 'UPDATE_STRATEGY', hint: 'Setters is the only strategy' });
  }
  const root = resolveUpdatePath(repoDir, update.path ?? '');
  return { ...(await updateWithSetters(root, policies, opts)), root };
}
