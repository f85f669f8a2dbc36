/**
 * push-artifact and release-artifact through their committed bundles with `provider: gcp` and `provider: azure`,
 * against the sandbox STAND-INS for Google Cloud (STS, IAM Credentials, Artifact Registry) and Microsoft Entra / ACR
 * (packages/sandbox/src/gcp, azure; the documents they follow are cited there and in
 * packages/core/test/oci/credentials/). The bundles get the workflow's OIDC token from the Actions-like endpoint, exchange
 * it, and push to token-auth registries that accept only the exchanged credentials. No token value may appear in
 * stdout, stderr, the summary, the outputs, the exported environment or the state (besides its ::add-mask::).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialProvider } from '@d2/core/base';
import { RegistryClient, StaticCredentials } from '@d2/core/oci';
import { gcpCredentials } from '../../packages/core/src/oci/credentials/gcp/index.js';
import { runActionBundle, startAzureStandIn, startGcpStandIn, startOidc, type ActionRun, type AzureStandIn, type GcpStandIn, type SandboxOidc } from '@d2/sandbox';

const PROVIDER = 'projects/123456789/locations/global/workloadIdentityPools/github-pool/providers/github-provider';
const SA = 'pusher@d2-test.iam.gserviceaccount.com';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const RUN = { repository: 'acme/d2-apps', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
const SUB = `repo:${RUN.repository}:ref:${RUN.ref}`;
const RELEASE_REF = 'refs/tags/app/v1.0.0';
const RELEASE_SUB = `repo:${RUN.repository}:ref:${RELEASE_REF}`;

let oidc: SandboxOidc;
let gcp: GcpStandIn;
let azure: AzureStandIn;

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'd2-cloud-ws-'));
  mkdirSync(join(ws, 'components', 'app'), { recursive: true });
  writeFileSync(join(ws, 'components', 'app', 'deploy.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
  return ws;
}

function everything(run: ActionRun): string {
  return [run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n'), run.stderr, run.summary, JSON.stringify(run.outputs), JSON.stringify(run.exportedEnv), run.state].join('\n');
}

function push(registryHost: string, inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  return runActionBundle('push-artifact', {
    workspace: workspace(),
    repository: RUN.repository,
    ref: RUN.ref,
    sha: '0123456789abcdef0123456789abcdef01234567',
    inputs: { repository: `${registryHost}/flux/{component}`, components: 'app', sign: 'false', ...inputs },
    env: { ...oidc.envFor(RUN), ...env },
  });
}

function release(registryHost: string, inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  const ctx = { repository: RUN.repository, workflow: '.github/workflows/release-artifact.yaml', ref: RELEASE_REF };
  return runActionBundle('release-artifact', {
    workspace: workspace(),
    repository: RUN.repository,
    ref: RELEASE_REF,
    inputs: { repository: `${registryHost}/flux/{component}`, sign: 'false', ...inputs },
    env: { ...oidc.envFor(ctx), ...env },
  });
}

/** The digest under `tag`, read with credentials from the same provider (the stand-in registries refuse anything else). */
async function digestOf(registry: string, credentials: CredentialProvider, tag: string): Promise<string | undefined> {
  const client = new RegistryClient({ credentials });
  try {
    return (await client.headManifest({ registry, repository: 'flux/app' }, tag))?.digest;
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  oidc = await startOidc();
  [gcp, azure] = await Promise.all([
    startGcpStandIn({ oidc, provider: PROVIDER, subjects: [SUB, RELEASE_SUB], serviceAccounts: { [SA]: [SUB, RELEASE_SUB] } }),
    startAzureStandIn({ oidc, tenantId: TENANT, apps: [{ clientId: CLIENT, subjects: [SUB, RELEASE_SUB], role: 'AcrPush' }, { clientId: '66666666-7777-8888-9999-000000000000', subjects: [SUB] }] }),
  ]);
});
afterAll(async () => {
  await gcp?.stop();
  await azure?.stop();
  await oidc?.stop();
});

describe('push-artifact with provider gcp (stand-in)', () => {
  it('pushes with the exchanged access token (impersonating gcp-service-account); no token printed', async () => {
    const before = gcp.issued.length;
    const run = await push(gcp.registry.host, { provider: 'gcp', 'gcp-workload-identity-provider': PROVIDER, 'gcp-service-account': SA }, gcp.env);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const issued = gcp.issued.slice(before);
    expect(issued).toHaveLength(2);
    for (const t of issued) {
      expect(run.stdout).toContain(`::add-mask::${t}`);
      expect(everything(run)).not.toContain(t);
    }
  });

  it('PERMISSION_DENIED: exit != 0, the binding to add, nothing pushed, no token printed', async () => {
    const before = gcp.issued.length;
    const run = await push(gcp.registry.host, { provider: 'gcp', 'gcp-workload-identity-provider': PROVIDER, 'gcp-service-account': 'other@d2-test.iam.gserviceaccount.com' }, gcp.env);
    expect(run.exitCode).not.toBe(0);
    expect(run.errors.join('\n')).toContain('roles/iam.workloadIdentityUser');
    for (const t of gcp.issued.slice(before)) expect(everything(run)).not.toContain(t);
  });
});

describe('release-artifact with provider gcp and azure (stand-ins)', () => {
  it('gcp: pushes the release and moves v1.0.0 and latest-stable; no token printed', async () => {
    const before = gcp.issued.length;
    const run = await release(gcp.registry.host, { provider: 'gcp', 'gcp-workload-identity-provider': PROVIDER }, gcp.env);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ component: 'app', version: 'v1.0.0', tags: 'v1.0.0,latest-stable' });
    for (const t of gcp.issued.slice(before)) expect(everything(run)).not.toContain(t);
    const creds = gcpCredentials({ registry: gcp.registry.host, inputs: { gcpWorkloadIdentityProvider: PROVIDER }, env: gcp.env, idToken: (aud) => Promise.resolve(oidc.issueToken(RUN, aud)), mask: () => undefined });
    expect(await digestOf(gcp.registry.host, creds, 'latest-stable')).toBe(run.outputs.digest);
  });

  it('azure: pushes the release and moves v1.0.0 and latest-stable; no token printed', async () => {
    const before = azure.issued.length;
    const run = await release(azure.registry.host, { provider: 'azure', 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT }, azure.env);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ component: 'app', version: 'v1.0.0', tags: 'v1.0.0,latest-stable' });
    for (const t of azure.issued.slice(before)) expect(everything(run)).not.toContain(t);
  });
});

describe('push-artifact with provider azure (stand-in)', () => {
  it('pushes with the ACR refresh token; no token printed', async () => {
    const before = azure.issued.length;
    const run = await push(azure.registry.host, { provider: 'azure', 'azure-client-id': CLIENT, 'azure-tenant-id': TENANT }, azure.env);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const issued = azure.issued.slice(before);
    expect(issued).toHaveLength(2);
    for (const t of issued) {
      expect(run.stdout).toContain(`::add-mask::${t}`);
      expect(everything(run)).not.toContain(t);
    }
  });

  it('ACR 401 (no role): exit != 0, the AcrPush assignment, no token printed', async () => {
    const before = azure.issued.length;
    const run = await push(azure.registry.host, { provider: 'azure', 'azure-client-id': '66666666-7777-8888-9999-000000000000', 'azure-tenant-id': TENANT }, azure.env);
    expect(run.exitCode).not.toBe(0);
    expect(run.errors.join('\n')).toContain('AcrPush');
    for (const t of azure.issued.slice(before)) expect(everything(run)).not.toContain(t);
  });
});

it('the stand-in registries refuse anonymous access (only exchanged credentials get in)', async () => {
  const anon = new RegistryClient({ credentials: new StaticCredentials({}) });
  const err = await anon.listTags({ registry: gcp.registry.host, repository: 'flux/app' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeDefined();
  anon.close();
});
