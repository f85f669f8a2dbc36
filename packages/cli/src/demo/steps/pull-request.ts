import { pushArtifact, runAction } from '../actions.js';
import { ms, StepFailure, type DemoStep } from '../context.js';
import { changedPaths, remoteBranchSha } from '../git.js';
import type { PullRequestReport } from '../report.js';

/**
 * 4. image-updates-pr opens the pull request in the GitHub API emulator; it is merged (emulator merge endpoint) and
 * push-artifact runs again on main: the components the merge changed, and only they, get a new digest.
 */
export const pullRequestStep: DemoStep = {
  title: 'image-updates-pr opens the PR; merge it; push-artifact again (new digests)',
  async run(ctx, s) {
    const { owner, appsName, infraName, authUrl, report, work, stack, pushActions, latestBefore } = ctx;
    for (const name of [appsName, infraName]) {
      const head = await remoteBranchSha(authUrl(name), 'image-updates');
      if (!head) {
        s.details.push(`${name.split('/')[1]}: no image-updates branch, nothing to propose`);
        continue;
      }
      const event = {
        ref: 'image-updates',
        ref_type: 'branch',
        master_branch: 'main',
        repository: { full_name: name, name: name.split('/')[1], owner: { login: owner }, default_branch: 'main', private: false },
      };
      const run = await runAction(ctx, 4, 'image-updates-pr', name, {
        ref: 'refs/heads/image-updates',
        sha: head,
        eventName: 'create',
        event,
        inputs: { token: stack.git.token, changes: ctx.e2eChanges },
        env: { GITHUB_API_URL: stack.github.url, GITHUB_GRAPHQL_URL: stack.github.graphqlUrl, GITHUB_SERVER_URL: stack.github.serverUrl },
      });
      const number = Number(run.outputs['pull-request-number']);
      if (run.outputs.operation !== 'created' || !Number.isInteger(number)) {
        throw new StepFailure(`image-updates-pr in ${name} did not create a pull request (operation '${run.outputs.operation ?? ''}')`);
      }
      const pr: PullRequestReport = { repository: name, number, url: run.outputs['pull-request-url'] ?? '', operation: run.outputs.operation, headSha: run.outputs['head-sha'] ?? head, merged: false };
      report.pullRequests.push(pr);
      const res = await fetch(`${stack.github.url}/repos/${name}/pulls/${number}/merge`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${stack.git.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
        body: JSON.stringify({ merge_method: 'merge', sha: pr.headSha }),
      });
      const body = (await res.json()) as { merged?: boolean; sha?: string; message?: string };
      if (!res.ok || body.merged !== true) throw new StepFailure(`merging ${name}#${number} failed: ${res.status} ${body.message ?? ''}`);
      pr.merged = true;
      pr.mergeCommitSha = body.sha;
      report.commits.push({ repository: name, branch: 'main', sha: body.sha ?? '', kind: 'merge', subject: `Merge pull request #${number} from ${owner}/image-updates` });
      s.details.push(`${name.split('/')[1]}: PR #${number} created (${pr.url}) and merged → main ${body.sha?.slice(0, 7)} (${ms(run.durationMs)})`);
      const a = pushActions.find((p) => p.repo === name);
      if (!a) continue;
      // The components the merge changed, from git itself: they, and only they, must get a new digest.
      const initial = report.commits.find((c) => c.repository === name && c.kind === 'initial')?.sha ?? 'main';
      const touched = new Set((await changedPaths(authUrl(name), initial, body.sha ?? 'main', work)).map((f) => /^components\/([^/]+)\//.exec(f)?.[1]).filter(Boolean));
      const artifacts = await pushArtifact(ctx, 4, 'after-merge', a, s);
      for (const x of artifacts) {
        const before = latestBefore.get(x.repository) ?? '';
        report.merges.push({ repository: x.repository, component: x.component, before, after: x.digest, changed: before !== x.digest, expectedChange: touched.has(x.component) });
      }
    }
    if (report.pullRequests.length === 0) throw new StepFailure('no pull request was created');
    const missed = report.merges.filter((m) => m.expectedChange !== m.changed);
    if (missed.length) {
      throw new StepFailure(`after the merge, the digest changes do not follow the content changes for ${missed.map((m) => `${m.repository} (${m.changed ? 'new digest, content unchanged' : 'content changed, same digest'})`).join(', ')}`);
    }
    if (!report.merges.some((m) => m.changed)) throw new StepFailure('no artifact changed after the merge');
  },
};
