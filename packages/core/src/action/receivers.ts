/**
 * The `notify-receivers` and `receiver-token` inputs of push-artifact and release-artifact (docs/receivers.md): read and
 * validated with the other inputs (before anything is built or pushed), the tokens masked; after the tags moved, one
 * POST per Receiver, reported in the log, the `notified` output and the job summary. A Receiver that cannot be reached
 * is a warning: the tags have moved, and the cluster still reconciles at its interval.
 */
import * as core from '@actions/core';
import { notifyReceivers, parseReceivers, type NotifyResult, type ReceiverTarget } from '../notify/index.js';
import { mdText } from '../util/index.js';
import type { TimeLeft } from '../util/index.js';
import type { Inputs } from './inputs.js';
import { actionLog } from './log.js';

export function readReceiverInputs(inputs: Inputs, env: NodeJS.ProcessEnv): ReceiverTarget[] {
  const token = inputs.string('receiver-token');
  if (token) core.setSecret(token);
  const receivers = parseReceivers(inputs.string('notify-receivers'), { defaultToken: token, env });
  for (const r of receivers) core.setSecret(r.token);
  return receivers;
}

/** Notifies the Receivers (when there are any) and returns summary lines. */
export async function notifyAfterTagsMoved(receivers: readonly ReceiverTarget[], payload: unknown, budget?: TimeLeft): Promise<string[]> {
  if (receivers.length === 0) {
    core.setOutput('notified', '[]');
    return [];
  }
  const results: NotifyResult[] = await notifyReceivers(receivers, JSON.stringify(payload), budget ? { budget } : {});
  core.setOutput('notified', JSON.stringify(results.map((r) => ({ receiver: r.receiver, ok: r.ok, status: r.status }))));
  const lines = ['', '### Flux Receivers', ''];
  for (const r of results) {
    if (r.ok) actionLog.info(`notified ${r.receiver} (HTTP ${r.status})`);
    else actionLog.warning(`could not notify ${r.receiver} after ${r.attempts} attempt(s): ${r.error ?? 'failed'}; the cluster reconciles at its next interval`);
    lines.push(`- ${r.ok ? '✅' : '⚠️'} ${mdText(r.receiver)}: ${r.ok ? `notified (HTTP ${r.status})` : mdText(r.error ?? 'failed')}`);
  }
  return lines;
}
