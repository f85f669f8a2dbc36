/**
 * Cloud registry credentials (gcp, azure) keep their secrets and their deadlines against hostile services:
 *  - a token service that echoes back the token it was sent (the OIDC token at Google STS, the federated token at IAM
 *    Credentials, the Entra token at ACR's exchange) does not get it printed: every token is masked as it arrives and
 *    scrubbed from every error text (guards: SecretScrubber and the gaxios response interceptor in
 *    packages/core/src/oci/credentials/);
 *  - every token the services issue, the intermediate ones the libraries keep to themselves included, reaches `mask`;
 *  - a token service that never answers ends in an error within the run's budget (guards: the transporter timeout,
 *    the abort signal of the Entra request and of the ACR exchange).
 * The services are the sandbox STAND-INS for Google Cloud and Microsoft Entra/ACR (packages/sandbox/src/gcp, azure),
 * plus small hostile loopback servers written here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStallingServer } from '@d2/sandbox/stalling-server';
import { listenLoopback, startAzureStandIn, startGcpStandIn, startOidc, type AzureStandIn, type GcpStandIn, type OidcContext, type SandboxOidc } from '@d2/sandbox';
import { D2Error, formatError } from '../../packages/core/src/errors.js';
import { TimeBudget } from '../../packages/core/src/util/index.js';
import { azureCredentials } from '../../packages/core/src/oci/credentials/azure/index.js';
import { gcpCredentials } from '../../packages/core/src/oci/credentials/gcp/index.js';
import type { CloudCredentialContext } from '../../packages/core/src/oci/credentials/index.js';

const PROVIDER = 'projects/42/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'pusher@d2-test.iam.gserviceaccount.com';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const RUN: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/release.yaml', ref: 'refs/heads/main' };
const SUB = 'repo:acme/app:ref:refs/heads/main';

/** A loopback server whose every answer is `answer(request body, headers)`. */
async function hostile(answer: (body: string, req: IncomingMessage) => { status: number; body: unknown }): Promise<{ url: string; host: string; stop(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const a = answer(Buffer.concat(chunks).toString('utf8'), req);
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  const port = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function failureOf(p: Promise<unknown>): Promise<D2Error> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(D2Error);
  return err as D2Error;
}

function expectFree(err: D2Error, secrets: string[]): void {
  const printed = `${formatError(err)}\n${JSON.stringify({ message: err.message, hint: err.hint, code: err.code })}`;
  expect(secrets.length).toBeGreaterThan(0);
  // Not even a piece: no 24-character window of any secret (a cut-off token leaks too).
  for (const s of secrets) for (let i = 0; i + 24 <= s.length; i += 8) expect(printed).not.toContain(s.slice(i, i + 24));
}

describe('cloud credentials: no token in any error, every token masked, every request bounded', () => {
  let oidc: SandboxOidc;
  let gcp: GcpStandIn;
  let azure: AzureStandIn;
  const defaultCAs = tls.getCACertificates('default');

  beforeAll(async () => {
    oidc = await startOidc();
    gcp = await startGcpStandIn({ oidc, provider: PROVIDER, subjects: [SUB], serviceAccounts: { [SA]: [SUB] } });
    azure = await startAzureStandIn({ oidc, tenantId: TENANT, apps: [{ clientId: CLIENT, subjects: [SUB], role: 'AcrPush' }] });
    tls.setDefaultCACertificates([...defaultCAs, azure.caPem]);
  });
  afterAll(async () => {
    tls.setDefaultCACertificates(defaultCAs);
    await azure?.stop();
    await gcp?.stop();
    await oidc?.stop();
  });

  const ctx = (registry: string, inputs: CloudCredentialContext['inputs'], env: Record<string, string>, tokens: string[], masked: string[], budget?: TimeBudget): CloudCredentialContext => ({
    registry,
    inputs,
    env,
    idToken: (aud) => {
      const t = oidc.issueToken(RUN, aud);
      tokens.push(t);
      return Promise.resolve(t);
    },
    mask: (s) => masked.push(s),
    budget,
  });

  it('gcp: an STS that echoes the OIDC token in its error does not get it printed', async () => {
    const sts = await hostile((body) => ({ status: 400, body: { error: 'invalid_grant', error_description: `Invalid ID Token ${new URLSearchParams(body).get('subject_token') ?? ''}` } }));
    try {
      const tokens: string[] = [];
      const masked: string[] = [];
      const err = await failureOf(gcpCredentials(ctx('europe-docker.pkg.dev', { gcpWorkloadIdentityProvider: PROVIDER }, { D2_GCP_STS_URL: `${sts.url}/v1/token` }, tokens, masked)).get('europe-docker.pkg.dev'));
      expect(err.message).toMatch(/Invalid ID Token/);
      expectFree(err, tokens);
      expect(masked).toEqual(expect.arrayContaining(tokens));
    } finally {
      await sts.stop();
    }
  });

  it('gcp: an IAM Credentials that echoes the federated token it was sent does not get it printed', async () => {
    const iam = await hostile((_body, req) => ({ status: 403, body: { error: { code: 403, status: 'PERMISSION_DENIED', message: `caller ${String(req.headers.authorization).replace(/^Bearer /, '')} may not impersonate` } } }));
    try {
      const tokens: string[] = [];
      const masked: string[] = [];
      const before = gcp.issued.length;
      const err = await failureOf(
        gcpCredentials(ctx(gcp.registry.host, { gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: SA }, { D2_GCP_STS_URL: gcp.stsUrl, D2_GCP_IAMCREDENTIALS_URL: iam.url }, tokens, masked)).get(gcp.registry.host),
      );
      const federated = gcp.issued.slice(before);
      expect(federated).toHaveLength(1);
      expect(err.hint).toContain('roles/iam.workloadIdentityUser');
      expectFree(err, [...tokens, ...federated]);
      expect(masked).toEqual(expect.arrayContaining([...tokens, ...federated]));
    } finally {
      await iam.stop();
    }
  });

  it('azure: an ACR exchange that echoes the Entra token it was sent does not get it printed', async () => {
    const acr = await hostile((body) => ({ status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: `token ${new URLSearchParams(body).get('access_token') ?? ''} is not welcome` }] } }));
    try {
      const tokens: string[] = [];
      const masked: string[] = [];
      const before = azure.issued.length;
      const err = await failureOf(azureCredentials(ctx(acr.host, { azureClientId: CLIENT, azureTenantId: TENANT }, { AZURE_AUTHORITY_HOST: azure.authorityHost }, tokens, masked)).get(acr.host));
      const entra = azure.issued.slice(before);
      expect(entra).toHaveLength(1);
      expect(err.hint).toContain('AcrPush');
      expectFree(err, [...tokens, ...entra]);
      expect(masked).toEqual(expect.arrayContaining([...tokens, ...entra]));
    } finally {
      await acr.stop();
    }
  });

  it('gcp: an STS that never answers fails within the budget', async () => {
    const silent = await startStallingServer({ mode: 'silent' });
    try {
      const err = await failureOf(
        gcpCredentials(ctx('europe-docker.pkg.dev', { gcpWorkloadIdentityProvider: PROVIDER }, { D2_GCP_STS_URL: `${silent.url}/v1/token` }, [], [], new TimeBudget(1000))).get('europe-docker.pkg.dev'),
      );
      expect(err.code).toBe('REGISTRY_NETWORK');
      expect(silent.requests.length).toBeGreaterThan(0);
    } finally {
      await silent.stop();
    }
  }, 60_000);

  it('azure: an ACR exchange that never answers fails within the budget', async () => {
    const silent = await startStallingServer({ mode: 'silent' });
    try {
      const err = await failureOf(
        azureCredentials(ctx(silent.host, { azureClientId: CLIENT, azureTenantId: TENANT }, { AZURE_AUTHORITY_HOST: azure.authorityHost }, [], [], new TimeBudget(1000))).get(silent.host),
      );
      expect(err.code).toBe('REGISTRY_NETWORK');
      expect(silent.requests.some((r) => r.includes('/oauth2/exchange'))).toBe(true);
    } finally {
      await silent.stop();
    }
  }, 60_000);
});
