export { ArtifactSigner } from './signer.js';
export type { ArtifactSignerOptions, AttestedStatement, RetryOptions, SignatureFormat, SignatureRegistry, SignResult, StatementToSign } from './types.js';
export { DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL, manifestIfAny, SIGNATURE_FORMATS } from './types.js';
export {
  MAX_SIGNATURE_LAYERS,
  buildSignatureImage,
  dockerReference,
  goJSON,
  referrersFallbackTag,
  rekorBundleJSON,
  simpleSigningPayload,
} from './cosign.js';
// The cosign names shared with verification live in the lower layer; they stay part of this entry point's API.
export {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161,
  ANNOTATION_SIGNATURE,
  ANNOTATION_BUNDLE_CONTENT,
  ANNOTATION_BUNDLE_PREDICATE_TYPE,
  ANNOTATION_PREDICATE_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  attestationTag,
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  certificatePem,
  signatureTag,
} from '../base/index.js';
export type { RekorBundle, SignatureImage, SignatureLayer } from './cosign.js';
export { cosignAnnotationsFromBundle, cosignAttestationLayer } from './annotations.js';
export { bundleReferrerManifest, cosignSignStatement } from './referrer.js';
export { exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp } from './flux.js';
export type { FluxVerifyOptions } from './flux.js';
export { assertIdTokenAvailable, githubIdentityProvider } from '../oidc/index.js';
export type { IdentityProvider } from '../oidc/index.js';
