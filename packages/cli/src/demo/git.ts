/**
 * The git a workflow would do around the actions (actions/checkout, a developer's commits and tags), with the real
 * git CLI against the sandbox git server. Commits use fixed identities and no user/global config (HOME is isolated).
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeTree, type FileTree } from '@d2/sandbox/d2-repos';

const execFileAsync = promisify(execFile);

const GIT_ENV: NodeJS.ProcessEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'D2 Demo Developer',
  GIT_AUTHOR_EMAIL: 'developer@d2-demo.example',
  GIT_COMMITTER_NAME: 'D2 Demo Developer',
  GIT_COMMITTER_EMAIL: 'developer@d2-demo.example',
};

export async function git(cwd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 16 << 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    // Never echo a URL with credentials: messages mention the command verb only.
    throw new Error(`git ${args[0]} failed in ${cwd}: ${(e.stderr ?? e.message).replace(/\/\/[^@/\s]+@/g, '//***@').trim()}`);
  }
}

export async function tempDir(prefix: string, base?: string): Promise<string> {
  return mkdtemp(join(base ?? tmpdir(), prefix));
}

/** Writes `files` into a new repository and pushes its first commit to `main` of `authUrl`. Returns the commit SHA. */
export async function seedRepository(authUrl: string, files: FileTree, message: string, base?: string): Promise<string> {
  const dir = await tempDir('d2-demo-seed-', base);
  await git(dir, ['init', '--quiet', '--initial-branch=main']);
  writeTree(dir, files);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '--quiet', '-m', message]);
  await git(dir, ['push', '--quiet', authUrl, 'main:main']);
  return git(dir, ['rev-parse', 'HEAD']);
}

/** actions/checkout: a fresh clone of `ref` (branch or tag name); returns the workspace and the checked-out SHA. */
export async function checkout(authUrl: string, ref: string, base?: string): Promise<{ dir: string; sha: string }> {
  const dir = await tempDir('d2-demo-ws-', base);
  await git(dir, ['clone', '--quiet', '--depth', '1', '--branch', ref, authUrl, '.']);
  return { dir, sha: await git(dir, ['rev-parse', 'HEAD']) };
}

/** Creates and pushes an annotated tag at the tip of main; returns the tagged commit SHA. */
export async function pushTag(authUrl: string, tag: string, base?: string): Promise<string> {
  const { dir, sha } = await checkout(authUrl, 'main', base);
  await git(dir, ['tag', '-a', tag, '-m', `Release ${tag}`]);
  await git(dir, ['push', '--quiet', authUrl, `refs/tags/${tag}`]);
  return sha;
}

/** The SHA of a branch on the remote, or undefined. */
export async function remoteBranchSha(authUrl: string, branch: string): Promise<string | undefined> {
  const out = await git(tmpdir(), ['ls-remote', authUrl, `refs/heads/${branch}`]);
  return out ? out.split(/\s+/)[0] : undefined;
}

/** Subject lines of the commits on `branch` that `base` lacks (newest first). */
export async function commitsAhead(authUrl: string, base: string, branch: string, baseDir?: string): Promise<{ sha: string; subject: string }[]> {
  const dir = await tempDir('d2-demo-log-', baseDir);
  await git(dir, ['init', '--quiet', '--bare']);
  await git(dir, ['fetch', '--quiet', authUrl, `refs/heads/${base}:refs/heads/${base}`, `refs/heads/${branch}:refs/heads/${branch}`]);
  const out = await git(dir, ['log', '--format=%H %s', `${base}..${branch}`]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ sha: l.slice(0, 40), subject: l.slice(41) }));
}

/** Paths that differ between two commits of the remote (`git diff --name-only from to`). */
export async function changedPaths(authUrl: string, from: string, to: string, baseDir?: string): Promise<string[]> {
  const dir = await tempDir('d2-demo-diff-', baseDir);
  await git(dir, ['init', '--quiet', '--bare']);
  await git(dir, ['fetch', '--quiet', authUrl, 'refs/heads/*:refs/heads/*']);
  const out = await git(dir, ['diff', '--name-only', from, to]);
  return out.split('\n').filter(Boolean);
}
