export { ArtifactSigner, DEFAULT_FULCIO_URL, DEFAULT_REKOR_URL } from './signer.js';
export type { ArtifactSignerOptions, RetryOptions, SignatureFormat, SignatureRegistry, SignResult } from './types.js';
export { SIGNATURE_FORMATS } from './types.js';
export {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161,
  ANNOTATION_SIGNATURE,
  MAX_SIGNATURE_LAYERS,
  SIMPLE_SIGNING_MEDIA_TYPE,
  buildSignatureImage,
  certificatePem,
  dockerReference,
  goJSON,
  referrersFallbackTag,
  rekorBundleJSON,
  signatureTag,
  simpleSigningPayload,
} from './cosign.js';
export type { RekorBundle, SignatureImage, SignatureLayer } from './cosign.js';
export { cosignAnnotationsFromBundle } from './annotations.js';
export {
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
  addToReferrersIndex,
  bundleReferrerManifest,
  cosignSignStatement,
} from './referrer.js';
export { exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp } from './flux.js';
export type { FluxVerifyOptions } from './flux.js';
export { assertIdTokenAvailable, githubIdentityProvider } from '../oidc/github.js';
export type { IdentityProvider } from '../oidc/github.js';
