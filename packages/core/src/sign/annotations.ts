/**
 * Mapping between a sigstore-js messageSignature bundle (hashedrekord on Rekor v1) and the cosign `.sig` layer
 * annotations (docs/signing.md, "The legacy `.sig` image"): the signature copied as is, the leaf certificate as PEM, an
 * empty chain, and the Rekor bundle with the body kept as its base64 string, the integers as JSON numbers and the log
 * ID as lowercase hex, as Go's cosign parses them.
 */
import type { SerializedBundle } from '@sigstore/bundle';
import { D2Error } from '../errors.js';
import {
  ANNOTATION_PREDICATE_TYPE,
  DSSE_ENVELOPE_MEDIA_TYPE,
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_RFC3161,
  ANNOTATION_SIGNATURE,
  certificatePem,
} from '../base/index.js';
import { goJSON, rekorBundleJSON, type SignatureLayer } from './cosign.js';

/** The four (or five, with a TSA) layer annotations cosign writes for a keyless signature. */
export function cosignAnnotationsFromBundle(bundle: SerializedBundle): Record<string, string> {
  if (!bundle.messageSignature) {
    throw new D2Error('internal: the legacy .sig format needs a messageSignature bundle', { code: 'SIGNING_FAILED' });
  }
  const vm = bundle.verificationMaterial;
  const leafB64 = vm.x509CertificateChain?.certificates[0]?.rawBytes ?? vm.certificate?.rawBytes;
  if (!leafB64) throw new D2Error('the signing bundle has no certificate (keyless signing expected)', { code: 'SIGNING_FAILED' });
  return { [ANNOTATION_SIGNATURE]: bundle.messageSignature.signature, ...keylessAnnotations(vm, leafB64, '.sig', '') };
}

/**
 * The annotations a `.sig` or `.att` layer carries after its signature: the leaf certificate as PEM, the empty chain,
 * the Rekor bundle of the first transparency log entry (which must have a SET: only Rekor API v1 gives one, named in
 * the error as the need of the `format`; `whose` qualifies the entry in it), and the RFC 3161 timestamp when the bundle
 * has one.
 */
function keylessAnnotations(vm: SerializedBundle['verificationMaterial'], leafB64: string, format: '.sig' | '.att', whose: string): Record<string, string> {
  const entry = vm.tlogEntries[0];
  if (!entry?.inclusionPromise) {
    throw new D2Error(`the transparency log entry${whose} has no signed entry timestamp (SET)`, {
      code: 'SIGNING_FAILED',
      hint: `the legacy ${format} format needs Rekor API v1 (e.g. https://rekor.sigstore.dev); Rekor v2 has no SET`,
    });
  }
  const annotations: Record<string, string> = {
    [ANNOTATION_CERTIFICATE]: certificatePem(Buffer.from(leafB64, 'base64')),
    // FulcioSigner drops the chain; cosign v3 writes "" and every verifier tolerates it. Never the leaf.
    [ANNOTATION_CHAIN]: '',
    [ANNOTATION_BUNDLE]: rekorBundleJSON({
      SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
      Payload: {
        body: entry.canonicalizedBody,
        integratedTime: Number(entry.integratedTime),
        logIndex: Number(entry.logIndex),
        logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
      },
    }),
  };
  const ts = vm.timestampVerificationData?.rfc3161Timestamps?.[0]?.signedTimestamp;
  if (ts) annotations[ANNOTATION_RFC3161] = goJSON({ SignedRFC3161Timestamp: ts });
  return annotations;
}

/**
 * One layer of cosign's legacy `sha256-<hex>.att` image from a DSSE v0.3 bundle, as `cosign attest` writes it without
 * the new bundle format (docs/attestations.md, "The legacy `.att` image"): the payload is the DSSE envelope as Go's
 * encoding/json marshals the protobuf struct (`payload`, `payloadType`, `signatures[{sig, keyid?}]`), which is also the
 * exact envelope string Rekor hashed for the `dsse` entry (cosign compares sha256(payload) with its envelopeHash); the
 * signature annotation is "" (the signature is inside the envelope); certificate, chain and the Rekor bundle as for
 * `.sig`; plus `predicateType`.
 */
export function cosignAttestationLayer(bundle: SerializedBundle, predicateType: string): SignatureLayer {
  const env = bundle.dsseEnvelope;
  if (!env) throw new D2Error('internal: the legacy .att format needs a DSSE bundle', { code: 'SIGNING_FAILED' });
  const payload = Buffer.from(
    goJSON({
      payload: env.payload,
      payloadType: env.payloadType,
      signatures: env.signatures.map((s) => (s.keyid ? { sig: s.sig, keyid: s.keyid } : { sig: s.sig })),
    }),
    'utf8',
  );
  const cert = bundle.verificationMaterial.certificate?.rawBytes ?? bundle.verificationMaterial.x509CertificateChain?.certificates[0]?.rawBytes;
  if (!cert) throw new D2Error('the attestation bundle has no certificate (keyless signing expected)', { code: 'SIGNING_FAILED', hint: 'attestations are signed keylessly through Fulcio' });
  const annotations: Record<string, string> = {
    [ANNOTATION_PREDICATE_TYPE]: predicateType,
    [ANNOTATION_SIGNATURE]: '',
    ...keylessAnnotations(bundle.verificationMaterial, cert, '.att', ' of the attestation'),
  };
  return { payload, annotations, mediaType: DSSE_ENVELOPE_MEDIA_TYPE };
}
