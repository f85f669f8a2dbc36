/**
 * The real parts the Flux peer tests run on: the sandbox git server (git http-backend behind Basic auth) and a CNCF
 * distribution registry, both on 127.0.0.1.
 *
 * IAC's controller and source tests name the image `helloworld` (Docker Hub) and set the ImagePolicy's
 * `status.latestRef` by hand. Here the policy is elected from real tags, and Docker Hub names are served by the sandbox
 * registry through `MirrorRegistry`, a registry mirror as containerd's `registry.mirrors` configures one: each Docker
 * Hub repository a test uses is routed to its own repository on the local registry, anything else is refused (no
 * request ever leaves the machine). So `latestRef.name` stays `helloworld`, and the files and commit messages are
 * compared with the Go tests' expected bytes unchanged.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { RegistryClient } from '../../../src/oci/index.js';
import type { ReflectorRegistry, ScanRepository } from '../../../src/image-automation/reflector/types.js';
import { commitAll, copyTree, git, scratchDir } from './fixtures.js';

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Routes Docker Hub repositories to repositories of the local registry; refuses every other registry. */
export class MirrorRegistry implements ReflectorRegistry {
  private readonly routes = new Map<string, string>();
  /** Every repository the reflector asked for, as it asked (registry/repository). */
  readonly requests: string[] = [];

  constructor(
    private readonly client: RegistryClient,
    private readonly host: string,
  ) {}

  /** `image` as an ImageRepository names it on Docker Hub (e.g. `helloworld`) → `repository` on the local registry. */
  route(image: string, repository: string): void {
    const key = image.includes('/') ? `index.docker.io/${image}` : `index.docker.io/library/${image}`;
    this.routes.set(key, repository);
  }

  private map(r: ScanRepository): ScanRepository {
    const key = `${r.registry}/${r.repository}`;
    this.requests.push(key);
    const to = this.routes.get(key);
    if (!to) throw new Error(`no mirror route for ${key}: the peer tests only talk to the local registry`);
    return { registry: this.host, repository: to };
  }

  listTags(r: ScanRepository): Promise<string[]> {
    return this.client.listTags(this.map(r));
  }

  headManifest(r: ScanRepository, reference: string): Promise<{ digest: string } | undefined> {
    return this.client.headManifest(this.map(r), reference);
  }
}

export interface PeerStack {
  reg: SandboxRegistry;
  server: SandboxGitServer;
  client: RegistryClient;
  mirror: MirrorRegistry;
  stop(): Promise<void>;
}

export async function startPeerStack(): Promise<PeerStack> {
  const reg = await startRegistry({ auth: 'anonymous' });
  const server = await startGitServer();
  const client = new RegistryClient({ proxy: false });
  const mirror = new MirrorRegistry(client, reg.host);
  return {
    reg,
    server,
    client,
    mirror,
    async stop() {
      client.close();
      await server.stop();
      await reg.stop();
    },
  };
}

let nonce = 0;

/**
 * Pushes one small image per tag to `repository` on the local registry (IRC `test.LoadImages`): every call gives every
 * tag new content, so a second call moves the tags to new digests. Returns tag → manifest digest.
 */
export async function loadImages(client: RegistryClient, host: string, repository: string, tags: readonly string[]): Promise<Record<string, string>> {
  const repo = { registry: host, repository };
  const out: Record<string, string> = {};
  for (const tag of tags) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', tag, nonce: nonce++ }));
    await client.pushBlob(repo, { data: config }, sha256(config));
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
        layers: [],
      }),
    );
    out[tag] = await client.putManifest(repo, tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  }
  return out;
}

/** A local clone of a repository on the sandbox server, for the test's own commits ("CommitInRepo"). */
export interface SeededRepo {
  fullName: string;
  /** Clone URL without credentials (what the GitRepository says). */
  url: string;
  /** Local work tree whose `origin` carries the test credentials. */
  local: string;
}

/**
 * IAC testutil `InitGitRepo`: a repository on the git server whose branches all point at one commit holding
 * `fixture` (plus `extra` files, e.g. the ImagePolicy manifests our model reads from git).
 */
export async function initGitRepo(
  server: SandboxGitServer,
  fullName: string,
  fixture: string | undefined,
  branches: readonly string[],
  extra: Record<string, string> = {},
): Promise<SeededRepo> {
  const repo = await server.createRepo(fullName);
  const local = scratchDir('d2-flux-peer-repo-');
  await git(local, 'init', '-q', '-b', branches[0]);
  if (fixture) copyTree(fixture, local);
  for (const [path, text] of Object.entries(extra)) writeTreeFile(local, path, text);
  await commitAll(local, 'Initial commit');
  await git(local, 'remote', 'add', 'origin', server.authUrl(fullName));
  await git(local, 'push', '-q', 'origin', ...branches.map((b) => `HEAD:refs/heads/${b}`));
  return { fullName, url: repo.url, local };
}

function writeTreeFile(root: string, path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

/** Commits a change in the local clone on `branch` and pushes it (IAC testutil `CommitInRepo`). */
export async function commitInRepo(repo: SeededRepo, branch: string, message: string, change: (dir: string) => void): Promise<string> {
  await git(repo.local, 'fetch', '-q', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`);
  await git(repo.local, 'checkout', '-q', '-B', branch, `refs/remotes/origin/${branch}`);
  change(repo.local);
  const sha = await commitAll(repo.local, message);
  await git(repo.local, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`);
  return sha;
}

/** The tip of `branch` in the bare repository on the server, or undefined. */
export function remoteTip(server: SandboxGitServer, fullName: string, branch: string): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '-q', `refs/heads/${branch}^{commit}`], { cwd: server.repoPath(fullName), encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/** A commit object of the bare repository: parents, author line and the message verbatim. */
export function readCommit(server: SandboxGitServer, fullName: string, sha: string): { parents: string[]; author: string; message: string } {
  const raw = execFileSync('git', ['cat-file', 'commit', sha], { cwd: server.repoPath(fullName), encoding: 'utf8' });
  const sep = raw.indexOf('\n\n');
  const headers = raw.slice(0, sep).split('\n');
  return {
    parents: headers.filter((h) => h.startsWith('parent ')).map((h) => h.slice(7)),
    author: headers.find((h) => h.startsWith('author '))?.slice(7) ?? '',
    message: raw.slice(sep + 2),
  };
}

/** Whether `sha` is an ancestor of (or equal to) `tip` in the bare repository. */
export function isAncestor(server: SandboxGitServer, fullName: string, sha: string, tip: string): boolean {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', sha, tip], { cwd: server.repoPath(fullName) });
    return true;
  } catch {
    return false;
  }
}

/** Kubernetes manifests as a multi-document YAML text. */
export const manifests = (...objects: object[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');

/** An ImageRepository and an ImagePolicy (semver) in git, as our model reads them (Kustomization path). */
export function policyManifests(policies: Array<{ name: string; image: string; range?: string; labels?: Record<string, string> }>): string {
  return manifests(
    ...policies.flatMap((p) => [
      { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', metadata: { name: `${p.name}-repo` }, spec: { image: p.image, interval: '1h' } },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImagePolicy',
        metadata: { name: p.name, ...(p.labels ? { labels: p.labels } : {}) },
        spec: { imageRepositoryRef: { name: `${p.name}-repo` }, policy: { semver: { range: p.range ?? '>=0.0.0' } } },
      },
    ]),
  );
}

/** Writes `objects` as the update cluster directory `cluster/` of a new fleet checkout; returns the checkout root. */
export function writeUpdateCluster(...objects: object[]): string {
  const root = scratchDir('d2-flux-peer-fleet-');
  writeTreeFile(root, 'cluster/automation.yaml', manifests(...objects));
  return root;
}

export const TEST_AUTHOR = { name: 'Flux B Ot', email: 'fluxbot@example.com' };

/** source-controller GitRepository as IAC's tests create it (`createGitRepository`). */
export function gitRepository(name: string, namespace: string, url: string, extra: Record<string, unknown> = {}): object {
  return { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', metadata: { name, namespace }, spec: { url, interval: '1h', timeout: '1m', ...extra } };
}

/** The Kustomization that applies the automation's policies from `path` of the same GitRepository (our model). */
export function policiesKustomization(namespace: string, gitRepo: { name: string; namespace: string }, path = './flux'): object {
  return {
    apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
    kind: 'Kustomization',
    metadata: { name: 'image-policies', namespace },
    spec: { interval: '1h', prune: true, path, sourceRef: { kind: 'GitRepository', name: gitRepo.name, namespace: gitRepo.namespace } },
  };
}

/** IAC's `createImageUpdateAutomation(name, namespace, gitRepo, gitRepoNamespace, checkout, push, refspec, template, _, update)`. */
export function imageUpdateAutomation(o: {
  name: string;
  namespace: string;
  gitRepo: string;
  gitRepoNamespace: string;
  checkoutBranch: string;
  pushBranch?: string;
  pushRefspec?: string;
  commitTemplate?: string;
  update?: Record<string, unknown>;
}): object {
  const push = o.pushBranch || o.pushRefspec ? { push: { ...(o.pushBranch ? { branch: o.pushBranch } : {}), ...(o.pushRefspec ? { refspec: o.pushRefspec } : {}) } } : {};
  return {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImageUpdateAutomation',
    metadata: { name: o.name, namespace: o.namespace },
    spec: {
      interval: '2h',
      sourceRef: { kind: 'GitRepository', name: o.gitRepo, namespace: o.gitRepoNamespace },
      git: {
        checkout: { ref: { branch: o.checkoutBranch } },
        commit: { ...(o.commitTemplate !== undefined ? { messageTemplate: o.commitTemplate } : {}), author: TEST_AUTHOR },
        ...push,
      },
      ...(o.update ? { update: o.update } : {}),
    },
  };
}
