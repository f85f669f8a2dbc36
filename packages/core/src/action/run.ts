import * as core from '@actions/core';
import { D2Error, formatError } from '../errors.js';
import { redactUrls } from '../util/redact.js';

/**
 * The one place where an action's errors become core.setFailed (docker/actions-toolkit's run()).
 * `main` does the work; anything it throws is reported with its hint, and the process exit code is set.
 */
export async function runAction(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (err instanceof Error && !(err instanceof D2Error) && err.stack) core.debug(redactUrls(err.stack));
    core.setFailed(formatError(err));
  }
}

/** Thrown by actions whose capability has not landed yet (after their inputs were validated). */
export class NotImplementedError extends D2Error {
  constructor(what: string) {
    super(`${what} is not implemented yet`, { code: 'NOT_IMPLEMENTED' });
  }
}
