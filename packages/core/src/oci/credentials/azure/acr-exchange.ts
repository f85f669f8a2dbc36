/**
 * ACR's `/oauth2/exchange`: a Microsoft Entra access token for an ACR refresh token, the password docker uses with
 * the user name 00000000-0000-0000-0000-000000000000 (https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md).
 *
 * Written by hand because no well-kept library offers it: @azure/identity stops at the Entra token, and
 * @azure/container-registry performs the exchange only inside its own REST client (not exported), for its own
 * requests; the exchange is one documented form POST.
 */
import { D2Error } from '../../../errors.js';
import { isLoopback } from '../../../base/index.js';
import { requestTimeoutMs, type SecretScrubber } from '../shared/cloud.js';
import type { TimeBudget } from '../../../util/index.js';
import { acrPushHint } from './errors.js';

export async function acrRefreshToken(registry: string, tenantId: string, clientId: string, accessToken: string, scrubber: SecretScrubber, budget?: TimeBudget): Promise<string> {
  // ACR is https; plain http only for a loopback registry (a local stand-in), as the registry client allows.
  const url = `${isLoopback(registry) ? 'http' : 'https'}://${registry}/oauth2/exchange`;
  const body = new URLSearchParams({ grant_type: 'access_token', service: registry, tenant: tenantId, access_token: accessToken });
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(requestTimeoutMs(budget)),
    });
    text = (await res.text()).slice(0, 64 * 1024);
  } catch (e) {
    const why = e instanceof Error && e.name === 'TimeoutError' ? 'no answer in time' : 'no answer';
    throw new D2Error(`ACR token exchange at ${registry} failed: ${why}`, { code: 'REGISTRY_NETWORK', hint: `check that ${registry} is reachable from the runner (proxy settings) and re-run the job` });
  }
  let parsed: { refresh_token?: unknown; errors?: { code?: unknown; message?: unknown }[] } = {};
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    // Not JSON: reported below by status.
  }
  if (res.status === 200 && typeof parsed.refresh_token === 'string' && parsed.refresh_token) {
    scrubber.add(parsed.refresh_token);
    return parsed.refresh_token;
  }
  const said = scrubber.scrub(parsed.errors?.map((e) => String(e.message ?? e.code ?? '')).join('; ') || `HTTP ${res.status}`).slice(0, 500);
  if (res.status === 401 || res.status === 403) {
    throw new D2Error(`ACR token exchange at ${registry} refused the identity ${clientId}: ${said}`, { code: 'REGISTRY_UNAUTHORIZED', hint: acrPushHint(registry, clientId) });
  }
  if (res.status === 404) {
    throw new D2Error(`ACR token exchange at ${registry} failed: ${said}`, { code: 'REGISTRY_NOT_FOUND', hint: `is ${registry} an Azure Container Registry? Use provider azure only for *.azurecr.io (and the sovereign-cloud suffixes)` });
  }
  throw new D2Error(`ACR token exchange at ${registry} failed: ${said}`, {
    code: res.status >= 500 ? 'REGISTRY_SERVER_ERROR' : 'REGISTRY_PROTOCOL',
    hint: res.status >= 500 ? 'ACR had a problem: re-run the job' : 'the exchange returned no refresh token; check the registry name',
  });
}
