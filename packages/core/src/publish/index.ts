export { publishArtifact, publishAll, pushBuilt, moveTags, putTag, effectiveTags, splitRepository, errorHint, failureLine, publishFailedError } from './publish.js';
export type { PublishAllHooks } from './publish.js';
export { inspectRemote } from './remote.js';
export { resolveTargets, listComponents, validateRepositoryInput, validateTags, COMPONENT_PLACEHOLDER } from './targets.js';
export type { TargetSpec } from './targets.js';
export type * from './types.js';
export { attestationsSection } from './summary.js';
export { wireCredentials, wirePublish, withScanProviders } from './wire.js';
export type { CredentialsRequest, PublishDeps, PublishWiring } from './wire.js';
export { publishSummary, verifySection } from './summary.js';
export type { SummaryOptions } from './summary.js';
export {
  ciRegistryImage,
  ciReleaseRef,
  ciRevision,
  ciSource,
  cloudConfig,
  CLOUD_INPUT_NAMES,
  parseSignatureFormat,
  planRelease,
  DEFAULT_CONCURRENCY,
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  DEFAULT_SIGNATURE_FORMAT,
  DEFAULT_STABLE_TAG,
  DEFAULT_VERSION_TAG,
  SIGNATURE_FORMATS,
} from './config.js';
export type { CloudConfig, PublishConfig, ReleasePlan, ReleaseRequest, SigningConfig } from './config.js';
export { parseReleaseRef, releasePolicy, defaultTagPattern, semverOf, ANNOTATION_VERSION, RELEASE_SETTLE_MS, RELEASE_MOVE_ATTEMPTS } from './release.js';
export type { ParsedRelease, ReleaseGuardOptions, ReleaseMode, ReleasePolicy } from './release.js';
