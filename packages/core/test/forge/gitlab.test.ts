/**
 * The GitLab forge (forge/gitlab.ts over the gitlab/ domain) and the image-updates flow on GitLab, against the sandbox GitLab stand-in
 * (packages/sandbox/src/gitlab/). The stand-in is NOT GitLab: it follows GitLab's REST API documentation
 * (doc/api/merge_requests.md, doc/api/branches.md, doc/api/repositories.md, doc/api/users.md,
 * doc/api/rest/authentication.md, doc/api/rest/troubleshooting.md) and is backed by real git repositories. The first
 * block drives it with @gitbeaker/rest directly, so that a widely used GitLab client disagrees with it when it drifts.
 */
import { Branches, GitbeakerRequestError, MergeRequests, Projects, Repositories } from '@gitbeaker/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startGitLabStandIn, type SandboxGitLab } from '@d2/sandbox/gitlab-stand-in';
import { D2Error } from '../../src/errors.js';
import { forgeFor, ImageUpdatesPr, type Forge } from '../../src/forge/index.js';
import { TimeBudget } from '../../src/util/index.js';
import { caught } from '../support/failures.js';
import { git, seedImageUpdates } from '../support/git.js';

const TOKEN = 'glpat-sandbox-project-token';
const READ_ONLY = 'glpat-sandbox-read-only';
const JOB = 'glcbt-sandbox-job-token';
const PROJECT = 'acme/platform/d2-fleet';

describe('GitLab forge against the GitLab stand-in (a stand-in, not GitLab)', () => {
  let gitServer: SandboxGitServer;
  let gl: SandboxGitLab;
  let work: string;
  let forge: Forge;

  beforeAll(async () => {
    gitServer = await startGitServer();
    gl = await startGitLabStandIn({
      git: gitServer,
      tokens: [
        { token: TOKEN, username: 'project_7_bot' },
        { token: READ_ONLY, scopes: ['read_api'] },
        { token: JOB, job: true },
      ],
    });
    gl.addUser('alice');
    gl.addUser('bob');
    await gl.addProject(PROJECT, { defaultBranch: 'main' });
    work = await seedImageUpdates(gitServer.authUrl('platform/d2-fleet'), 'd2-gitlab-', {
      file: 'app.yaml',
      before: 'image: ghcr.io/acme/app:1.0.0 # {"$imagepolicy": "apps:app"}\n',
      after: 'image: ghcr.io/acme/app:1.1.0 # {"$imagepolicy": "apps:app"}\n',
      message: 'Update app to 1.1.0\n\nImage ghcr.io/acme/app 1.0.0 → 1.1.0',
    });
    forge = forgeFor('gitlab', { repository: PROJECT, token: TOKEN, apiUrl: gl.apiUrl, budget: new TimeBudget(60_000) });
  });

  afterAll(async () => {
    await gl?.stop();
    await gitServer?.stop();
  });

  describe('the stand-in, driven by @gitbeaker/rest', () => {
    const opts = () => ({ host: gl.url, token: TOKEN });

    it('serves the project, branches and a compare that gitbeaker reads', async () => {
      const p = await new Projects(opts()).show(PROJECT);
      expect(p).toMatchObject({ path_with_namespace: PROJECT, default_branch: 'main' });
      const b = await new Branches(opts()).show(PROJECT, 'image-updates');
      expect(b.commit.id).toBe(await git(work, 'rev-parse', 'HEAD'));
      const cmp = await new Repositories(opts()).compare(PROJECT, 'main', 'image-updates', { straight: false });
      expect((cmp.commits ?? []).map((c) => c.title)).toEqual(['Update app to 1.1.0']);
      expect(cmp.diffs?.[0]).toMatchObject({ new_path: 'app.yaml', new_file: false });
      expect(gl.requests.every((r) => r.auth === 'PRIVATE-TOKEN')).toBe(true);
      // The branches a grouped update pushes (image-updates/*) are found by prefix.
      expect(await forge.branchesWithPrefix('image-')).toEqual(['image-updates']);
      expect(await forge.branchesWithPrefix('main')).toEqual(['main']);
      expect(await forge.branchesWithPrefix('nothing/')).toEqual([]);
    });

    it('answers GitLab’s error shapes: 401 bad token, 404 missing project, 400 missing parameter, 403 scope, job token refused', async () => {
      const bad = await caught(new Projects({ host: gl.url, token: 'nope' }).show(PROJECT));
      expect(bad).toBeInstanceOf(GitbeakerRequestError);
      expect((bad as GitbeakerRequestError).cause?.response.status).toBe(401);
      expect((bad as Error).message).toBe('401 Unauthorized');
      const missing = await caught(new Projects(opts()).show('acme/nothing'));
      expect((missing as GitbeakerRequestError).cause?.response.status).toBe(404);
      expect((missing as Error).message).toBe('404 Project Not Found');
      const noTitle = await caught(new MergeRequests(opts()).create(PROJECT, 'image-updates', 'main', ''));
      expect((noTitle as GitbeakerRequestError).cause?.response.status).toBe(400);
      expect((noTitle as Error).message).toBe('title is missing');
      const scope = await caught(new MergeRequests({ host: gl.url, token: READ_ONLY }).create(PROJECT, 'image-updates', 'main', 'x'));
      expect((scope as GitbeakerRequestError).cause?.response.status).toBe(403);
      expect((scope as Error).message).toBe('insufficient_scope');
      const job = await caught(new MergeRequests({ host: gl.url, jobToken: JOB }).all({ projectId: PROJECT }));
      expect((job as GitbeakerRequestError).cause?.response.status).toBe(401);
      expect(gl.requests.at(-1)).toMatchObject({ auth: 'JOB-TOKEN', status: 401 });
      // A job token presented as a private token is not an access token either.
      const asPrivate = await caught(new Projects({ host: gl.url, token: JOB }).show(PROJECT));
      expect((asPrivate as GitbeakerRequestError).cause?.response.status).toBe(401);
    });
  });

  describe('the image-updates flow on GitLab (ImageUpdatesPr over the gitlab forge)', () => {
    it('creates the merge request from image-updates with the first commit as title and the change table, labels, assignees, reviewers and auto-merge', async () => {
      const r = await new ImageUpdatesPr(forge).run({
        repository: PROJECT,
        head: 'image-updates',
        labels: ['image-updates', 'automated'],
        assignees: ['alice'],
        reviewers: ['bob'],
        autoMerge: 'SQUASH',
      });
      expect(r).toMatchObject({ operation: 'created', number: 1, base: 'main', title: 'Update app to 1.1.0', warnings: [] });
      expect(r.url).toBe(`${gl.url}/${PROJECT}/-/merge_requests/1`);
      expect(r.autoMerge).toEqual({ mergeMethod: 'SQUASH' });
      const [mr] = await gl.mergeRequests(PROJECT);
      expect(mr).toMatchObject({
        state: 'opened',
        source_branch: 'image-updates',
        target_branch: 'main',
        labels: ['image-updates', 'automated'],
        merge_when_pipeline_succeeds: true,
        squash: true,
      });
      expect((mr.assignees as { username: string }[]).map((u) => u.username)).toEqual(['alice']);
      expect((mr.reviewers as { username: string }[]).map((u) => u.username)).toEqual(['bob']);
      expect(String(mr.description)).toContain('Image ghcr.io/acme/app 1.0.0 → 1.1.0');
      expect(String(mr.description)).toContain('app.yaml');
      expect(gl.requests.some((q) => q.method === 'PUT' && q.path.endsWith('/merge') && (q.body as Record<string, unknown>).auto_merge === true)).toBe(true);
    });

    it('a re-run refreshes the open merge request instead of creating a second one', async () => {
      const r = await new ImageUpdatesPr(forge).run({ repository: PROJECT, head: 'image-updates', title: 'Image updates' });
      expect(r).toMatchObject({ operation: 'updated', number: 1, title: 'Image updates' });
      expect((await gl.mergeRequests(PROJECT)).length).toBe(1);
      const again = await new ImageUpdatesPr(forge).run({ repository: PROJECT, head: 'image-updates', title: 'Image updates' });
      expect(again.operation).toBe('none');
    });

    it('a 409 from a concurrent run is recognised as "already exists" and that merge request is refreshed', async () => {
      gl.failNext('POST /projects/:id/merge_requests', 409, { message: ['Another open merge request already exists for this source branch: !1'] });
      expect(forge.errorKind(await caught(forge.create({ head: 'image-updates', base: 'main', title: 't', body: 'b' })))).toBe('pull-request-exists');
    });

    it('closes the merge request when image-updates has nothing left to merge, and can delete the branch', async () => {
      await git(work, 'push', '--quiet', '--force', 'origin', 'HEAD~1:refs/heads/image-updates');
      const r = await new ImageUpdatesPr(forge).run({ repository: PROJECT, head: 'image-updates', deleteBranchWhenEmpty: true });
      expect(r).toMatchObject({ operation: 'closed', number: 1, branchDeleted: true });
      expect((await gl.mergeRequests(PROJECT))[0]).toMatchObject({ state: 'closed' });
      expect(await forge.branchSha('image-updates')).toBeUndefined();
      const none = await new ImageUpdatesPr(forge).run({ repository: PROJECT, head: 'image-updates' });
      expect(none).toMatchObject({ operation: 'none', reason: 'branch image-updates does not exist' });
    });

    it('turns GitLab refusals into fixes: a read-only token, a token without access, team reviewers', async () => {
      await git(work, 'push', '--quiet', 'origin', 'HEAD:image-updates');
      const readOnly = forgeFor('gitlab', { repository: PROJECT, token: READ_ONLY, apiUrl: gl.apiUrl });
      const err = await caught(new ImageUpdatesPr(readOnly).run({ repository: PROJECT, head: 'image-updates' }));
      expect(err).toBeInstanceOf(D2Error);
      expect(err).toMatchObject({ code: 'GITLAB_FORBIDDEN' });
      expect((err as D2Error).hint).toMatch(/scope api/);
      const bad = forgeFor('gitlab', { repository: PROJECT, token: 'glpat-revoked', apiUrl: gl.apiUrl });
      const e2 = await caught(new ImageUpdatesPr(bad).run({ repository: PROJECT, head: 'image-updates' }));
      expect(e2).toMatchObject({ code: 'GITLAB_UNAUTHORIZED' });
      expect((e2 as D2Error).hint).toMatch(/CI_JOB_TOKEN cannot/);
      expect((e2 as D2Error).message).not.toContain('glpat-revoked');
      const r = await new ImageUpdatesPr(forge).run({ repository: PROJECT, head: 'image-updates', teamReviewers: ['acme/platform'] });
      expect(r.operation).toBe('created');
      expect(r.warnings.join('\n')).toMatch(/GitLab has no team reviewers/);
    });

    it('every request carries a deadline within the time limit: an exhausted budget fails as a timeout, naming no token', async () => {
      const spent = new TimeBudget(1);
      await new Promise((res) => setTimeout(res, 5));
      const late = forgeFor('gitlab', { repository: PROJECT, token: TOKEN, apiUrl: gl.apiUrl, budget: spent });
      const err = await caught(new ImageUpdatesPr(late).run({ repository: PROJECT, head: 'image-updates' }));
      expect(err).toMatchObject({ code: 'GITLAB_TIMEOUT' });
      expect(String((err as Error).message)).not.toContain(TOKEN);
    });
  });
});
