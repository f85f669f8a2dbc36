/**
 * The names cosign and Flux agree on for signatures: media types, layer annotation keys, the `.sig` tag, the in-toto
 * and bundle types of the referrer format, and PEM as Go writes it. Signing (sign/) writes them, verification (verify/)
 * reads them; both depend on this file and not on each other (docs/signing.md, "Signature layouts").
 */
import { D2Error } from '../errors.js';
import type { Repository } from './oci.js';

/** The media type of a legacy `.sig` layer: the simple-signing payload. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';

/**
 * Layer annotation keys of a legacy `.sig` layer. They sit on the layer descriptor, not on the manifest; the signature
 * key is the only one spelled `cosignproject`, and cosign refuses a layer without it.
 */
export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANNOTATION_RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';

/** The predicate type of the statement `cosign sign` v3 signs for an image. */
export const COSIGN_SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** A v0.3 Sigstore bundle: the only bundle version cosign and Flux accept as a referrer. */
export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Manifest annotations of a bundle referrer: what the bundle holds, and the predicate type of its in-toto statement. */
export const ANNOTATION_BUNDLE_CONTENT = 'dev.sigstore.bundle.content';
export const ANNOTATION_BUNDLE_PREDICATE_TYPE = 'dev.sigstore.bundle.predicateType';
/** The media type of a layer of cosign's legacy `.att` image: a DSSE envelope (the payload carries its own signature). */
export const DSSE_ENVELOPE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
/** The layer annotation of a legacy `.att` layer naming the predicate type (cosign `attest`). */
export const ANNOTATION_PREDICATE_TYPE = 'predicateType';

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

export function assertDigest(digest: string): void {
  if (!DIGEST_RE.test(digest)) {
    throw new D2Error(`not a sha256 manifest digest: '${digest}'`, { code: 'INPUT_INVALID', hint: 'pass the manifest digest as sha256:<64 hex>' });
  }
}

/** The legacy signature tag: `sha256-<hex>.sig`, in the repository of the signed manifest. */
export function signatureTag(digest: string): string {
  assertDigest(digest);
  return `${digest.replace(':', '-')}.sig`;
}

/** The legacy attestation tag: `sha256-<hex>.att`, next to `.sig` (docs/attestations.md, "The legacy `.att` image"). */
export function attestationTag(digest: string): string {
  assertDigest(digest);
  return `${digest.replace(':', '-')}.att`;
}

/** PEM `CERTIFICATE` block with 64-character lines and a final newline, as Go's pem.Encode writes it. */
export function certificatePem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/** DER bytes of the first PEM block in `pem`. */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(pem);
  if (!m) throw new D2Error('not a PEM block', { code: 'SIGNATURE_INVALID' });
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

/**
 * Go `json.Marshal` output for values whose key order the caller already arranged: JSON.stringify plus Go's HTML-safe
 * escaping of `<`, `>`, `&` and U+2028/U+2029 (these characters only occur inside strings in JSON text).
 */
export function goJSON(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `docker-reference` as go-containerregistry `Repository.Name()`: registry + repository, with Docker Hub's canonical
 * host `index.docker.io` and `library/` for official images.
 */
export function dockerReference(repo: Repository): string {
  let registry = repo.registry;
  let repository = repo.repository;
  if (registry === 'docker.io' || registry === 'registry-1.docker.io' || registry === 'index.docker.io') {
    registry = 'index.docker.io';
    if (!repository.includes('/')) repository = `library/${repository}`;
  }
  return `${registry}/${repository}`;
}
