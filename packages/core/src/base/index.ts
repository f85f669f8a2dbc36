/**
 * The lower layer of @d2/core: declarations and small pure helpers that several domains share, so that no domain has
 * to import another one for them (docs/architecture.md, "Layers and boundaries"). It imports nothing from the domains.
 */
export type * from './cloud.js';
export * from './concurrency.js';
export * from './cosign.js';
export * from './digest.js';
export * from './docker-hub.js';
export * from './flux-verify.js';
export * from './goregexp.js';
export * from './gostrings.js';
export * from './identity.js';
export * from './issuers.js';
export type * from './logger.js';
export * from './media-types.js';
export type * from './oci.js';
export type * from './retry.js';
export type * from './seams.js';
export * from './hosts.js';
export * from './signature.js';
