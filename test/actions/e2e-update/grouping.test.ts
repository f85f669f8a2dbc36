/**
 * One branch and pull request per change group (docs/image-automation.md "Change groups"), through the committed
 * e2e-update and image-updates-pr bundles on the sandbox git server, a CNCF distribution registry and the GitHub
 * emulator (strict OpenAPI validation): group-by component puts each component's changes (and those outside any
 * component, as `other`) on `image-updates/<group>`; group-by policy one branch per ImagePolicy; the same group lands
 * on the same branch run after run; image-updates-pr with `head: image-updates/*` opens, refreshes and closes one PR
 * per branch. Bad grouping input fails before any git request, and a group whose branch would be an invalid ref
 * commits nothing.
 */
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, gitAsync, startUpdateWorld, type UpdateWorld } from './update-fixture.js';

describe('e2e-update group-by + image-updates-pr image-updates/*', () => {
  let w: UpdateWorld;
  beforeAll(async () => {
    w = await startUpdateWorld({ github: true });
  });
  afterAll(async () => w?.stop());

  /** Files that differ between main and `branch` in acme/<name>. */
  const changedFiles = (name: string, branch: string) => w.bare(name, 'diff', '--name-only', `main...${branch}`).trim().split('\n').filter(Boolean);
  const branches = (name: string) =>
    w
      .bare(name, 'for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/')
      .trim()
      .split('\n')
      .filter((b) => b !== 'main');
  const explain = (r: ActionRun) => `exit ${r.exitCode}\n${r.errors.join('\n')}\n${r.stdout}\n${r.stderr}`;
  const prRun = (name: string, inputs: Record<string, string>) =>
    runActionBundle('image-updates-pr', {
      repository: `acme/${name}`,
      inputs: { token: w.server.token, ...inputs },
      env: { GITHUB_API_URL: w.gh?.url, GITHUB_SERVER_URL: w.gh?.serverUrl, GITHUB_GRAPHQL_URL: w.gh?.graphqlUrl },
    });

  it('group-by component: a branch per component and other; stable across runs; image-updates-pr opens, refreshes and closes one PR each', async () => {
    await w.createRepo('grp-comp');
    await w.release('grp-comp', '1.1.0');
    const first = await w.runFleet(w.cluster('grp-comp'), { 'group-by': 'component' });
    expect(first.exitCode, explain(first)).toBe(0);
    expect(branches('grp-comp')).toEqual(['image-updates/backend', 'image-updates/frontend', 'image-updates/other']);
    expect(changedFiles('grp-comp', 'image-updates/frontend')).toEqual(['components/frontend/deploy.yaml']);
    expect(changedFiles('grp-comp', 'image-updates/backend')).toEqual(['components/backend/app/deploy.yaml']);
    expect(changedFiles('grp-comp', 'image-updates/other')).toEqual(['components/shared.yaml']);
    const commits = JSON.parse(first.outputs.commits) as Array<{ branch: string; sha: string }>;
    expect(commits.map((c) => c.branch).sort()).toEqual(['image-updates/backend', 'image-updates/frontend', 'image-updates/other']);
    for (const c of commits) expect(w.rev('grp-comp', `refs/heads/${c.branch}`)).toBe(c.sha);
    const changes = JSON.parse(first.outputs.changes) as Array<{ file: string; group: string; branch: string }>;
    expect(changes.map((c) => [c.file, c.group, c.branch])).toEqual([
      ['backend/app/deploy.yaml', 'backend', 'image-updates/backend'],
      ['frontend/deploy.yaml', 'frontend', 'image-updates/frontend'],
      ['shared.yaml', 'other', 'image-updates/other'],
    ]);
    expect(first.summary).toContain('· group frontend');

    // Same groups, nothing new: no commit anywhere.
    const tips = Object.fromEntries(branches('grp-comp').map((b) => [b, w.rev('grp-comp', `refs/heads/${b}`)]));
    const again = await w.runFleet(w.cluster('grp-comp'), { 'group-by': 'component' });
    expect(again.exitCode, explain(again)).toBe(0);
    expect(JSON.parse(again.outputs.commits)).toEqual([]);
    expect(Object.fromEntries(branches('grp-comp').map((b) => [b, w.rev('grp-comp', `refs/heads/${b}`)]))).toEqual(tips);

    // Only frontend has a newer image: only its branch moves, on top of its earlier update.
    await w.release('grp-comp', '1.2.0', ['frontend']);
    const third = await w.runFleet(w.cluster('grp-comp'), { 'group-by': 'component' });
    expect(third.exitCode, explain(third)).toBe(0);
    expect(JSON.parse(third.outputs.commits).map((c: { branch: string }) => c.branch)).toEqual(['image-updates/frontend']);
    expect(w.rev('grp-comp', 'refs/heads/image-updates/frontend^')).toBe(tips['image-updates/frontend']);
    expect(w.rev('grp-comp', 'refs/heads/image-updates/backend')).toBe(tips['image-updates/backend']);

    // One PR per branch, with that branch's rows only.
    const prs = await prRun('grp-comp', { head: 'image-updates/*', changes: third.outputs.changes });
    expect(prs.exitCode, explain(prs)).toBe(0);
    const out = JSON.parse(prs.outputs['pull-requests']) as Array<{ head: string; operation: string; number: number }>;
    expect(out.map((p) => [p.head, p.operation])).toEqual([
      ['image-updates/backend', 'created'],
      ['image-updates/frontend', 'created'],
      ['image-updates/other', 'created'],
    ]);
    const pulls = await w.gh!.pulls('acme/grp-comp');
    expect(pulls.map((p) => (p as { head: { ref: string } }).head.ref).sort()).toEqual(['image-updates/backend', 'image-updates/frontend', 'image-updates/other']);
    const frontend = pulls.find((p) => (p as { head: { ref: string } }).head.ref === 'image-updates/frontend') as { body: string };
    expect(frontend.body).toContain('1.2.0');
    expect(frontend.body).not.toContain('backend/app/deploy.yaml');

    // frontend is merged (main = its tip): its PR is closed, the others are left as they are.
    const d = w.tmp();
    git(d, 'init', '-q');
    await gitAsync(d, 'fetch', '-q', w.server.authUrl('acme/grp-comp'), 'refs/heads/image-updates/frontend');
    await gitAsync(d, 'push', '-q', w.server.authUrl('acme/grp-comp'), 'FETCH_HEAD:refs/heads/main');
    const after = await prRun('grp-comp', { head: 'image-updates/*' });
    expect(after.exitCode, explain(after)).toBe(0);
    expect((JSON.parse(after.outputs['pull-requests']) as Array<{ head: string; operation: string }>).map((p) => [p.head, p.operation])).toEqual([
      ['image-updates/backend', 'none'],
      ['image-updates/frontend', 'closed'],
      ['image-updates/other', 'none'],
    ]);
    expect(w.gh!.violations).toEqual([]);
  });

  it('group-by policy in direct mode, with a custom branch template', async () => {
    await w.createRepo('grp-pol');
    await w.release('grp-pol', '1.1.0', ['frontend', 'shared']);
    const r = await w.runDirect('grp-pol', { 'group-by': 'policy', 'branch-template': 'deps/{{ .Group | upper }}' });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(branches('grp-pol')).toEqual(['deps/FRONTEND', 'deps/SHARED']);
    expect(changedFiles('grp-pol', 'deps/FRONTEND')).toEqual(['components/frontend/deploy.yaml']);
    expect(changedFiles('grp-pol', 'deps/SHARED')).toEqual(['components/shared.yaml']);
  });

  it('bad grouping input fails before any git request; a group that renders an invalid ref commits nothing', async () => {
    await w.createRepo('grp-bad');
    await w.release('grp-bad', '1.1.0');
    const before = w.server.stats.requests;
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'group-by': 'team' }, /input 'group-by' must be one of none, component, policy, got 'team'/],
      [{ 'group-by': 'component', 'branch-template': 'image updates/{{ .Group }}' }, /renders 'image updates\/frontend' for group 'frontend', which is not a valid branch name/],
      [{ 'group-by': 'component', 'branch-template': 'image-updates' }, /renders the same branch 'image-updates' for every group/],
      [{ 'group-by': 'component', 'branch-template': 'x/{{ .Group' }, /cannot be rendered/],
    ];
    for (const [inputs, expected] of cases) {
      const r = await w.runFleet(w.cluster('grp-bad'), inputs);
      expect(r.exitCode, r.stdout).toBe(1);
      expect(r.errors.join('\n')).toMatch(expected);
    }
    expect(w.server.stats.requests).toBe(before);
    // A component directory whose name is not a valid ref ("a..b"): the target fails before its first commit.
    const d = w.tmp();
    await gitAsync(d, 'clone', '-q', w.server.authUrl('acme/grp-bad'), 'c');
    git(`${d}/c`, 'mv', 'components/frontend', 'components/a..b');
    git(`${d}/c`, '-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'rename');
    await gitAsync(`${d}/c`, 'push', '-q', 'origin', 'main');
    const r = await w.runFleet(w.cluster('grp-bad'), { 'group-by': 'component' });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/renders 'image-updates\/a\.\.b' for group 'a\.\.b', which is not a valid branch name/);
    expect(branches('grp-bad')).toEqual([]);
  });

  it('an existing image-updates branch blocks image-updates/<group> (git stores branches as paths): a clear error, nothing committed', async () => {
    await w.createRepo('grp-clash');
    await w.release('grp-clash', '1.1.0');
    const plain = await w.runFleet(w.cluster('grp-clash'));
    expect(plain.exitCode, explain(plain)).toBe(0);
    const tip = w.rev('grp-clash', 'refs/heads/image-updates');
    const r = await w.runFleet(w.cluster('grp-clash'), { 'group-by': 'component' });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/the group branch image-updates\/backend cannot be created next to the existing branch image-updates/);
    expect(r.errors.join('\n')).toMatch(/delete that branch, or choose a branch-template/);
    expect(branches('grp-clash')).toEqual(['image-updates']);
    expect(w.rev('grp-clash', 'refs/heads/image-updates')).toBe(tip);
  });
});
