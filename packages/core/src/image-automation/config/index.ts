export { parseObjects, readManifestDir, substituteVariables, substitutionDisabled, expandResourceSet, type SourcedObject } from './manifests.js';
export * from './fleet.js';
export * from './policies.js';
