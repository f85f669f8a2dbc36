/**
 * buildArtifact: a directory (or a single file) to a Flux OCI artifact — gzip tar layer in a temp file, the Flux 2.9
 * config and manifest in memory (docs/artifacts.md). Memory stays bounded: the tar is produced while reading
 * files and compressed straight to disk; the tar digest (diffID) and the layer digest are computed on the way.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, createWriteStream, type Stats } from 'node:fs';
import { lstat, open, readlink, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clip, InputError } from '../errors.js';
import { createGoGzip } from '../flate/index.js';
import { createZlibGzip, type CompressorFactory, type CompressorName } from './gzip.js';
import { IgnoreMatcher, ignorePathPatterns, loadSourceIgnorePatterns, SOURCEIGNORE_FILE, type IgnorePattern } from './ignore.js';
import { encodeManifest, fluxAnnotations, FLUX_LAYER_MEDIA_TYPE } from './manifest.js';
import { fsCall, fsCallAsync, sourceReadError } from './source-errors.js';
import { TarStats, tarBytes, tarChunks, tarMode, walkFluxTree, type SourcedEntry, type TarChunk, type WalkObserver } from './tar.js';
import { makeTempDir } from '../util/index.js';

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

export interface BuildOptions extends TarOptions {
  /** Layer compressor. `go-flate` = Flux's exact bytes; `zlib` = faster, same tar, different layer digest. */
  compressor?: CompressorName;
  /** RFC 3339 `created` annotation (default: now, UTC, seconds). An explicit value wins over `reproducible`. */
  created?: string;
  /** `created` = `1970-01-01T00:00:00Z`. */
  reproducible?: boolean;
  source?: string;
  revision?: string;
  /** Custom manifest annotations (override the standard three). */
  annotations?: Readonly<Record<string, string>>;
  /** Where to create the temp directory holding the layer (default: the OS temp dir). */
  workDir?: string;
  /**
   * Build an artifact that contains no file (a symlinked path, everything ignored) instead of refusing it with
   * `emptyArtifactError`. Only for byte-compatibility checks against Flux: an empty artifact is never published.
   */
  allowEmpty?: boolean;
}

export interface BuiltArtifact {
  /** The gzip layer in a temp file; call `cleanup()` when done. */
  layerPath: string;
  layerDigest: string;
  layerSize: number;
  layerMediaType: string;
  /** sha256 and size of the uncompressed tar (the diffID): compare contents independently of the compressor. */
  tarDigest: string;
  tarSize: number;
  config: Buffer;
  configDigest: string;
  manifest: Buffer;
  manifestDigest: string;
  annotations: Record<string, string>;
  /** Regular files in the archive. */
  files: number;
  compressor: CompressorName;
  cleanup(): Promise<void>;
}

export interface TarResult {
  tarDigest: string;
  tarSize: number;
  files: number;
  entries: number;
}

/**
 * Compressor factories over plain tar bytes. `go-flate` is the port of Go's compress/flate level 6 with Go's gzip
 * framing (packages/core/src/flate, docs/flate.md); each chunk written is one Go Write call. `zlib` frames Node's deflate
 * the same way: same tar, different (but deterministic for a given zlib build) layer bytes. `buildArtifact` does not
 * give `go-flate` plain chunks: it replays Go's exact Write calls (`createGoTarGzip`), so its layer is byte-identical
 * to `flux push artifact`'s in every case.
 */
export const COMPRESSORS: Record<CompressorName, CompressorFactory> = {
  'go-flate': () => createGoGzip(),
  zlib: createZlibGzip,
};

/**
 * The go-flate layer writer of `buildArtifact`: a Transform taking `TarChunk` objects and giving each Go Write call in
 * them to `GoGzipWriter.write` on its own. Go's deflate output can depend on where its Write calls end (a write that
 * leaves the compressor at buffer position 65274 moves the window one step early; docs/flate.md), so only the same
 * Write sequence as fluxcd/pkg `tar.Tar` on `gzip.Writer` gives Flux's bytes in every case.
 * Chunks stay coalesced on the way (hashing, stream overhead); only the compressor sees the individual writes.
 */
export function createGoTarGzip(): Transform {
  return createGoGzip<TarChunk>({ writes: splitWrites, release: (c) => c.release?.() });
}

/** The Go Write calls in a tar chunk (each ends at one of `writeEnds`). */
function* splitWrites(chunk: TarChunk): Generator<Uint8Array> {
  let start = 0;
  for (const end of chunk.writeEnds) {
    yield chunk.data.subarray(start, end);
    start = end;
  }
}

/** The compressor used when none is given: Flux's exact bytes. */
export const DEFAULT_COMPRESSOR: CompressorName = 'go-flate';

function compressorFor(name: CompressorName | undefined): CompressorFactory {
  const n = name ?? DEFAULT_COMPRESSOR;
  const f = (COMPRESSORS as Partial<Record<string, CompressorFactory>>)[n];
  if (!f) throw new InputError(`unknown compressor ${JSON.stringify(clip(n))}`, `use one of: ${Object.keys(COMPRESSORS).join(', ')}`);
  return f;
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
async function statSource(abs: string): Promise<Stats> {
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

/** Streams the Flux tar of `path` into `out` (or nowhere) and returns its digest; for diffs and `d2 build`. */
export async function writeFluxTar(path: string, opts: TarOptions = {}, out?: Writable): Promise<TarResult> {
  const plan = await planEntries(path, opts);
  const stats = new TarStats();
  if (out) await pipeline(Readable.from(tarBytes(plan.entries, stats), { objectMode: false }), out);
  // Digest only: each chunk is hashed as it is made, so its buffer can be handed straight back for reuse.
  else for await (const c of tarChunks(plan.entries, stats)) c.release?.();
  return { tarDigest: stats.digest, tarSize: stats.size, files: stats.files, entries: stats.entries };
}

/** A pass-through that hashes and counts what flows by. */
class DigestTap extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }

  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

/** What building a layer needs: the walk's options, the compressor, and whether an empty artifact is allowed. */
export type LayerOptions = Pick<BuildOptions, 'ignorePaths' | 'sourceignore' | 'compressor' | 'allowEmpty'>;

/** The layer of an artifact as written to its file: the digests and sizes of the gzip layer and of the tar in it. */
export interface BuiltLayer {
  layerDigest: string;
  layerSize: number;
  tarDigest: string;
  tarSize: number;
  /** Regular files in the archive. */
  files: number;
}

/**
 * Writes the layer of `path` (tar, compression, both digests) to `layerPath`. The CPU-bound part of a build: run here
 * on the calling thread, or on a worker thread by a `BuildPool` (flux/build-pool.ts). Plain data in and out, so that
 * both give the same bytes.
 */
export type LayerBuilder = (path: string, opts: LayerOptions, layerPath: string) => Promise<BuiltLayer>;

/** The options of `opts` a layer build uses (plain data: they are sent to worker threads as they are). */
export function layerOptions(opts: BuildOptions): LayerOptions {
  return {
    ...(opts.ignorePaths !== undefined ? { ignorePaths: [...opts.ignorePaths] } : {}),
    ...(opts.sourceignore !== undefined ? { sourceignore: opts.sourceignore } : {}),
    ...(opts.compressor !== undefined ? { compressor: opts.compressor } : {}),
    ...(opts.allowEmpty !== undefined ? { allowEmpty: opts.allowEmpty } : {}),
  };
}

/**
 * The `LayerBuilder` of the calling thread: walks `path`, writes the tar through the compressor to `layerPath` with
 * both digests computed on the way, and refuses an artifact without a single file (`emptyArtifactError`) unless
 * `allowEmpty`.
 */
export async function buildLayer(path: string, opts: LayerOptions, layerPath: string): Promise<BuiltLayer> {
  const compressorName = opts.compressor ?? DEFAULT_COMPRESSOR;
  const compress = compressorFor(compressorName);
  const plan = await planEntries(path, opts);
  const stats = new TarStats();
  const tap = new DigestTap();
  // go-flate replays Go's Write calls (object-mode chunks, one queued at a time); other compressors take the bytes.
  const [tar, gzip] =
    compressorName === 'go-flate'
      ? [Readable.from(tarChunks(plan.entries, stats), { highWaterMark: 1 }), createGoTarGzip()]
      : [Readable.from(tarBytes(plan.entries, stats), { objectMode: false }), compress()];
  await pipeline(tar, gzip, tap, createWriteStream(layerPath));
  plan.inventory.files = stats.files;
  if (!opts.allowEmpty) {
    const empty = emptyArtifactError(plan.inventory, `path '${clip(path)}'`, path);
    if (empty) throw empty;
  }
  return { layerDigest: tap.digest(), layerSize: tap.size, tarDigest: stats.digest, tarSize: stats.size, files: stats.files };
}

/**
 * Builds the artifact for `path`. All input is validated (annotations, created, compressor, path) before anything is
 * written. The layer goes to `<workDir or tmp>/d2-artifact-XXXXXX/layer.tar.gz`; `cleanup()` removes that directory
 * (so does the end of the process, even by a signal: util/tempdir.ts). An artifact without a single file is refused
 * (`emptyArtifactError`) unless `allowEmpty`. `layer` writes the layer: on this thread by default, or on a worker
 * thread (`BuildPool.build`); the directory is made and removed here either way.
 */
export async function buildArtifact(path: string, opts: BuildOptions = {}, layer: LayerBuilder = buildLayer): Promise<BuiltArtifact> {
  const annotations = fluxAnnotations(opts);
  const compressorName = opts.compressor ?? DEFAULT_COMPRESSOR;
  compressorFor(compressorName);
  await statSource(resolve(path));
  const work = await makeTempDir('d2-artifact-', opts.workDir);
  const cleanup = (): Promise<void> => work.remove();
  try {
    const layerPath = join(work.path, 'layer.tar.gz');
    const built = await layer(path, layerOptions(opts), layerPath);
    const m = encodeManifest({ layerDigest: built.layerDigest, layerSize: built.layerSize, annotations });
    return {
      layerPath,
      layerDigest: built.layerDigest,
      layerSize: built.layerSize,
      layerMediaType: FLUX_LAYER_MEDIA_TYPE,
      tarDigest: built.tarDigest,
      tarSize: built.tarSize,
      config: m.config,
      configDigest: m.configDigest,
      manifest: m.bytes,
      manifestDigest: m.digest,
      annotations,
      files: built.files,
      compressor: compressorName,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
