/**
 * A small image-automation world for the e2e-update bundle tests of commit signing, grouping and commits through the
 * GitHub API: a CNCF distribution registry with three images, the sandbox git server (and optionally the GitHub
 * emulator over it), repositories laid out like D2's (`components/<name>/…` plus a file outside any component), and
 * an update cluster directory with one ImageUpdateAutomation per repository. With the emulator, the runs see the git
 * server as the GitHub server (GITHUB_SERVER_URL) and the emulator as its API (GITHUB_API_URL), as on github.com.
 */
import { execFileSync } from 'node:child_process';
import { writeTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitHubEmulator, type GitHubEmulator } from '@d2/sandbox/github-emulator';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';
import { commitAndPush, deploymentYaml, git, policyYaml, runFleetUpdate, scratchDirs, seedTags } from '../../support/update-stack.js';

export { git, gitAsync, unmasked } from '../../support/update-stack.js';

/** The images: frontend and backend in their components, shared in a file directly below `components/`. */
export const IMAGES = ['frontend', 'backend', 'shared'] as const;

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
  const tmp = scratchDirs('d2-update-world-');
  const emptyDockerConfig = tmp();
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
      for (const img of IMAGES) await seedTags(reg, `${name}/${img}`, ['1.0.0']);
      await commitAndPush(tmp(), {
        ...Object.fromEntries(IMAGES.map((i) => [`policies/${i}.yaml`, policyYaml(i, image(name, i))])),
        'components/frontend/deploy.yaml': deploymentYaml('frontend', image(name, 'frontend'), 'apps'),
        'components/backend/app/deploy.yaml': deploymentYaml('backend', image(name, 'backend'), 'apps'),
        'components/shared.yaml': deploymentYaml('shared', image(name, 'shared'), 'apps'),
      }, server.authUrl(full));
    },
    async release(name, tag, images = IMAGES) {
      for (const img of images) await seedTags(reg, `${name}/${img}`, [tag]);
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
      writeTree(fleet, files);
      return runFleetUpdate(fleet, server.token, emptyDockerConfig, inputs, { ...(gh ? { GITHUB_API_URL: gh.url, GITHUB_SERVER_URL: new URL(server.url).origin } : {}), ...env });
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
      tmp.cleanup();
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
