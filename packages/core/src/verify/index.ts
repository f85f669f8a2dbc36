export { verifyArtifact } from './verify.js';
export type { VerifyArtifactOptions, VerifyResult } from './verify.js';
export { verifyLegacyLayer } from './legacy.js';
export type { LegacyVerifyOptions, VerifiedSignature } from './legacy.js';
export { verifyBundleBytes } from './bundle.js';
export { loadTrust } from './trust.js';
export type { LoadedTrust, TrustedRootInput } from './trust.js';
// Identity matching is shared with signing and lives in the lower layer; it stays part of this entry point's API.
export { certificateIdentity, compileRE2, matchIdentity, parseCertificate, OID_ISSUER_V1, OID_ISSUER_V2 } from '../base/index.js';
export type { CertificateIdentity, IdentityPolicy } from '../base/index.js';
export { VerificationFailure } from './errors.js';
export type { VerificationCheck } from './errors.js';
export { bundleReferrers, verifyAttestationBundle, verifyAttestations } from './attestation.js';
export type { BundleReferrer, VerifiedAttestation, VerifyAttestationOptions } from './attestation.js';
