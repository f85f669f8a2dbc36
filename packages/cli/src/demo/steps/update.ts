import { runAction } from '../actions.js';
import { ms, StepFailure, type DemoStep } from '../context.js';
import { checkout, commitsAhead } from '../git.js';
import { seedImages } from '../images.js';

/** 3. Newer image tags appear in the registry; e2e-update runs from the fleet's clusters/update and commits on image-updates. */
export const updateStep: DemoStep = {
  title: 'newer image tags in the registry; e2e-update from the fleet (commits on image-updates)',
  async run(ctx, s) {
    const { reg, fleetName, appsName, infraName, authUrl, client, report, work, stack } = ctx;
    const seeded = await seedImages(client, reg, 'newer');
    s.details.push(`seeded ${seeded.map((t) => `${t.repository.slice(reg.length + 1)}:${t.tag}`).join(', ')}`);
    const { dir, sha } = await checkout(authUrl(fleetName), 'main', work);
    const run = await runAction(ctx, 3, 'e2e-update', fleetName, {
      workspace: dir,
      ref: 'refs/heads/main',
      sha,
      eventName: 'schedule',
      inputs: { automation: 'clusters/update', token: stack.git.token },
    });
    ctx.e2eChanges = run.outputs.changes ?? '';
    const changes = JSON.parse(ctx.e2eChanges || '[]') as { repository?: string; file?: string; old?: string; new?: string }[];
    const commits = JSON.parse(run.outputs.commits || '[]') as { repository?: string; branch?: string; sha?: string }[];
    for (const name of [appsName, infraName]) {
      const ahead = await commitsAhead(authUrl(name), 'main', 'image-updates', work).catch(() => []);
      for (const c of ahead) report.commits.push({ repository: name, branch: 'image-updates', sha: c.sha, kind: 'image-update', subject: c.subject });
      s.details.push(`${name.split('/')[1]}: ${ahead.length} commit(s) on image-updates${ahead[0] ? ` (${ahead[0].sha.slice(0, 7)} "${ahead[0].subject}")` : ''}`);
    }
    s.details.push(`${changes.length} setter change(s): ${changes.map((c) => `${c.old} → ${c.new}`).join(', ')} (${ms(run.durationMs)})`);
    if (run.outputs.changed !== 'true' || commits.length === 0) throw new StepFailure('e2e-update made no commit although newer tags exist');
  },
};
