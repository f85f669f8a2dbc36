/**
 * Verification of attestations attached as sigstore-bundle referrers (docs/attestations.md, "Verifying"): what
 * `cosign verify-attestation` (v3) checks — the bundle (tlog, chain, SCT, DSSE signature), the identity policy, the
 * manifest digest among the in-toto subjects — plus the statement's predicate type; returns the statement.
 */
import type { TrustMaterial } from '@sigstore/verify';
import { ANNOTATION_BUNDLE_PREDICATE_TYPE, assertDigest, compileRE2, OCI_MANIFEST_MEDIA_TYPE, type Descriptor, type IdentityPolicy, type Repository } from '../base/index.js';
import { D2Error } from '../errors.js';
import type { SignatureRegistry } from '../sign/index.js';
import { verifyBundleBytes } from './bundle.js';
import { VerificationFailure } from './errors.js';
import { loadTrust, type TrustedRootInput } from './trust.js';

export interface VerifiedAttestation {
  predicateType: string;
  predicate: unknown;
  /** The whole in-toto statement. */
  statement: Record<string, unknown>;
  identity: string;
  issuer: string;
  logIndex: number;
  /** Digest of the referrer manifest. */
  referrerDigest: string;
}

/** A sigstore-bundle referrer of a manifest: its digest, the predicate type it is annotated with, and the bundle bytes. */
export interface BundleReferrer {
  referrerDigest: string;
  /** `dev.sigstore.bundle.predicateType` of the referrer manifest (untrusted until verified). */
  predicateType?: string;
  bundle: Buffer;
}

/** Every one-layer sigstore-bundle referrer of `digest`, as cosign's GetBundles loads them (others are skipped). */
export async function bundleReferrers(registry: Pick<SignatureRegistry, 'referrers' | 'getManifest' | 'fetchBlob'>, repo: Repository, digest: string): Promise<BundleReferrer[]> {
  const out: BundleReferrer[] = [];
  for (const d of await registry.referrers(repo, digest)) {
    if (d.mediaType && d.mediaType !== OCI_MANIFEST_MEDIA_TYPE) continue;
    const m = await registry.getManifest(repo, d.digest);
    let manifest: { layers?: Descriptor[]; annotations?: Record<string, string> };
    try {
      manifest = JSON.parse(m.bytes.toString('utf8')) as typeof manifest;
    } catch {
      continue;
    }
    const layers = manifest.layers ?? [];
    if (layers.length !== 1 || !layers[0].mediaType.startsWith('application/vnd.dev.sigstore.bundle')) continue;
    out.push({ referrerDigest: d.digest, predicateType: manifest.annotations?.[ANNOTATION_BUNDLE_PREDICATE_TYPE], bundle: await registry.fetchBlob(repo, layers[0].digest) });
  }
  return out;
}

/** Verifies one attestation bundle for `digest` and returns its statement. Throws a VerificationFailure. */
export function verifyAttestationBundle(bytes: Buffer, opts: { digest: string; trust: TrustMaterial; identity: IdentityPolicy }): Omit<VerifiedAttestation, 'referrerDigest'> {
  const v = verifyBundleBytes(bytes, opts);
  const statement = statementOf(bytes);
  const predicateType = typeof statement.predicateType === 'string' ? statement.predicateType : '';
  return { predicateType, predicate: statement.predicate, statement, identity: v.identity, issuer: v.issuer, logIndex: v.logIndex };
}

function statementOf(bytes: Buffer): Record<string, unknown> {
  const b = JSON.parse(bytes.toString('utf8')) as { dsseEnvelope?: { payload?: string } };
  try {
    const st = JSON.parse(Buffer.from(b.dsseEnvelope?.payload ?? '', 'base64').toString('utf8')) as unknown;
    if (st && typeof st === 'object' && !Array.isArray(st)) return st as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new VerificationFailure('bundle-format', 'the DSSE payload is not an in-toto statement');
}

export interface VerifyAttestationOptions {
  registry: Pick<SignatureRegistry, 'referrers' | 'getManifest' | 'fetchBlob'>;
  repo: Repository;
  digest: string;
  /** Accepted predicate types (any one). */
  predicateTypes: string[];
  identity: IdentityPolicy;
  trustedRoot?: TrustedRootInput;
}

/**
 * The attestations of `digest` whose statement has one of `predicateTypes` and that verify under the identity policy.
 * Throws when none does: ATTESTATION_NOT_FOUND when no attestation of the type is attached (naming the types found),
 * else the VerificationFailure of the candidates.
 */
export async function verifyAttestations(opts: VerifyAttestationOptions): Promise<VerifiedAttestation[]> {
  assertDigest(opts.digest);
  compileRE2(opts.identity.subjectRegExp, 'the certificate identity regexp');
  compileRE2(opts.identity.issuerRegExp, 'the certificate OIDC issuer regexp');
  const { material: trust } = await loadTrust(opts.trustedRoot);
  const ref = `${opts.repo.registry}/${opts.repo.repository}@${opts.digest}`;
  const found = new Set<string>();
  const failures: VerificationFailure[] = [];
  const verified: VerifiedAttestation[] = [];
  for (const r of await bundleReferrers(opts.registry, opts.repo, opts.digest)) {
    let type: string;
    try {
      type = statementOf(r.bundle).predicateType as string;
    } catch {
      continue;
    }
    found.add(String(type));
    if (!opts.predicateTypes.includes(type)) continue;
    try {
      verified.push({ ...verifyAttestationBundle(r.bundle, { digest: opts.digest, trust, identity: opts.identity }), referrerDigest: r.referrerDigest });
    } catch (err) {
      if (!(err instanceof VerificationFailure)) throw err;
      failures.push(err);
    }
  }
  if (verified.length) return verified;
  if (failures.length === 0) {
    throw new D2Error(`no attestation of type ${opts.predicateTypes.join(' or ')} is attached to ${ref}${found.size ? ` (found: ${[...found].join(', ')})` : ''}`, {
      code: 'ATTESTATION_NOT_FOUND',
      hint: 'attest the artifact (push-artifact `attestations:`), or check --type',
    });
  }
  if (failures.length === 1) throw failures[0];
  const lines = failures.map((f, i) => `  attestation ${i + 1}: ${f.message}`).join('\n');
  throw new VerificationFailure(failures[0].check, `none of ${failures.length} attestations of ${ref} verifies:\n${lines}`, { hint: failures[0].hint });
}
