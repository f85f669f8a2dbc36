/**
 * The gcp registry provider driven through google-auth-library against a STAND-IN for Google Cloud (no emulator
 * exists): packages/sandbox/src/gcp follows the Security Token Service `token` reference
 * (https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token), IAM Credentials `generateAccessToken`
 * (https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken) and
 * Artifact Registry's access-token login (https://cloud.google.com/artifact-registry/docs/docker/authentication). It
 * verifies the OIDC token against the sandbox issuer's JWKS, its audience and subject. The credentials obtained then
 * push a small artifact, through the core OCI client, to a token-auth distribution registry that accepts only them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidc, type OidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startGcpStandIn, type GcpStandIn } from '@d2/sandbox/gcp/index';
import { D2Error, formatError } from '../../../src/errors.js';
import { RegistryClient } from '../../../src/oci/client.js';
import { gcpCredentials, GCP_IAMCREDENTIALS_URL_ENV, GCP_STS_URL_ENV } from '../../../src/oci/credentials/gcp/index.js';
import type { CloudCredentialContext, CloudInputs } from '../../../src/oci/credentials/index.js';
import { RegistryError } from '../../../src/oci/errors.js';
import { makeArtifact, OCI_MANIFEST } from '../helpers.js';
import { rejectionOf } from '../../support/failures.js';
import { failureOf, offlineContext, pushShortLived, pushWith, recordingContext } from './helpers.js';

const PROVIDER = 'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'pusher@d2-test.iam.gserviceaccount.com';
const RUN: OidcContext = { repository: 'acme/app', workflow: '.github/workflows/release.yaml', ref: 'refs/heads/main' };
const SUB = 'repo:acme/app:ref:refs/heads/main';

describe('gcp provider against the Google stand-in (STS, IAM Credentials, Artifact Registry)', () => {
  let oidc: SandboxOidc;
  let gcp: GcpStandIn;
  /** Every secret the provider was given to mask, and every OIDC token issued. */
  let masked: string[];
  let oidcTokens: string[];

  beforeAll(async () => {
    oidc = await startOidc();
    gcp = await startGcpStandIn({ oidc, provider: PROVIDER, subjects: [SUB], serviceAccounts: { [SA]: [SUB] } });
  });
  afterAll(async () => {
    await gcp?.stop();
    await oidc?.stop();
  });

  const context = (inputs: CloudInputs, run: OidcContext = RUN, audience?: string): CloudCredentialContext => {
    masked = [];
    oidcTokens = [];
    return recordingContext(oidc, { masked, oidcTokens }, { registry: gcp.registry.host, inputs, env: { ...gcp.env }, run, audience });
  };

  /** The error a failing exchange raises, checked to name no token. */
  const failure = (ctx: CloudCredentialContext): Promise<D2Error> => failureOf(gcpCredentials, ctx, () => [...oidcTokens, ...gcp.issued]);

  const push = (password: string, username = 'oauth2accesstoken') => pushWith(gcp.registry.host, { username, password });

  it('exchanges the OIDC token at STS (audience //iam.googleapis.com/<provider>), masks it, and pushes with oauth2accesstoken', async () => {
    const ctx = context({ gcpWorkloadIdentityProvider: PROVIDER });
    const provider = gcpCredentials(ctx);
    expect(gcp.env).toEqual({ [GCP_STS_URL_ENV]: gcp.stsUrl, [GCP_IAMCREDENTIALS_URL_ENV]: gcp.iamCredentialsUrl });
    const issuedBefore = gcp.issued.length;
    const creds = await provider.get(ctx.registry);
    expect(gcp.issued.length).toBe(issuedBefore + 1);
    expect(creds?.username).toBe('oauth2accesstoken');
    expect(creds?.password).toMatch(/^ya29\.d2fed_/);
    expect(masked).toContain(creds?.password);
    expect(masked).toContain(oidcTokens[0]);
    // Once per run and registry: a second get sends nothing.
    const before = gcp.requests.length;
    expect((await provider.get(ctx.registry))?.password).toBe(creds?.password);
    expect(gcp.requests.length).toBe(before);
    // Never for another host.
    expect(await provider.get('ghcr.io')).toBeUndefined();
    await push(creds?.password ?? '');
  });

  it('concurrent first uses share one exchange', async () => {
    const ctx = context({ gcpWorkloadIdentityProvider: PROVIDER });
    const provider = gcpCredentials(ctx);
    const before = gcp.requests.length;
    const [a, b, c] = await Promise.all([provider.get(ctx.registry), provider.get(ctx.registry), provider.get(ctx.registry)]);
    expect(gcp.requests.length - before).toBe(1);
    expect(new Set([a?.password, b?.password, c?.password]).size).toBe(1);
    expect(oidcTokens).toHaveLength(1);
  });

  it('impersonates gcp-service-account through IAM Credentials generateAccessToken', async () => {
    const ctx = context({ gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: SA });
    const issuedBefore = gcp.issued.length;
    const creds = await gcpCredentials(ctx).get(ctx.registry);
    expect(creds?.password).toMatch(/^ya29\.d2sa_/);
    // Both the federated token (kept inside the library) and the service account's token are masked.
    const issued = gcp.issued.slice(issuedBefore);
    expect(issued).toHaveLength(2);
    for (const t of issued) expect(masked).toContain(t);
    expect(gcp.requests.filter((r) => r.service === 'iamcredentials').at(-1)).toMatchObject({ status: 200 });
    await push(creds?.password ?? '');
  });

  it('ambient: the external_account file google-github-actions/auth writes (GOOGLE_APPLICATION_CREDENTIALS)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2-gcp-adc-'));
    const file = join(dir, 'credentials.json');
    const runnerEnv = oidc.envFor(RUN);
    const audience = `https://iam.googleapis.com/${PROVIDER}`;
    writeFileSync(
      file,
      JSON.stringify({
        type: 'external_account',
        audience: `//iam.googleapis.com/${PROVIDER}`,
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: gcp.stsUrl,
        credential_source: {
          url: `${runnerEnv.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent(audience)}`,
          headers: { Authorization: `Bearer ${runnerEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` },
          format: { type: 'json', subject_token_field_name: 'value' },
        },
      }),
    );
    const ctx = { ...context({}), env: { GOOGLE_APPLICATION_CREDENTIALS: file }, idToken: undefined };
    const issuedBefore = gcp.issued.length;
    const creds = await gcpCredentials(ctx).get(ctx.registry);
    expect(creds?.password).toBe(gcp.issued[issuedBefore]);
    expect(masked).toContain(creds?.password);
    // The OIDC token the library fetched from the id-token endpoint is masked too.
    const sub = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}') as { sub?: string }).sub;
    expect(masked.some((s) => s.split('.').length === 3 && sub(s) === SUB)).toBe(true);
    await push(creds?.password ?? '');
  });

  it('ambient: a credentials file the library cannot use is an error that names the file\'s source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'd2-gcp-adc-'));
    const file = join(dir, 'credentials.json');
    writeFileSync(file, JSON.stringify({ type: 'external_account', audience: `//iam.googleapis.com/${PROVIDER}` }));
    const ctx = { ...context({}), env: { GOOGLE_APPLICATION_CREDENTIALS: file }, idToken: undefined };
    const err = await failure(ctx);
    expect(err.message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
    expect(err.hint).toMatch(/google-github-actions\/auth/);
  });

  it('the registry stand-in refuses anything but an issued token', async () => {
    const err = await rejectionOf(push('ya29.not-issued'));
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).status).toBe(401);
  });

  it('a failing OIDC token source (no id-token: write) surfaces as that error, with its hint', async () => {
    const missing = new D2Error('the job has no id-token: write permission', { hint: 'add `permissions: id-token: write` to the job' });
    const ctx = { ...context({ gcpWorkloadIdentityProvider: PROVIDER }), idToken: () => Promise.reject(missing) };
    const err = await failure(ctx);
    expect(err).toBe(missing);
  });

  it('wrong audience: the STS refusal with the allowed-audience fix, no token in the message', async () => {
    const err = await failure(context({ gcpWorkloadIdentityProvider: PROVIDER }, RUN, 'sigstore'));
    expect(err.message).toMatch(/STS token exchange .* failed: The audience in ID Token does not match/);
    expect(err.hint).toContain(`//iam.googleapis.com/${PROVIDER}`);
  });

  it('expired OIDC token: says so', async () => {
    const err = await failure(context({ gcpWorkloadIdentityProvider: PROVIDER }, { ...RUN, ttlSeconds: -30 }));
    expect(err.message).toMatch(/expired/);
    expect(err.hint).toMatch(/re-run/);
  });

  it('wrong subject: the attribute condition to widen, with this run\'s sub', async () => {
    const other = { ...RUN, repository: 'evil/fork' };
    const err = await failure(context({ gcpWorkloadIdentityProvider: PROVIDER }, other));
    expect(err.message).toMatch(/attribute condition/);
    expect(err.hint).toContain('repo:evil/fork:ref:refs/heads/main');
  });

  it('PERMISSION_DENIED on impersonation: the roles/iam.workloadIdentityUser binding to add', async () => {
    const err = await failure(context({ gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: 'other@d2-test.iam.gserviceaccount.com' }));
    expect(err.code).toBe('REGISTRY_DENIED');
    expect(err.message).toMatch(/iam\.serviceAccounts\.getAccessToken/);
    expect(err.hint).toContain('roles/iam.workloadIdentityUser');
    expect(err.hint).toContain('principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/github-pool/attribute.repository/acme/app');
  });

  it('a provider the STS does not know: check the input', async () => {
    const err = await failure(context({ gcpWorkloadIdentityProvider: PROVIDER.replace('github-provider', 'gone-provider') }));
    expect(err.hint).toMatch(/gcp-workload-identity-provider/);
  });
});

describe('gcp provider: a registry that rejects the exchanged credentials (stand-in without direct resource access)', () => {
  let oidc: SandboxOidc;
  let gcp: GcpStandIn;

  beforeAll(async () => {
    oidc = await startOidc();
    gcp = await startGcpStandIn({ oidc, provider: PROVIDER, subjects: [SUB], federatedRegistryAccess: false });
  });
  afterAll(async () => {
    await gcp?.stop();
    await oidc?.stop();
  });

  it('the push fails with 401, names the registry, and prints no token', async () => {
    const masked: string[] = [];
    const ctx: CloudCredentialContext = {
      registry: gcp.registry.host,
      inputs: { gcpWorkloadIdentityProvider: PROVIDER },
      env: { [GCP_STS_URL_ENV]: gcp.stsUrl },
      idToken: (aud) => Promise.resolve(oidc.issueToken(RUN, aud)),
      mask: (s) => masked.push(s),
    };
    const creds = await gcpCredentials(ctx).get(ctx.registry);
    expect(creds?.password).toMatch(/^ya29\./);
    const client = new RegistryClient({ credentials: gcpCredentials(ctx) });
    try {
      const a = makeArtifact(256);
      const err = await rejectionOf(client.pushImage({ registry: gcp.registry.host, repository: 'd2-test/refused' }, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] }));
      expect(err).toBeInstanceOf(RegistryError);
      expect((err as RegistryError).status).toBe(401);
      const text = formatError(err);
      expect(text).toContain(gcp.registry.host);
      for (const t of [...gcp.issued, ...masked]) expect(text).not.toContain(t);
    } finally {
      client.close();
    }
  });

  it('on an Artifact Registry host the 401 hint names roles/artifactregistry.writer', () => {
    for (const registry of ['europe-docker.pkg.dev', 'gcr.io', 'eu.gcr.io']) {
      const err = new RegistryError({ registry, operation: 'token request', status: 401 });
      expect(err.hint).toContain('roles/artifactregistry.writer');
    }
  });
});

describe('gcp provider: short-lived tokens (stand-in issuing 60 s tokens, below the library\'s refresh margin)', () => {
  let oidc: SandboxOidc;
  let gcp: GcpStandIn;

  beforeAll(async () => {
    oidc = await startOidc();
    gcp = await startGcpStandIn({ oidc, provider: PROVIDER, subjects: [SUB], serviceAccounts: { [SA]: [SUB] }, expiresIn: 60 });
  });
  afterAll(async () => {
    await gcp?.stop();
    await oidc?.stop();
  });

  it('a token just issued is used, not refused or fetched again for its reported expiry', async () => {
    const ctx: CloudCredentialContext = {
      registry: gcp.registry.host,
      inputs: { gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: SA },
      env: gcp.env,
      idToken: (aud) => Promise.resolve(oidc.issueToken(RUN, aud)),
      mask: () => undefined,
    };
    const provider = gcpCredentials(ctx);
    const creds = await provider.get(ctx.registry);
    expect(await provider.get(ctx.registry)).toEqual(creds);
    expect(gcp.requests.map((r) => `${r.service} ${r.status}`)).toEqual(['sts 200', 'iamcredentials 200']);
    await pushShortLived(gcp.registry.host, provider);
  });
});

describe('gcp provider input checks (before any request)', () => {
  const base = offlineContext('europe-docker.pkg.dev');

  it.each([
    ['projects/abc/locations/global/workloadIdentityPools/p1234/providers/q1234', /not a workload identity provider name/],
    ['projects/1/locations/europe-west1/workloadIdentityPools/p1234/providers/q1234', /not a workload identity provider name/],
    ['github-provider', /not a workload identity provider name/],
  ])('refuses gcp-workload-identity-provider %s', (value, re) => {
    expect(() => gcpCredentials(base({ gcpWorkloadIdentityProvider: value }))).toThrow(re);
    try {
      gcpCredentials(base({ gcpWorkloadIdentityProvider: value }));
    } catch (e) {
      expect((e as D2Error).code).toBe('INPUT_INVALID');
      expect((e as D2Error).hint).toContain('projects/<project number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>');
    }
  });

  it('names the missing input when neither the provider nor GOOGLE_APPLICATION_CREDENTIALS is there', () => {
    expect(() => gcpCredentials(base({}))).toThrow(/gcp-workload-identity-provider is required/);
  });

  it('asks for id-token: write when no OIDC token can be had', () => {
    expect(() => gcpCredentials(base({ gcpWorkloadIdentityProvider: PROVIDER }, {}, false))).toThrow(/cannot get an OIDC token/);
  });

  it('refuses a service account that is not an email, and a plain-http endpoint override', () => {
    expect(() => gcpCredentials(base({ gcpWorkloadIdentityProvider: PROVIDER, gcpServiceAccount: 'pusher' }))).toThrow(/gcp-service-account 'pusher'/);
    expect(() => gcpCredentials(base({ gcpWorkloadIdentityProvider: PROVIDER }, { [GCP_STS_URL_ENV]: 'http://sts.example.invalid/v1/token' }))).toThrow(/not https/);
  });

  it('GOOGLE_APPLICATION_CREDENTIALS pointing nowhere is an input error', () => {
    expect(() => gcpCredentials(base({}, { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/creds.json' }))).toThrow(/does not exist/);
  });
});
