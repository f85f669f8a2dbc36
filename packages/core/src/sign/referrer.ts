/**
 * cosign v3's "new bundle format": a DSSE in-toto statement with predicate `https://sigstore.dev/cosign/sign/v1`
 * in a v0.3 Sigstore bundle, attached to the signed manifest as an OCI referrer (docs/signing.md, "The bundle
 * referrer"). The referrer manifest is small and fixed-shape, so it is written here rather than through
 * `@sigstore/oci` (whose registry client is not exported and cannot share our credentials/retries).
 */
import {
  ANNOTATION_BUNDLE_CONTENT,
  ANNOTATION_BUNDLE_PREDICATE_TYPE,
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
  IN_TOTO_STATEMENT_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  sha256Digest,
  type Descriptor,
} from '../base/index.js';
import { goJSON } from './cosign.js';

export const OCI_EMPTY_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_BLOB = Buffer.from('{}');
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';

/** The in-toto Statement cosign v3 signs for an image: subject without a name, empty predicate. */
export function cosignSignStatement(digest: string): Buffer {
  const [alg, hex] = digest.split(':');
  return Buffer.from(
    goJSON({ _type: IN_TOTO_STATEMENT_TYPE, subject: [{ digest: { [alg]: hex } }], predicateType: COSIGN_SIGN_PREDICATE_TYPE, predicate: {} }),
    'utf8',
  );
}

/**
 * The referrer manifest for a bundle blob, pointing at `subject`. `predicateType` is the statement's: cosign's signature
 * predicate for a signature, the attestation's own for an attestation (docs/attestations.md, "On the registry").
 */
export function bundleReferrerManifest(
  bundle: Buffer,
  subject: Descriptor,
  created: Date = new Date(),
  predicateType: string = COSIGN_SIGN_PREDICATE_TYPE,
): { bytes: Buffer; digest: string } {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: { mediaType: OCI_EMPTY_MEDIA_TYPE, size: OCI_EMPTY_BLOB.length, digest: OCI_EMPTY_DIGEST },
    layers: [{ mediaType: BUNDLE_V03_MEDIA_TYPE, size: bundle.length, digest: sha256Digest(bundle) }],
    subject: { mediaType: subject.mediaType, size: subject.size, digest: subject.digest },
    annotations: {
      [ANNOTATION_BUNDLE_CONTENT]: 'dsse-envelope',
      [ANNOTATION_BUNDLE_PREDICATE_TYPE]: predicateType,
      'org.opencontainers.image.created': created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
  const bytes = Buffer.from(goJSON(manifest), 'utf8');
  return { bytes, digest: sha256Digest(bytes) };
}
