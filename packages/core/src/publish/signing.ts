/**
 * The signing half of the composition root (wire.ts): the keyless signer, the attestor (attestations carry the
 * signature's identity) and the verifier of the new signature. Only wire.ts loads this module, with `import()` when
 * signing is on, so that code only it reaches (the verifier, the attestations and the SBOM generator) is not loaded by
 * a run that does not sign. Keep it that way: no static import of this module.
 */
import type { TrustMaterial } from '@sigstore/verify';
import { Attestor, resolveProvenanceBuilder, type AttestationConfig, type SbomGenerator } from '../attest/index.js';
import type { Logger, RegistryClient } from '../oci/index.js';
import type { IdentityProvider } from '../oidc/index.js';
import { buildSbom } from '../sbom/index.js';
import { ArtifactSigner, exactRegExp } from '../sign/index.js';
import { loadTrust, verifyArtifact } from '../verify/index.js';
import type { SigningConfig } from './config.js';
import type { DigestAttestor, DigestSigner, DigestVerifier } from './types.js';

/** What the signer needs from the caller (a subset of wire.ts's PublishDeps). */
export interface SigningDeps {
  env: Record<string, string | undefined>;
  logger: Logger;
  identity?: IdentityProvider;
  /** The SBOM generator (default: the sbom domain's, whose CycloneDX library loads only when a document is made). */
  sbom?: SbomGenerator;
}

/**
 * The signer, the attestor when attestations are asked for, and unless turned off the verifier. What can be refused
 * is refused now, before anything is pushed: provenance outside a CI it can describe, an unreadable trusted root.
 */
export async function wireSigning(
  client: RegistryClient,
  signing: SigningConfig,
  attestations: AttestationConfig | undefined,
  deps: SigningDeps,
): Promise<{ signer: DigestSigner; verifier?: DigestVerifier; attestor?: DigestAttestor }> {
  const { logger } = deps;
  const provenance = attestations?.types.includes('provenance') ? resolveProvenanceBuilder(deps.env) : undefined;
  const signer = new ArtifactSigner({
    registry: client,
    fulcioURL: signing.fulcioURL,
    rekorURL: signing.rekorURL,
    tsaURL: signing.tsaURL,
    format: signing.format,
    identityProvider: deps.identity,
    logger,
    env: deps.env,
  });
  if (signing.trustedRoot && (signing.verifyAfterSign || attestations)) await loadTrust(signing.trustedRoot);
  let trust: Promise<TrustMaterial> | undefined;
  const attestor = attestations
    ? new Attestor({
        config: attestations,
        signer,
        registry: client,
        identity: deps.identity as IdentityProvider,
        provenance,
        sbom: deps.sbom ?? buildSbom,
        trust: () => (trust ??= loadTrust(signing.trustedRoot).then((t) => t.material)),
        verifyAfterAttest: signing.verifyAfterSign,
      })
    : undefined;
  if (!signing.verifyAfterSign) return { signer, ...(attestor ? { attestor } : {}) };
  const verifier: DigestVerifier = async (repo, digest, signed) => {
    await verifyArtifact({
      registry: client,
      repo,
      digest,
      identity: { subjectRegExp: exactRegExp(signed.certificateIdentity), issuerRegExp: exactRegExp(signed.certificateOidcIssuer) },
      trustedRoot: signing.trustedRoot,
    });
    logger.info(`verified the new signature of ${repo.registry}/${repo.repository}@${digest} as Flux would (identity ${signed.certificateIdentity})`);
  };
  return { signer, verifier, ...(attestor ? { attestor } : {}) };
}
