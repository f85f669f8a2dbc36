import * as core from '@actions/core';
import { InputError } from '@d2/core';
import { actionLog, actionsLogger, attestationsOutput, Inputs, notifyAfterTagsMoved, oneLine, readCommonInputs, readReceiverInputs, runAction, setSignatureOutputs, wireActionPublish } from '@d2/core/action';
import { mdCode, mdText } from '@d2/core/util';
import {
  ANNOTATION_VERSION,
  DEFAULT_STABLE_TAG,
  DEFAULT_VERSION_TAG,
  defaultTagPattern,
  planRelease,
  publishArtifact,
  publishSummary,
  releasePolicy,
  resolveTargets,
  type PublishResult,
  type ReleasePlan,
  type ReleasePolicy,
} from '@d2/core/publish';

/**
 * release-artifact: promote a component (or the whole fleet repository) from a `<component>/<version>` tag:
 * build exactly as push-artifact, push by digest, sign, then move the version tag and the stable tag (actions/release-artifact/README.md).
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const inputs = new Inputs();
    const mode = inputs.oneOf('mode', ['component', 'fleet'] as const, 'component');
    const tagPattern = inputs.string('tag-pattern') || defaultTagPattern(mode);
    const ref = inputs.string('ref') || env.GITHUB_REF || '';
    if (!ref) throw new InputError('no ref to release: GITHUB_REF is not set', "set the 'ref' input, e.g. refs/tags/frontend/v1.0.0");
    const plan = planRelease({ ref, mode, tagPattern, versionTag: inputs.string('version-tag', DEFAULT_VERSION_TAG), stableTag: inputs.string('stable-tag', DEFAULT_STABLE_TAG) });
    const { release, versionTag, stableTag } = plan;
    const allowDowngrade = inputs.boolean('allow-downgrade', false);
    const overwriteVersion = inputs.boolean('overwrite-version', false);
    const owner = (env.GITHUB_REPOSITORY ?? '').toLowerCase();
    let repository = inputs.string('repository');
    if (!repository) {
      if (!owner) throw new InputError("input 'repository' is required outside GitHub Actions (GITHUB_REPOSITORY is not set)");
      repository = mode === 'fleet' ? `ghcr.io/${owner}` : `ghcr.io/${owner}/{component}`;
    }
    const path = inputs.string('path') || plan.defaultPath;
    const common = readCommonInputs(inputs, env);
    const receivers = readReceiverInputs(inputs, env);
    common.build.annotations = { ...common.build.annotations, [ANNOTATION_VERSION]: release.version };
    const components = release.component ? [release.component] : [];
    const [target] = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components, repository, path, build: common.build });
    const wiring = await wireActionPublish([target.repository], common, env);

    // Logic: the guards hold for concurrent releases too (re-check before each tag PUT, read-back after a settle time).
    actionLog.info(`releasing ${release.component ? `component ${release.component} ` : ''}version ${release.version} from ${oneLine(target.displayPath ?? target.path)} to ${target.repository}`);
    const policy = releasePolicy({ version: release.version, versionTag, stableTag, allowDowngrade, overwriteVersion });
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

    // Outputs.
    core.setOutput('component', release.component ?? '');
    core.setOutput('version', release.version);
    core.setOutput('digest', result.digest);
    core.setOutput('digest-url', result.digestUrl);
    core.setOutput('tags', result.tags.join(','));
    setSignatureOutputs(result.signature);
    core.setOutput('attestations', attestationsOutput([result]));
    // The release's tags have moved (publishArtifact returns only then): tell the Receivers.
    const notified = await notifyAfterTagsMoved(receivers, { artifacts: [{ repository: target.repository, digest: result.digest, tags: result.tags }] }, common.budget);
    const summary = publishSummary(`release-artifact ${release.tag}`, [result], [], { sections: [promotionLine(plan, policy, target.repository, result), ...(notified.length ? [notified.join('\n').trim()] : [])] });
    await core.summary.addRaw(summary).write();
  });
}

/** The stable tag's move. The previous version comes from the registry's annotations: untrusted, escaped. */
function promotionLine({ release, versionTag, stableTag }: ReleasePlan, policy: ReleasePolicy, repository: string, result: PublishResult): string {
  const stable = mdCode(`${repository}:${stableTag}`);
  const superseded = policy.superseded;
  if (superseded) {
    return `**Promotion** of ${stable}: superseded — a concurrent release moved it on to ${mdText(superseded.version ?? 'a higher version')} (${mdCode(`${superseded.digest.slice(0, 19)}…`)}); ${mdText(release.version)} is published as ${mdCode(versionTag)} only`;
  }
  const before = policy.stableBefore;
  const from = before ? `${mdText(before.annotations[ANNOTATION_VERSION] ?? 'unversioned')} (${mdCode(`${before.digest.slice(0, 19)}…`)})` : 'none';
  return `**Promotion** of ${stable}: ${from} → ${mdText(release.version)} (${mdCode(`${result.digest.slice(0, 19)}…`)})${result.pushed ? '' : ' — content unchanged, nothing pushed'}`;
}
