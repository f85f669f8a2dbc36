/**
 * Microsoft Entra and ACR refusals as errors that say what to fix. Entra answers `{error, error_description:
 * "AADSTS<n>: …"}`; the AADSTS number picks the hint. Only the service's description is quoted, with every secret
 * scrubbed; the library's error object (which may hold the request) is never attached.
 */
import { D2Error } from '../../../errors.js';
import type { SecretScrubber } from '../shared/cloud.js';

export interface AzureErrorContext {
  registry: string;
  clientId: string;
  tenantId: string;
  /** Claims of this run's OIDC token. */
  sub?: string;
  issuer?: string;
  scrubber: SecretScrubber;
}

function text(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const o = e as { message?: unknown; errorMessage?: unknown; errorResponse?: { errorDescription?: unknown }; cause?: unknown };
    for (const v of [o.errorResponse?.errorDescription, o.errorMessage, o.message]) if (typeof v === 'string' && v && !parts.includes(v)) parts.push(v);
    e = o.cause;
  }
  return parts.join(' ');
}

export function entraError(err: unknown, c: AzureErrorContext): D2Error {
  if (err instanceof D2Error) return err;
  const all = text(err);
  const aadsts = /AADSTS(\d+)/.exec(all)?.[1];
  // The service's own sentence, without MSAL's wrapping and the trace/correlation ids.
  const said = c.scrubber.scrub((/AADSTS\d+:[^\n]*?(?= Trace ID:|$)/m.exec(all)?.[0] ?? all).trim()).slice(0, 500);
  const msg = `Microsoft Entra token request (client credentials with the OIDC token as client assertion) for ${c.registry} failed: ${said || 'no answer'}`;
  const federated = `add a federated credential to app ${c.clientId}: az ad app federated-credential create --id ${c.clientId} --parameters '{"name":"d2-actions","issuer":"${c.issuer ?? 'https://token.actions.githubusercontent.com'}","subject":"${c.sub ?? '<sub claim>'}","audiences":["api://AzureADTokenExchange"]}'`;
  switch (aadsts) {
    case '70021':
    case '700211':
    case '700212':
    case '700213':
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: federated });
    case '700024':
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: 'the OIDC token expired before the exchange: re-run the job (and check the runner clock)' });
    case '700016':
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: `check azure-client-id: no application ${c.clientId} in tenant ${c.tenantId} (az ad app show --id ${c.clientId})` });
    case '90002':
    case '900023':
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: `check azure-tenant-id '${c.tenantId}' (az account show --query tenantId)` });
    case undefined:
      if (/ECONN|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|abort|timed? ?out|socket|certificate|self.signed|endpoints_resolution_error/i.test(all)) {
        return new D2Error(`Microsoft Entra token request for ${c.registry} failed: the authority did not answer (${said || 'no answer'})`, { code: 'REGISTRY_NETWORK', hint: 'check the network path to Microsoft Entra (proxy settings, AZURE_AUTHORITY_HOST) and re-run the job' });
      }
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: 'check azure-client-id, azure-tenant-id and the app registration\'s federated credential' });
    default:
      return new D2Error(msg, { code: 'REGISTRY_UNAUTHORIZED', hint: `${federated}; and check azure-client-id and azure-tenant-id` });
  }
}

/** The `AcrPush` role assignment that lets the identity push to the registry. */
export function acrPushHint(registry: string, clientId: string): string {
  const name = /^([^.]+)\.azurecr\./i.exec(registry)?.[1] ?? '<registry name>';
  return `assign the AcrPush role on the registry to ${clientId}: az role assignment create --assignee ${clientId} --role AcrPush --scope $(az acr show --name ${name} --query id --output tsv)`;
}
