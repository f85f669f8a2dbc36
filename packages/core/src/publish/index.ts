export { publishArtifact, publishAll, pushBuilt, moveTags, effectiveTags, splitRepository } from './publish.js';
export { inspectRemote } from './remote.js';
export { resolveTargets, listComponents, validateRepositoryInput, validateTags, COMPONENT_PLACEHOLDER } from './targets.js';
export type { TargetSpec } from './targets.js';
export type * from './types.js';
export { readCommonInputs, credentialsFor, wirePublish, publishSummary, verifySection, defaultSource, defaultRevision, actionsLogger } from './action.js';
export type { CommonPublishInputs, SigningInputs, PublishWiring } from './action.js';
export { parseReleaseRef, releaseGuard, defaultTagPattern, semverOf, ANNOTATION_VERSION } from './release.js';
export type { ParsedRelease, ReleaseGuardOptions, ReleaseMode } from './release.js';
