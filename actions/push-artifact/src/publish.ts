import { actionLog, actionsLogger, groupedLogs, oneLine, writePushArtifactOutputs, type PushArtifactConfig } from '@d2/core/action';
import { createBuildPool } from '@d2/core/flux';
import { publishAll, type PublishTarget, type PublishWiring } from '@d2/core/publish';

/** The run of push-artifact once its inputs are valid and its clients wired (main.ts): publish, then the outputs. */
export async function publish(config: PushArtifactConfig, targets: PublishTarget[], wiring: PublishWiring): Promise<void> {
  const { common, concurrency } = config;
  // Logic: components run concurrently; each one's log is buffered and printed as one group when it is done.
  actionLog.info(`publishing ${targets.length} artifact(s): ${targets.map((t) => `${oneLine(t.displayPath ?? t.path)} → ${t.repository}`).join(', ')}`);
  // Builds (tar, compression, digests) run on worker threads when more than one can run at a time.
  const pool = createBuildPool(Math.min(config.workers, concurrency), targets.length);
  if (pool) actionLog.info(`building on ${pool.workers} worker threads`);
  const { results, failures } = await publishAll(
    wiring.client,
    targets,
    { diffTag: config.diffTag, tags: config.tags, build: common.build, builder: pool?.build, signer: wiring.signer, verifier: wiring.verifier, attestor: wiring.attestor, logger: actionsLogger },
    concurrency,
    groupedLogs(),
  ).finally(() => pool?.close());

  // Outputs, Receivers and summary; a failed component fails the step.
  await writePushArtifactOutputs(targets, results, failures, config);
}
