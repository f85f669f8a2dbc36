import { actionLog, actionsLogger, oneLine, writeReleaseArtifactOutputs, type ReleaseArtifactConfig } from '@d2/core/action';
import { publishArtifact, releasePolicy, type PublishTarget, type PublishWiring } from '@d2/core/publish';

/** The run of release-artifact once its inputs are valid and its clients wired (main.ts): publish, then the outputs. */
export async function release(config: ReleaseArtifactConfig, target: PublishTarget, wiring: PublishWiring): Promise<void> {
  const { common } = config;
  const { release, versionTag, stableTag } = config.plan;
  // Logic: the guards hold for concurrent releases too (re-check before each tag PUT, read-back after a settle time).
  actionLog.info(`releasing ${release.component ? `component ${release.component} ` : ''}version ${release.version} from ${oneLine(target.displayPath ?? target.path)} to ${target.repository}`);
  const policy = releasePolicy({ version: release.version, versionTag, stableTag, allowDowngrade: config.allowDowngrade, overwriteVersion: config.overwriteVersion });
  const { signer, verifier, attestor } = wiring;
  const result = await publishArtifact(wiring.client, target, {
    diffTag: versionTag,
    tags: [stableTag],
    build: common.build,
    signer,
    verifier,
    attestor,
    version: release.version,
    logger: actionsLogger,
    guard: policy.guard,
    moveTags: policy.moveTags,
  });

  // Outputs, Receivers and summary.
  await writeReleaseArtifactOutputs(target, result, policy, config);
}
