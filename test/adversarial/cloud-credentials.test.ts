/**
 * Cloud registry credentials hold under bad input (docs/cloud-registries.md "The contract"): every case fails with a
 * clear error and a hint, exit != 0, nothing is pushed, and no token (the OIDC token, the session keys, the ECR
 * password, the registry-password) reaches a log line, the summary or an output. A cloud registry never falls back to
 * registry-password, and the instance metadata service is never asked. push-artifact runs through its committed
 * bundle; AWS is moto's server (packages/sandbox/src/moto.ts).
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials } from '@d2/core/oci';
import { listenLoopback, runActionBundle, startOidc, startRegistry, type ActionRun, type SandboxOidc, type SandboxRegistry } from '@d2/sandbox';
import { ecrPassword, MOTO_MISSING, MOTO_ROLE_ARN, motoServer, startMoto, type SandboxMoto } from '@d2/sandbox/moto';

const FALLBACK = 'registry-password-that-must-not-be-used';
const identity = { repository: 'acme/d2-apps', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main' };

/** The run's text without the ::add-mask:: lines (which must carry the values), and the masked values. */
function split(r: ActionRun): { masked: string[]; rest: string } {
  const lines = [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.exportedEnv)].join('\n').split('\n');
  return { masked: lines.filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice(12)), rest: lines.filter((l) => !l.startsWith('::add-mask::')).join('\n') };
}

function expectNoSecretPrinted(r: ActionRun, extra: string[] = []): void {
  const { masked, rest } = split(r);
  for (const s of [...masked, ...extra]) expect(rest).not.toContain(s);
  // No JWT-shaped value at all.
  expect(rest).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
}

describe('cloud credentials under bad input (adversarial)', () => {
  let registry: SandboxRegistry;
  let oidc: SandboxOidc;
  let moto: SandboxMoto | undefined;
  let imds: Server;
  let imdsRequests = 0;
  let imdsUrl = '';
  const tmps: string[] = [];
  const ws = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'd2-adv-cloud-'));
    tmps.push(d);
    mkdirSync(join(d, 'app'));
    writeFileSync(join(d, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
    return d;
  };

  beforeAll(async () => {
    // The registry accepts the ECR token moto issues AND the registry-password: a fallback would succeed.
    [registry, oidc] = await Promise.all([
      startRegistry({ auth: 'htpasswd', users: [{ username: 'AWS', password: ecrPassword() }, { username: 'me', password: FALLBACK }] }),
      startOidc(),
    ]);
    if (motoServer()) moto = await startMoto();
    // A stand-in for the instance metadata service that counts every request it gets.
    imds = createServer((req, res) => {
      imdsRequests++;
      res.writeHead(404).end();
    });
    imdsUrl = `http://127.0.0.1:${await listenLoopback(imds)}`;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([registry?.stop(), oidc?.stop(), moto?.stop(), new Promise((r) => imds?.close(r))]);
    for (const d of tmps) rmSync(d, { recursive: true, force: true });
  });

  const tagOf = async (repository: string) =>
    (await new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: { username: 'me', password: FALLBACK } }) }).headManifest({ registry: registry.host, repository }, 'latest'))?.digest;

  async function push(repository: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
    return runActionBundle('push-artifact', {
      workspace: ws(),
      repository: identity.repository,
      inputs: { repository, path: 'app', tags: 'latest', sign: 'false', 'registry-username': 'me', 'registry-password': FALLBACK, ...inputs },
      env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsUrl, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', ...(moto?.env('eu-west-1') ?? {}), ...oidc.envFor(identity), ...env },
    });
  }

  it('an unknown provider: input error listing the valid ones; nothing pushed', async () => {
    const r = await push(`${registry.host}/adv/unknown`, { provider: 'ecr' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toContain("provider must be one of generic, aws, gcp, azure, auto; got 'ecr'");
    expect(await tagOf('adv/unknown')).toBeUndefined();
    expectNoSecretPrinted(r, [FALLBACK]);
  });

  it('a role ARN that does not parse: input error with the form to use; nothing pushed', async () => {
    const r = await push(`${registry.host}/adv/arn`, { provider: 'aws', 'aws-role-arn': 'arn:aws:iam::1234:role', 'aws-region': 'eu-west-1' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/aws-role-arn 'arn:aws:iam::1234:role' is not an IAM role ARN.*arn:aws:iam::<12-digit account>:role\/<name>/s);
    expect(await tagOf('adv/arn')).toBeUndefined();
  });

  it('a provider that does not match the host: input error naming the right provider, before any request', async () => {
    const r = await push('europe-west1-docker.pkg.dev/acme/apps/app', { provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/provider 'aws' does not match registry 'europe-west1-docker\.pkg\.dev', which is a gcp registry.*set provider to gcp/s);
  });

  it('azure picked by auto with neither its inputs nor ambient credentials: an input error naming the input, not a fallback to registry-password', async () => {
    const r = await push('myregistry.azurecr.io/app', { provider: 'auto' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/azure-client-id/);
  });

  it('no role and no AWS credentials in the environment: input error naming aws-role-arn; the metadata service is never asked', async () => {
    const before = imdsRequests;
    const r = await push(`${registry.host}/adv/ambient`, { provider: 'aws', 'aws-region': 'eu-west-1' });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/provider aws needs aws-role-arn/);
    expect(imdsRequests).toBe(before);
    expect(await tagOf('adv/ambient')).toBeUndefined();
  });

  describe.skipIf(!motoServer())(`against moto${motoServer() ? '' : ` (skipped: ${MOTO_MISSING})`}`, () => {
    it('a token for the wrong audience: refused, nothing pushed, and registry-password is not used instead', async () => {
      const r = await push(`${registry.host}/adv/audience`, { provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN, 'aws-region': 'eu-west-1' }, oidc.envFor({ ...identity, claims: { aud: 'sigstore' } }));
      expect(r.exitCode).not.toBe(0);
      expect(r.errors.join('\n')).toMatch(/audience is 'sigstore', but AWS STS accepts only tokens for 'sts\.amazonaws\.com'/);
      expect(await tagOf('adv/audience')).toBeUndefined();
      expect(split(r).masked).toContain(FALLBACK);
      expectNoSecretPrinted(r, [FALLBACK]);
    });

    it('an expired token: refused, nothing pushed', async () => {
      const r = await push(`${registry.host}/adv/expired`, { provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN, 'aws-region': 'eu-west-1' }, oidc.envFor({ ...identity, ttlSeconds: -3600 }));
      expect(r.exitCode).not.toBe(0);
      expect(r.errors.join('\n')).toMatch(/the OIDC token expired at/);
      expect(await tagOf('adv/expired')).toBeUndefined();
      expectNoSecretPrinted(r, [FALLBACK]);
    });

    it('a registry that rejects the exchanged credentials: a clear error, nothing pushed, the ECR password never printed', async () => {
      const other = await startRegistry({ auth: 'htpasswd', users: [{ username: 'AWS', password: 'not-the-ecr-token' }, { username: 'me', password: FALLBACK }] });
      try {
        const r = await push(`${other.host}/adv/rejected`, { provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN, 'aws-region': 'eu-west-1', 'create-repository': 'true' });
        expect(r.exitCode).not.toBe(0);
        expect(r.errors.join('\n')).toMatch(/401|unauthori[sz]ed|denied/i);
        const c = new RegistryClient({ credentials: new StaticCredentials({ [other.host]: { username: 'me', password: FALLBACK } }) });
        expect(await c.headManifest({ registry: other.host, repository: 'adv/rejected' }, 'latest')).toBeUndefined();
        expect(split(r).masked).toContain(ecrPassword());
        expectNoSecretPrinted(r, [FALLBACK, ecrPassword()]);
      } finally {
        await other.stop();
      }
    });
  });
});
