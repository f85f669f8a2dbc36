/**
 * SBOMs of Flux artifacts (docs/sbom.md): the artifact's files with their digests and what its manifests deploy
 * (container images, Helm charts, OCI sources) as CycloneDX 1.6 or SPDX 2.3 JSON.
 */
export { generateSbom, buildSbom, comparableSbom, parseSbomFormat, SBOM_FORMATS, SBOM_PREDICATE_TYPES } from './generate.js';
export type { SbomFormat, SbomOptions } from './generate.js';
export { CYCLONEDX_PREDICATE_TYPE } from './cyclonedx.js';
export { SPDX_PREDICATE_TYPE } from './spdx.js';
export { findDeployed } from './deployables.js';
export type { Deployed, DeployedKind, DeployedOrigin } from './deployables.js';
export { parseManifests } from './manifests.js';
export type { ManifestObject, ParsedManifests } from './manifests.js';
export { inventory, MAX_MANIFEST_BYTES } from './inventory.js';
export type { ArtifactFile, Inventory, ManifestFile } from './inventory.js';
export { parseImageRef, dockerPurl, ociPurl } from './references.js';
export type { ImageRef } from './references.js';
