/**
 * Concurrent e2e-update runs, and commits pushed to the push branch by someone else while a run is working, end
 * correct or fail loudly (docs/image-automation.md "Concurrent runs"): the push is a lease on the tip the update was
 * built on; when the branch moved, the run rebuilds the update on the new tip and pushes again (bounded), or fails
 * naming both commits. Nothing that another writer pushed is overwritten, and only a SHA that is on the branch is
 * reported as pushed.
 *
 * The bundles run as the runner runs them (runActionBundle) against the sandbox registry and git server. The git
 * server's onRequest hook interleaves the writers deterministically: it holds a run's push (its receive-pack ref
 * advertisement) until the other writer has moved the branch.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type GitRequestInfo, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle, type ActionRun } from '@d2/sandbox/runner';
import { commitAndPush, deploymentYaml, git, policyYaml, scratchDirs, seedTags } from '../support/update-stack.js';

const BRANCH = 'image-updates';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e-update: concurrent writers to the push branch (adversarial)', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let emptyDockerConfig: string;
  let hook: ((r: GitRequestInfo) => Promise<void> | void) | undefined;
  const tmp = scratchDirs('d2-adv-race-');

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer({ onRequest: (r) => hook?.(r) });
    emptyDockerConfig = tmp();
  });
  afterAll(async () => {
    hook = undefined;
    await server?.stop();
    await reg?.stop();
    tmp.cleanup();
  });

  /** A repository with two independent markers (a/ and b/) and their policies; images start at 1.0.0. */
  async function createRepo(name: string): Promise<void> {
    const full = `acme/${name}`;
    await server.createRepo(full);
    for (const img of ['a', 'b']) await seedTags(reg, `${name}/${img}`, ['1.0.0']);
    await commitAndPush(tmp(), {
      'policies/a.yaml': policyYaml('a', `${reg.host}/${name}/a`),
      'policies/b.yaml': policyYaml('b', `${reg.host}/${name}/b`),
      'a/deploy.yaml': deploymentYaml('a', `${reg.host}/${name}/a`),
      'b/deploy.yaml': deploymentYaml('b', `${reg.host}/${name}/b`),
    }, server.authUrl(full));
  }

  const tip = (name: string): string | undefined => {
    try {
      return git(server.repoPath(`acme/${name}`), 'rev-parse', '--verify', '-q', `refs/heads/${BRANCH}`).trim();
    } catch {
      return undefined;
    }
  };
  const show = (name: string, rev: string, path: string) => git(server.repoPath(`acme/${name}`), 'show', `${rev}:${path}`);
  const isAncestor = (name: string, a: string, b: string): boolean => {
    try {
      git(server.repoPath(`acme/${name}`), 'merge-base', '--is-ancestor', a, b);
      return true;
    } catch {
      return false;
    }
  };

  /** Someone else's commit on the push branch, written straight into the bare repository (not through the hook). */
  function foreignCommit(name: string, label: string): string {
    const w = tmp();
    const bare = server.repoPath(`acme/${name}`);
    git(w, 'init', '-q');
    git(w, 'fetch', '-q', bare, tip(name) ? `refs/heads/${BRANCH}` : 'refs/heads/main');
    git(w, 'checkout', '-q', '-B', 'work', 'FETCH_HEAD');
    writeFileSync(join(w, `${label}.txt`), `${label}\n`);
    git(w, 'add', '-A');
    git(w, '-c', 'user.name=someone', '-c', 'user.email=someone@example.com', 'commit', '-q', '-m', `foreign ${label}`);
    const sha = git(w, 'rev-parse', 'HEAD').trim();
    git(w, 'push', '-q', bare, `HEAD:refs/heads/${BRANCH}`);
    return sha;
  }

  const runUpdate = (name: string, updatePath: string): Promise<ActionRun> =>
    runActionBundle('e2e-update', {
      inputs: { repository: `${server.url}/acme/${name}.git`, 'policies-path': 'policies', namespace: 'apps', 'update-path': updatePath, 'push-branch': BRANCH, token: server.token },
      env: { DOCKER_CONFIG: emptyDockerConfig },
    });

  const commitsOf = (run: ActionRun) => JSON.parse(run.outputs.commits ?? '[]') as Array<{ repository: string; branch: string; sha: string }>;

  it('two runs started together, three rounds: both changes survive and both reported SHAs are on the branch', async () => {
    const name = 'race';
    await createRepo(name);
    for (let round = 1; round <= 3; round++) {
      const version = `1.0.${round}`;
      await seedTags(reg, `${name}/a`, [version]);
      await seedTags(reg, `${name}/b`, [version]);
      const start = tip(name);
      // Hold both first pushes until both runs have built their commit on the same tip; then let one through, wait
      // until it moved the branch, and let the other one push: it now pushes on a branch that moved under it.
      const held: Array<() => void> = [];
      let barrierMet = false;
      let released = false;
      const releaseAll = async () => {
        released = true;
        const [first, second] = held.splice(0, 2);
        first?.();
        for (let i = 0; i < 600 && tip(name) === start; i++) await sleep(50);
        second?.();
      };
      const timeout = setTimeout(() => void (released || releaseAll()), 60_000);
      hook = (r) => {
        if (r.repo !== `acme/${name}` || r.service !== 'git-receive-pack' || !r.advertisement || released) return;
        return new Promise<void>((resolve) => {
          held.push(resolve);
          if (held.length === 2) {
            barrierMet = true;
            void releaseAll();
          }
        });
      };
      const [ra, rb] = await Promise.all([runUpdate(name, 'a'), runUpdate(name, 'b')]);
      clearTimeout(timeout);
      hook = undefined;
      expect(barrierMet, `round ${round}: both runs reached their push`).toBe(true);
      for (const [label, run] of [['a', ra], ['b', rb]] as const) expect(run.exitCode, `round ${round} run ${label}: ${run.stdout}${run.stderr}`).toBe(0);
      const final = tip(name) as string;
      expect(show(name, final, 'a/deploy.yaml'), `round ${round}`).toContain(`/${name}/a:${version} #`);
      expect(show(name, final, 'b/deploy.yaml'), `round ${round}`).toContain(`/${name}/b:${version} #`);
      for (const run of [ra, rb]) {
        const commits = commitsOf(run);
        expect(commits).toHaveLength(1);
        expect(isAncestor(name, commits[0].sha, final), `round ${round}: reported ${commits[0].sha} is on ${BRANCH} (${final})`).toBe(true);
        expect(run.summary).toContain(`Commit \`${commits[0].sha}\` pushed to \`${BRANCH}\``);
      }
      // Each run committed exactly once on top of what was there: no commit of this round was dropped.
      expect(git(server.repoPath(`acme/${name}`), 'rev-list', '--count', start ? `${start}..${final}` : final).trim()).toBe(start ? '2' : '3');
      // The run that lost the lease says so and rebuilt.
      expect(`${ra.stdout}\n${rb.stdout}`).toMatch(/moved .* rebuilding/);
    }
  });

  it("two pushes that both pass the lease check: the server's compare-and-swap refuses one, which rebuilds", async () => {
    const name = 'cas';
    await createRepo(name);
    await seedTags(reg, `${name}/a`, ['1.0.1']);
    await seedTags(reg, `${name}/b`, ['1.0.1']);
    const start = tip(name);
    // Both ref advertisements are answered together (both leases hold), then the first pack upload waits until the
    // second one has moved the branch: its update reaches the server with a stale old value.
    const adverts: Array<() => void> = [];
    let heldPost: (() => void) | undefined;
    let posts = 0;
    let adsReleased = false;
    hook = (r) => {
      if (r.repo !== `acme/${name}` || r.service !== 'git-receive-pack') return;
      if (r.advertisement && !adsReleased) {
        return new Promise<void>((resolve) => {
          adverts.push(resolve);
          if (adverts.length === 2) {
            adsReleased = true;
            for (const a of adverts.splice(0)) a();
          }
        });
      }
      if (!r.advertisement && ++posts === 1) return new Promise<void>((resolve) => (heldPost = resolve));
      if (!r.advertisement && posts === 2) {
        void (async () => {
          for (let i = 0; i < 600 && tip(name) === start; i++) await sleep(50);
          heldPost?.();
        })();
      }
    };
    const [ra, rb] = await Promise.all([runUpdate(name, 'a'), runUpdate(name, 'b')]);
    hook = undefined;
    expect(adsReleased && posts >= 3, `both leases held at the advertisement (${posts} pack uploads)`).toBe(true);
    for (const run of [ra, rb]) expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const final = tip(name) as string;
    expect(show(name, final, 'a/deploy.yaml')).toContain(`/${name}/a:1.0.1 #`);
    expect(show(name, final, 'b/deploy.yaml')).toContain(`/${name}/b:1.0.1 #`);
    for (const run of [ra, rb]) expect(isAncestor(name, commitsOf(run)[0].sha, final)).toBe(true);
    // The refusal came from the server's ref update, not from the client's lease check.
    expect(`${ra.stdout}\n${rb.stdout}`).toMatch(/moved .*\[remote rejected\].* rebuilding/);
  });

  it('a commit pushed to the push branch by someone else during a run is kept (existing branch and new branch)', async () => {
    const name = 'foreign';
    await createRepo(name);
    for (const [round, existing] of [[1, false], [2, true]] as const) {
      const version = `1.0.${round}`;
      await seedTags(reg, `${name}/a`, [version]);
      expect(tip(name) !== undefined).toBe(existing);
      let foreign: string | undefined;
      hook = (r) => {
        if (r.repo === `acme/${name}` && r.service === 'git-receive-pack' && r.advertisement && !foreign) foreign = foreignCommit(name, `round-${round}`);
      };
      const run = await runUpdate(name, 'a');
      hook = undefined;
      expect(foreign, 'the hook interleaved a foreign commit').toBeDefined();
      expect(run.exitCode, run.stdout + run.stderr).toBe(0);
      const final = tip(name) as string;
      expect(isAncestor(name, foreign as string, final), `the foreign commit ${foreign} is still on ${BRANCH}`).toBe(true);
      expect(show(name, final, `round-${round}.txt`)).toBe(`round-${round}\n`);
      expect(show(name, final, 'a/deploy.yaml')).toContain(`/${name}/a:${version} #`);
      expect(commitsOf(run)).toEqual([{ repository: `${server.url}/acme/${name}.git`, branch: BRANCH, sha: final }]);
      expect(git(server.repoPath(`acme/${name}`), 'rev-parse', `${final}^`).trim()).toBe(foreign);
    }
  });

  it('a branch that keeps moving fails the run after bounded retries, naming both SHAs; nothing is reported as pushed', async () => {
    const name = 'busy';
    await createRepo(name);
    await seedTags(reg, `${name}/a`, ['1.0.1']);
    const foreign: string[] = [];
    hook = (r) => {
      if (r.repo === `acme/${name}` && r.service === 'git-receive-pack' && r.advertisement) foreign.push(foreignCommit(name, `busy-${foreign.length}`));
    };
    const run = await runUpdate(name, 'a');
    hook = undefined;
    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(foreign.length).toBeGreaterThanOrEqual(2);
    const final = tip(name) as string;
    expect(final).toBe(foreign[foreign.length - 1]);
    // Every foreign commit survived.
    for (const f of foreign) expect(isAncestor(name, f, final)).toBe(true);
    const error = run.errors.join('\n');
    expect(error).toMatch(/attempt/);
    expect(error).toContain(final);
    const built = /built ([0-9a-f]{40})/.exec(error)?.[1];
    expect(built, error).toBeDefined();
    expect(isAncestor(name, built as string, final)).toBe(false);
    expect(commitsOf(run)).toEqual([]);
    expect(run.summary).not.toMatch(/Commit `[0-9a-f]{40}` pushed/);
    expect(run.summary).toContain(final);
  });
});
