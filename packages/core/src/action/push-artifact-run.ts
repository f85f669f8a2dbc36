/**
 * The GitHub Actions adapter of push-artifact, its run (actions/push-artifact/README.md): the per-component log
 * groups, and the outputs, Receiver notifications and job summary after the push. The inputs are push-artifact.ts.
 */
import * as core from '@actions/core';
import { formatError } from '../errors.js';
import { publishFailedError, publishSummary, type ComponentFailure, type PublishAllHooks, type PublishResult, type PublishTarget } from '../publish/index.js';
import { actionLog, oneLine } from './log.js';
import { attestationsOutput, setSignatureOutputs } from './publish.js';
import type { PushArtifactConfig } from './push-artifact.js';
import { notifyAfterTagsMoved } from './receivers.js';

/** Per-target loggers whose info lines are printed as one group when the target is settled. */
export function groupedLogs(): PublishAllHooks {
  const logs = new Map<string, string[]>();
  const key = (t: { component?: string; repository: string }) => t.component ?? t.repository;
  return {
    loggerFor: (t) => {
      const lines: string[] = [];
      logs.set(key(t), lines);
      return { debug: (m) => actionLog.debug(`[${key(t)}] ${m}`), info: (m) => lines.push(m), warn: (m) => actionLog.warning(`[${oneLine(key(t))}] ${m}`) };
    },
    onSettled: (t, { result, error }) => {
      const status = error ? 'failed' : result?.pushed ? 'pushed' : 'unchanged';
      actionLog.startGroup(`${t.component ?? t.displayPath} → ${t.repository}: ${status}`);
      for (const line of logs.get(key(t)) ?? []) actionLog.info(line);
      if (error) actionLog.error(`${oneLine(key(t))}: ${formatError(error)}`);
      actionLog.endGroup();
    },
  };
}

/** One entry of the `artifacts` output. */
export function artifactOutput(r: PublishResult): Record<string, unknown> {
  return {
    component: r.component ?? '',
    repository: r.repository,
    path: r.path,
    pushed: r.pushed,
    digest: r.digest,
    'digest-url': r.digestUrl,
    tags: r.tags,
    'layer-digest': r.layerDigest,
    'tar-digest': r.tarDigest,
    signature: r.signature?.signature ?? '',
  };
}

/**
 * After the push: the outputs (as the distribution action, digest and digest-url are empty when nothing was pushed),
 * the Receivers told about the tags that moved (a push that succeeded, with its signature), the job summary; then the
 * step fails when a component failed.
 */
export async function writePushArtifactOutputs(targets: readonly PublishTarget[], results: PublishResult[], failures: ComponentFailure[], config: PushArtifactConfig): Promise<void> {
  core.setOutput('artifacts', JSON.stringify(results.map(artifactOutput)));
  core.setOutput('pushed', String(results.some((r) => r.pushed)));
  core.setOutput('attestations', attestationsOutput(results));
  if (targets.length === 1 && results.length === 1) {
    core.setOutput('digest', results[0].pushed ? results[0].digest : '');
    core.setOutput('digest-url', results[0].pushed ? results[0].digestUrl : '');
    setSignatureOutputs(results[0].signature);
  }
  const moved = results.filter((r) => r.pushed);
  const notified = moved.length > 0 ? await notifyAfterTagsMoved(config.receivers, { artifacts: moved.map((r) => ({ repository: r.repository, digest: r.digest, tags: r.tags })) }, config.common.budget) : [];
  if (moved.length === 0) core.setOutput('notified', '[]');
  await core.summary.addRaw((await publishSummary('push-artifact', results, failures)) + (notified.length ? `${notified.join('\n')}\n` : '')).write();
  if (failures.length) throw publishFailedError(failures, targets.length);
}
