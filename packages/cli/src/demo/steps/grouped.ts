import { DEMO_IMAGES } from '@d2/sandbox/d2-repos';
import { runAction } from '../actions.js';
import { ms, StepFailure, type DemoStep } from '../context.js';
import { changedPaths, checkout } from '../git.js';
import { seedTags } from '../images.js';

/** The versions step 6 publishes: one newer frontend chart and one newer backend image. */
const NEXT = [
  { repository: DEMO_IMAGES.podinfo.repository, tag: '6.9.1', component: 'frontend' },
  { repository: DEMO_IMAGES.redis.repository, tag: '7.4.3', component: 'backend' },
] as const;

/**
 * 6. One branch and pull request per component, with verified commits: newer frontend and backend tags appear;
 * e2e-update runs with group-by: component and commit-via: api, so d2-apps gets image-updates/frontend and
 * image-updates/backend, each commit written through the GitHub API emulator's Git Data API and signed by "GitHub"
 * (Verified); image-updates-pr with head: image-updates/* opens one pull request per branch.
 */
export const groupedStep: DemoStep = {
  title: 'newer frontend and backend tags; e2e-update group-by component, commit-via api (verified); one PR per component',
  async run(ctx, s) {
    const { reg, client, fleetName, appsName, authUrl, work, stack, report } = ctx;
    for (const n of NEXT) await seedTags(client, reg, n.repository, [n.tag]);
    s.details.push(`seeded ${NEXT.map((n) => `${n.repository}:${n.tag}`).join(', ')}`);
    // The git server plays github.com (GITHUB_SERVER_URL), the emulator its API (GITHUB_API_URL).
    const githubEnv = { GITHUB_API_URL: stack.github.url, GITHUB_GRAPHQL_URL: stack.github.graphqlUrl, GITHUB_SERVER_URL: new URL(stack.git.url).origin };
    // The image-updates branch of step 3 was merged; like "delete branch on merge", it goes, so that the group
    // branches image-updates/<component> can exist (git stores branches as paths).
    for (const name of [appsName, ctx.infraName]) {
      const res = await fetch(`${stack.github.url}/repos/${name}/git/refs/heads/image-updates`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.git.token}`, accept: 'application/vnd.github+json' } });
      if (res.status !== 204 && res.status !== 422) throw new StepFailure(`deleting image-updates in ${name} failed: ${res.status}`);
    }
    const { dir, sha } = await checkout(authUrl(fleetName), 'main', work);
    const run = await runAction(ctx, 6, 'e2e-update', fleetName, {
      workspace: dir,
      ref: 'refs/heads/main',
      sha,
      eventName: 'schedule',
      inputs: { automation: 'clusters/update', token: stack.git.token, 'group-by': 'component', 'commit-via': 'api' },
      env: githubEnv,
    });
    const commits = JSON.parse(run.outputs.commits || '[]') as Array<{ repository: string; branch: string; sha: string; verified?: boolean }>;
    const changes = JSON.parse(run.outputs.changes || '[]') as Array<{ group?: string; branch?: string; old: string; new: string }>;
    const apps = commits.filter((c) => c.repository.endsWith(`/${appsName}.git`));
    for (const c of apps) {
      const files = await changedPaths(authUrl(appsName), 'main', c.branch, work);
      const group = c.branch.replace(/^image-updates\//, '');
      report.groupedUpdates.push({ repository: appsName, group, branch: c.branch, sha: c.sha, verified: c.verified === true, files });
      const rows = changes.filter((x) => x.branch === c.branch).map((x) => `${x.old} → ${x.new}`);
      s.details.push(`${appsName.split('/')[1]}: ${c.branch} ${c.sha.slice(0, 7)}${c.verified ? ' Verified' : ' NOT verified'} (${rows.join(', ')}; ${files.join(', ')})`);
    }
    const branches = apps.map((c) => c.branch).sort();
    if (branches.join(',') !== 'image-updates/backend,image-updates/frontend') throw new StepFailure(`expected image-updates/backend and image-updates/frontend in ${appsName}, got ${branches.join(', ') || 'none'}`);
    const wrong = report.groupedUpdates.filter((g) => !g.verified || g.files.some((f) => !f.startsWith(`components/${g.group}/`)));
    if (wrong.length) throw new StepFailure(`not verified, or changes outside the group: ${wrong.map((g) => g.branch).join(', ')}`);

    const pr = await runAction(ctx, 6, 'image-updates-pr', appsName, {
      ref: 'refs/heads/main',
      sha,
      eventName: 'workflow_dispatch',
      inputs: { token: stack.git.token, head: 'image-updates/*', changes: run.outputs.changes ?? '' },
      env: githubEnv,
    });
    const prs = JSON.parse(pr.outputs['pull-requests'] || '[]') as Array<{ head: string; operation: string; number?: number; url?: string }>;
    for (const p of prs) {
      const g = report.groupedUpdates.find((x) => x.branch === p.head);
      if (g && p.number !== undefined) g.pullRequest = { number: p.number, url: p.url ?? '', operation: p.operation };
    }
    s.details.push(`image-updates-pr head image-updates/*: ${prs.map((p) => `${p.head} → #${p.number ?? '?'} ${p.operation}`).join(', ')} (${ms(pr.durationMs)})`);
    if (report.groupedUpdates.some((g) => g.pullRequest?.operation !== 'created')) throw new StepFailure('image-updates-pr did not open one pull request per component branch');
  },
};
