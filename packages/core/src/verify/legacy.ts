/**
 * Offline verification of one cosign legacy `.sig` layer, as `cosign verify` and Flux do it (docs/signing.md,
 * "Decisions"): payload digest claim, SET with a trusted Rekor key selected by logID and the Rekor body against the
 * annotations, certificate validity at integratedTime, chain to a trusted Fulcio root, embedded SCT, ECDSA signature
 * over the payload, identity policy with RE2.
 *
 * The cosign-specific comparisons are done here so that every failure names its check; chain, SCT and signature are
 * delegated to `@sigstore/verify` by mapping the layer into a v0.1 messageSignature bundle, which sigstore-js
 * cannot read from the `.sig` layout itself.
 */
import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier, type TrustMaterial } from '@sigstore/verify';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_RFC3161,
  ANNOTATION_SIGNATURE,
  certificateIdentity,
  matchIdentity,
  parseCertificate,
  pemToDer,
  sha256Digest,
  type Descriptor,
  type IdentityPolicy,
} from '../base/index.js';
import { VerificationFailure } from './errors.js';

export interface LegacyVerifyOptions {
  /** The manifest digest that must be signed (`sha256:<hex>`). */
  digest: string;
  trust: TrustMaterial;
  identity: IdentityPolicy;
  /** cosign CLI's claim check (payload `docker-manifest-digest` == digest). Flux skips it, so only cosign catches a wrong payload; default true. */
  checkClaims?: boolean;
}

export interface VerifiedSignature {
  format: 'legacy' | 'bundle';
  identity: string;
  issuer: string;
  logIndex: number;
  integratedTime: number;
}

interface ParsedRekorBundle {
  set: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
}

/** Verifies one `.sig` layer (descriptor with annotations) and its payload blob. Throws a VerificationFailure. */
export function verifyLegacyLayer(layer: Descriptor, payload: Buffer, opts: LegacyVerifyOptions): VerifiedSignature {
  const ann = layer.annotations ?? {};
  const sigB64 = ann[ANNOTATION_SIGNATURE];
  if (!sigB64) throw new VerificationFailure('signature-annotation', `layer ${layer.digest} has no ${ANNOTATION_SIGNATURE} annotation`);

  const payloadDigest = sha256Digest(payload);
  if (payloadDigest !== layer.digest) {
    throw new VerificationFailure('payload-digest', `payload hashes to ${payloadDigest}, the layer says ${layer.digest}`);
  }
  if (opts.checkClaims ?? true) checkPayloadClaims(payload, opts.digest);

  const certPem = ann[ANNOTATION_CERTIFICATE];
  if (!certPem) throw new VerificationFailure('certificate', 'no certificate annotation (keyless signatures carry the Fulcio leaf)');
  let certDer: Buffer;
  try {
    certDer = pemToDer(certPem);
  } catch (err) {
    throw new VerificationFailure('certificate', 'the certificate annotation is not PEM', { cause: err });
  }
  const cert = parseCertificate(certDer);

  const rb = parseRekorBundle(ann[ANNOTATION_BUNDLE]);
  verifySET(rb, opts.trust);
  checkTlogBody(rb.body, { payload, sigB64, certDer });

  const when = new Date(rb.integratedTime * 1000);
  if (when < cert.notBefore || when > cert.notAfter) {
    throw new VerificationFailure(
      'certificate-expiry',
      `Rekor integrated the entry at ${when.toISOString()}, outside the certificate's validity ${cert.notBefore.toISOString()} – ${cert.notAfter.toISOString()}`,
      { hint: 'Fulcio certificates last 10 minutes; the signature must be logged while the certificate is valid' },
    );
  }

  const signature = Buffer.from(sigB64, 'base64');
  if (!cryptoVerify('sha256', payload, createPublicKey({ key: cert.publicKey, format: 'der', type: 'spki' }), signature)) {
    throw new VerificationFailure('signature', 'the ECDSA signature does not verify over the payload with the certificate key');
  }

  // Chain to a trusted Fulcio root at integratedTime, embedded SCT, and (again) SET/body/signature, by sigstore-js.
  const bundle = bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      x509CertificateChain: { certificates: [{ rawBytes: certDer.toString('base64') }] },
      tlogEntries: [
        {
          logIndex: String(rb.logIndex),
          logId: { keyId: Buffer.from(rb.logID, 'hex').toString('base64') },
          kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
          integratedTime: String(rb.integratedTime),
          inclusionPromise: { signedEntryTimestamp: rb.set },
          canonicalizedBody: rb.body,
        },
      ],
      timestampVerificationData: rfc3161(ann[ANNOTATION_RFC3161]),
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: createHash('sha256').update(payload).digest('base64') },
      signature: sigB64,
    },
  });
  runSigstoreVerifier(opts.trust, () => toSignedEntity(bundle, payload));

  const id = matchIdentityOrFail(certificateIdentity(cert), opts.identity);
  return { format: 'legacy', identity: id.identity, issuer: id.issuer, logIndex: rb.logIndex, integratedTime: rb.integratedTime };
}

function checkPayloadClaims(payload: Buffer, digest: string): void {
  let p: { critical?: { image?: { 'docker-manifest-digest'?: unknown }; type?: unknown } };
  try {
    p = JSON.parse(payload.toString('utf8')) as typeof p;
  } catch (err) {
    throw new VerificationFailure('payload-claims', 'the payload is not JSON', { cause: err });
  }
  const claimed = p.critical?.image?.['docker-manifest-digest'];
  if (claimed !== digest) {
    throw new VerificationFailure('payload-claims', `the payload signs ${String(claimed)}, not ${digest}`, {
      hint: 'this signature belongs to another manifest digest',
    });
  }
  if (p.critical?.type !== 'cosign container image signature') {
    throw new VerificationFailure('payload-claims', `unexpected payload type ${String(p.critical?.type)}`);
  }
}

function parseRekorBundle(value: string | undefined): ParsedRekorBundle {
  if (!value) {
    throw new VerificationFailure('rekor-bundle', `no ${ANNOTATION_BUNDLE} annotation`, {
      hint: 'offline verification needs the Rekor bundle annotation (cosign would search Rekor online)',
    });
  }
  let b: { SignedEntryTimestamp?: unknown; Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown } };
  try {
    b = JSON.parse(value) as typeof b;
  } catch (err) {
    throw new VerificationFailure('rekor-bundle', 'the bundle annotation is not JSON', { cause: err });
  }
  const p = b.Payload ?? {};
  // Same strictness as Go's json.Unmarshal into cosign's RekorBundle: body a string, integers JSON numbers.
  if (typeof p.body !== 'string') throw new VerificationFailure('rekor-bundle', 'bundle payload body is not a string');
  if (typeof p.integratedTime !== 'number' || !Number.isInteger(p.integratedTime)) throw new VerificationFailure('rekor-bundle', 'integratedTime is not a JSON integer');
  if (typeof p.logIndex !== 'number' || !Number.isInteger(p.logIndex)) throw new VerificationFailure('rekor-bundle', 'logIndex is not a JSON integer');
  if (typeof p.logID !== 'string' || !/^[0-9a-f]{64}$/.test(p.logID)) throw new VerificationFailure('rekor-bundle', 'logID is not lowercase hex');
  if (typeof b.SignedEntryTimestamp !== 'string') throw new VerificationFailure('rekor-bundle', 'SignedEntryTimestamp is missing');
  return { set: b.SignedEntryTimestamp, body: p.body, integratedTime: p.integratedTime, logIndex: p.logIndex, logID: p.logID };
}

/** cosign `VerifySET`: ECDSA over canonical {body, integratedTime, logID, logIndex} with the Rekor key named by logID. */
function verifySET(rb: ParsedRekorBundle, trust: TrustMaterial): void {
  const logID = Buffer.from(rb.logID, 'hex');
  const when = new Date(rb.integratedTime * 1000);
  const keys = trust.tlogs.filter((t) => t.logID.equals(logID));
  if (!keys.length) {
    throw new VerificationFailure('rekor-set', `no trusted Rekor key has log ID ${rb.logID}`, {
      hint: 'the signature was logged in a Rekor instance the trusted root does not list (pass its trusted_root.json)',
    });
  }
  const valid = keys.filter((t) => t.validFor.start <= when && when <= t.validFor.end);
  if (!valid.length) throw new VerificationFailure('rekor-set', `the Rekor key ${rb.logID} was not valid at ${when.toISOString()}`);
  const canonical = Buffer.from(JSON.stringify({ body: rb.body, integratedTime: rb.integratedTime, logID: rb.logID, logIndex: rb.logIndex }), 'utf8');
  const set = Buffer.from(rb.set, 'base64');
  if (!valid.some((t) => cryptoVerify('sha256', canonical, t.publicKey, set))) {
    throw new VerificationFailure('rekor-set', 'the signed entry timestamp does not verify with the trusted Rekor key');
  }
}

/** cosign compares the SET-covered body with the layer: hash of the payload, signature string, certificate DER. */
function checkTlogBody(bodyB64: string, l: { payload: Buffer; sigB64: string; certDer: Buffer }): void {
  let body: {
    kind?: string;
    apiVersion?: string;
    spec?: { data?: { hash?: { algorithm?: string; value?: string } }; signature?: { content?: string; publicKey?: { content?: string } } };
  };
  try {
    body = JSON.parse(Buffer.from(bodyB64, 'base64').toString('utf8')) as typeof body;
  } catch (err) {
    throw new VerificationFailure('tlog-body', 'the Rekor entry body is not base64 JSON', { cause: err });
  }
  if (body.kind !== 'hashedrekord') throw new VerificationFailure('tlog-body', `Rekor entry kind ${String(body.kind)}, expected hashedrekord`);
  const hash = body.spec?.data?.hash;
  const want = createHash('sha256').update(l.payload).digest('hex');
  if (hash?.algorithm !== 'sha256' || hash.value !== want) {
    throw new VerificationFailure('tlog-body', `the Rekor entry logs hash ${String(hash?.value)}, the payload hashes to ${want}`);
  }
  if (body.spec?.signature?.content !== l.sigB64) {
    throw new VerificationFailure('tlog-body', 'the Rekor entry logs another signature than the layer annotation');
  }
  const logged = body.spec?.signature?.publicKey?.content;
  let loggedDer: Buffer | undefined;
  try {
    loggedDer = logged ? pemToDer(Buffer.from(logged, 'base64').toString('utf8')) : undefined;
  } catch {
    loggedDer = undefined;
  }
  if (!loggedDer || !loggedDer.equals(l.certDer)) {
    throw new VerificationFailure('tlog-body', 'the Rekor entry logs another certificate than the layer annotation');
  }
}

function rfc3161(value: string | undefined): { rfc3161Timestamps: { signedTimestamp: string }[] } | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as { SignedRFC3161Timestamp?: unknown };
    if (typeof v.SignedRFC3161Timestamp === 'string') return { rfc3161Timestamps: [{ signedTimestamp: v.SignedRFC3161Timestamp }] };
  } catch {
    /* fall through */
  }
  throw new VerificationFailure('timestamp', 'the rfc3161timestamp annotation is malformed');
}

/** Runs @sigstore/verify and maps its error codes to our checks. */
export function runSigstoreVerifier(trust: TrustMaterial, entity: () => ReturnType<typeof toSignedEntity>): void {
  try {
    new Verifier(trust).verify(entity());
  } catch (err) {
    if (err instanceof VerificationFailure) throw err;
    const code = (err as { code?: string }).code ?? '';
    const cause = (err as { cause?: unknown }).cause;
    const detail = `${err instanceof Error ? err.message : String(err)}${cause instanceof Error ? `: ${cause.message}` : ''}`;
    if (code === 'CERTIFICATE_ERROR') {
      const check = /sct/i.test(detail) ? 'sct' : 'certificate-chain';
      throw new VerificationFailure(check, detail, {
        cause: err,
        hint: check === 'sct' ? 'the certificate has no SCT from a trusted CT log' : 'the certificate does not chain to a trusted Fulcio root (wrong trusted root?)',
      });
    }
    if (code === 'SIGNATURE_ERROR') throw new VerificationFailure('signature', detail, { cause: err });
    if (code === 'TLOG_BODY_ERROR') throw new VerificationFailure('tlog-body', detail, { cause: err });
    if (code.startsWith('TLOG')) throw new VerificationFailure('rekor-set', detail, { cause: err });
    if (code === 'TIMESTAMP_ERROR') throw new VerificationFailure('timestamp', detail, { cause: err });
    throw new VerificationFailure('bundle-format', detail, { cause: err });
  }
}

export function matchIdentityOrFail(id: ReturnType<typeof certificateIdentity>, policy: IdentityPolicy): { identity: string; issuer: string } {
  try {
    return matchIdentity(id, policy);
  } catch (err) {
    if ((err as { code?: string }).code === 'INPUT_INVALID') throw err;
    throw new VerificationFailure('identity', err instanceof Error ? err.message.replace(/^signature verification failed \[identity\]: /, '') : String(err), {
      cause: err,
      hint: (err as { hint?: string }).hint,
    });
  }
}
