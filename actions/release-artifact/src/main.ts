import { actionLog, actionsLogger, Inputs, oneLine, readReleaseArtifactInputs, runAction, wireActionPublish, writeReleaseArtifactOutputs } from '@d2/core/action';
import { publishArtifact, releasePolicy, resolveTargets } from '@d2/core/publish';

/**
 * release-artifact: promote a component (or the whole fleet repository) from a `<component>/<version>` tag:
 * build exactly as push-artifact, push by digest, sign, then move the version tag and the stable tag (actions/release-artifact/README.md).
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const config = readReleaseArtifactInputs(new Inputs(), env);
    const { common } = config;
    const { release, versionTag, stableTag } = config.plan;
    const components = release.component ? [release.component] : [];
    const [target] = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components, repository: config.repository, path: config.path, build: common.build });
    const wiring = await wireActionPublish([target.repository], common, env);

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
  });
}
