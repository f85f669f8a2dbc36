/**
 * The azure registry provider (Azure Container Registry): basic auth `00000000-0000-0000-0000-000000000000:<ACR
 * refresh token>` from the workflow's OIDC token (Microsoft Entra workload identity federation, then ACR's token
 * exchange), or from the Azure environment credentials (docs/cloud-registries.md "Azure Container
 * Registry").
 */
import type { CloudCredentialFactory } from '../../../base/index.js';
import { oncePerRegistry, SecretScrubber } from '../shared/cloud.js';
import { acrRefreshToken } from './acr-exchange.js';
import { entraAccessToken } from './entra.js';
import { planAzure } from './inputs.js';

/** ACR's documented user name for a refresh token. */
export const ACR_REFRESH_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';
export { AZURE_CLOUDS, azureCloudFor } from './inputs.js';
export type { AzureCloud } from './inputs.js';

export const azureCredentials: CloudCredentialFactory = (ctx) => {
  const plan = planAzure(ctx);
  return oncePerRegistry(ctx.registry, async () => {
    const scrubber = new SecretScrubber(ctx.mask);
    const { clientId, tenantId } = plan.identity;
    const errCtx = { registry: ctx.registry, clientId, tenantId, scrubber };
    const accessToken = await entraAccessToken(plan, errCtx, scrubber, ctx.budget);
    const refresh = await acrRefreshToken(ctx.registry, tenantId, clientId, accessToken, scrubber, ctx.budget);
    return { username: ACR_REFRESH_TOKEN_USERNAME, password: refresh };
  });
};
