/**
 * The GitHub Actions adapter of push-artifact (actions/push-artifact/README.md): its inputs → a PushArtifactConfig
 * (with the common publishing inputs of publish.ts and the Receivers of receivers.ts), the per-component log groups,
 * and the outputs, Receiver notifications and job summary after the push.
 */
import * as core from '@actions/core';
import { formatError, InputError } from '../errors.js';
import { parseWorkers } from '../flux/index.js';
import type { ReceiverTarget } from '../notify/index.js';
import { DEFAULT_CONCURRENCY, publishFailedError, publishSummary, validateTags, type ComponentFailure, type PublishAllHooks, type PublishResult, type PublishTarget } from '../publish/index.js';
import type { Inputs } from './inputs.js';
import { actionLog, oneLine } from './log.js';
import { attestationsOutput, readCommonInputs, setSignatureOutputs, type CommonPublishInputs } from './publish.js';
import { notifyAfterTagsMoved, readReceiverInputs } from './receivers.js';

type Env = Record<string, string | undefined>;

export interface PushArtifactConfig {
  components: string[];
  /** `host/path`, with `{component}` when publishing components. */
  repository: string;
  path: string;
  diffTag?: string;
  tags: string[];
  common: CommonPublishInputs;
  concurrency: number;
  workers: number;
  receivers: ReceiverTarget[];
}

/** Reads and validates the inputs of push-artifact; nothing has been built or sent yet. */
export function readPushArtifactInputs(inputs: Inputs, env: Env = process.env): PushArtifactConfig {
  const components = inputs.list('components');
  let repository = inputs.string('repository');
  if (!repository) {
    if (components.length === 0) {
      throw new InputError("input 'repository' is required when 'components' is empty", 'set repository: ghcr.io/<owner>/<repo> (lowercase)');
    }
    if (!env.GITHUB_REPOSITORY) throw new InputError("input 'repository' is required outside GitHub Actions (GITHUB_REPOSITORY is not set)");
    repository = `ghcr.io/${env.GITHUB_REPOSITORY.toLowerCase()}/{component}`;
  }
  const path = inputs.string('path') || (components.length ? 'components/{component}' : '.');
  const diffTag = inputs.string('diff-tag') || undefined;
  const tags = inputs.list('tags');
  validateTags(diffTag ? [diffTag, ...tags] : tags);
  const common = readCommonInputs(inputs, env);
  const concurrency = inputs.integer('concurrency', DEFAULT_CONCURRENCY, 1, 64);
  const workers = parseWorkers(inputs.string('workers'), "input 'workers'");
  const receivers = readReceiverInputs(inputs, env);
  return { components, repository, path, ...(diffTag ? { diffTag } : {}), tags, common, concurrency, workers, receivers };
}

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
