/**
 * commit-via: api through the committed e2e-update bundle (docs/image-automation.md "Verified commits"), against the
 * GitHub emulator (strict OpenAPI validation) over the sandbox git server: the update is written through the Git Data
 * API (blobs, tree, commit, ref) with octokit, GitHub signs it (Verified) for a bot token, the tree is exactly the one
 * git built, and no git push happens. A branch protected with "Require signed commits" refuses a git push (a
 * pre-receive hook stands in for GitHub's) but takes the API commit. Bad combinations fail before any git request.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpdateWorld, type UpdateWorld } from './update-fixture.js';

describe('e2e-update bundle: commit-via api (verified commits)', () => {
  let w: UpdateWorld;
  beforeAll(async () => {
    w = await startUpdateWorld({ github: true });
  });
  afterAll(async () => w?.stop());

  const ops = (name: string) => w.gh!.requests.filter((r) => r.path.startsWith(`/repos/acme/${name}/git/`)).map((r) => `${r.method} ${r.operationId} ${r.status}`);

  it('writes the update through the Git Data API: Verified, the tree git built, no push; a later update fast-forwards the branch', async () => {
    await w.createRepo('api-commit');
    await w.release('api-commit', '1.1.0', ['frontend']);
    // No git push may happen: this repository refuses every push.
    const hook = join(w.server.repoPath('acme/api-commit'), 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "no pushes here" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const r = await w.runFleet(w.cluster('api-commit'), { 'commit-via': 'api' });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const sha = w.rev('api-commit', 'refs/heads/image-updates');
    expect(JSON.parse(r.outputs.commits)).toEqual([{ repository: `${w.server.url}/acme/api-commit.git`, branch: 'image-updates', sha, verified: true }]);
    expect(ops('api-commit')).toEqual(['POST git/create-blob 201', 'POST git/create-tree 201', 'POST git/create-commit 201', 'POST git/create-ref 201']);
    const raw = w.bare('api-commit', 'cat-file', 'commit', sha as string);
    expect(raw).toMatch(/\nauthor D2 Bot <bot@example.com> \d+ \+0000\ncommitter GitHub <noreply@github.com> \d+ \+0000\n\nUpdate from image update automation$/);
    expect(w.bare('api-commit', 'diff', '--name-only', 'main', sha as string).trim()).toBe('components/frontend/deploy.yaml');
    expect(w.bare('api-commit', 'show', `${sha}:components/frontend/deploy.yaml`)).toContain(':1.1.0 # {"$imagepolicy": "apps:frontend"}');
    expect(r.summary).toContain('**Verified** (signed by GitHub)');
    expect(r.stdout).toContain('Verified by the forge');

    await w.release('api-commit', '1.2.0', ['frontend']);
    const again = await w.runFleet(w.cluster('api-commit'), { 'commit-via': 'api' });
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    const next = w.rev('api-commit', 'refs/heads/image-updates');
    expect(w.rev('api-commit', `${next}^`)).toBe(sha);
    expect(ops('api-commit').slice(4)).toEqual(['POST git/create-blob 201', 'POST git/create-tree 201', 'POST git/create-commit 201', 'PATCH git/update-ref 200']);
    expect(w.gh!.violations).toEqual([]);
  });

  it('a branch that requires signed commits: git push is refused, commit-via api with grouping gets in', async () => {
    await w.createRepo('api-protected');
    await w.gh!.addRepo('acme/api-protected', { signedCommitBranches: ['image-updates/**'] });
    // GitHub refuses pushes of unsigned commits to the protected branches; this hook does the same for git pushes.
    const hook = join(w.server.repoPath('acme/api-protected'), 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\nwhile read old new ref; do case "$ref" in refs/heads/image-updates/*) echo "GH006: Protected branch update failed for $ref. Commits must have verified signatures." >&2; exit 1;; esac; done\n');
    chmodSync(hook, 0o755);
    await w.release('api-protected', '1.1.0', ['frontend', 'backend']);
    const viaGit = await w.runFleet(w.cluster('api-protected'), { 'group-by': 'component' });
    expect(viaGit.exitCode).toBe(1);
    expect(viaGit.errors.join('\n')).toMatch(/Commits must have verified signatures/);
    const viaApi = await w.runFleet(w.cluster('api-protected'), { 'group-by': 'component', 'commit-via': 'api' });
    expect(viaApi.exitCode, viaApi.stdout + viaApi.stderr).toBe(0);
    const commits = JSON.parse(viaApi.outputs.commits) as Array<{ branch: string; verified: boolean }>;
    expect(commits.map((c) => [c.branch, c.verified])).toEqual([
      ['image-updates/backend', true],
      ['image-updates/frontend', true],
    ]);
    expect(w.gh!.violations).toEqual([]);
  });

  it('commit-via api with signing-key, a refspec, or an unknown value fails before any git request', async () => {
    await w.createRepo('api-bad');
    const before = w.server.stats.requests;
    const bad = [
      [{ 'commit-via': 'api', 'signing-key': '-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----' }, /commit-via: api does not combine with 'signing-key'/],
      [{ 'commit-via': 'rest' }, /commit-via/],
    ] as const;
    for (const [inputs, expected] of bad) {
      const r = await w.runFleet(w.cluster('api-bad'), { ...inputs });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(expected);
    }
    const files = w.cluster('api-bad');
    files['clusters/update/apps.yaml'] = files['clusters/update/apps.yaml'].replace('      branch: image-updates\n', '      branch: image-updates\n      refspec: refs/heads/image-updates:refs/heads/auto\n');
    const refspec = await w.runFleet(files, { 'commit-via': 'api' });
    expect(refspec.exitCode).toBe(1);
    expect(refspec.errors.join('\n')).toMatch(/does not combine with spec.git.push.refspec/);
    expect(w.server.stats.requests).toBe(before);
  });
});
