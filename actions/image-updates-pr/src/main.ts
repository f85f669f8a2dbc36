import { actionLog, Inputs, readImageUpdatesPrInputs, runAction } from '@d2/core/action';

/**
 * image-updates-pr: open, refresh or close the pull request of the image-updates branch that e2e-update pushed
 * (actions/image-updates-pr/README.md), or one per branch below `head: <prefix>/*`.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: validated before any request.
    const config = readImageUpdatesPrInputs(new Inputs(), process.env);
    actionLog.info(`Event ${process.env.GITHUB_EVENT_NAME ?? '?'} on ${process.env.GITHUB_REF ?? '?'}; head ${config.head}, base ${config.base ?? '(default branch)'}.`);
    // The forge client (Octokit) and the flow are imported once the inputs are valid (docs/architecture.md, "Action start-up").
    const { pullRequests } = await import('./pulls.js');
    await pullRequests(config);
  });
}
