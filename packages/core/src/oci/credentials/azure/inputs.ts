/**
 * The azure provider's inputs, checked before any request (docs/cloud-registries.md "Azure Container
 * Registry"): `azure-client-id` and `azure-tenant-id` with the run's OIDC token, or, with both inputs empty, the Azure
 * environment credentials (AZURE_CLIENT_ID and AZURE_TENANT_ID with AZURE_FEDERATED_TOKEN_FILE or AZURE_CLIENT_SECRET,
 * as @azure/identity's EnvironmentCredential and WorkloadIdentityCredential read them). IMDS is never probed.
 */
import { existsSync } from 'node:fs';
import { InputError, clip } from '../../../errors.js';
import { hostOf } from '../../../base/index.js';
import type { CloudCredentialContext } from '../../../base/index.js';

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_RE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+)$/i;

/** An Azure cloud: its registry suffix, Entra authority host and the ARM audience ACR's exchange accepts. */
export interface AzureCloud {
  name: string;
  registrySuffix: string;
  authorityHost: string;
  armScope: string;
}

/** The public cloud and the sovereign clouds (ACR suffixes as in the `auto` provider detection). */
export const AZURE_CLOUDS: readonly AzureCloud[] = [
  { name: 'AzurePublicCloud', registrySuffix: '.azurecr.io', authorityHost: 'https://login.microsoftonline.com', armScope: 'https://management.azure.com/.default' },
  { name: 'AzureChinaCloud', registrySuffix: '.azurecr.cn', authorityHost: 'https://login.chinacloudapi.cn', armScope: 'https://management.chinacloudapi.cn/.default' },
  { name: 'AzureUSGovernment', registrySuffix: '.azurecr.us', authorityHost: 'https://login.microsoftonline.us', armScope: 'https://management.usgovcloudapi.net/.default' },
  { name: 'AzureGermanCloud', registrySuffix: '.azurecr.de', authorityHost: 'https://login.microsoftonline.de', armScope: 'https://management.microsoftazure.de/.default' },
];

export type AzureIdentity =
  | { kind: 'oidc'; clientId: string; tenantId: string; idToken: (audience: string) => Promise<string> }
  | { kind: 'federated-token-file'; clientId: string; tenantId: string; tokenFile: string }
  | { kind: 'client-secret'; clientId: string; tenantId: string; secret: string };

export interface AzurePlan {
  identity: AzureIdentity;
  cloud: AzureCloud;
  /** AZURE_AUTHORITY_HOST, else the cloud's. */
  authorityHost: string;
  /** A host that is not a known cloud's: instance discovery (a request to the public cloud) is turned off. */
  disableInstanceDiscovery: boolean;
}

export function azureCloudFor(registry: string): AzureCloud {
  const host = hostOf(registry).toLowerCase();
  return AZURE_CLOUDS.find((c) => host.endsWith(c.registrySuffix)) ?? AZURE_CLOUDS[0];
}

function authorityHostFrom(env: CloudCredentialContext['env'], cloud: AzureCloud): string {
  const value = env.AZURE_AUTHORITY_HOST?.trim();
  if (!value) return cloud.authorityHost;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(`AZURE_AUTHORITY_HOST '${clip(value)}' is not a URL`, 'set it to an https URL such as https://login.microsoftonline.com, or unset it');
  }
  if (url.protocol !== 'https:') throw new InputError(`AZURE_AUTHORITY_HOST '${clip(value)}' is not https`, 'Microsoft Entra authorities are https URLs');
  return value.replace(/\/+$/, '');
}

function checkIds(clientId: string, tenantId: string, from: 'inputs' | 'environment'): void {
  const [c, t] = from === 'inputs' ? ['azure-client-id', 'azure-tenant-id'] : ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID'];
  if (!GUID_RE.test(clientId)) throw new InputError(`${c} '${clip(clientId)}' is not an application (client) ID`, `use the app registration's or managed identity's client ID, a GUID (az ad app show --id <app> --query appId)`);
  if (!TENANT_RE.test(tenantId)) throw new InputError(`${t} '${clip(tenantId)}' is not a tenant ID`, 'use the directory (tenant) ID, a GUID (az account show --query tenantId)');
}

export function planAzure(ctx: CloudCredentialContext): AzurePlan {
  const cloud = azureCloudFor(ctx.registry);
  const authorityHost = authorityHostFrom(ctx.env, cloud);
  const disableInstanceDiscovery = !AZURE_CLOUDS.some((c) => c.authorityHost === authorityHost);
  const clientId = ctx.inputs.azureClientId?.trim() ?? '';
  const tenantId = ctx.inputs.azureTenantId?.trim() ?? '';
  const plan = (identity: AzureIdentity): AzurePlan => ({ identity, cloud, authorityHost, disableInstanceDiscovery });

  if (clientId || tenantId) {
    if (!clientId) throw new InputError('azure-client-id is required with azure-tenant-id', 'set azure-client-id to the client ID of the app registration (or user-assigned managed identity) that has the federated credential');
    if (!tenantId) throw new InputError('azure-tenant-id is required with azure-client-id', 'set azure-tenant-id to the directory (tenant) ID of that app registration');
    checkIds(clientId, tenantId, 'inputs');
    if (!ctx.idToken) {
      throw new InputError(
        'azure-client-id is set, but this job cannot get an OIDC token',
        'add `permissions: id-token: write` to the job (outside GitHub Actions, configure an identity provider); or leave azure-client-id and azure-tenant-id empty and provide the Azure environment credentials',
      );
    }
    return plan({ kind: 'oidc', clientId, tenantId, idToken: ctx.idToken });
  }

  const envClient = ctx.env.AZURE_CLIENT_ID?.trim() ?? '';
  const envTenant = ctx.env.AZURE_TENANT_ID?.trim() ?? '';
  const tokenFile = ctx.env.AZURE_FEDERATED_TOKEN_FILE?.trim() ?? '';
  const secret = ctx.env.AZURE_CLIENT_SECRET ?? '';
  if (envClient && envTenant && (tokenFile || secret)) {
    checkIds(envClient, envTenant, 'environment');
    if (tokenFile) {
      if (!existsSync(tokenFile)) throw new InputError(`AZURE_FEDERATED_TOKEN_FILE points at '${clip(tokenFile)}', which does not exist`, 'point it at the projected service account token, or set azure-client-id and azure-tenant-id');
      return plan({ kind: 'federated-token-file', clientId: envClient, tenantId: envTenant, tokenFile });
    }
    ctx.mask(secret);
    return plan({ kind: 'client-secret', clientId: envClient, tenantId: envTenant, secret });
  }
  if (envClient && envTenant && ctx.idToken) {
    // azure/login's documented variables, used with this run's OIDC token.
    checkIds(envClient, envTenant, 'environment');
    return plan({ kind: 'oidc', clientId: envClient, tenantId: envTenant, idToken: ctx.idToken });
  }
  throw new InputError(
    `azure-client-id and azure-tenant-id are required to push to ${ctx.registry} with provider azure`,
    'set azure-client-id and azure-tenant-id (with `permissions: id-token: write`) for an app registration with a federated credential for this repository, or provide AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (or AZURE_CLIENT_SECRET)',
  );
}
