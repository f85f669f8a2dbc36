/**
 * Keyless signature settings shared by the signer (sign/), the publishing composition root (publish/) and the inputs
 * and flags that choose them: kept in the lower layer so that reading them does not load the signer.
 */

/**
 * `legacy`: the cosign `sha256-<hex>.sig` tag (every Flux and cosign version). `bundle`: cosign v3's DSSE bundle as an
 * OCI referrer (Flux ≥ 2.8 / cosign v3 then prefer it and never fall back to `.sig`). `both`: the two (docs/signing.md, "Who verifies what").
 */
export type SignatureFormat = 'legacy' | 'bundle' | 'both';
/** Every SignatureFormat, for input validation. */
export const SIGNATURE_FORMATS: readonly SignatureFormat[] = ['legacy', 'bundle', 'both'];

/** The public-good Sigstore instance. */
export const DEFAULT_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const DEFAULT_REKOR_URL = 'https://rekor.sigstore.dev';
