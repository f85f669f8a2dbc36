import * as core from '@actions/core';
import { InputError, formatError } from '@d2/core';
import { createBuildPool, parseWorkers } from '@d2/core/flux';
import { actionLog, actionsLogger, attestationsOutput, Inputs, notifyAfterTagsMoved, oneLine, readCommonInputs, readReceiverInputs, runAction, setSignatureOutputs, wireActionPublish } from '@d2/core/action';
import { DEFAULT_CONCURRENCY, publishAll, publishFailedError, publishSummary, resolveTargets, validateTags, type PublishAllHooks, type PublishResult } from '@d2/core/publish';

/**
 * push-artifact: package each component as a Flux OCI artifact, skip unchanged content, push by digest, sign, verify,
 * then move the tags (docs/security.md, "Ordering guarantees"). Input-compatible with controlplaneio-fluxcd/distribution/actions/push.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const inputs = new Inputs();
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
    const targets = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components, repository, path, build: common.build });
    const wiring = await wireActionPublish(targets.map((t) => t.repository), common, env);

    // Logic: components run concurrently; each one's log is buffered and printed as one group when it is done.
    actionLog.info(`publishing ${targets.length} artifact(s): ${targets.map((t) => `${oneLine(t.displayPath ?? t.path)} → ${t.repository}`).join(', ')}`);
    // Builds (tar, compression, digests) run on worker threads when more than one can run at a time.
    const pool = createBuildPool(Math.min(workers, concurrency), targets.length);
    if (pool) actionLog.info(`building on ${pool.workers} worker threads`);
    const { results, failures } = await publishAll(
      wiring.client,
      targets,
      { diffTag, tags, build: common.build, builder: pool?.build, signer: wiring.signer, verifier: wiring.verifier, attestor: wiring.attestor, logger: actionsLogger },
      concurrency,
      groupedLogs(),
    ).finally(() => pool?.close());

    // Outputs: as the distribution action, digest and digest-url are empty when nothing was pushed.
    core.setOutput('artifacts', JSON.stringify(results.map(artifactOutput)));
    core.setOutput('pushed', String(results.some((r) => r.pushed)));
    core.setOutput('attestations', attestationsOutput(results));
    if (targets.length === 1 && results.length === 1) {
      core.setOutput('digest', results[0].pushed ? results[0].digest : '');
      core.setOutput('digest-url', results[0].pushed ? results[0].digestUrl : '');
      setSignatureOutputs(results[0].signature);
    }
    // Receivers are told only about tags that moved (a push that succeeded, with its signature).
    const moved = results.filter((r) => r.pushed);
    const notified = moved.length > 0 ? await notifyAfterTagsMoved(receivers, { artifacts: moved.map((r) => ({ repository: r.repository, digest: r.digest, tags: r.tags })) }, common.budget) : [];
    if (moved.length === 0) core.setOutput('notified', '[]');
    await core.summary.addRaw(publishSummary('push-artifact', results, failures) + (notified.length ? `${notified.join('\n')}\n` : '')).write();
    if (failures.length) throw publishFailedError(failures, targets.length);
  });
}

function artifactOutput(r: PublishResult): Record<string, unknown> {
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

/** Per-target loggers whose info lines are printed as one group when the target is settled. */
function groupedLogs(): PublishAllHooks {
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
