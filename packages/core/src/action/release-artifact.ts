/**
 * The GitHub Actions adapter of release-artifact (actions/release-artifact/README.md): its inputs → a
 * ReleaseArtifactConfig (the release planned from the ref, with the common publishing inputs of publish.ts and the
 * Receivers of receivers.ts), and the outputs, Receiver notifications and job summary after the release.
 */
import * as core from '@actions/core';
import { InputError } from '../errors.js';
import type { ReceiverTarget } from '../notify/index.js';
import {
  ANNOTATION_VERSION,
  DEFAULT_STABLE_TAG,
  DEFAULT_VERSION_TAG,
  defaultTagPattern,
  planRelease,
  publishSummary,
  type PublishResult,
  type PublishTarget,
  type ReleaseMode,
  type ReleasePlan,
  type ReleasePolicy,
} from '../publish/index.js';
import { mdCode, mdText } from '../util/index.js';
import type { Inputs } from './inputs.js';
import { attestationsOutput, readCommonInputs, setSignatureOutputs, type CommonPublishInputs } from './publish.js';
import { notifyAfterTagsMoved, readReceiverInputs } from './receivers.js';

type Env = Record<string, string | undefined>;

export interface ReleaseArtifactConfig {
  mode: ReleaseMode;
  /** The release of the ref, its version tag and stable tag. */
  plan: ReleasePlan;
  allowDowngrade: boolean;
  overwriteVersion: boolean;
  /** `host/path`, with `{component}` in component mode. */
  repository: string;
  path: string;
  /** The common publishing inputs; the build annotations carry the release's version. */
  common: CommonPublishInputs;
  receivers: ReceiverTarget[];
}

/** Reads and validates the inputs of release-artifact; nothing has been built or sent yet. */
export function readReleaseArtifactInputs(inputs: Inputs, env: Env = process.env): ReleaseArtifactConfig {
  const mode = inputs.oneOf('mode', ['component', 'fleet'] as const, 'component');
  const tagPattern = inputs.string('tag-pattern') || defaultTagPattern(mode);
  const ref = inputs.string('ref') || env.GITHUB_REF || '';
  if (!ref) throw new InputError('no ref to release: GITHUB_REF is not set', "set the 'ref' input, e.g. refs/tags/frontend/v1.0.0");
  const plan = planRelease({ ref, mode, tagPattern, versionTag: inputs.string('version-tag', DEFAULT_VERSION_TAG), stableTag: inputs.string('stable-tag', DEFAULT_STABLE_TAG) });
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
  common.build.annotations = { ...common.build.annotations, [ANNOTATION_VERSION]: plan.release.version };
  return { mode, plan, allowDowngrade, overwriteVersion, repository, path, common, receivers };
}

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
