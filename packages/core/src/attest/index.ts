export { Attestor, predicateTypeOf } from './attestor.js';
export type { AttestorOptions } from './attestor.js';
export { githubProvenance, githubProvenanceBuilder, PROVENANCE_BUILDERS, resolveProvenanceBuilder } from './provenance.js';
export type { ProvenanceBuilder, ProvenanceBuilderFactory } from './provenance.js';
export { inTotoStatement } from './statement.js';
export { openVexProblems, readOpenVex } from './vex.js';
export { parseAttestationConfig, parseAttestationTypes, parseSbomFormat, cosignVerifyAttestationLine, cosignTypeOf } from './config.js';
export type { AttestationInputs } from './config.js';
export {
  ATTESTATION_TYPES,
  CYCLONEDX_PREDICATE_TYPE,
  DEFAULT_SBOM_FORMAT,
  GITHUB_WORKFLOW_BUILD_TYPE,
  OPENVEX_PREDICATE_TYPE,
  SBOM_FORMATS,
  SLSA_PROVENANCE_V1,
  SPDX_PREDICATE_TYPE,
} from './types.js';
export type {
  AttestationConfig,
  AttestationRegistry,
  AttestationResult,
  AttestationType,
  AttestContext,
  SbomFormat,
  SbomGenerator,
  StatementSigner,
} from './types.js';
