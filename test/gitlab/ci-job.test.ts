/**
 * d2 inside a GitLab CI job: the defaults it takes from the job (registry, login, repository, source, revision,
 * release tag) and keyless signing with a GitLab identity, verified by the real cosign 3 and cosign 2.
 * Stand-ins: the sandbox OIDC issuer mints tokens with the claims GitLab documents for `id_tokens`
 * (doc/ci/secrets/id_token_authentication.md); the Sigstore stand-in's Fulcio derives the SAN `https://` +
 * `ci_config_ref_uri` as Fulcio's GitLab ci-provider does. The registry is a real CNCF distribution (htpasswd).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidc, type GitLabOidcContext, type SandboxOidc } from '@d2/sandbox/oidc';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { CosignCli, referenceTools, startFulcioV1Bridge, type FulcioV1Bridge } from '@d2/sandbox/reference-tools';
import { exactRegExp } from '../../packages/core/src/sign/index.js';
import { RegistryClient } from '../../packages/core/src/oci/index.js';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';

const tools = referenceTools();
const scratch = mkdtempSync(join(tmpdir(), 'd2-gitlab-job-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function d2(args: string[], env: Record<string, string | undefined>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const emptyDocker = join(scratch, 'docker-empty');
  mkdirSync(emptyDocker, { recursive: true });
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: emptyDocker, ...env } };
  const code = await runCli(commands, args, '0.0.0-test', io);
  return { code, out, err };
}

describe('d2 in a GitLab CI job (GITLAB_CI=true): defaults from the job, GitLab keyless identity', () => {
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let bridge: FulcioV1Bridge;
  let client: RegistryClient;
  let workspace: string;
  const main: GitLabOidcContext = { project: 'acme/d2-apps', ref: 'refs/heads/main' };
  const tag: GitLabOidcContext = { project: 'acme/d2-apps', ref: 'refs/tags/frontend/v1.0.0' };
  const sha = '0123456789abcdef0123456789abcdef01234567';

  /** The variables GitLab sets for a job of project acme/d2-apps, with the sandbox registry as CI_REGISTRY. */
  function jobEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
    const [user] = registry.users;
    return {
      GITLAB_CI: 'true',
      CI_SERVER_URL: 'https://gitlab.com',
      CI_PROJECT_URL: 'https://gitlab.com/acme/d2-apps',
      CI_PROJECT_PATH: 'acme/d2-apps',
      CI_REGISTRY: registry.host,
      CI_REGISTRY_IMAGE: `${registry.host}/acme/d2-apps`,
      CI_REGISTRY_USER: user.username,
      CI_REGISTRY_PASSWORD: user.password,
      CI_COMMIT_REF_NAME: 'main',
      CI_COMMIT_SHA: sha,
      ...extra,
    };
  }
  const signFlags = (): string[] => ['--sign', '--fulcio-url', sigstore.fulcioURL, '--rekor-url', sigstore.rekorURL, '--trusted-root', sigstore.trustedRootPath];

  beforeAll(async () => {
    [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startSigstore(), startOidc()]);
    bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
    const [user] = registry.users;
    client = new RegistryClient({ credentials: { get: async () => ({ username: user.username, password: user.password }) } });
    workspace = join(scratch, 'd2-apps');
    for (const c of ['frontend', 'backend']) {
      mkdirSync(join(workspace, 'components', c), { recursive: true });
      writeFileSync(join(workspace, 'components', c, 'deploy.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${c}\n`);
    }
  });
  afterAll(async () => {
    client?.close();
    await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop(), bridge?.stop()]);
  });

  it('d2 push with no repository: $CI_REGISTRY_IMAGE/{component}, the job’s registry login, source and revision from the job, signed as the GitLab pipeline', async () => {
    const summary = join(scratch, 'd2-summary.md');
    const r = await d2(['push', 'components/{component}', '--components', '*', '--workspace', workspace, '--diff-tag', 'latest', '--summary', summary, ...signFlags(), '-o', 'json'], jobEnv({ SIGSTORE_ID_TOKEN: oidc.issueGitLabToken(main) }));
    expect(r.err).not.toMatch(/✗/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { artifacts: { repository: string; digest: string; certificateIdentity: string; certificateOidcIssuer: string }[] };
    expect(out.artifacts.map((a) => a.repository).sort()).toEqual([`${registry.host}/acme/d2-apps/backend`, `${registry.host}/acme/d2-apps/frontend`]);
    for (const a of out.artifacts) {
      expect(a.certificateIdentity).toBe('https://gitlab.com/acme/d2-apps//.gitlab-ci.yml@refs/heads/main');
      expect(a.certificateIdentity).toBe(oidc.expectedGitLabIdentity(main));
      expect(a.certificateOidcIssuer).toBe('https://gitlab.com');
    }
    const frontend = out.artifacts.find((a) => a.repository.endsWith('/frontend'));
    const manifest = JSON.parse((await client.getManifest({ registry: registry.host, repository: 'acme/d2-apps/frontend' }, frontend!.digest)).bytes.toString()) as { annotations: Record<string, string> };
    expect(manifest.annotations['org.opencontainers.image.source']).toBe('https://gitlab.com/acme/d2-apps');
    expect(manifest.annotations['org.opencontainers.image.revision']).toBe(`main@sha1:${sha}`);
    // The summary file and the job log carry the Flux verify block for the GitLab identity.
    const md = readFileSync(summary, 'utf8');
    expect(md).toContain('| frontend |');
    expect(md).toContain('matchOIDCIdentity:');
    expect(md).toContain('issuer: ^https://gitlab\\.com$');
    expect(md).toContain('subject: ^https://gitlab\\.com/acme/d2-apps//\\.gitlab-ci\\.yml@refs/heads/main$');
    expect(r.err).toContain('matchOIDCIdentity:');
    expect(r.err).toContain('subject: ^https://gitlab\\.com/acme/d2-apps//\\.gitlab-ci\\.yml@refs/heads/main$');
  });

  it('d2 release with no arguments: the tag from CI_COMMIT_TAG, the repository from CI_REGISTRY_IMAGE', async () => {
    const r = await d2(['release', '--workspace', workspace, ...signFlags(), '-o', 'json'], jobEnv({ CI_COMMIT_TAG: 'frontend/v1.0.0', CI_COMMIT_REF_NAME: 'frontend/v1.0.0', SIGSTORE_ID_TOKEN: oidc.issueGitLabToken(tag) }));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ component: 'frontend', version: 'v1.0.0', repository: `${registry.host}/acme/d2-apps/frontend`, tags: ['v1.0.0', 'latest-stable'] });
    expect(JSON.parse(r.out).certificateIdentity).toBe('https://gitlab.com/acme/d2-apps//.gitlab-ci.yml@refs/tags/frontend/v1.0.0');
  });

  describe.skipIf(!tools.cosign)('the real cosign accepts the GitLab identity and refuses others (needs the reference tools)', () => {
    const ISSUER = exactRegExp('https://gitlab.com');
    const ref = (): string => `${registry.host}/acme/d2-apps/frontend:latest`;
    const cosignFor = (major: 2 | 3): CosignCli => {
      const bin = major === 3 ? tools.cosign : tools.cosign2;
      const c = new CosignCli(bin!, { ...sigstore, fulcioURL: bridge.url }, major);
      const config = registry.dockerConfigDir();
      return Object.assign(c, { env: { ...c.env, DOCKER_CONFIG: config } });
    };

    it('cosign 3 verify --certificate-identity …//.gitlab-ci.yml@refs/heads/main --certificate-oidc-issuer https://gitlab.com', async () => {
      const cosign = cosignFor(3);
      const ok = await cosign.verify(ref(), { identityRegexp: exactRegExp(oidc.expectedGitLabIdentity(main)), issuerRegexp: ISSUER });
      expect(ok.code, ok.stderr).toBe(0);
      const otherProject = await cosign.verify(ref(), { identityRegexp: exactRegExp('https://gitlab.com/acme/other//.gitlab-ci.yml@refs/heads/main'), issuerRegexp: ISSUER });
      expect(otherProject.code).not.toBe(0);
      const githubIssuer = await cosign.verify(ref(), { identityRegexp: exactRegExp(oidc.expectedGitLabIdentity(main)), issuerRegexp: exactRegExp('https://token.actions.githubusercontent.com') });
      expect(githubIssuer.code).not.toBe(0);
    });

    it.skipIf(!tools.cosign2)('cosign 2 verify accepts the same identity on the legacy .sig and refuses a tag-ref identity', async () => {
      const cosign = cosignFor(2);
      const ok = await cosign.verify(ref(), { identityRegexp: exactRegExp(oidc.expectedGitLabIdentity(main)), issuerRegexp: ISSUER });
      expect(ok.code, ok.stderr).toBe(0);
      const wrongRef = await cosign.verify(ref(), { identityRegexp: exactRegExp(oidc.expectedGitLabIdentity(tag)), issuerRegexp: ISSUER });
      expect(wrongRef.code).not.toBe(0);
    });
  });

  it('bad input, refused before anything is sent (exit 2): no SIGSTORE_ID_TOKEN (shows the id_tokens lines), a self-managed instance against the public Fulcio', async () => {
    const before = (await client.listTags({ registry: registry.host, repository: 'acme/d2-apps/backend' })).length;
    const noToken = await d2(['push', 'components/{component}', '--components', 'backend', '--workspace', workspace, '--sign', '--tags', 'never'], jobEnv());
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('SIGSTORE_ID_TOKEN');
    expect(noToken.err).toContain('id_tokens:');
    expect(noToken.err).toContain('aud: sigstore');
    const selfManaged = oidc.issueGitLabToken({ ...main, host: 'gitlab.example.com' });
    const refused = await d2(['push', 'components/{component}', '--components', 'backend', '--workspace', workspace, '--sign', '--tags', 'never'], jobEnv({ SIGSTORE_ID_TOKEN: selfManaged }));
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('self-managed GitLab instance https://gitlab.example.com');
    expect(refused.err).toContain('--fulcio-url');
    expect(refused.err).not.toContain(selfManaged);
    const after = await client.listTags({ registry: registry.host, repository: 'acme/d2-apps/backend' });
    expect(after.length).toBe(before);
    expect(after).not.toContain('never');
  });
});
