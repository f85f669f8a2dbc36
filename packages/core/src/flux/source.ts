/**
 * The source of an artifact, before anything is built: the entries the build will write (walked as the tar writer
 * walks them, ignore rules applied) and the check that an artifact would hold at least one file (docs/artifacts.md).
 * Kept apart from the builder (build.ts) so that the actions check their targets without loading the compressor.
 */
import { accessSync, constants, type Stats } from 'node:fs';
import { lstat, open, readlink, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { clip, InputError } from '../errors.js';
import { IgnoreMatcher, ignorePathPatterns, loadSourceIgnorePatterns, SOURCEIGNORE_FILE, type IgnorePattern } from './ignore.js';
import { fsCall, fsCallAsync, sourceReadError } from './source-errors.js';
import { tarMode, walkFluxTree, type SourcedEntry, type WalkObserver } from './tar.js';
import { makeTempDir } from '../util/index.js';

/** What decides the entries of an artifact (BuildOptions extends it, build.ts). */
export interface TarOptions {
  /** `--ignore-paths`: undefined gives Flux's default list; a given list replaces it. */
  ignorePaths?: readonly string[];
  /**
   * Also honour `.sourceignore` files inside the directory, as source-controller does in-cluster (opt-in; `flux push`
   * does not read them). Precedence, lowest first: Flux's default list, `.sourceignore` files (outer before inner),
   * an explicit `ignorePaths` list — the order source-controller gives defaults, `.sourceignore` and `spec.ignore`.
   */
  sourceignore?: boolean;
}

/** Files left out of an artifact by one ignore pattern (the one that decided for them). */
export interface IgnoredFiles {
  pattern: string;
  /** Where the pattern comes from: `Flux's default ignore-paths`, `ignore-paths`, or `<dir>/.sourceignore`. */
  origin: string;
  files: number;
  /** The first file it excluded (path relative to the source). */
  example: string;
}

/**
 * What an artifact of a path contains and what it leaves out, filled in by the walk as its entries are consumed
 * (`inspectSource`, `buildArtifact`): enough to say why an artifact would be empty.
 */
export interface SourceInventory {
  /** The path as resolved (absolute). */
  path: string;
  kind: 'dir' | 'file';
  /** Regular files archived. */
  files: number;
  /** Set when the path is a symbolic link to a directory: Flux's walk does not follow it, so nothing is archived. */
  symlinkTarget?: string;
  /** Files excluded by ignore patterns, per deciding pattern, in walk order. */
  ignored: IgnoredFiles[];
  /** Symbolic links and special files met by the walk (never archived), and the first one's path. */
  skipped: { count: number; example?: string };
}

export interface EntryPlan {
  kind: 'dir' | 'file';
  entries: AsyncIterable<SourcedEntry> | SourcedEntry[];
  /** Filled in while `entries` is consumed (except `files`, which the consumer counts). */
  inventory: SourceInventory;
}

const DEFAULTS_ORIGIN = "Flux's default ignore-paths";

function relName(path: readonly (Buffer | string)[]): string {
  return path.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('/');
}

/** Records, per deciding pattern, the files an ignore rule left out. */
function recordIgnored(inv: SourceInventory, origins: Map<IgnorePattern, string>, pattern: IgnorePattern, file: string): void {
  const origin = origins.get(pattern) ?? 'ignore-paths';
  const known = inv.ignored.find((g) => g.pattern === pattern.source && g.origin === origin);
  if (known) known.files++;
  else inv.ignored.push({ pattern: pattern.source, origin, files: 1, example: file });
}

/**
 * Works out what to archive, like pkg/oci `build()`: a directory is walked; a single file is archived as Flux >= 2.9
 * does after staging it in `os.MkdirTemp` — a `.` entry with the temp dir's mode (0700 under the usual umasks) and
 * the file with its permission bits as created under the current umask (special bits dropped), ignore patterns
 * matched against its basename. The modes are found by creating the same temp dir and an empty file, so the umask
 * is honoured exactly as Go's copy would; the data is then read from the original file (no copy).
 *
 * This is the one walk and the one set of ignore decisions of an artifact: the checks before a push
 * (`inspectSource`) and the build itself both consume it.
 */
export async function planEntries(path: string, opts: TarOptions = {}): Promise<EntryPlan> {
  const abs = resolve(path);
  const st = await statSource(abs);
  const fromFlags = ignorePathPatterns(opts.ignorePaths);
  const origins = new Map<IgnorePattern, string>(fromFlags.map((p) => [p, opts.ignorePaths === undefined ? DEFAULTS_ORIGIN : 'ignore-paths']));
  if (st.isDirectory()) {
    const inventory: SourceInventory = { path: abs, kind: 'dir', files: 0, ignored: [], skipped: { count: 0 } };
    let patterns: IgnorePattern[] = fromFlags;
    const rootStat = await fsCallAsync(abs, 'entry', () => lstat(abs));
    if (rootStat.isSymbolicLink()) {
      // A symlinked root is archived empty (docs/artifacts.md, "Walk"), so its .sourceignore files would not matter.
      inventory.symlinkTarget = await fsCallAsync(abs, 'entry', () => readlink(abs));
    } else if (opts.sourceignore) {
      const fromFiles = await loadSourceIgnorePatterns(abs);
      for (const p of fromFiles) origins.set(p, `${[...p.domain, SOURCEIGNORE_FILE].join('/')}`);
      patterns = opts.ignorePaths === undefined ? [...patterns, ...fromFiles] : [...fromFiles, ...patterns];
    }
    const observer: WalkObserver = {
      excluded: (p, isDir, pattern) => {
        if (!isDir) recordIgnored(inventory, origins, pattern, relName(p));
      },
      skipped: (p) => {
        inventory.skipped.count++;
        inventory.skipped.example ??= relName(p);
      },
    };
    return { kind: 'dir', entries: walkFluxTree(abs, new IgnoreMatcher(patterns), observer), inventory };
  }
  if (!st.isFile()) throw new InputError(`source path is neither a directory nor a regular file: ${clip(abs)}`, 'package a directory, or a single regular file');
  const inventory: SourceInventory = { path: abs, kind: 'file', files: 0, ignored: [], skipped: { count: 0 } };
  const name = basename(abs);
  const { rootMode, fileMode } = await probeStagingModes(name, st.mode & 0o777);
  const entries: SourcedEntry[] = [{ name: '.', type: 'dir', mode: rootMode, size: 0 }];
  const excludedBy = new IgnoreMatcher(fromFlags).excludedBy([name], false);
  if (excludedBy) recordIgnored(inventory, origins, excludedBy, name);
  else entries.push({ name, type: 'file', mode: fileMode, size: st.size, source: abs });
  return { kind: 'file', entries, inventory };
}

/** Stats the source path (following a symlink), with the error for a path that does not exist. */
export async function statSource(abs: string): Promise<Stats> {
  try {
    return await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError(`source path does not exist: ${clip(abs)}`, 'check the path (it is resolved against the working directory)');
    }
    throw sourceReadError(err, abs, 'entry');
  }
}

async function probeStagingModes(name: string, perm: number): Promise<{ rootMode: number; fileMode: number }> {
  const stage = await makeTempDir('oci-build-');
  try {
    const rootMode = tarMode(await stat(stage.path));
    const fh = await open(join(stage.path, name), 'w', perm);
    await fh.close();
    const fileMode = tarMode(await stat(join(stage.path, name)));
    return { rootMode, fileMode };
  } finally {
    await stage.remove();
  }
}

/**
 * Walks `path` as a build would (the same walk and ignore decisions) and returns what the artifact would contain,
 * without reading file data. Every directory is listed, so an unreadable one fails here as it would fail the build;
 * with `checkReadable`, every archived file is also checked for read permission (one access(2) call each).
 */
export async function inspectSource(path: string, opts: TarOptions = {}, checkReadable = false): Promise<SourceInventory> {
  const plan = await planEntries(path, opts);
  for await (const e of plan.entries) {
    if (e.type !== 'file') continue;
    plan.inventory.files++;
    const source = e.source;
    if (checkReadable && source !== undefined) fsCall(source, 'file', () => accessSync(source, constants.R_OK));
  }
  return plan.inventory;
}

/**
 * The decision shared by the checks before a push and the build: an artifact without a single file is refused, with
 * the reason (a symlinked path, every file ignored — naming the patterns and where they come from —, or nothing but
 * empty directories, symbolic links and special files). `what` names the source, e.g. `component 'frontend'`;
 * `shown` is its path as the user wrote it. Returns undefined when the artifact has files.
 */
export function emptyArtifactError(inv: SourceInventory, what: string, shown: string): InputError | undefined {
  if (inv.files > 0) return undefined;
  const where = clip(shown);
  if (inv.symlinkTarget !== undefined) {
    return new InputError(
      `${what} is empty: ${where} is a symbolic link (to ${clip(inv.symlinkTarget)}), and Flux does not follow a symlinked path, so the artifact would contain no files`,
      'point the path at the directory itself, or replace the link with the directory',
    );
  }
  if (inv.ignored.length > 0) {
    const total = inv.ignored.reduce((n, g) => n + g.files, 0);
    const rules = inv.ignored
      .map((g) => `'${clip(g.pattern)}' (${clip(g.origin)}) excludes ${clip(g.example)}${g.files > 1 ? ` and ${g.files - 1} more` : ''}`)
      .join('; ');
    const fromDefaults = inv.ignored.some((g) => g.origin === DEFAULTS_ORIGIN);
    return new InputError(
      `${what} is empty: ${total === 1 ? `the only file in ${where} is` : `all ${total} files in ${where} are`} excluded by ignore rules: ${rules}`,
      `add the manifests to ${where}, or change the rules that exclude them${fromDefaults ? " (Flux's defaults leave out .git/ and images; a given ignore-paths list replaces them)" : " (a '!pattern' line re-includes files)"}`,
    );
  }
  const skipped = inv.skipped.count
    ? `: only ${inv.skipped.count === 1 ? 'a symbolic link or special file' : `${inv.skipped.count} symbolic links or special files`} (${clip(inv.skipped.example ?? '')}), which Flux does not archive`
    : '';
  return new InputError(
    `${what} is empty: ${where} contains no files${skipped}`,
    skipped ? 'put the files themselves in the directory (symbolic links are not followed)' : 'add the manifests to it, or leave it out of the components',
  );
}

/**
 * The check run on every target before anything is built or sent: the whole source is walked as the build will walk
 * it; an unreadable directory or file, or an artifact without a single file, is an error naming the path and the fix.
 */
export async function assertSourceHasFiles(path: string, opts: TarOptions, what: string, shown: string): Promise<void> {
  const err = emptyArtifactError(await inspectSource(path, opts, true), what, shown);
  if (err) throw err;
}
