/**
 * buildArtifact: a directory (or a single file) to a Flux OCI artifact — gzip tar layer in a temp file, the Flux 2.9
 * config and manifest in memory (docs/artifacts.md). Memory stays bounded: the tar is produced while reading
 * files and compressed straight to disk; the tar digest (diffID) and the layer digest are computed on the way.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { clip, InputError } from '../errors.js';
import { createGoGzip } from '../flate/index.js';
import { createZlibGzip, type CompressorFactory, type CompressorName } from './gzip.js';
import { encodeManifest, fluxAnnotations, FLUX_LAYER_MEDIA_TYPE } from './manifest.js';
import { TarStats, tarBytes, tarChunks, type TarChunk } from './tar.js';
import { makeTempDir } from '../util/index.js';
import { emptyArtifactError, planEntries, statSource, type TarOptions } from './source.js';

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
