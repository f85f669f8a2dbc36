import { D2Error, formatError } from '../errors.js';
import { actionLog } from './log.js';

/**
 * The one place where an action's errors become a failed step (docker/actions-toolkit's run()), through the runner
 * log adapter (log.ts).
 * `main` does the work; anything it throws is reported with its hint, and the process exit code is set.
 */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof Error && !(err instanceof D2Error) && err.stack) actionLog.debug(err.stack);
    actionLog.setFailed(formatError(err));
  }
}
