/**
 * `d2 demo`: the whole D2 loop on the local real stack, driving the four actions THROUGH THEIR COMMITTED BUNDLES
 * (runActionBundle runs actions/<name>/dist/index.cjs as the GitHub runner does) in the order D2's workflows run them,
 * one module per step over a shared {@link DemoContext} (context.ts builds it: stack, repositories, initial images):
 *   1. steps/push.ts: push-artifact on main for every component of d2-apps and d2-infra and for d2-fleet, signed with
 *      the push-artifact workflow identity; then again with no change (nothing pushed);
 *   2. steps/release.ts: release-artifact for frontend/v1.0.0 (latest-stable moves; release workflow identity);
 *   3. steps/update.ts: newer image tags appear in the registry; e2e-update runs from the fleet's clusters/update and
 *      commits on image-updates in d2-apps and d2-infra;
 *   4. steps/pull-request.ts: image-updates-pr opens the PR in the GitHub API emulator; it is merged (emulator merge
 *      endpoint) and push-artifact runs again on main (new digests for the changed components);
 *   5. steps/verify.ts: every artifact is verified as a D2 cluster would (`d2 verify` with the staging identity for
 *      latest, the production identity for latest-stable, from the fleet's runtime-info), and wrong identities are
 *      rejected;
 *   6. steps/grouped.ts: newer frontend and backend tags; e2e-update with group-by: component and commit-via: api gives
 *      d2-apps one branch per component with a commit GitHub verified; image-updates-pr (head image-updates/*) opens
 *      one pull request per branch.
 * The certificate subject a cluster expects is https://github.com/ + the workflow ref of the job that signed
 * (identities.ts; docs/signing.md). What the run writes: docs/cli.md "d2 demo".
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDemoContext, ms, runSteps, writeReport, type DemoContext, type DemoOptions } from './context.js';
import type { DemoReport } from './report.js';
import type { DemoStack } from './stack.js';
import { demoSteps, initDemoSteps } from './steps/index.js';

export type { DemoOptions } from './context.js';

export interface DemoResult {
  ok: boolean;
  report: DemoReport;
  stack: DemoStack;
  /** Temp workspaces (removed by cleanup()). */
  cleanup(): Promise<void>;
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const ctx: DemoContext = await createDemoContext(opts);
  const { log, report, identities, client, stack, work } = ctx;

  const steps = opts.fromInit ? initDemoSteps : demoSteps;
  await runSteps(steps, report.steps, log, (step, s) => step.run(ctx, s));

  await writeReport(report, started, opts.out);
  await writeFile(join(opts.out, 'identities.json'), JSON.stringify(identities, null, 2) + '\n');
  client.close();
  log(`\n${report.ok ? '✓ every step and verification passed' : `✗ ${report.steps.filter((s) => !s.ok).length} of ${report.steps.length} steps failed`} in ${ms(report.durationMs)}`);
  log(`  ${join(opts.out, 'report.json')}\n  ${join(opts.out, 'trusted_root.json')}\n  ${join(opts.out, 'identities.json')}`);
  return {
    ok: report.ok,
    report,
    stack,
    cleanup: async () => {
      await rm(work, { recursive: true, force: true });
    },
  };
}
