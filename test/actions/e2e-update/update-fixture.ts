/**
 * A small image-automation world for the e2e-update bundle tests of commit signing, grouping and commits through the
 * GitHub API: a CNCF distribution registry with three images, the sandbox git server (and optionally the GitHub
 * emulator over it), repositories laid out like D2's (`components/<name>/…` plus a file outside any component), and
 * an update cluster directory with one ImageUpdateAutomation per repository. With the emulator, the runs see the git
 * server as the GitHub server (GITHUB_SERVER_URL) and the emulator as its API (GITHUB_API_URL), as on github.com.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
/** For requests to the in-process servers: never block their event loop. */
export const gitAsync = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
/** stdout without the ::add-mask:: commands (which must carry a secret so the runner can mask it). */
export const unmasked = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

async function seed(reg: SandboxRegistry, repo: string, tags: readonly string[]): Promise<void> {
  const config = Buffer.from(`{"repo":"${repo}"}`);
  const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const loc = new URL(start.headers.get('location') ?? '', reg.url);
  loc.searchParams.set('digest', sha256(config));
  await fetch(loc, { method: 'PUT', body: config });
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length }, layers: [] });
  for (const tag of tags) {
    const r = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: manifest, headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } });
    expect(r.status).toBe(201);
  }
}

/** The images: frontend and backend in their components, shared in a file directly below `components/`. */
export const IMAGES = ['frontend', 'backend', 'shared'] as const;

const policy = (name: string, image: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${name}
spec:
  image: ${image}
  insecure: true
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ${name}
spec:
  imageRepositoryRef:
    name: ${name}
  policy:
    semver:
      range: ">=1.0.0"
`;

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: apps
spec:
  template:
    spec:
      containers:
        - name: ${name}
          image: ${image}:1.0.0 # {"$imagepolicy": "apps:${name}"}
`;

export interface UpdateWorld {
  reg: SandboxRegistry;
  server: SandboxGitServer;
  gh?: GitHubEmulator;
  tmp(): string;
  /** Creates acme/<name> (main) with policies/, components/frontend/, components/backend/ and components/shared.yaml. */
  createRepo(name: string): Promise<void>;
  /** Pushes new tags for the images (default all) of acme/<name>. */
  release(name: string, tag: string, images?: readonly string[]): Promise<void>;
  /** The commit `ref` points at in acme/<name>, or undefined. */
  rev(name: string, ref: string): string | undefined;
  /** `git <args>` in the bare repository of acme/<name>. */
  bare(name: string, ...args: string[]): string;
  /** An update cluster directory for acme/<name>; `commitExtra` is YAML under spec.git.commit (indented 6). */
  cluster(name: string, o?: { push?: string; commitExtra?: string }): Record<string, string>;
  /** Runs the e2e-update bundle in fleet mode on `files`. */
  runFleet(files: Record<string, string>, inputs?: Record<string, string>, env?: Record<string, string>): Promise<ActionRun>;
  /** Runs the e2e-update bundle in direct mode on acme/<name>. */
  runDirect(name: string, inputs?: Record<string, string>, env?: Record<string, string>): Promise<ActionRun>;
  stop(): Promise<void>;
}

export async function startUpdateWorld(o: { github?: boolean } = {}): Promise<UpdateWorld> {
  const reg = await startRegistry({ auth: 'anonymous' });
  const server = await startGitServer();
  const gh = o.github ? await startGitHubEmulator({ git: server }) : undefined;
  const tmps: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'd2-update-world-'));
    tmps.push(d);
    return d;
  };
  const emptyDockerConfig = tmp();
  const write = (dir: string, files: Record<string, string>) => {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
  };
  const image = (name: string, img: string) => `${reg.host}/${name}/${img}`;
  const world: UpdateWorld = {
    reg,
    server,
    gh,
    tmp,
    async createRepo(name) {
      const full = `acme/${name}`;
      if (gh) await gh.addRepo(full);
      else await server.createRepo(full);
      for (const img of IMAGES) await seed(reg, `${name}/${img}`, ['1.0.0']);
      const w = tmp();
      git(w, 'init', '-q', '-b', 'main');
      write(w, {
        ...Object.fromEntries(IMAGES.map((i) => [`policies/${i}.yaml`, policy(i, image(name, i))])),
        'components/frontend/deploy.yaml': deployment('frontend', image(name, 'frontend')),
        'components/backend/app/deploy.yaml': deployment('backend', image(name, 'backend')),
        'components/shared.yaml': deployment('shared', image(name, 'shared')),
      });
      git(w, 'add', '-A');
      git(w, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
      await gitAsync(w, 'push', '-q', server.authUrl(full), 'main');
    },
    async release(name, tag, images = IMAGES) {
      for (const img of images) await seed(reg, `${name}/${img}`, [tag]);
    },
    rev(name, ref) {
      try {
        return git(server.repoPath(`acme/${name}`), 'rev-parse', '--verify', '-q', ref).trim();
      } catch {
        return undefined;
      }
    },
    bare: (name, ...args) => git(server.repoPath(`acme/${name}`), ...args),
    cluster(name, c = {}) {
      return {
        'clusters/update/apps.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: ${name}
  namespace: apps
spec:
  url: ${server.url}/acme/${name}.git
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: apps
spec:
  targetNamespace: apps
  path: ./policies
  sourceRef:
    kind: GitRepository
    name: ${name}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: ${name}
  namespace: apps
spec:
  sourceRef:
    kind: GitRepository
    name: ${name}
  git:
    commit:
      author:
        email: bot@example.com
        name: D2 Bot
${c.commitExtra ?? ''}    push:
      branch: ${c.push ?? 'image-updates'}
  update:
    path: ./components
`,
      };
    },
    runFleet(files, inputs = {}, env = {}) {
      const fleet = tmp();
      write(fleet, files);
      return runActionBundle('e2e-update', {
        workspace: fleet,
        repository: 'acme/d2-fleet',
        inputs: { automation: 'clusters/update', token: server.token, ...inputs },
        env: { DOCKER_CONFIG: emptyDockerConfig, ...(gh ? { GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: new URL(server.url).origin } : {}), ...env },
      });
    },
    runDirect(name, inputs = {}, env = {}) {
      return runActionBundle('e2e-update', {
        workspace: tmp(),
        repository: `acme/${name}`,
        inputs: { repository: `${server.url}/acme/${name}.git`, 'policies-path': 'policies', namespace: 'apps', 'update-path': 'components', token: server.token, 'author-name': 'D2 Bot', 'author-email': 'bot@example.com', ...inputs },
        env: { DOCKER_CONFIG: emptyDockerConfig, ...(gh ? { GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: new URL(server.url).origin } : {}), ...env },
      });
    },
    async stop() {
      await gh?.stop();
      await server.stop();
      await reg.stop();
      for (const d of tmps) rmSync(d, { recursive: true, force: true });
    },
  };
  return world;
}

/** An RSA OpenPGP key made by gpg in a throwaway GNUPGHOME (its agent stopped after): armored secret and public key. */
export function gpgKey(dir: string, passphrase = ''): { privateKey: string; publicKey: string } {
  const env = { ...process.env, GNUPGHOME: dir };
  const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', passphrase, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    gpg('--quick-gen-key', 'D2 Bot <bot@example.com>', 'rsa2048', 'sign', 'never');
    return { privateKey: gpg('--armor', '--export-secret-keys'), publicKey: gpg('--armor', '--export') };
  } finally {
    execFileSync('gpgconf', ['--kill', 'all'], { env });
  }
}
