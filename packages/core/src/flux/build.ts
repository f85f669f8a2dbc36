/**
 * buildArtifact: a directory (or a single file) to a Flux OCI artifact — gzip tar layer in a temp file, the Flux 2.9
 * config and manifest in memory (flux-artifact.md §1, §3). Memory stays bounded: the tar is produced while reading
 * files and compressed straight to disk; the tar digest (diffID) and the layer digest are computed on the way.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { D2Error, InputError } from '../errors.js';
import { createGoGzip } from '../flate/index.js';
import { createZlibGzip, type CompressorFactory, type CompressorName } from './gzip.js';
import { IgnoreMatcher, ignorePathPatterns, loadSourceIgnorePatterns, type IgnorePattern } from './ignore.js';
import { encodeManifest, fluxAnnotations, FLUX_LAYER_MEDIA_TYPE } from './manifest.js';
import { TarStats, tarBytes, tarChunks, tarMode, walkFluxTree, type SourcedEntry, type TarChunk } from './tar.js';

export interface TarOptions {
  /** `--ignore-paths`: undefined gives Flux's default list; a given list replaces it (§3.2). */
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
 * framing (packages/core/src/flate, issue 9); each chunk written is one Go Write call. `zlib` frames Node's deflate
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
 * Write sequence as fluxcd/pkg `tar.Tar` on `gzip.Writer` gives Flux's bytes in every case (flux-artifact.md §3.4).
 * Chunks stay coalesced on the way (hashing, stream overhead); only the compressor sees the individual writes.
 */
export function createGoTarGzip(): Transform {
  return createGoGzip<TarChunk>({ writes: splitWrites });
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
  if (!f) throw new InputError(`unknown compressor ${JSON.stringify(n)}`, `use one of: ${Object.keys(COMPRESSORS).join(', ')}`);
  return f;
}

/**
 * Works out what to archive, like pkg/oci `build()`: a directory is walked; a single file is archived as Flux >= 2.9
 * does after staging it in `os.MkdirTemp` — a `.` entry with the temp dir's mode (0700 under the usual umasks) and
 * the file with its permission bits as created under the current umask (special bits dropped), ignore patterns
 * matched against its basename. The modes are found by creating the same temp dir and an empty file, so the umask
 * is honoured exactly as Go's copy would; the data is then read from the original file (no copy).
 */
export async function planEntries(path: string, opts: TarOptions = {}): Promise<{ kind: 'dir' | 'file'; entries: AsyncIterable<SourcedEntry> | SourcedEntry[] }> {
  const abs = resolve(path);
  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputError(`source path does not exist: ${abs}`, 'check the path (it is resolved against the working directory)');
    }
    throw new D2Error(`invalid source path ${abs}: ${(err as Error).message}`, { cause: err });
  }
  if (st.isDirectory()) {
    let patterns: IgnorePattern[] = ignorePathPatterns(opts.ignorePaths);
    // A symlinked root is archived empty (§3.1), so its .sourceignore files would not matter.
    if (opts.sourceignore && !(await lstat(abs)).isSymbolicLink()) {
      const fromFiles = await loadSourceIgnorePatterns(abs);
      patterns = opts.ignorePaths === undefined ? [...patterns, ...fromFiles] : [...fromFiles, ...patterns];
    }
    return { kind: 'dir', entries: walkFluxTree(abs, new IgnoreMatcher(patterns)) };
  }
  if (!st.isFile()) throw new InputError(`source path is neither a directory nor a regular file: ${abs}`);
  const name = basename(abs);
  const { rootMode, fileMode } = await probeStagingModes(name, st.mode & 0o777);
  const entries: SourcedEntry[] = [{ name: '.', type: 'dir', mode: rootMode, size: 0 }];
  const matcher = new IgnoreMatcher(ignorePathPatterns(opts.ignorePaths));
  if (!matcher.excludes([name], false)) entries.push({ name, type: 'file', mode: fileMode, size: st.size, source: abs });
  return { kind: 'file', entries };
}

async function probeStagingModes(name: string, perm: number): Promise<{ rootMode: number; fileMode: number }> {
  const stage = await mkdtemp(join(tmpdir(), 'oci-build-'));
  try {
    const rootMode = tarMode(await stat(stage));
    const fh = await open(join(stage, name), 'w', perm);
    await fh.close();
    const fileMode = tarMode(await stat(join(stage, name)));
    return { rootMode, fileMode };
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** Streams the Flux tar of `path` into `out` (or nowhere) and returns its digest; for diffs and `d2 build`. */
export async function writeFluxTar(path: string, opts: TarOptions = {}, out?: Writable): Promise<TarResult> {
  const plan = await planEntries(path, opts);
  const stats = new TarStats();
  const sink = out ?? new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(Readable.from(tarBytes(plan.entries, stats), { objectMode: false }), sink);
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

/**
 * Builds the artifact for `path`. All input is validated (annotations, created, compressor, path) before anything is
 * written. The layer goes to `<workDir or tmp>/d2-artifact-XXXXXX/layer.tar.gz`; `cleanup()` removes that directory.
 */
export async function buildArtifact(path: string, opts: BuildOptions = {}): Promise<BuiltArtifact> {
  const annotations = fluxAnnotations(opts);
  const compressorName = opts.compressor ?? DEFAULT_COMPRESSOR;
  const compress = compressorFor(compressorName);
  const plan = await planEntries(path, opts);

  const dir = await mkdtemp(join(opts.workDir ?? tmpdir(), 'd2-artifact-'));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const layerPath = join(dir, 'layer.tar.gz');
    const stats = new TarStats();
    const tap = new DigestTap();
    // go-flate replays Go's Write calls (object-mode chunks, one queued at a time); other compressors take the bytes.
    const [tar, gzip] =
      compressorName === 'go-flate'
        ? [Readable.from(tarChunks(plan.entries, stats), { highWaterMark: 1 }), createGoTarGzip()]
        : [Readable.from(tarBytes(plan.entries, stats), { objectMode: false }), compress()];
    await pipeline(tar, gzip, tap, createWriteStream(layerPath));
    const layerDigest = tap.digest();
    const m = encodeManifest({ layerDigest, layerSize: tap.size, annotations });
    return {
      layerPath,
      layerDigest,
      layerSize: tap.size,
      layerMediaType: FLUX_LAYER_MEDIA_TYPE,
      tarDigest: stats.digest,
      tarSize: stats.size,
      config: m.config,
      configDigest: m.configDigest,
      manifest: m.bytes,
      manifestDigest: m.digest,
      annotations,
      files: stats.files,
      compressor: compressorName,
      cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
