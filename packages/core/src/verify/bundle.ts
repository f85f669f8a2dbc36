/**
 * Verification of a cosign v3 sigstore-bundle referrer (docs/signing.md, "The bundle referrer"): a v0.3 bundle
 * with a DSSE envelope whose in-toto statement lists the manifest digest as a subject, checked by `@sigstore/verify`
 * (tlog inclusion proof/SET, integrated time, chain, SCT, DSSE signature) plus the RE2 identity policy.
 */
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, type TrustMaterial } from '@sigstore/verify';
import { BUNDLE_V03_MEDIA_TYPE, certificateIdentity, IN_TOTO_PAYLOAD_TYPE, parseCertificate, type IdentityPolicy } from '../base/index.js';
import { VerificationFailure } from './errors.js';
import { matchIdentityOrFail, runSigstoreVerifier, type VerifiedSignature } from './legacy.js';

/** Media types cosign/sigstore-go accept as v0.3+ (`Bundle()` in cosign pkg/oci/remote/signatures.go). */
const V03_MEDIA_TYPES = new Set([BUNDLE_V03_MEDIA_TYPE, 'application/vnd.dev.sigstore.bundle+json;version=0.3']);

export function verifyBundleBytes(bytes: Buffer, opts: { digest: string; trust: TrustMaterial; identity: IdentityPolicy }): VerifiedSignature {
  let json: unknown;
  let bundle: Bundle;
  try {
    json = JSON.parse(bytes.toString('utf8'));
    bundle = bundleFromJSON(json);
  } catch (err) {
    throw new VerificationFailure('bundle-format', `not a valid Sigstore bundle: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!V03_MEDIA_TYPES.has(bundle.mediaType)) {
    throw new VerificationFailure('bundle-format', `bundle media type ${bundle.mediaType}; cosign needs v0.3 or later`);
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new VerificationFailure('bundle-format', 'bundle does not contain a DSSE envelope');
  }
  const vm = bundle.verificationMaterial.content;
  if (vm?.$case !== 'certificate') {
    throw new VerificationFailure('bundle-format', 'a v0.3 bundle must carry a single certificate (no x509CertificateChain, no public key)');
  }
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new VerificationFailure('bundle-format', `DSSE payload type ${env.payloadType}, expected ${IN_TOTO_PAYLOAD_TYPE}`);
  }
  checkSubject(Buffer.from(env.payload), opts.digest);

  runSigstoreVerifier(opts.trust, () => toSignedEntity(bundle));

  const cert = parseCertificate(Buffer.from(vm.certificate.rawBytes));
  const id = matchIdentityOrFail(certificateIdentity(cert), opts.identity);
  const entry = bundle.verificationMaterial.tlogEntries[0];
  return { format: 'bundle', identity: id.identity, issuer: id.issuer, logIndex: Number(entry?.logIndex ?? -1), integratedTime: Number(entry?.integratedTime ?? 0) };
}

function checkSubject(payload: Buffer, digest: string): void {
  let st: { subject?: { digest?: Record<string, string> }[] };
  try {
    st = JSON.parse(payload.toString('utf8')) as typeof st;
  } catch (err) {
    throw new VerificationFailure('subject-digest', 'the DSSE payload is not an in-toto statement', { cause: err });
  }
  const [alg, hex] = digest.split(':');
  if (!(st.subject ?? []).some((s) => s.digest?.[alg] === hex)) {
    throw new VerificationFailure('subject-digest', `the in-toto statement does not list ${digest} as a subject`, {
      hint: 'this bundle signs another manifest digest',
    });
  }
}
