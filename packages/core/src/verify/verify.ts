/**
 * `verifyArtifact`: what `cosign verify` (v3) and Flux ≥ 2.8 check for an OCI artifact (docs/signing.md, "Who verifies
 * what"): the sigstore-bundle referrers first; if at least one exists, only they count (no fallback); otherwise every
 * layer of the legacy `sha256-<hex>.sig` is tried and one success suffices.
 */
import { assertDigest, compileRE2, signatureTag, type Descriptor, type IdentityPolicy, type Repository } from '../base/index.js';
import { manifestIfAny, type SignatureRegistry } from '../sign/index.js';
import { bundleReferrers } from './attestation.js';
import { verifyBundleBytes } from './bundle.js';
import { VerificationFailure } from './errors.js';
import { verifyLegacyLayer, type VerifiedSignature } from './legacy.js';
import { loadTrust, type TrustedRootInput } from './trust.js';

export interface VerifyArtifactOptions {
  registry: SignatureRegistry;
  repo: Repository;
  /** The manifest digest (`sha256:<hex>`). */
  digest: string;
  identity: IdentityPolicy;
  /** trusted_root.json object or path; default the public-good root via TUF. */
  trustedRoot?: TrustedRootInput;
  /** Only look at this format (default: bundle first, then legacy, as cosign v3 / Flux ≥ 2.8). */
  format?: 'legacy' | 'bundle';
}

export interface VerifyResult {
  verified: true;
  format: 'legacy' | 'bundle';
  identity: string;
  issuer: string;
  logIndex: number;
}

export async function verifyArtifact(opts: VerifyArtifactOptions): Promise<VerifyResult> {
  assertDigest(opts.digest);
  // Bad regexes are input errors: reject them before any request.
  compileRE2(opts.identity.subjectRegExp, 'the certificate identity regexp');
  compileRE2(opts.identity.issuerRegExp, 'the certificate OIDC issuer regexp');
  const { material: trust } = await loadTrust(opts.trustedRoot);
  const ref = `${opts.repo.registry}/${opts.repo.repository}@${opts.digest}`;
  const tag = signatureTag(opts.digest);
  // One GET, not a HEAD first: a missing tag is the registry's not-found error (SignatureRegistry.getManifest). Asked
  // while the bundles are looked up (a read only: it counts only when there is no bundle, as below).
  const sigManifest = opts.format === 'bundle' ? undefined : manifestIfAny(opts.registry, opts.repo, tag);
  sigManifest?.catch(() => undefined); // awaited below unless a bundle decides; not an unhandled rejection meanwhile

  if (opts.format !== 'legacy') {
    // cosign v3 falls back to .sig when the bundle lookup errors, not only when it finds none.
    const bundles = await findBundles(opts).catch((err: unknown) => {
      if (opts.format === 'bundle') throw err;
      return [] as Buffer[];
    });
    if (bundles.length) {
      const failures: VerificationFailure[] = [];
      for (const b of bundles) {
        try {
          return done(verifyBundleBytes(b, { digest: opts.digest, trust, identity: opts.identity }));
        } catch (err) {
          if (!(err instanceof VerificationFailure)) throw err;
          failures.push(err);
        }
      }
      throw summarise(ref, 'sigstore bundle referrer', failures);
    }
    if (opts.format === 'bundle') throw new VerificationFailure('no-signature', `no sigstore bundle referrer for ${ref}`);
  }

  const m = await sigManifest;
  if (!m) {
    throw new VerificationFailure('no-signature', `no signature found for ${ref} (no sigstore bundle referrer, no ${tag} tag)`, {
      hint: 'sign the artifact (push-artifact `sign: true`) before verifying',
    });
  }
  const layers = (JSON.parse(m.bytes.toString('utf8')) as { layers?: Descriptor[] }).layers ?? [];
  const failures: VerificationFailure[] = [];
  for (const layer of layers) {
    try {
      const payload = await opts.registry.fetchBlob(opts.repo, layer.digest);
      return done(verifyLegacyLayer(layer, payload, { digest: opts.digest, trust, identity: opts.identity }));
    } catch (err) {
      if (!(err instanceof VerificationFailure)) throw err;
      failures.push(err);
    }
  }
  throw summarise(ref, `${tag} layer`, failures);
}

function done(v: VerifiedSignature): VerifyResult {
  return { verified: true, format: v.format, identity: v.identity, issuer: v.issuer, logIndex: v.logIndex };
}

/**
 * cosign `GetBundles`: loads EVERY referrer and keeps the one-layer sigstore bundle manifests (`bundleReferrers`). The
 * listed artifactType is not a usable filter: cosign v3's own referrers appear in the fallback index with artifactType
 * `application/vnd.oci.empty.v1+json` (its config media type).
 */
async function findBundles(opts: VerifyArtifactOptions): Promise<Buffer[]> {
  return (await bundleReferrers(opts.registry, opts.repo, opts.digest)).map((b) => b.bundle);
}

function summarise(ref: string, what: string, failures: VerificationFailure[]): VerificationFailure {
  if (failures.length === 1) return failures[0];
  const first = failures[0];
  const lines = failures.map((f, i) => `  ${what} ${i + 1}: ${f.message}`).join('\n');
  return new VerificationFailure(first.check, `none of ${failures.length} signatures of ${ref} verifies:\n${lines}`, { hint: first.hint });
}
