import { actionLog, actionsLogger, writeImageUpdatesPrOutputs, writePerBranchOutputs, type ImageUpdatesPrConfig } from '@d2/core/action';
import { forgeFor, ImageUpdatesPr, type ImageUpdatesPrResult } from '@d2/core/forge';

/** The run of image-updates-pr once its inputs are valid (main.ts): one pull request, or one per branch, then the outputs. */
export async function pullRequests(config: ImageUpdatesPrConfig): Promise<void> {
  const forge = forgeFor('github', { repository: config.repository, token: config.token, budget: config.budget, warn: actionsLogger.warn });
  const flow = new ImageUpdatesPr(forge, actionsLogger);
  const prefix = config.headPrefix;
  if (!prefix) {
    await writeImageUpdatesPrOutputs(await flow.run(config), config.head);
    return;
  }
  // head: <prefix>/*: each branch's pull request is opened, refreshed or closed exactly as a single head's, with the
  // change rows of that branch.
  let branches: string[];
  try {
    branches = await forge.branchesWithPrefix(prefix);
  } catch (err) {
    throw forge.describeError(err, `list the branches ${prefix}* of ${config.repository}`);
  }
  actionLog.info(`${branches.length} branch(es) match ${prefix}*: ${branches.join(', ') || '(none)'}`);
  const runs: Array<{ head: string; result: ImageUpdatesPrResult }> = [];
  for (const head of branches) {
    const changes = config.changes?.filter((c) => c.branch === undefined || c.branch === head);
    runs.push({ head, result: await actionLog.group(`${head}`, () => flow.run({ ...config, head, ...(changes ? { changes } : {}) })) });
  }
  await writePerBranchOutputs(runs, prefix);
}
