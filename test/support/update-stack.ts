/**
 * The set-up the e2e-update tests share (test/actions/e2e-update, test/adversarial): git run locally and against the
 * in-process sandbox git server, images tagged in the sandbox registry, temporary directories removed after the file,
 * a work tree committed once and pushed to a repository of the git server, and the smallest policy and workload YAML
 * an update acts on.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { semverImagePolicy } from '@d2/core/fleet';
import { DEMO_IMAGES, writeTree, type D2RepoOptions, type FileTree } from '@d2/sandbox/d2-repos';
import type { SandboxGitServer } from '@d2/sandbox/git-server';
import type { SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const gitEnv = () => ({ ...process.env, GIT_TERMINAL_PROMPT: '0' });
/** git, synchronously: for work trees and the server's bare repositories, never for requests to the in-process servers. */
export const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: gitEnv() });
/** For requests to the in-process servers: never block their event loop. */
export const gitAsync = (cwd: string, ...args: string[]) => promisify(execFile)('git', args, { cwd, env: gitEnv() });
/** stdout without the ::add-mask:: commands (which must carry a secret so the runner can mask it). */
export const unmasked = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

/** Tags `repo` of the registry with each of `tags`: one small OCI manifest (an empty image) per tag. */
export async function seedTags(reg: Pick<SandboxRegistry, 'url'>, repo: string, tags: readonly string[]): Promise<void> {
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

/** The demo charts and images (DEMO_IMAGES) with their initial and newer tags. */
export async function seedDemoImages(reg: Pick<SandboxRegistry, 'url'>): Promise<void> {
  const img = DEMO_IMAGES;
  for (const i of [img.podinfo, img.redis, img.certManager, img.prometheus]) await seedTags(reg, i.repository, [i.initial, ...i.newer]);
}

/** The D2 repositories (@d2/sandbox/d2-repos) of owner acme on the sandbox registry and git server. */
export const d2RepoOptions = (reg: SandboxRegistry, server: SandboxGitServer): D2RepoOptions => ({
  owner: 'acme',
  registry: reg.host,
  appsGitUrl: `${server.url}/acme/d2-apps.git`,
  infraGitUrl: `${server.url}/acme/d2-infra.git`,
});

/** `tmp()` makes a temporary directory named `<prefix>…`; `tmp.cleanup()` removes all it made. */
export interface ScratchDirs {
  (): string;
  cleanup(): void;
}

export function scratchDirs(prefix: string): ScratchDirs {
  const made: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
  return Object.assign(tmp, {
    cleanup() {
      for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  });
}

/** `dir` as a new work tree on main holding `files` (beside what is there already), committed once and pushed to `pushUrl`. */
export async function commitAndPush(dir: string, files: FileTree, pushUrl: string): Promise<void> {
  git(dir, 'init', '-q', '-b', 'main');
  writeTree(dir, files);
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
  await gitAsync(dir, 'push', '-q', pushUrl, 'main');
}

/**
 * The e2e-update bundle in fleet mode as acme/d2-fleet's workflow runs it: the update cluster clusters/update of the
 * fleet checked out at `workspace`, `token` for git, and an empty Docker config (`dockerConfig`) for the registry.
 */
export function runFleetUpdate(workspace: string, token: string, dockerConfig: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runActionBundle('e2e-update', {
    workspace,
    repository: 'acme/d2-fleet',
    inputs: { automation: 'clusters/update', token, ...inputs },
    env: { DOCKER_CONFIG: dockerConfig, ...env },
  });
}

/** An ImageRepository for `image` (plain HTTP registry) and its ImagePolicy (semver >=1.0.0), both named `name`. */
export const policyYaml = (name: string, image: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${name}
spec:
  image: ${image}
  insecure: true
---
${semverImagePolicy(name, '>=1.0.0')}`;

/** A Deployment running `image`:1.0.0 with the setter marker of policy apps:<name>. */
export const deploymentYaml = (name: string, image: string, namespace?: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  template:
    spec:
      containers:
        - name: ${name}
          image: ${image}:1.0.0 # {"$imagepolicy": "apps:${name}"}
`;
