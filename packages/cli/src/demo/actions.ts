/**
 * The actions as D2's workflows run them: through their committed bundles (runActionBundle runs
 * actions/<name>/dist/index.cjs as the GitHub runner does), every run recorded in the report.
 */
import { runActionBundle, type ActionRun, type RunActionOptions } from '@d2/sandbox/runner';
import { ms, short, StepFailure, type ArtifactAction, type DemoContext } from './context.js';
import { checkout } from './git.js';
import type { ActionRunReport, StepReport } from './report.js';

/** One entry of push-artifact's `artifacts` output. */
export interface ActionArtifact {
  component: string;
  repository: string;
  pushed: boolean;
  digest: string;
  tags: string[];
  signature: string;
}

/** Runs an action's bundle in `repo`; a non-zero exit fails the step with the action's errors. */
export async function runAction(ctx: DemoContext, step: number, action: string, repo: string, o: RunActionOptions & { ref: string; sha: string }): Promise<ActionRun> {
  const run = await runActionBundle(action, { ...o, repository: repo, timeoutMs: 120_000 });
  const r: ActionRunReport = {
    step,
    action,
    repository: repo,
    ref: o.ref,
    sha: o.sha,
    exitCode: run.exitCode,
    durationMs: Math.round(run.durationMs),
    outputs: run.outputs,
    errors: run.errors,
  };
  ctx.report.runs.push(r);
  if (run.exitCode !== 0) {
    const why = run.errors.join('; ') || run.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${run.exitCode}`;
    throw new StepFailure(`${action} in ${repo} failed: ${why}`);
  }
  return run;
}

/** push-artifact on main of `a.repo`, as the push-artifact.yaml workflow would run it. */
export async function pushArtifact(ctx: DemoContext, step: number, pass: string, a: ArtifactAction, s: StepReport): Promise<ActionArtifact[]> {
  const { authUrl, work, stack, report, sigstoreInputs } = ctx;
  const { dir, sha } = await checkout(authUrl(a.repo), 'main', work);
  const workflow = { repository: a.repo, workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main', sha };
  const run = await runAction(ctx, step, 'push-artifact', a.repo, {
    workspace: dir,
    ref: workflow.ref,
    sha,
    inputs: { ...a.inputs, ...sigstoreInputs },
    env: { ...stack.oidc.envFor(workflow) },
  });
  const artifacts = JSON.parse(run.outputs.artifacts ?? '[]') as ActionArtifact[];
  for (const x of artifacts) {
    report.pushes.push({ step, pass, repository: x.repository, component: x.component, pushed: x.pushed, digest: x.digest, tags: x.tags, signature: x.signature });
  }
  s.details.push(
    `${a.repo.split('/')[1]}@${sha.slice(0, 7)}: ${artifacts.map((x) => `${x.component || 'fleet'} ${x.pushed ? 'pushed' : 'unchanged'} ${short(x.digest)}${x.signature ? ' signed' : ''}`).join(', ')} (${ms(run.durationMs)})`,
  );
  return artifacts;
}
