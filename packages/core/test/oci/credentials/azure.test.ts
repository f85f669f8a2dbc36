/**
 * The azure registry provider driven through @azure/identity (ClientAssertionCredential, MSAL underneath) and the
 * hand-written ACR exchange against a STAND-IN for Microsoft Entra and ACR (no emulator exists):
 * packages/sandbox/src/azure follows the Microsoft identity platform client credentials grant with a client assertion
 * (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow), workload identity
 * federation's federated credentials (https://learn.microsoft.com/en-us/entra/workload-id/workload-identity-federation)
 * and ACR's token exchange (https://github.com/Azure/acr/blob/main/docs/AAD-OAuth.md). It verifies the OIDC token
 * against the sandbox issuer's JWKS, its audience and subject. The refresh token obtained then pushes a small artifact,
 * through the core OCI client, to a token-auth distribution registry that accepts only it.
 *
 * MSAL accepts only https authorities, so the identity platform stand-in serves https with a self-signed certificate
 * that this test process trusts (tls.setDefaultCACertificates; a child process would use NODE_EXTRA_CA_CERTS), and the
 * provider reaches it through AZURE_AUTHORITY_HOST with @azure/identity's `disableInstanceDiscovery`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startAzureStandIn, type AzureStandIn } from '@d2/sandbox/azure/index';
import { D2Error, formatError } from '../../../src/errors.js';
import { ACR_REFRESH_TOKEN_USERNAME, azureCredentials, azureCloudFor } from '../../../src/oci/credentials/azure/index.js';
import type { CloudCredentialContext, CloudInputs } from '../../../src/oci/credentials/index.js';
import { RegistryError } from '../../../src/oci/errors.js';
import { rejectionOf } from '../../support/failures.js';
import { failureOf, offlineContext, pushShortLived, pushWith, recordingContext } from './helpers.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const PUSHER = '11111111-2222-3333-4444-555555555555';
const NO_ROLE = '66666666-7777-8888-9999-000000000000';
const RUN: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/release.yaml', ref: 'refs/heads/main' };
const SUB = 'repo:acme/app:ref:refs/heads/main';

describe('azure provider against the Entra and ACR stand-in', () => {
  let oidc: SandboxOidc;
  let azure: AzureStandIn;
  let masked: string[];
  let oidcTokens: string[];
  const defaultCAs = tls.getCACertificates('default');

  beforeAll(async () => {
    oidc = await startOidc();
    azure = await startAzureStandIn({
      oidc,
      tenantId: TENANT,
      apps: [
        { clientId: PUSHER, subjects: [SUB], role: 'AcrPush' },
        { clientId: NO_ROLE, subjects: [SUB] },
      ],
    });
    tls.setDefaultCACertificates([...defaultCAs, azure.caPem]);
  });
  afterAll(async () => {
    tls.setDefaultCACertificates(defaultCAs);
    await azure?.stop();
    await oidc?.stop();
  });

  const context = (inputs: CloudInputs, run: OidcContext = RUN, audience?: string, env: Record<string, string> = {}): CloudCredentialContext => {
    masked = [];
    oidcTokens = [];
    return recordingContext(oidc, { masked, oidcTokens }, { registry: azure.registry.host, inputs, env: { AZURE_AUTHORITY_HOST: azure.authorityHost, ...env }, run, audience });
  };

  const failure = (ctx: CloudCredentialContext): Promise<D2Error> => failureOf(azureCredentials, ctx, () => [...oidcTokens, ...azure.issued]);

  const push = (password: string, asIdentityToken = false) =>
    pushWith(azure.registry.host, asIdentityToken ? { identityToken: password } : { username: ACR_REFRESH_TOKEN_USERNAME, password });

  const inputs = (clientId = PUSHER): CloudInputs => ({ azureClientId: clientId, azureTenantId: TENANT });

  it('client assertion (audience api://AzureADTokenExchange) → Entra token → ACR refresh token; masked; pushes', async () => {
    const ctx = context(inputs());
    const provider = azureCredentials(ctx);
    const creds = await provider.get(ctx.registry);
    expect(creds?.username).toBe('00000000-0000-0000-0000-000000000000');
    expect(azure.issued).toContain(creds?.password);
    expect(masked).toContain(creds?.password);
    expect(masked).toContain(oidcTokens[0]);
    // The Entra access token is masked too.
    expect(masked.filter((s) => azure.issued.includes(s) && s !== creds?.password)).toHaveLength(1);
    const before = azure.requests.length;
    expect((await provider.get(ctx.registry))?.password).toBe(creds?.password);
    expect(azure.requests.length).toBe(before);
    expect(await provider.get('ghcr.io')).toBeUndefined();
    await push(creds?.password ?? '');
  });

  it("the refresh token also serves ACR's /oauth2/token refresh_token grant (docker's identity token)", async () => {
    const ctx = context(inputs());
    const creds = await azureCredentials(ctx).get(ctx.registry);
    const before = azure.registry.registry.tokenServer?.issued ?? 0;
    await push(creds?.password ?? '', true);
    expect(azure.registry.registry.tokenServer?.issued ?? 0).toBeGreaterThan(before);
  });

  it('a child process reaches the https stand-in with its env (NODE_EXTRA_CA_CERTS, AZURE_AUTHORITY_HOST)', async () => {
    const script = `fetch(process.env.AZURE_AUTHORITY_HOST + '/${TENANT}/v2.0/.well-known/openid-configuration').then(r => r.json()).then(j => console.log(j.token_endpoint), e => { console.error(String(e.cause ?? e)); process.exit(3); })`;
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        execFile(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 20_000 }, (error, stdout) => resolve({ code: error ? (error.code as number) : 0, out: stdout }));
      });
    const ok = await run(azure.env);
    expect(ok.code).toBe(0);
    expect(ok.out.trim()).toBe(`${azure.authorityHost}/${TENANT}/oauth2/v2.0/token`);
    // Without the CA the certificate is refused: the trust comes from the env, not from a disabled check.
    expect((await run({ AZURE_AUTHORITY_HOST: azure.authorityHost })).code).toBe(3);
  });

  it('the registry stand-in refuses a refresh token it did not issue', async () => {
    const err = await rejectionOf(push('not-a-refresh-token'));
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(401);
  });

  it('a failing OIDC token source (no id-token: write) surfaces as that error, with its hint', async () => {
    const missing = new D2Error('the job has no id-token: write permission', { hint: 'add `permissions: id-token: write` to the job' });
    const ctx = { ...context(inputs()), idToken: () => Promise.reject(missing) };
    const err = await failure(ctx);
    expect(err).toBe(missing);
  });

  it('wrong audience: Entra refuses the assertion; the federated credential to add', async () => {
    const err = await failure(context(inputs(), RUN, 'sigstore'));
    expect(err.message).toMatch(/AADSTS700212/);
    expect(err.hint).toContain('az ad app federated-credential create');
    expect(err.hint).toContain('api://AzureADTokenExchange');
  });

  it('expired OIDC token: says so', async () => {
    const err = await failure(context(inputs(), { ...RUN, ttlSeconds: -30 }));
    expect(err.message).toMatch(/AADSTS700024/);
    expect(err.hint).toMatch(/expired/);
  });

  it('wrong subject: no matching federated identity record; the credential to add names this run\'s sub', async () => {
    const err = await failure(context(inputs(), { ...RUN, ref: 'refs/heads/feature' }));
    expect(err.message).toMatch(/AADSTS70021: No matching federated identity record/);
    expect(err.hint).toContain('"subject":"repo:acme/app:ref:refs/heads/feature"');
  });

  it('ACR 401 at the exchange (no role on the registry): the AcrPush role assignment', async () => {
    const err = await failure(context(inputs(NO_ROLE)));
    expect(err.code).toBe('REGISTRY_UNAUTHORIZED');
    expect(err.message).toMatch(/ACR token exchange .* refused the identity/);
    expect(err.hint).toContain(`az role assignment create --assignee ${NO_ROLE} --role AcrPush`);
  });

  it('an unknown client id: check azure-client-id', async () => {
    const err = await failure(context(inputs('aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee')));
    expect(err.message).toMatch(/AADSTS700016/);
    expect(err.hint).toMatch(/check azure-client-id/);
  });

  it('ambient: AZURE_CLIENT_SECRET is masked before any request and never printed when Entra refuses it', async () => {
    const secret = 'azsecret~7f3a9c1e5b2d4086a1b2c3d4';
    const ctx = { ...context({}, RUN, undefined, { AZURE_CLIENT_ID: PUSHER, AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: secret }), idToken: undefined };
    const provider = azureCredentials(ctx);
    expect(masked).toEqual([secret]);
    const err = await rejectionOf(provider.get(ctx.registry));
    expect(err).toBeInstanceOf(D2Error);
    expect(formatError(err)).not.toContain(secret);
    expect(formatError(err)).toMatch(/Microsoft Entra token request/);
  });

  it('ambient: AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE (WorkloadIdentityCredential)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2-azure-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, oidc.issueToken(RUN, 'api://AzureADTokenExchange'));
    const ctx = { ...context({}, RUN, undefined, { AZURE_CLIENT_ID: PUSHER, AZURE_TENANT_ID: TENANT, AZURE_FEDERATED_TOKEN_FILE: file }), idToken: undefined };
    const creds = await azureCredentials(ctx).get(ctx.registry);
    expect(azure.issued).toContain(creds?.password);
    expect(masked).toContain(creds?.password);
    await push(creds?.password ?? '');
  });
});

describe('azure provider: short-lived Entra tokens (60 s, below MSAL\'s refresh margin)', () => {
  let oidc: SandboxOidc;
  let azure: AzureStandIn;
  const defaultCAs = tls.getCACertificates('default');

  beforeAll(async () => {
    oidc = await startOidc();
    azure = await startAzureStandIn({ oidc, tenantId: TENANT, apps: [{ clientId: PUSHER, subjects: [SUB], role: 'AcrPush' }], expiresIn: 60 });
    tls.setDefaultCACertificates([...defaultCAs, azure.caPem]);
  });
  afterAll(async () => {
    tls.setDefaultCACertificates(defaultCAs);
    await azure?.stop();
    await oidc?.stop();
  });

  it('a token just issued is used, not refused or fetched again for its reported expiry', async () => {
    const ctx: CloudCredentialContext = {
      registry: azure.registry.host,
      inputs: { azureClientId: PUSHER, azureTenantId: TENANT },
      env: { AZURE_AUTHORITY_HOST: azure.authorityHost },
      idToken: (aud) => Promise.resolve(oidc.issueToken(RUN, aud)),
      mask: () => undefined,
    };
    const provider = azureCredentials(ctx);
    const creds = await provider.get(ctx.registry);
    expect(await provider.get(ctx.registry)).toEqual(creds);
    expect(azure.requests.filter((r) => r.path.endsWith('/token') || r.path === '/oauth2/exchange').map((r) => `${r.service} ${r.status}`)).toEqual(['entra 200', 'acr 200']);
    await pushShortLived(azure.registry.host, provider);
  });
});

describe('azure provider: registry refusals on an ACR host', () => {
  it('a 401 or 403 from *.azurecr.io (and the sovereign suffixes) gives the AcrPush role assignment', () => {
    for (const [registry, status] of [['myregistry.azurecr.io', 401], ['myregistry.azurecr.cn', 403], ['myregistry.azurecr.us', 401]] as const) {
      const err = new RegistryError({ registry, operation: 'push', status });
      expect(err.hint).toContain('--role AcrPush');
      expect(err.hint).toContain('az acr show --name myregistry');
    }
  });
});

describe('azure provider input checks (before any request)', () => {
  const base = offlineContext('myregistry.azurecr.io');

  it('names the missing input', () => {
    expect(() => azureCredentials(base({}))).toThrow(/azure-client-id and azure-tenant-id are required/);
    expect(() => azureCredentials(base({ azureClientId: PUSHER }))).toThrow(/azure-tenant-id is required/);
    expect(() => azureCredentials(base({ azureTenantId: TENANT }))).toThrow(/azure-client-id is required/);
  });

  it('refuses ids that are not GUIDs, and an http authority host', () => {
    expect(() => azureCredentials(base({ azureClientId: 'my-app', azureTenantId: TENANT }))).toThrow(/azure-client-id 'my-app' is not an application/);
    expect(() => azureCredentials(base(inputs_(), { AZURE_AUTHORITY_HOST: 'http://login.example.invalid' }))).toThrow(/not https/);
  });

  it('asks for id-token: write when no OIDC token can be had', () => {
    expect(() => azureCredentials(base(inputs_(), {}, false))).toThrow(/cannot get an OIDC token/);
  });

  it('picks the cloud by the registry suffix', () => {
    expect(azureCloudFor('x.azurecr.io').armScope).toBe('https://management.azure.com/.default');
    expect(azureCloudFor('x.azurecr.cn').authorityHost).toBe('https://login.chinacloudapi.cn');
    expect(azureCloudFor('x.azurecr.us').armScope).toBe('https://management.usgovcloudapi.net/.default');
  });

  function inputs_(): CloudInputs {
    return { azureClientId: PUSHER, azureTenantId: TENANT };
  }
});
