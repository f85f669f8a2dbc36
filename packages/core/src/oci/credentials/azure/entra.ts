/**
 * The Microsoft Entra access token for ACR's exchange, through @azure/identity (loaded only when an azure registry is
 * used): ClientAssertionCredential with the run's OIDC token (audience api://AzureADTokenExchange) as the client
 * assertion, or the environment credentials (WorkloadIdentityCredential, ClientSecretCredential). Every option is
 * passed explicitly (the library never reads the environment here); a host that is not a known cloud's gets
 * `disableInstanceDiscovery`, the library's option for authorities it does not know.
 */
import { oidcSourceError, requestTimeoutMs, tokenClaims, type SecretScrubber } from '../shared/cloud.js';
import type { TimeBudget } from '../../../util/index.js';
import { entraError, type AzureErrorContext } from './errors.js';
import type { AzurePlan } from './inputs.js';

export const AZURE_TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export async function entraAccessToken(plan: AzurePlan, errCtx: AzureErrorContext, scrubber: SecretScrubber, budget?: TimeBudget): Promise<string> {
  const id = await import('@azure/identity');
  const options = { authorityHost: plan.authorityHost, disableInstanceDiscovery: plan.disableInstanceDiscovery };
  const identity = plan.identity;
  let sourceFailure: unknown;
  let credential: { getToken(scopes: string, o: { abortSignal: AbortSignal }): Promise<{ token: string } | null> };
  if (identity.kind === 'oidc') {
    let oidcToken: string | undefined;
    credential = new id.ClientAssertionCredential(
      identity.tenantId,
      identity.clientId,
      async () => {
        try {
          oidcToken ??= await identity.idToken(AZURE_TOKEN_EXCHANGE_AUDIENCE);
        } catch (e) {
          sourceFailure = e;
          throw e;
        }
        scrubber.add(oidcToken);
        const claims = tokenClaims(oidcToken);
        errCtx.sub = claims.sub;
        errCtx.issuer = claims.iss;
        return oidcToken;
      },
      options,
    );
  } else if (identity.kind === 'federated-token-file') {
    credential = new id.WorkloadIdentityCredential({ ...options, tenantId: identity.tenantId, clientId: identity.clientId, tokenFilePath: identity.tokenFile });
  } else {
    scrubber.add(identity.secret);
    credential = new id.ClientSecretCredential(identity.tenantId, identity.clientId, identity.secret, options);
  }
  let token: string | undefined;
  try {
    token = (await credential.getToken(plan.cloud.armScope, { abortSignal: AbortSignal.timeout(requestTimeoutMs(budget)) }))?.token;
  } catch (e) {
    if (sourceFailure !== undefined) throw oidcSourceError(sourceFailure, scrubber);
    throw entraError(e, errCtx);
  }
  if (!token) throw entraError(new Error('Microsoft Entra returned no access token'), errCtx);
  scrubber.add(token);
  return token;
}
