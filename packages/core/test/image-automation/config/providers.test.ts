/**
 * ResourceSetInputProviders resolved from real servers (docs/image-automation.md "ResourceSet inputsFrom"):
 * OCIArtifactTag from a CNCF distribution registry through our OCI client (tags, semver filter, limit, digests as the
 * registry reports them), GitHubTag and GitHubBranch from the GitHub emulator through Octokit (pagination, peeled tag
 * commits, filters), and loadFleetConfig reading an update cluster whose automation comes from those inputs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { createOctokit, githubRefLister } from '../../../src/github/index.js';
import { inputId, loadFleetConfig, parseInputProvider, parseObjects, resolveInputProvider, type InputProviderDeps } from '../../../src/image-automation/config/index.js';
import { RegistryClient } from '../../../src/oci/index.js';

const exec = promisify(execFile);
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'd2-providers-'));
  dirs.push(d);
  return d;
};

let reg: SandboxRegistry;
let server: SandboxGitServer;
let gh: GitHubEmulator;
let registry: RegistryClient;
const digests = new Map<string, string>();
const commits = new Map<string, string>();

/** Pushes an image per tag (distinct config blobs, so distinct digests) and records each manifest digest. */
async function seed(repo: string, tags: readonly string[]): Promise<void> {
  for (const tag of tags) {
    const config = Buffer.from(`{"repo":"${repo}","tag":"${tag}"}`);
    const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
    const loc = new URL(start.headers.get('location') ?? '', reg.url);
    loc.searchParams.set('digest', sha256(config));
    await fetch(loc, { method: 'PUT', body: config });
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] }));
    const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(201);
    digests.set(`${repo}:${tag}`, sha256(manifest));
  }
}

const deps = (): InputProviderDeps => ({ registry, github: () => githubRefLister(createOctokit(server.token, { baseUrl: gh.url, warn: () => {} })) });
const provider = (spec: string) =>
  parseInputProvider(parseObjects(`apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata:\n  name: p\n  namespace: team\nspec:\n${spec}`, 'p.yaml')[0], 'p.yaml');

beforeAll(async () => {
  reg = await startRegistry({ auth: 'anonymous' });
  server = await startGitServer();
  gh = await startGitHubEmulator({ git: server });
  registry = new RegistryClient({});
  await seed('team/app', ['1.0.0', '1.1.0', '1.2.0-rc.1', '2.0.0', 'latest', 'v1.1.5']);
  await gh.addRepo('acme/app');
  const w = tmp();
  const git = (...args: string[]) => exec('git', args, { cwd: w });
  await git('init', '-q', '-b', 'main');
  writeFileSync(join(w, 'f'), 'x');
  await git('add', '-A');
  await git('-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init');
  commits.set('main', (await git('rev-parse', 'HEAD')).stdout.trim());
  // 120 tags (two pages of 100), one of them annotated; three branches.
  for (let i = 0; i < 120; i++) await git('tag', `v0.${i}.0`);
  await git('-c', 'user.name=s', '-c', 'user.email=s@e', 'tag', '-a', '-m', 'release', 'v1.0.0');
  for (const b of ['release/1.0', 'release/2.0', 'feature/x']) await git('branch', b);
  await git('push', '-q', server.authUrl('acme/app'), '--all');
  await git('push', '-q', server.authUrl('acme/app'), '--tags');
});
afterAll(async () => {
  registry?.close();
  await gh?.stop();
  await server?.stop();
  await reg?.stop();
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});

describe('OCIArtifactTag from a CNCF distribution registry', () => {
  it('exports id, tag and digest per tag: semver descending, limit, defaults', async () => {
    const p = provider(`  type: OCIArtifactTag\n  url: oci://${reg.host}/team/app\n  insecure: true\n  filter:\n    semver: ">=1.0.0"\n    limit: 2\n  defaultValues:\n    env: staging\n`);
    expect(await resolveInputProvider(p, deps())).toEqual([
      { id: inputId('2.0.0'), tag: '2.0.0', digest: digests.get('team/app:2.0.0'), env: 'staging' },
      { id: inputId('v1.1.5'), tag: 'v1.1.5', digest: digests.get('team/app:v1.1.5'), env: 'staging' },
    ]);
  });

  it('without semver: every tag in descending byte order; include/exclude regexes', async () => {
    const all = await resolveInputProvider(provider(`  type: OCIArtifactTag\n  url: oci://${reg.host}/team/app\n`), deps());
    expect(all.map((i) => i.tag)).toEqual(['v1.1.5', 'latest', '2.0.0', '1.2.0-rc.1', '1.1.0', '1.0.0']);
    const some = await resolveInputProvider(provider(`  type: OCIArtifactTag\n  url: oci://${reg.host}/team/app\n  filter:\n    includeTag: "^1\\\\."\n    excludeTag: "-rc"\n`), deps());
    expect(some.map((i) => i.tag)).toEqual(['1.1.0', '1.0.0']);
  });

  it('a registry error names the provider and keeps the hint', async () => {
    await expect(resolveInputProvider(provider(`  type: OCIArtifactTag\n  url: oci://${reg.host}/team/missing\n`), deps())).rejects.toThrow(/ResourceSetInputProvider team\/p: failed to list OCI tags for '.*team\/missing'/);
  });
});

describe('GitHubTag and GitHubBranch from the GitHub emulator', () => {
  it('GitHubTag: all pages, annotated tags peeled to the commit, semver and limit', async () => {
    const p = provider(`  type: GitHubTag\n  url: ${gh.serverUrl}/acme/app\n  filter:\n    semver: ">=0.118.0"\n`);
    const before = gh.requests.filter((r) => r.operationId === 'repos/list-tags').length;
    expect(await resolveInputProvider(p, deps())).toEqual([
      { id: inputId('v1.0.0'), sha: commits.get('main'), tag: 'v1.0.0' },
      { id: inputId('v0.119.0'), sha: commits.get('main'), tag: 'v0.119.0' },
      { id: inputId('v0.118.0'), sha: commits.get('main'), tag: 'v0.118.0' },
    ]);
    expect(gh.requests.filter((r) => r.operationId === 'repos/list-tags').length - before).toBe(2);
    expect(gh.violations).toEqual([]);
    const latest = await resolveInputProvider(provider(`  type: GitHubTag\n  url: ${gh.serverUrl}/acme/app\n  filter:\n    limit: 1\n    semver: "*"\n`), deps());
    expect(latest.map((i) => i.tag)).toEqual(['v1.0.0']);
  });

  it('GitHubBranch: the API order, include/exclude, limit', async () => {
    const p = provider(`  type: GitHubBranch\n  url: ${gh.serverUrl}/acme/app\n  filter:\n    includeBranch: "^release/"\n  defaultValues:\n    team: platform\n`);
    expect(await resolveInputProvider(p, deps())).toEqual([
      { id: inputId('release/1.0'), sha: commits.get('main'), branch: 'release/1.0', team: 'platform' },
      { id: inputId('release/2.0'), sha: commits.get('main'), branch: 'release/2.0', team: 'platform' },
    ]);
    const one = await resolveInputProvider(provider(`  type: GitHubBranch\n  url: ${gh.serverUrl}/acme/app\n  filter:\n    excludeBranch: "^main$"\n    limit: 1\n`), deps());
    expect(one.map((i) => i.branch)).toEqual(['feature/x']);
  });

  it('a forge error names the provider and GitHub\'s answer', async () => {
    await expect(resolveInputProvider(provider(`  type: GitHubTag\n  url: ${gh.serverUrl}/acme/nope\n`), deps())).rejects.toThrow(/ResourceSetInputProvider team\/p: failed to list tags: could not list the tags of acme\/nope: GitHub said: 404/);
  });
});

describe('loadFleetConfig with providers', () => {
  it('the automation is built from a Static, an OCIArtifactTag and a GitHubBranch provider (Permute)', async () => {
    const fleet = tmp();
    writeTree(fleet, {
      'clusters/update/providers.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: settings, namespace: team}
spec:
  type: Static
  defaultValues: {pushBranch: image-updates}
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: release, namespace: team}
spec:
  type: OCIArtifactTag
  url: oci://${reg.host}/team/app
  filter: {semver: ">=1.0.0", limit: 1}
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata: {name: branch, namespace: team}
spec:
  type: GitHubBranch
  url: ${gh.serverUrl}/acme/app
  filter: {includeBranch: "^release/2"}
`,
      'clusters/update/rs.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata: {name: automation, namespace: team}
spec:
  inputStrategy: {name: Permute}
  inputsFrom:
    - name: settings
    - name: release
    - name: branch
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      metadata: {name: app, namespace: team}
      spec:
        url: ${server.url}/acme/app.git
        ref: {branch: << inputs.branch.branch >>}
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata: {name: app, namespace: team}
      spec:
        path: ./policies
        sourceRef: {kind: GitRepository, name: app}
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageUpdateAutomation
      metadata: {name: app, namespace: team}
      spec:
        sourceRef: {kind: GitRepository, name: app}
        git:
          commit:
            author: {email: bot@example.com}
            messageTemplateValues:
              release: << inputs.release.tag >>
              digest: << inputs.release.digest >>
              id: << inputs.id | quote >>
          push: {branch: << inputs.settings.pushBranch >>}
`,
    });
    const [t] = await loadFleetConfig(fleet, 'clusters/update', deps());
    expect(t.git).toMatchObject({ url: `${server.url}/acme/app.git`, checkoutBranch: 'release/2.0', pushBranch: 'image-updates' });
    expect(t.commit.values).toEqual({ release: '2.0.0', digest: digests.get('team/app:2.0.0'), id: inputId('branch=0/release=0/settings=0') });
  });

  it('a bad provider fails before any registry or forge request', async () => {
    const fleet = tmp();
    writeTree(fleet, {
      'clusters/update/p.yaml': `apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata: {name: release, namespace: team}\nspec:\n  type: GitHubTag\n  url: ${gh.serverUrl}/acme/app\n---\napiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata: {name: bad, namespace: team}\nspec:\n  type: GitHubTag\n  url: ${gh.serverUrl}/acme/app\n  filter: {semver: "not a range"}\n`,
      'clusters/update/rs.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata: {name: rs, namespace: team}\nspec:\n  inputsFrom: [{name: release}, {name: bad}]\n  resources: []\n',
    });
    const before = gh.requests.length;
    await expect(loadFleetConfig(fleet, 'clusters/update', deps())).rejects.toThrow(/ResourceSetInputProvider team\/bad .*invalid semver expression/);
    expect(gh.requests.length).toBe(before);
  });
});
