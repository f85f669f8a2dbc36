/**
 * The GitHub Actions adapter of release-artifact, its run (actions/release-artifact/README.md): the outputs, Receiver
 * notifications and job summary after the release. The inputs are release-artifact.ts.
 */
import * as core from '@actions/core';
import { ANNOTATION_VERSION, publishSummary, type PublishResult, type PublishTarget, type ReleasePlan, type ReleasePolicy } from '../publish/index.js';
import { mdCode, mdText } from '../util/index.js';
import { attestationsOutput, setSignatureOutputs } from './publish.js';
import type { ReleaseArtifactConfig } from './release-artifact.js';
import { notifyAfterTagsMoved } from './receivers.js';

/**
 * After the release: the outputs, the Receivers told (the release's tags have moved: publishArtifact returns only
 * then), and the job summary with the stable tag's move.
 */
export async function writeReleaseArtifactOutputs(target: PublishTarget, result: PublishResult, policy: ReleasePolicy, config: ReleaseArtifactConfig): Promise<void> {
  const { release } = config.plan;
  core.setOutput('component', release.component ?? '');
  core.setOutput('version', release.version);
  core.setOutput('digest', result.digest);
  core.setOutput('digest-url', result.digestUrl);
  core.setOutput('tags', result.tags.join(','));
  setSignatureOutputs(result.signature);
  core.setOutput('attestations', attestationsOutput([result]));
  const notified = await notifyAfterTagsMoved(config.receivers, { artifacts: [{ repository: target.repository, digest: result.digest, tags: result.tags }] }, config.common.budget);
  const summary = await publishSummary(`release-artifact ${release.tag}`, [result], [], { sections: [promotionLine(config.plan, policy, target.repository, result), ...(notified.length ? [notified.join('\n').trim()] : [])] });
  await core.summary.addRaw(summary).write();
}

/** The stable tag's move. The previous version comes from the registry's annotations: untrusted, escaped. */
export function promotionLine({ release, versionTag, stableTag }: ReleasePlan, policy: ReleasePolicy, repository: string, result: PublishResult): string {
  const stable = mdCode(`${repository}:${stableTag}`);
  const superseded = policy.superseded;
  if (superseded) {
    return `**Promotion** of ${stable}: superseded — a concurrent release moved it on to ${mdText(superseded.version ?? 'a higher version')} (${mdCode(`${superseded.digest.slice(0, 19)}…`)}); ${mdText(release.version)} is published as ${mdCode(versionTag)} only`;
  }
  const before = policy.stableBefore;
  const from = before ? `${mdText(before.annotations[ANNOTATION_VERSION] ?? 'unversioned')} (${mdCode(`${before.digest.slice(0, 19)}…`)})` : 'none';
  return `**Promotion** of ${stable}: ${from} → ${mdText(release.version)} (${mdCode(`${result.digest.slice(0, 19)}…`)})${result.pushed ? '' : ' — content unchanged, nothing pushed'}`;
}
