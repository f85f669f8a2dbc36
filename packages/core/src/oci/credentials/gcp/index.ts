/**
 * The gcp registry provider (Artifact Registry, Container Registry): basic auth `oauth2accesstoken:<access token>`
 * from the workflow's OIDC token through workload identity federation, or from GOOGLE_APPLICATION_CREDENTIALS
 * (docs/cloud-registries.md "Google Artifact Registry").
 */
import type { CloudCredentialFactory } from '../../../base/index.js';
import { oncePerRegistry, SecretScrubber } from '../shared/cloud.js';
import { gcpAccessToken } from './exchange.js';
import { planGcp } from './inputs.js';

/** Artifact Registry's documented user name for an OAuth access token. */
export const GCP_REGISTRY_USERNAME = 'oauth2accesstoken';
export { GCP_IAMCREDENTIALS_URL_ENV, GCP_STS_URL_ENV, WORKLOAD_IDENTITY_PROVIDER_RE } from './inputs.js';

export const gcpCredentials: CloudCredentialFactory = (ctx) => {
  const plan = planGcp(ctx);
  return oncePerRegistry(ctx.registry, async () => {
    const password = await gcpAccessToken(plan, ctx.registry, new SecretScrubber(ctx.mask), ctx.budget);
    return { username: GCP_REGISTRY_USERNAME, password };
  });
};
