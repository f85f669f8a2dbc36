import { createBuildPool } from '@d2/core/flux';
import { actionLog, actionsLogger, groupedLogs, Inputs, oneLine, readPushArtifactInputs, runAction, wireActionPublish, writePushArtifactOutputs } from '@d2/core/action';
import { publishAll, resolveTargets } from '@d2/core/publish';

/**
 * push-artifact: package each component as a Flux OCI artifact, skip unchanged content, push by digest, sign, verify,
 * then move the tags (docs/security.md, "Ordering guarantees"). Input-compatible with controlplaneio-fluxcd/distribution/actions/push.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const config = readPushArtifactInputs(new Inputs(), env);
    const { common, concurrency } = config;
    const targets = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components: config.components, repository: config.repository, path: config.path, build: common.build });
    const wiring = await wireActionPublish(targets.map((t) => t.repository), common, env);

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
  });
}
