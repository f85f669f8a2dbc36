/**
 * Flux OCI artifacts (flux-artifact.md): a tar byte-identical to `flux push artifact`'s, gzip framing, the Flux 2.9
 * manifest and config, ignore rules, extraction. See docs/artifacts.md.
 */
export { buildArtifact, buildLayer, layerOptions, writeFluxTar, createGoTarGzip, COMPRESSORS, DEFAULT_COMPRESSOR } from './build.js';
export type { BuildOptions, BuiltArtifact, BuiltLayer, LayerBuilder, LayerOptions, TarResult } from './build.js';
export { planEntries, inspectSource, emptyArtifactError, assertSourceHasFiles } from './source.js';
export type { EntryPlan, IgnoredFiles, SourceInventory, TarOptions } from './source.js';
export { BuildPool, createBuildPool, defaultBuildWorkerScript } from './build-pool.js';
export { defaultWorkers, parseWorkers, MAX_DEFAULT_WORKERS, MAX_WORKERS } from './workers.js';
export type { BuildPoolOptions } from './build-pool.js';
export { fsCall, sourceReadError } from './source-errors.js';
export type { SourceKind } from './source-errors.js';
export {
  encodeManifest,
  fluxAnnotations,
  parseAnnotations,
  isRfc3339,
  formatRfc3339Utc,
  FLUX_CONFIG,
  FLUX_CONFIG_DIGEST,
  FLUX_CONFIG_MEDIA_TYPE,
  FLUX_LAYER_MEDIA_TYPE,
  ANNOTATION_CREATED,
  ANNOTATION_SOURCE,
  ANNOTATION_REVISION,
  REPRODUCIBLE_CREATED,
} from './manifest.js';
export type { AnnotationOptions, EncodedManifest, ManifestInput } from './manifest.js';
export {
  IgnoreMatcher,
  IgnorePattern,
  readPatterns,
  ignorePathPatterns,
  splitIgnorePaths,
  loadSourceIgnorePatterns,
  FLUX_DEFAULT_IGNORE_PATHS,
  SOURCEIGNORE_FILE,
} from './ignore.js';
export type { MatchResult, PathComponent } from './ignore.js';
export { GoGlob, goMatch } from './glob.js';
export { encodeHeader, headerWrites, walkFluxTree, tarBytes, tarChunks, TarStats, splitUstarPath, GO_COPY_BUFFER, TAR_BLOCK, TAR_TRAILER_SIZE } from './tar.js';
export type { TarChunk, TarEntry, TarEntryType, WalkEntry, WalkObserver, SourcedEntry } from './tar.js';
export { createZlibGzip, ZLIB_DEFLATE_OPTIONS } from './gzip.js';
export type { CompressorFactory, CompressorName } from './gzip.js';
export { extractArtifact, tarDigestOfLayer, readTar } from './extract.js';
export type { ExtractResult, LayerInput, TarHeader } from './extract.js';
