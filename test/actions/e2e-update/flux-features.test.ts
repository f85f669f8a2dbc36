/**
 * e2e-update's Flux features end to end through its committed bundle (docs/image-automation.md "Flux features fleets
 * use"), on the sandbox git server, a CNCF distribution registry and the GitHub emulator: checkout by tag, semver
 * range and commit; ResourceSet inputsFrom (Static, OCIArtifactTag, GitHubBranch); postBuild.substituteFrom Secrets
 * from the step's environment (masked, redacted); kind: List documents; a token per repository. Every bad input
 * fails the step before anything is cloned, committed or pushed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { appsRepo, DEMO_IMAGES, fleetRepo, infraRepo, writeTree, type FileTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { commitAndPush, d2RepoOptions, git as gitLocal, gitAsync, runFleetUpdate, scratchDirs, seedDemoImages, unmasked } from '../../support/update-stack.js';

describe('e2e-update bundle: Flux features fleets use', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let gh: GitHubEmulator;
  let emptyDockerConfig: string;
  let opts: Parameters<typeof appsRepo>[0];
  /** Commits of acme/d2-apps: `first` (tag v1.0.0), `second` (tag v1.1.0), `tip` (main, after both tags). */
  const apps: Record<string, string> = {};
  const tmp = scratchDirs('d2-e2e-fluxfeat-');
  const tip = (fullName: string, ref: string) => {
    try {
      return gitLocal(server.repoPath(fullName), 'rev-parse', ref).trim();
    } catch {
      return undefined;
    }
  };

  async function createRepo(fullName: string, files: FileTree): Promise<string> {
    await gh.addRepo(fullName);
    const dir = tmp();
    await commitAndPush(dir, files, server.authUrl(fullName));
    return dir;
  }

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer();
    gh = await startGitHubEmulator({ git: server });
    await seedDemoImages(reg);
    opts = d2RepoOptions(reg, server);
    const dir = await createRepo('acme/d2-apps', appsRepo(opts));
    apps.first = gitLocal(dir, 'rev-parse', 'HEAD').trim();
    gitLocal(dir, 'tag', 'v1.0.0');
    gitLocal(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '--allow-empty', '-m', 'second');
    apps.second = gitLocal(dir, 'rev-parse', 'HEAD').trim();
    gitLocal(dir, 'tag', 'v1.1.0');
    gitLocal(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '--allow-empty', '-m', 'tip');
    apps.tip = gitLocal(dir, 'rev-parse', 'HEAD').trim();
    await gitAsync(dir, 'push', '-q', server.authUrl('acme/d2-apps'), 'main', '--tags');
    await createRepo('acme/d2-infra', infraRepo(opts));
    emptyDockerConfig = tmp();
  });
  afterAll(async () => {
    await gh?.stop();
    await server?.stop();
    await reg?.stop();
    tmp.cleanup();
  });

  /** An update cluster with one automation of acme/d2-apps (namespace apps), as D2's ResourceSet renders it. */
  function appsCluster(o: { ref: string; push?: string; substituteFrom?: string; messageTemplate?: string; repo?: string }): FileTree {
    const repo = o.repo ?? 'acme/d2-apps';
    return {
      'clusters/update/runtime-info.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flux-runtime-info\n  namespace: flux-system\ndata:\n  REGISTRY: "${reg.host}"\n`,
      'clusters/update/apps.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: flux-runtime-info
  namespace: apps
  annotations:
    fluxcd.controlplane.io/copyFrom: flux-system/flux-runtime-info
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: apps
  namespace: apps
spec:
  url: ${server.url}/${repo}.git
  ref:
${o.ref}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: apps
spec:
  targetNamespace: apps
  path: ./update-policies
  sourceRef:
    kind: GitRepository
    name: apps
  postBuild:
    substituteFrom:
${o.substituteFrom ?? '      - kind: ConfigMap\n        name: flux-runtime-info\n'}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: apps
  namespace: apps
spec:
  sourceRef:
    kind: GitRepository
    name: apps
  git:
    commit:
      author:
        email: bot@example.com
        name: bot
${o.messageTemplate ? `      messageTemplate: ${JSON.stringify(o.messageTemplate)}\n` : ''}${o.push ? `    push:\n      branch: ${o.push}\n` : ''}  update:
    path: ./components
`,
    };
  }

  const run = (files: FileTree, inputs: Record<string, string> = {}, env: Record<string, string> = {}) => {
    const fleet = tmp();
    writeTree(fleet, files);
    return runFleetUpdate(fleet, server.token, emptyDockerConfig, inputs, env);
  };

  describe('checkout by tag, semver and commit', () => {
    it('ref.tag: the update is committed on top of the tag and pushed to the push branch; a second run is a no-op', async () => {
      const files = appsCluster({ ref: '    tag: v1.0.0', push: 'from-tag' });
      const r = await run(files);
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const head = tip('acme/d2-apps', 'refs/heads/from-tag');
      expect(JSON.parse(r.outputs.commits)).toEqual([{ repository: `${server.url}/acme/d2-apps.git`, branch: 'from-tag', sha: head }]);
      expect(tip('acme/d2-apps', `${head}^`)).toBe(apps.first);
      expect(tip('acme/d2-apps', 'refs/heads/main')).toBe(apps.tip);
      expect(r.summary).toContain(`checkout \`tag v1.0.0 (${apps.first.slice(0, 7)})\`, push \`from-tag\``);
      const again = await run(files);
      expect(again.exitCode, again.stdout + again.stderr).toBe(0);
      expect(again.outputs.changed).toBe('false');
      expect(tip('acme/d2-apps', 'refs/heads/from-tag')).toBe(head);
    });

    it('ref.semver: the highest matching tag', async () => {
      const r = await run(appsCluster({ ref: '    semver: ">=1.0.0 <2.0.0"', push: 'from-semver' }));
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(tip('acme/d2-apps', 'refs/heads/from-semver^')).toBe(apps.second);
      expect(r.summary).toContain(`tag v1.1.0 (${apps.second.slice(0, 7)}), semver >=1.0.0 <2.0.0`);
    });

    it('ref.commit within ref.branch', async () => {
      const r = await run(appsCluster({ ref: `    branch: main\n    commit: "${apps.first}"`, push: 'from-commit' }));
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(tip('acme/d2-apps', 'refs/heads/from-commit^')).toBe(apps.first);
    });

    it('a tag checkout without a push branch, or an abbreviated commit, fails before any git request', async () => {
      const before = server.stats.requests;
      const noPush = await run(appsCluster({ ref: '    tag: v1.0.0' }));
      expect(noPush.exitCode).toBe(1);
      expect(noPush.errors.join('\n')).toContain('push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref');
      const short = await run(appsCluster({ ref: `    commit: "${apps.first.slice(0, 7)}"`, push: 'x' }));
      expect(short.exitCode).toBe(1);
      expect(short.errors.join('\n')).toMatch(/is not a full commit SHA/);
      expect(server.stats.requests).toBe(before);
    });
  });

  describe('ResourceSet inputsFrom', () => {
    const providersCluster = (extraProvider = '') => ({
      'clusters/update/runtime-info.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flux-runtime-info\n  namespace: flux-system\ndata:\n  REGISTRY: "${reg.host}"\n`,
      'clusters/update/providers.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: settings, namespace: flux-system}
spec:
  type: Static
  defaultValues:
    pushBranch: from-providers
    namespace: apps
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: chart, namespace: flux-system}
spec:
  type: OCIArtifactTag
  url: oci://${reg.host}/${DEMO_IMAGES.podinfo.repository}
  insecure: true
  filter: {semver: "6.x", limit: 1}
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: branch, namespace: flux-system}
spec:
  type: GitHubBranch
  url: ${gh.serverUrl}/acme/d2-apps
  filter: {includeBranch: "^main$"}
${extraProvider}`,
      'clusters/update/automation.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: image-update-automation, namespace: flux-system}
spec:
  inputStrategy: {name: Permute}
  inputsFrom:
    - kind: ResourceSetInputProvider
      name: settings
    - kind: ResourceSetInputProvider
      name: chart
    - kind: ResourceSetInputProvider
      name: branch
  resources:
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: flux-runtime-info
        namespace: << inputs.settings.namespace >>
        annotations: {fluxcd.controlplane.io/copyFrom: flux-system/flux-runtime-info}
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      metadata: {name: apps, namespace: << inputs.settings.namespace >>}
      spec:
        url: ${server.url}/acme/d2-apps.git
        ref: {branch: << inputs.branch.branch >>}
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata: {name: apps, namespace: << inputs.settings.namespace >>}
      spec:
        targetNamespace: << inputs.settings.namespace >>
        path: ./update-policies
        sourceRef: {kind: GitRepository, name: apps}
        postBuild:
          substituteFrom: [{kind: ConfigMap, name: flux-runtime-info}]
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageUpdateAutomation
      metadata: {name: apps, namespace: << inputs.settings.namespace >>}
      spec:
        sourceRef: {kind: GitRepository, name: apps}
        git:
          commit:
            author: {email: bot@example.com, name: bot}
            messageTemplate: "Update (latest chart {{ .Values.chart }} at {{ .Values.digest }}, branch sha {{ .Values.sha }})"
            messageTemplateValues:
              chart: << inputs.chart.tag >>
              digest: << inputs.chart.digest >>
              sha: << inputs.branch.sha >>
          push: {branch: << inputs.settings.pushBranch >>}
        update: {path: ./components}
`,
    });

    it('the automation comes from Static, OCIArtifactTag (registry) and GitHubBranch (forge) providers', async () => {
      const listBefore = gh.requests.filter((q) => q.operationId === 'repos/list-branches').length;
      const r = await run(providersCluster(), {}, { GITHUB_SERVER_URL: gh.serverUrl, GITHUB_API_URL: gh.url });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const head = tip('acme/d2-apps', 'refs/heads/from-providers') as string;
      const digest = (await fetch(`${reg.url}/v2/${DEMO_IMAGES.podinfo.repository}/manifests/6.9.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).headers.get('docker-content-digest');
      expect(gitLocal(server.repoPath('acme/d2-apps'), 'log', '-1', '--format=%B', head).trim()).toBe(`Update (latest chart 6.9.0 at ${digest}, branch sha ${apps.tip})`);
      const listed = gh.requests.filter((q) => q.operationId === 'repos/list-branches');
      expect(listed.length - listBefore).toBe(1);
      expect(listed.at(-1)?.login).toBe('github-actions[bot]');
      expect(gh.violations).toEqual([]);
    });

    it('a provider type that cannot be resolved is refused by name before any request', async () => {
      const gitBefore = server.stats.requests;
      const ghBefore = gh.requests.length;
      const extra = '---\napiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata: {name: mrs, namespace: flux-system}\nspec:\n  type: GitLabMergeRequest\n  url: https://gitlab.example.com/o/r\n';
      const files = providersCluster(extra);
      files['clusters/update/automation.yaml'] = files['clusters/update/automation.yaml'].replace('      name: branch\n', '      name: branch\n    - kind: ResourceSetInputProvider\n      name: mrs\n');
      const r = await run(files, {}, { GITHUB_SERVER_URL: gh.serverUrl, GITHUB_API_URL: gh.url });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toContain("ResourceSetInputProvider flux-system/mrs (clusters/update/providers.yaml): provider type 'GitLabMergeRequest' is not supported without a cluster");
      expect(server.stats.requests).toBe(gitBefore);
      expect(gh.requests.length).toBe(ghBefore);
    });
  });

  describe('postBuild.substituteFrom Secrets', () => {
    const HIDDEN = 'hidden-prefix-a7f3c9';
    let secretRepo = '';
    beforeAll(async () => {
      // The apps repository with policies whose image paths come from a Secret.
      const files = appsRepo(opts);
      files['update-policies/frontend-podinfo.yaml'] = files['update-policies/frontend-podinfo.yaml'].replace(`\${REGISTRY}/${DEMO_IMAGES.podinfo.repository}`, '${REGISTRY}/${CHART_PATH}');
      files['update-policies/backend-redis.yaml'] = files['update-policies/backend-redis.yaml'].replace(`\${REGISTRY}/${DEMO_IMAGES.redis.repository}`, '${REGISTRY}/${IMAGE_PREFIX}/redis');
      secretRepo = 'acme/secret-apps';
      await createRepo(secretRepo, files);
    });
    const substituteFrom = '      - kind: ConfigMap\n        name: flux-runtime-info\n      - kind: Secret\n        name: image-paths\n';

    it('keys come from the environment; values are masked and redacted from errors, summary and outputs', async () => {
      const r = await run(
        appsCluster({ ref: '    branch: main', push: 'image-updates', substituteFrom, repo: secretRepo }),
        { 'substitute-secrets': 'apps/image-paths.CHART_PATH=CHART_PATH_VALUE\napps/image-paths.IMAGE_PREFIX=PREFIX_VALUE' },
        { CHART_PATH_VALUE: DEMO_IMAGES.podinfo.repository, PREFIX_VALUE: HIDDEN },
      );
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      // The Secret's CHART_PATH found the chart: podinfo was updated.
      expect(JSON.parse(r.outputs.changes)).toContainEqual(expect.objectContaining({ file: 'frontend/base/podinfo.yaml', old: DEMO_IMAGES.podinfo.initial, new: '6.9.0' }));
      expect(tip(secretRepo, 'refs/heads/image-updates')).toBeDefined();
      // IMAGE_PREFIX names a repository that does not exist: a policy error, whose message is redacted.
      expect(r.stdout).toContain(`::add-mask::${HIDDEN}`);
      expect(unmasked(r.stdout + r.stderr)).not.toContain(HIDDEN);
      expect(r.summary).not.toContain(HIDDEN);
      expect(r.summary).toMatch(/\| apps\/backend-redis \| .*\*\*\*/);
      expect(JSON.stringify(r.outputs)).not.toContain(HIDDEN);
    });

    it('an unmapped Secret, or an unset variable, fails the step before any git request', async () => {
      const before = server.stats.requests;
      const unmapped = await run(appsCluster({ ref: '    branch: main', push: 'image-updates', substituteFrom, repo: secretRepo }));
      expect(unmapped.exitCode).toBe(1);
      expect(unmapped.errors.join('\n')).toMatch(/Secret apps\/image-paths for post-build substitution not found[\s\S]*substitute-secrets/);
      const unset = await run(appsCluster({ ref: '    branch: main', push: 'image-updates', substituteFrom, repo: secretRepo }), { 'substitute-secrets': 'apps/image-paths.CHART_PATH=NOT_SET_ANYWHERE' });
      expect(unset.exitCode).toBe(1);
      expect(unset.errors.join('\n')).toContain('environment variable NOT_SET_ANYWHERE (for apps/image-paths.CHART_PATH) is not set');
      expect(server.stats.requests).toBe(before);
    });
  });

  it('kind: List documents in the update cluster and in the policies path', async () => {
    const files = appsRepo(opts);
    const items = ['update-policies/frontend-podinfo.yaml', 'update-policies/backend-redis.yaml'].flatMap((f) => parseAllDocuments(files[f]).map((d) => d.toJS() as unknown));
    delete files['update-policies/frontend-podinfo.yaml'];
    delete files['update-policies/backend-redis.yaml'];
    delete files['update-policies/kustomization.yaml'];
    files['update-policies/policies.yaml'] = stringify({ apiVersion: 'v1', kind: 'List', items });
    await createRepo('acme/listed-apps', files);
    const cluster = appsCluster({ ref: '    branch: main', push: 'image-updates', repo: 'acme/listed-apps' });
    const docs = parseAllDocuments(cluster['clusters/update/apps.yaml']).map((d) => d.toJS() as unknown);
    cluster['clusters/update/apps.yaml'] = stringify({ apiVersion: 'v1', kind: 'List', items: docs });
    const r = await run(cluster);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(JSON.parse(r.outputs.changes).map((c: { file: string }) => c.file)).toEqual(['backend/base/redis.yaml', 'frontend/base/podinfo.yaml']);
    expect(tip('acme/listed-apps', 'refs/heads/image-updates')).toBeDefined();
  });

  describe('tokens: a token per repository', () => {
    const d2 = (pushBranch: string) => fleetRepo({ ...opts, pushBranch });

    it('each repository uses its own token: apps pushes with its token, infra fails with a wrong one that is never printed', async () => {
      const r = await run(d2('per-repo-tokens'), { token: '', tokens: `${server.url}/acme/d2-apps.git=${server.token}\n${server.url.replace(/^http:\/\//, '')}/acme/d2-infra=ghp_wrong_infra_token` });
      expect(r.exitCode).toBe(1);
      expect(tip('acme/d2-apps', 'refs/heads/per-repo-tokens')).toBeDefined();
      expect(tip('acme/d2-infra', 'refs/heads/per-repo-tokens')).toBeUndefined();
      expect(r.errors.join('\n')).toMatch(/acme\/d2-infra\.git: .*PAT or GitHub App token/s);
      expect(r.stdout).toContain('::add-mask::ghp_wrong_infra_token');
      expect(unmasked(r.stdout + r.stderr)).not.toContain('ghp_wrong_infra_token');
      expect(unmasked(r.stdout + r.stderr)).not.toContain(server.token);
    });

    it('repositories without a mapping use token', async () => {
      const r = await run(d2('fallback-token'), { tokens: `${server.url}/acme/d2-apps=${server.token}` });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      expect(tip('acme/d2-infra', 'refs/heads/fallback-token')).toBeDefined();
    });

    it('a repository with no mapping and no token, or a bad line, fails before anything is cloned', async () => {
      const before = server.stats.requests;
      const missing = await run(d2('never'), { token: '', tokens: `${server.url}/acme/d2-apps=${server.token}` });
      expect(missing.exitCode).toBe(1);
      expect(missing.errors.join('\n')).toContain(`no token for ${server.url.replace(/^http:\/\//, '')}/acme/d2-infra: tokens does not map it and token is empty`);
      const empty = await run(d2('never'), { tokens: `${server.url}/acme/d2-apps=` });
      expect(empty.exitCode).toBe(1);
      expect(empty.errors.join('\n')).toContain("input 'tokens', line 1: the token for");
      expect(server.stats.requests).toBe(before);
      expect(tip('acme/d2-apps', 'refs/heads/never')).toBeUndefined();
    });
  });
});
