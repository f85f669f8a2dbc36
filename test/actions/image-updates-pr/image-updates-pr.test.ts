// image-updates-pr through its committed bundle (runActionBundle), against the sandbox GitHub emulator (strict
// OpenAPI validation) backed by real git repositories on the sandbox git server. Behaviour: docs/github.md "image-updates-pr — decisions" (a re-run
// is safe: it updates the same PR or does nothing); commit messages in the D2 template format (docs/image-automation.md
// "Commit messages").
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { OpenApiValidator, startGitHubEmulator, type GitHubEmulator, type RecordedRequest } from '@d2/sandbox/github-emulator';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const ident = ['-c', 'user.name=fluxcdbot', '-c', 'user.email=fluxcdbot@users.noreply.github.com', '-c', 'credential.helper='];
const FILE = 'frontend/base/podinfo.yaml';
const POLICY = 'apps:podinfo:tag';

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  return stdout.trim();
}

/** The commit message the D2 image automation writes for one bump (the D2 template of docs/image-automation.md "Commit messages"). */
function d2Message(from: string, to: string): string {
  return `Automated image update\n\nFiles:\n- ${FILE}\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - ${from} -> ${to}\n`;
}

function manifest(tag: string): string {
  return [
    'apiVersion: source.toolkit.fluxcd.io/v1',
    'kind: OCIRepository',
    'metadata:',
    '  name: podinfo-chart',
    'spec:',
    '  url: oci://ghcr.io/stefanprodan/charts/podinfo',
    '  ref:',
    `    tag: ${tag} # {"$imagepolicy": "${POLICY}"}`,
    '',
  ].join('\n');
}

describe('image-updates-pr action (bundle, GitHub emulator, real git)', () => {
  let gitServer: SandboxGitServer;
  let gh: GitHubEmulator;
  let work: string;
  const token = 'ghs_image_updates_pr_test';

  beforeAll(async () => {
    OpenApiValidator.warmUp();
    gitServer = await startGitServer();
    gh = await startGitHubEmulator({ git: gitServer, tokens: [token, { token: 'ghs_read_only', readOnly: true }] });
    work = mkdtempSync(join(tmpdir(), 'd2-iupr-'));
  });

  afterAll(async () => {
    await gh?.stop();
    await gitServer?.stop();
  });

  afterEach(() => {
    // Strict mode already turns violations into 500s; this makes a silent one visible too.
    expect(gh.violations).toEqual([]);
  });

  /** A repository with main at podinfo 6.14.0 and, unless skipped, image-updates bumped to 6.15.0 by the automation. */
  async function seed(name: string, opts: { branch?: boolean; requiredChecks?: boolean } = {}): Promise<string> {
    await gh.addRepo(`acme/${name}`, { defaultBranch: 'main', requiredChecks: opts.requiredChecks });
    const dir = join(work, name);
    await git(work, 'clone', '--quiet', gitServer.authUrl(`acme/${name}`), dir);
    mkdirSync(dirname(join(dir, FILE)), { recursive: true });
    writeFileSync(join(dir, FILE), manifest('6.14.0'));
    await git(dir, 'add', '.');
    await git(dir, 'commit', '--quiet', '-m', 'Add podinfo');
    await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
    await git(dir, 'checkout', '--quiet', '-b', 'image-updates');
    if (opts.branch !== false) await bump(dir, '6.14.0', '6.15.0');
    return dir;
  }

  async function bump(dir: string, from: string, to: string): Promise<string> {
    writeFileSync(join(dir, FILE), manifest(to));
    await git(dir, 'commit', '--quiet', '-a', '-m', d2Message(from, to));
    await git(dir, 'push', '--quiet', '--force', 'origin', 'HEAD:image-updates');
    return git(dir, 'rev-parse', 'HEAD');
  }

  function run(name: string, inputs: Record<string, string> = {}, extra: Parameters<typeof runActionBundle>[1] = {}): Promise<ActionRun> {
    return runActionBundle('image-updates-pr', {
      repository: `acme/${name}`,
      ...extra,
      inputs: { token, ...inputs },
      env: { GITHUB_API_URL: gh.url, GITHUB_GRAPHQL_URL: gh.graphqlUrl, GITHUB_SERVER_URL: gh.serverUrl, ...(extra.env ?? {}) },
    });
  }

  function requestsFor(name: string, operationId: string): RecordedRequest[] {
    return gh.requests.filter((r) => r.operationId === operationId && (r.path.startsWith(`/repos/acme/${name}/`) || r.path === `/repos/acme/${name}` || operationId === 'graphql'));
  }

  function explain(r: ActionRun): string {
    return `exit ${r.exitCode}\nerrors: ${r.errors.join('\n')}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
  }

  it('creates the PR with --fill-first title/body and a change table, then updates it on a later push, then is a no-op', async () => {
    const dir = await seed('create');
    const sha1 = await git(dir, 'rev-parse', 'HEAD');
    const first = await run('create');
    expect(first.exitCode, explain(first)).toBe(0);
    expect(first.outputs).toMatchObject({ operation: 'created', 'pull-request-number': '1', 'pull-request-url': `${gh.serverUrl}/acme/create/pull/1`, 'head-sha': sha1 });
    const [create] = requestsFor('create', 'pulls/create');
    expect(create.body).toMatchObject({ head: 'image-updates', base: 'main', title: 'Automated image update', draft: false });
    const body = String((create.body as { body: string }).body);
    // --fill-first body: the first commit's body, then the generated table with file, object, old → new, policy.
    expect(body.startsWith('Files:\n- frontend/base/podinfo.yaml\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0')).toBe(true);
    expect(body).toContain('| `frontend/base/podinfo.yaml` | OCIRepository podinfo-chart | `6.14.0` → `6.15.0` | `apps:podinfo:tag` |');
    expect(first.summary).toContain(`[#1 Automated image update](${gh.serverUrl}/acme/create/pull/1)`);
    expect(first.summary).toContain('**Created**');

    const sha2 = await bump(dir, '6.15.0', '6.16.0');
    const second = await run('create');
    expect(second.exitCode, explain(second)).toBe(0);
    expect(second.outputs).toMatchObject({ operation: 'updated', 'pull-request-number': '1', 'head-sha': sha2 });
    expect(requestsFor('create', 'pulls/create')).toHaveLength(1);
    const [update] = requestsFor('create', 'pulls/update');
    // Two bumps of one value collapse into one row: 6.14.0 → 6.16.0.
    expect(String((update.body as { body: string }).body)).toContain('| `frontend/base/podinfo.yaml` | OCIRepository podinfo-chart | `6.14.0` → `6.16.0` | `apps:podinfo:tag` |');
    const pulls = await gh.pulls('acme/create');
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ state: 'open', title: 'Automated image update', head: { sha: sha2 } });

    const third = await run('create');
    expect(third.exitCode, explain(third)).toBe(0);
    expect(third.outputs).toMatchObject({ operation: 'none', 'pull-request-number': '1', 'head-sha': sha2 });
    expect(requestsFor('create', 'pulls/update')).toHaveLength(1);
    expect(requestsFor('create', 'pulls/create')).toHaveLength(1);
  });

  it('closes the PR when head has no diff against base and optionally deletes the branch; a missing head is operation none', async () => {
    const dir = await seed('close');
    expect((await run('close')).outputs.operation).toBe('created');
    // The automation's change was reverted on main: image-updates now equals main in content.
    await git(dir, 'push', '--quiet', '--force', 'origin', 'origin/main:image-updates');
    const closed = await run('close', { 'delete-branch-when-empty': 'true' });
    expect(closed.exitCode, explain(closed)).toBe(0);
    expect(closed.outputs).toMatchObject({ operation: 'closed', 'pull-request-number': '1' });
    expect((await gh.pulls('acme/close'))[0]).toMatchObject({ state: 'closed', merged: false });
    expect(await git(gitServer.repoPath('acme/close'), 'for-each-ref', 'refs/heads/image-updates')).toBe('');
    expect(closed.summary).toContain('Branch `image-updates` deleted');

    const missing = await run('close');
    expect(missing.exitCode, explain(missing)).toBe(0);
    expect(missing.outputs).toMatchObject({ operation: 'none', 'head-sha': '', 'pull-request-number': '' });
    expect(missing.stdout).toContain('Branch image-updates does not exist');
  });

  it('keeps an empty PR open with close-when-empty: false', async () => {
    const dir = await seed('keep');
    expect((await run('keep')).outputs.operation).toBe('created');
    await git(dir, 'push', '--quiet', '--force', 'origin', 'origin/main:image-updates');
    const r = await run('keep', { 'close-when-empty': 'false' });
    expect(r.outputs.operation).toBe('none');
    expect((await gh.pulls('acme/keep'))[0].state).toBe('open');
  });

  it('adds labels and assignees, requests reviewers and team reviewers, and creates drafts', async () => {
    await seed('meta');
    const r = await run('meta', { labels: 'image-updates, automated\ndependencies', assignees: 'alice', reviewers: 'bob\ncarol', 'team-reviewers': 'platform', draft: 'true' });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(requestsFor('meta', 'pulls/create')[0].body).toMatchObject({ draft: true });
    expect(requestsFor('meta', 'issues/add-labels')[0].body).toEqual({ labels: ['image-updates', 'automated', 'dependencies'] });
    expect(requestsFor('meta', 'issues/add-assignees')[0].body).toEqual({ assignees: ['alice'] });
    expect(requestsFor('meta', 'pulls/request-reviewers')[0].body).toEqual({ reviewers: ['bob', 'carol'], team_reviewers: ['platform'] });
    const [pr] = await gh.pulls('acme/meta');
    expect(pr).toMatchObject({ draft: true });
    expect((pr.labels as { name: string }[]).map((l) => l.name)).toEqual(['image-updates', 'automated', 'dependencies']);
    expect((pr.requested_teams as { slug: string }[]).map((t) => t.slug)).toEqual(['platform']);
    // A re-run adds no label twice and does not re-request reviews.
    const again = await run('meta', { labels: 'image-updates, automated\ndependencies', reviewers: 'bob' });
    expect(again.exitCode, explain(again)).toBe(0);
    expect(requestsFor('meta', 'issues/add-labels')).toHaveLength(1);
    expect(requestsFor('meta', 'pulls/request-reviewers')).toHaveLength(1);
  });

  it('enables auto-merge through GraphQL enablePullRequestAutoMerge with the requested method', async () => {
    await seed('automerge');
    const before = gh.requests.length;
    const r = await run('automerge', { 'auto-merge': 'squash' });
    expect(r.exitCode, explain(r)).toBe(0);
    const gql = gh.requests.slice(before).filter((q) => q.operationId === 'graphql');
    expect(gql).toHaveLength(1);
    const body = gql[0].body as { query: string; variables: Record<string, string> };
    expect(body.query).toMatch(/enablePullRequestAutoMerge\(input: \{pullRequestId: \$pullRequestId, mergeMethod: \$mergeMethod\}\)/);
    const [pr] = await gh.pulls('acme/automerge');
    expect(body.variables).toEqual({ pullRequestId: pr.node_id, mergeMethod: 'SQUASH' });
    expect(pr.auto_merge).toMatchObject({ merge_method: 'squash' });
    expect(r.summary).toContain('Auto-merge enabled (squash)');
  });

  it('explains auto-merge refusals as warnings (clean status, setting off) without failing', async () => {
    await seed('clean', { requiredChecks: false });
    const r = await run('clean', { 'auto-merge': 'merge' });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(r.outputs.operation).toBe('created');
    expect(r.warnings.join('\n')).toMatch(/Pull request is in clean status.*required status checks/s);
    gh.failNext('graphql', 'auto-merge-not-allowed');
    const r2 = await run('clean', { 'auto-merge': 'rebase' });
    expect(r2.warnings.join('\n')).toMatch(/Auto merge is not allowed.*'Allow auto-merge'/s);
  });

  it('runs on the D2 create event (GITHUB_EVENT_NAME=create, ref refs/heads/image-updates)', async () => {
    const dir = await seed('create-event');
    const sha = await git(dir, 'rev-parse', 'HEAD');
    const r = await run(
      'create-event',
      {},
      {
        eventName: 'create',
        ref: 'refs/heads/image-updates',
        sha,
        actor: 'fluxcdbot',
        event: { ref: 'image-updates', ref_type: 'branch', master_branch: 'main', pusher_type: 'user', repository: { full_name: 'acme/create-event', default_branch: 'main' }, sender: { login: 'fluxcdbot' } },
      },
    );
    expect(r.exitCode, explain(r)).toBe(0);
    expect(r.outputs).toMatchObject({ operation: 'created', 'head-sha': sha });
    expect(r.stdout).toContain('Event create on refs/heads/image-updates');
  });

  it("uses e2e-update's changes output for the table when given, keeping this repository's rows", async () => {
    await seed('changes');
    const changes = JSON.stringify([
      { repository: 'acme/changes', file: 'apps/a.yaml', object: 'Deployment a', setter: 'apps:a:tag', old: '1.0.0', new: '1.1.0' },
      { repository: 'acme/other', file: 'x.yaml', object: 'Deployment x', setter: 'apps:x', old: '1', new: '2' },
    ]);
    const r = await run('changes', { changes, title: 'Bump images', body: 'Updates:\n\n{{ changes }}\n\nBy D2.' });
    expect(r.exitCode, explain(r)).toBe(0);
    const create = requestsFor('changes', 'pulls/create')[0].body as { title: string; body: string };
    expect(create.title).toBe('Bump images');
    expect(create.body).toMatch(/^Updates:\n\n\| File \| Object \| Change \| Policy \|/);
    expect(create.body).toContain('| `apps/a.yaml` | Deployment a | `1.0.0` → `1.1.0` | `apps:a:tag` |');
    expect(create.body).not.toContain('x.yaml');
    expect(create.body.endsWith('\n\nBy D2.')).toBe(true);
  });

  it('falls back to the $imagepolicy lines of the diff when commit messages are not in the D2 format', async () => {
    const dir = await seed('diffonly', { branch: false });
    writeFileSync(join(dir, FILE), manifest('6.20.0'));
    await git(dir, 'commit', '--quiet', '-a', '-m', 'chore: bump podinfo');
    await git(dir, 'push', '--quiet', 'origin', 'HEAD:image-updates');
    const r = await run('diffonly');
    expect(r.exitCode, explain(r)).toBe(0);
    const create = requestsFor('diffonly', 'pulls/create')[0].body as { title: string; body: string };
    expect(create.title).toBe('chore: bump podinfo');
    expect(create.body).toContain('| `frontend/base/podinfo.yaml` |  | `6.14.0` → `6.20.0` | `apps:podinfo:tag` |');
  });

  describe('error translation', () => {
    it('"GitHub Actions is not permitted to create or approve pull requests" names the setting and the App/PAT alternative', async () => {
      await seed('notpermitted');
      gh.failNext('pulls/create', 'not-permitted');
      const r = await run('notpermitted');
      expect(r.exitCode).toBe(1);
      const text = r.errors.join('\n');
      expect(text).toContain('GitHub Actions is not permitted to create or approve pull requests.');
      expect(text).toContain("'Allow GitHub Actions to create and approve pull requests'");
      expect(text).toMatch(/GitHub App installation token or a PAT/);
      expect(text).not.toContain(token);
    });

    it('403 "Resource not accessible by integration" names permissions: pull-requests: write', async () => {
      await seed('readonly');
      const r = await run('readonly', { token: 'ghs_read_only' });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(/Resource not accessible by integration[\s\S]*pull-requests: write[\s\S]*pull_requests=write/);
      expect(await gh.pulls('acme/readonly')).toEqual([]);
    });

    it('422 "No commits between" from GitHub is operation none, not a failure', async () => {
      await seed('nocommits');
      gh.failNext('pulls/create', 'no-commits');
      const r = await run('nocommits');
      expect(r.exitCode, explain(r)).toBe(0);
      expect(r.outputs.operation).toBe('none');
    });

    it('422 "A pull request already exists" with no PR to update fails with the GitHub message and a hint', async () => {
      await seed('exists');
      gh.failNext('pulls/create', 'already-exists');
      const r = await run('exists');
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toContain('A pull request already exists for acme:image-updates.');
    });

    it('secondary rate limits are retried (retry-after), then fail clearly when they persist', async () => {
      await seed('ratelimit');
      gh.failNext('pulls/list', 'secondary-rate-limit', 1);
      const ok = await run('ratelimit');
      expect(ok.exitCode, explain(ok)).toBe(0);
      expect(ok.warnings.join('\n')).toMatch(/secondary rate limit on GET .*pulls.*retrying in 1s/);
      // Two retries (createOctokit's default), so three answers in a row exhaust them.
      gh.failNext('pulls/list', 'secondary-rate-limit', 3);
      const bad = await run('ratelimit');
      expect(bad.exitCode).toBe(1);
      expect(bad.errors.join('\n')).toMatch(/You have exceeded a secondary rate limit[\s\S]*retries ran out/);
      expect(requestsFor('ratelimit', 'pulls/list').filter((q) => q.status === 403)).toHaveLength(4);
    });

    it('a wrong token is "Bad credentials" with a hint; bad inputs fail before any request', async () => {
      await seed('badtoken');
      const r = await run('badtoken', { token: 'ghs_wrong' });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(/Bad credentials[\s\S]*invalid or expired/);

      const before = gh.requests.length;
      const bad = await run('badtoken', { head: 'image updates' });
      expect(bad.exitCode).toBe(1);
      expect(bad.errors.join('\n')).toContain("input 'head' is not a valid branch name: 'image updates'");
      const badJson = await run('badtoken', { changes: '{not json' });
      expect(badJson.errors.join('\n')).toContain("input 'changes' is not JSON");
      const badMerge = await run('badtoken', { 'auto-merge': 'fast-forward' });
      expect(badMerge.errors.join('\n')).toContain("input 'auto-merge' must be one of false, merge, squash, rebase");
      expect(gh.requests.length).toBe(before);
    });
  });

  it('the summary file is Markdown with the PR link (read from GITHUB_STEP_SUMMARY)', async () => {
    await seed('summary');
    const r = await run('summary');
    expect(r.summary).toMatch(/^## Image updates pull request\n/);
    expect(r.summary).toContain(`(${gh.serverUrl}/acme/summary/pull/1)`);
  });
});
