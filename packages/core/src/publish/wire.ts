/**
 * The composition root of publishing, used by the actions (action/publish.ts) and the CLI alike: from a PublishConfig
 * and the caller's environment, the registry client, the keyless signer and the post-sign verifier.
 */
import { InputError } from '../errors.js';
import { RegistryClient, type CredentialProvider, type Logger } from '../oci/index.js';
import type { IdentityProvider } from '../oidc/index.js';
import { ArtifactSigner, exactRegExp } from '../sign/index.js';
import type { TimeBudget } from '../util/index.js';
import { loadTrust, verifyArtifact } from '../verify/index.js';
import type { PublishConfig } from './config.js';
import type { DigestSigner, DigestVerifier } from './types.js';

type Env = Record<string, string | undefined>;

export interface PublishDeps {
  env: Env;
  logger: Logger;
  credentials: CredentialProvider;
  budget: TimeBudget;
  /** The OIDC token source (oidc resolveIdentityProvider); needed only when signing. */
  identity?: IdentityProvider;
  /** The error when signing is on and no identity is available (its hint names the caller's own switch). */
  missingIdentity?: () => Error;
}

export interface PublishWiring {
  client: RegistryClient;
  signer?: DigestSigner;
  verifier?: DigestVerifier;
}

function defaultMissingIdentity(): Error {
  return new InputError('keyless signing needs an OIDC identity token, and none is available', 'set SIGSTORE_ID_TOKEN, or run inside GitHub Actions with `permissions: id-token: write`');
}

/**
 * The client, and with signing the signer and (unless turned off) the verifier. Everything that can be refused is
 * refused here, before anything is pushed: no OIDC identity, a bad Sigstore URL or signature format, an unreadable
 * trusted root.
 */
export async function wirePublish(config: PublishConfig, deps: PublishDeps): Promise<PublishWiring> {
  const { logger } = deps;
  const signing = config.signing;
  if (signing && !deps.identity) throw (deps.missingIdentity ?? defaultMissingIdentity)();
  const client = new RegistryClient({ credentials: deps.credentials, logger, budget: deps.budget, ...(config.insecure?.length ? { insecure: config.insecure } : {}) });
  if (!signing) return { client };
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
  if (!signing.verifyAfterSign) return { client, signer };
  if (signing.trustedRoot) await loadTrust(signing.trustedRoot);
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
  return { client, signer, verifier };
}
