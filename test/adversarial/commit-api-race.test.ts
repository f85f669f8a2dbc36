/**
 * commit-via api under races (docs/image-automation.md "Verified commits", "Concurrent runs"): the branch reference
 * moves only as a fast-forward of the tip the update was built on (created only while it does not exist), so a commit
 * someone pushed between the build and the reference update is never overwritten: the update is rebuilt on the new
 * tip. Driven through the engine with the real GitHub commit writer (octokit) against the GitHub emulator; the race is
 * made deterministic by moving the branch right before the writer runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOctokit, githubCommitWriter } from '@d2/core/github';
import { directTarget, runImageUpdate, type RemoteCommitWriter } from '@d2/core/image-automation';
import { RegistryClient } from '@d2/core/oci';
import { git, gitAsync, startUpdateWorld, type UpdateWorld } from '../actions/e2e-update/update-fixture.js';

describe('commit-via api: a branch moved during the run is never overwritten (adversarial)', () => {
  let w: UpdateWorld;
  beforeAll(async () => {
    w = await startUpdateWorld({ github: true });
  });
  afterAll(async () => w?.stop());

  /** Someone else's commit on `branch` (created from main when missing), pushed through git. */
  async function foreign(name: string, branch: string, label: string): Promise<string> {
    const d = w.tmp();
    git(d, 'init', '-q');
    const from = w.rev(name, `refs/heads/${branch}`) ? branch : 'main';
    await gitAsync(d, 'fetch', '-q', w.server.authUrl(`acme/${name}`), `refs/heads/${from}`);
    git(d, 'checkout', '-q', '-B', 'x', 'FETCH_HEAD');
    git(d, '-c', 'user.name=someone', '-c', 'user.email=someone@example.com', 'commit', '-q', '--allow-empty', '-m', `foreign ${label}`);
    await gitAsync(d, 'push', '-q', w.server.authUrl(`acme/${name}`), `HEAD:refs/heads/${branch}`);
    return git(d, 'rev-parse', 'HEAD').trim();
  }

  for (const existing of [false, true]) {
    it(`${existing ? 'an existing' : 'a new'} push branch moved before the reference update: rebuilt on the new tip`, async () => {
      const name = existing ? 'race-existing' : 'race-new';
      await w.createRepo(name);
      await w.release(name, '1.1.0', ['frontend']);
      const target = directTarget({ repository: `${w.server.url}/acme/${name}.git`, policiesPath: 'policies', namespace: 'apps', updatePath: 'components', authorEmail: 'bot@example.com' });
      const registry = new RegistryClient({});
      const gitOptions = () => ({ auth: { token: w.server.token } });
      const real = githubCommitWriter(createOctokit(w.server.token, { baseUrl: w.gh!.url }), 'acme', name);
      try {
        if (existing) {
          const first = await runImageUpdate({ targets: [target] }, { registry, gitOptions, commitWriter: () => real });
          expect(first.errors).toEqual([]);
          await w.release(name, '1.2.0', ['frontend']);
        }
        let calls = 0;
        let theirs = '';
        const racing: RemoteCommitWriter = {
          description: real.description,
          async write(o) {
            if (calls++ === 0) theirs = await foreign(name, o.branch, 'mid-run');
            return real.write(o);
          },
        };
        const r = await runImageUpdate({ targets: [target] }, { registry, gitOptions, commitWriter: () => racing });
        expect(r.errors).toEqual([]);
        expect(calls).toBe(2);
        const tip = w.rev(name, 'refs/heads/image-updates') as string;
        expect(r.commits).toEqual([{ repository: target.repository, branch: 'image-updates', sha: tip, verified: true }]);
        // Their commit is kept: ours is on top of it.
        expect(w.rev(name, `${tip}^`)).toBe(theirs);
        expect(w.bare(name, 'show', `${tip}:components/frontend/deploy.yaml`)).toContain(existing ? ':1.2.0' : ':1.1.0');
        expect(w.gh!.violations).toEqual([]);
      } finally {
        registry.close();
      }
    });
  }
});
