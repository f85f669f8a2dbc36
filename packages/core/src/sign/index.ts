export { ArtifactSigner, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL } from './signer.js';
export type { ArtifactSignerOptions, RetryOptions, SignatureFormat, SignatureRegistry, SignResult } from './types.js';
export { SIGNATURE_FORMATS } from './types.js';
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
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  certificatePem,
  signatureTag,
} from '../base/index.js';
export type { RekorBundle, SignatureImage, SignatureLayer } from './cosign.js';
export { cosignAnnotationsFromBundle } from './annotations.js';
export { addToReferrersIndex, bundleReferrerManifest, cosignSignStatement } from './referrer.js';
export { exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp } from './flux.js';
export type { FluxVerifyOptions } from './flux.js';
export { assertIdTokenAvailable, githubIdentityProvider } from '../oidc/index.js';
export type { IdentityProvider } from '../oidc/index.js';
