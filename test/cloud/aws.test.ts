/**
 * Cloud registries, AWS, end to end through the committed bundles (docs/cloud-registries.md "Amazon ECR"): moto's
 * server serves STS and ECR (packages/sandbox/src/moto.ts), a CNCF distribution registry with htpasswd accepts exactly
 * the ECR token moto issues (user AWS), the sandbox OIDC issuer mints the workflow's token through the Actions
 * id-token endpoint. push-artifact, release-artifact, e2e-update (ImageRepository spec.provider: aws) and
 * `d2 push --provider aws`; no registry secret is given to any of them.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient, StaticCredentials } from '@d2/core/oci';
import { runActionBundle, startGitServer, startOidc, startRegistry, type ActionRun, type SandboxGitServer, type SandboxOidc, type SandboxRegistry } from '@d2/sandbox';
import { ecrPassword, MOTO_MISSING, MOTO_ROLE_ARN, motoServer, startMoto, type SandboxMoto } from '@d2/sandbox/moto';
import { ensureCliBundle, runD2 } from '../adversarial/helpers.js';

const installed = motoServer() !== undefined;
if (!installed) console.warn(`test/cloud/aws.test.ts skipped: ${MOTO_MISSING}`);

/** Every masked value (the runner's ::add-mask:: lines) and everything else the run wrote. */
export function leaks(text: string): { masked: string[]; rest: string } {
  const lines = text.split('\n');
  return {
    masked: lines.filter((l) => l.startsWith('::add-mask::')).map((l) => l.slice('::add-mask::'.length)),
    rest: lines.filter((l) => !l.startsWith('::add-mask::')).join('\n'),
  };
}
const everything = (r: ActionRun) => [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.exportedEnv)].join('\n');

describe.skipIf(!installed)('provider aws against moto-backed ECR (bundles)', () => {
  let moto: SandboxMoto;
  let oidc: SandboxOidc;
  let registry: SandboxRegistry;
  let git: SandboxGitServer;
  let emptyDocker: string;
  const tmps: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'd2-cloud-aws-'));
    tmps.push(d);
    return d;
  };
  const identity = { repository: 'acme/d2-apps', workflow: '.github/workflows/push.yaml', ref: 'refs/heads/main' };
  const ecr = () => new RegistryClient({ credentials: new StaticCredentials({ [registry.host]: { username: 'AWS', password: ecrPassword() } }) });
  const awsInputs = () => ({ provider: 'aws', 'aws-role-arn': MOTO_ROLE_ARN, 'aws-region': 'eu-west-1', sign: 'false' });
  const env = () => ({ ...moto.env('eu-west-1'), ...oidc.envFor(identity), DOCKER_CONFIG: emptyDocker });

  function workspace(): string {
    const ws = tmp();
    mkdirSync(join(ws, 'components', 'app'), { recursive: true });
    writeFileSync(join(ws, 'components', 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
    return ws;
  }

  function noTokenPrinted(text: string): void {
    const { masked, rest } = leaks(text);
    expect(masked).toContain(ecrPassword());
    for (const secret of masked) expect(rest).not.toContain(secret);
    expect(rest).not.toContain(ecrPassword());
  }

  beforeAll(async () => {
    ensureCliBundle();
    [moto, oidc, registry, git] = await Promise.all([
      startMoto(),
      startOidc(),
      startRegistry({ auth: 'htpasswd', users: [{ username: 'AWS', password: ecrPassword() }] }),
      startGitServer(),
    ]);
    emptyDocker = tmp();
  }, 60_000);
  afterAll(async () => {
    await Promise.all([moto?.stop(), oidc?.stop(), registry?.stop(), git?.stop()]);
    for (const d of tmps) rmSync(d, { recursive: true, force: true });
  });

  it('push-artifact: OIDC → STS → ECR token → push; the repository is created (create-repository: true); no token printed', async () => {
    const r = await runActionBundle('push-artifact', {
      workspace: workspace(),
      repository: identity.repository,
      inputs: { ...awsInputs(), 'create-repository': 'true', repository: `${registry.host}/team/app`, path: 'components/app', tags: 'latest' },
      env: env(),
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.pushed).toBe('true');
    expect((await ecr().headManifest({ registry: registry.host, repository: 'team/app' }, 'latest'))?.digest).toBe(r.outputs.digest);
    expect(r.warnings.join('\n')).toContain(`created the ECR repository ${registry.host}/team/app`);
    noTokenPrinted(everything(r));
  });

  it('push-artifact: a repository ECR does not have is an error naming it; nothing is pushed', async () => {
    const r = await runActionBundle('push-artifact', {
      workspace: workspace(),
      repository: identity.repository,
      inputs: { ...awsInputs(), repository: `${registry.host}/team/not-created`, path: 'components/app', tags: 'latest' },
      env: env(),
    });
    expect(r.exitCode).not.toBe(0);
    expect(r.errors.join('\n')).toMatch(/ECR repository 'team\/not-created' does not exist .*create-repository: true/s);
    expect(await ecr().headManifest({ registry: registry.host, repository: 'team/not-created' }, 'latest')).toBeUndefined();
  });

  it('release-artifact: provider aws releases a component version and moves latest-stable', async () => {
    const ws = workspace();
    const ctx = { repository: 'acme/d2-apps', workflow: '.github/workflows/release.yaml', ref: 'refs/tags/app/v1.2.3' };
    const r = await runActionBundle('release-artifact', {
      workspace: ws,
      repository: ctx.repository,
      ref: ctx.ref,
      inputs: { ...awsInputs(), 'create-repository': 'true', repository: `${registry.host}/team/{component}` },
      env: { ...moto.env('eu-west-1'), ...oidc.envFor(ctx), DOCKER_CONFIG: emptyDocker },
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const client = ecr();
    const version = await client.headManifest({ registry: registry.host, repository: 'team/app' }, 'v1.2.3');
    expect(version?.digest).toMatch(/^sha256:/);
    expect((await client.headManifest({ registry: registry.host, repository: 'team/app' }, 'latest-stable'))?.digest).toBe(version?.digest);
    noTokenPrinted(everything(r));
  });

  it('d2 push --provider aws: the same exchange from the CLI', async () => {
    const ws = workspace();
    const r = await runD2(
      ['push', join(ws, 'components', 'app'), `oci://${registry.host}/team/cli:v1`, '--provider', 'aws', '--aws-role-arn', MOTO_ROLE_ARN, '--aws-region', 'eu-west-1', '--create-repository'],
      { env: env() },
    );
    expect(r.code, r.stderr).toBe(0);
    expect((await ecr().headManifest({ registry: registry.host, repository: 'team/cli' }, 'v1'))?.digest).toMatch(/^sha256:/);
    expect(r.stdout + r.stderr).not.toContain(ecrPassword());
  });

  it('e2e-update: an ImageRepository with spec.provider: aws is scanned with the ECR token (provider input left generic)', async () => {
    // Two versions in the moto-backed registry.
    const client = ecr();
    const ws = workspace();
    for (const tag of ['1.0.0', '1.1.0']) {
      const r = await runActionBundle('push-artifact', {
        workspace: ws,
        repository: identity.repository,
        inputs: { ...awsInputs(), 'create-repository': 'true', repository: `${registry.host}/team/image`, path: 'components/app', tags: tag },
        env: env(),
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    }
    expect((await client.listTags({ registry: registry.host, repository: 'team/image' })).sort()).toEqual(['1.0.0', '1.1.0']);
    await git.createRepo('acme/apps');
    const dir = tmp();
    const image = `${registry.host}/team/image`;
    mkdirSync(join(dir, 'policies'));
    mkdirSync(join(dir, 'apps'));
    writeFileSync(
      join(dir, 'policies', 'image.yaml'),
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: image\n  namespace: apps\nspec:\n  image: ${image}\n  provider: aws\n  interval: 5m\n---\n` +
        `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: image\n  namespace: apps\nspec:\n  imageRepositoryRef:\n    name: image\n  policy:\n    semver:\n      range: ">=1.0.0"\n`,
    );
    writeFileSync(join(dir, 'apps', 'cm.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: apps\ndata:\n  image: ${image}:1.0.0 # {"$imagepolicy": "apps:image"}\n`);
    const g = (...a: string[]) => execFileSync('git', a, { cwd: dir, encoding: 'utf8' });
    g('init', '-q', '-b', 'main');
    g('add', '-A');
    g('-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
    // The git server runs in this process: the push must not block its event loop.
    await promisify(execFile)('git', ['push', '-q', git.authUrl('acme/apps'), 'main'], { cwd: dir });
    const r = await runActionBundle('e2e-update', {
      inputs: {
        repository: `${git.url}/acme/apps.git`,
        'policies-path': 'policies',
        namespace: 'apps',
        'update-path': 'apps',
        token: git.token,
        'dry-run': 'true',
        'aws-role-arn': MOTO_ROLE_ARN,
        'aws-region': 'eu-west-1',
      },
      env: env(),
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const changes = JSON.parse(r.outputs.changes) as Array<{ old: string; new: string }>;
    expect(changes.map((c) => [c.old, c.new])).toEqual([[`${image}:1.0.0`, `${image}:1.1.0`]]);
    noTokenPrinted(everything(r));
  });
});
