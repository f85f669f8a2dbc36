export { parseObjects, readManifestDir, substituteVariables, substitutionDisabled, type SourcedObject } from './manifests.js';
export * from './fleet.js';
export * from './direct.js';
export * from './policies.js';
export * from './providers.js';
export * from './resourceset.js';
export * from './secrets.js';
export * from './tokens.js';
export * from './signing.js';
