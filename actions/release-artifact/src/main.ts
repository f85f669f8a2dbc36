import * as core from '@actions/core';
import { InputError } from '@d2/core';
import { actionLog, Inputs, oneLine, runAction } from '@d2/core/action';
import { mdCode, mdText } from '@d2/core/util';
import {
  actionsLogger,
  ANNOTATION_VERSION,
  defaultTagPattern,
  parseReleaseRef,
  publishArtifact,
  publishSummary,
  readCommonInputs,
  releasePolicy,
  resolveTargets,
  validateTags,
  verifySection,
  wirePublish,
} from '@d2/core/publish';

/**
 * release-artifact: promote a component (or the whole fleet repository) from a `<component>/<version>` tag:
 * build exactly as push-artifact, push by digest, sign, then move the version tag and the stable tag (actions/release-artifact/README.md).
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const env = process.env;
    const inputs = new Inputs();
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    const mode = inputs.oneOf('mode', ['component', 'fleet'] as const, 'component');
    const pattern = inputs.string('tag-pattern') || defaultTagPattern(mode);
    const ref = inputs.string('ref') || env.GITHUB_REF || '';
    if (!ref) throw new InputError('no ref to release: GITHUB_REF is not set', "set the 'ref' input, e.g. refs/tags/frontend/v1.0.0");
    const release = parseReleaseRef(ref, pattern, mode);
    const fill = (t: string) => t.split('{version}').join(release.version).split('{component}').join(release.component ?? '');
    const versionTag = fill(inputs.string('version-tag', '{version}'));
    const stableTag = inputs.string('stable-tag', 'latest-stable');
    validateTags([versionTag, stableTag]);
    const allowDowngrade = inputs.boolean('allow-downgrade', false);
    const overwriteVersion = inputs.boolean('overwrite-version', false);

    const owner = (env.GITHUB_REPOSITORY ?? '').toLowerCase();
    let repository = inputs.string('repository');
    if (!repository) {
      if (!owner) throw new InputError("input 'repository' is required outside GitHub Actions (GITHUB_REPOSITORY is not set)");
      repository = mode === 'fleet' ? `ghcr.io/${owner}` : `ghcr.io/${owner}/{component}`;
    }
    const path = inputs.string('path') || (mode === 'fleet' ? '.' : 'components/{component}');
    const common = readCommonInputs(inputs, env);
    common.build.annotations = { ...common.build.annotations, [ANNOTATION_VERSION]: release.version };

    const [target] = await resolveTargets({ workspace, components: release.component ? [release.component] : [], repository, path, build: common.build });
    const wiring = wirePublish([target.repository.split('/')[0]], common, env);
    actionLog.info(`releasing ${release.component ? `component ${release.component} ` : ''}version ${release.version} from ${oneLine(target.displayPath ?? target.path)} to ${target.repository}`);

    // The guards hold for concurrent releases too (re-check before each tag PUT, read-back after a settle time).
    const policy = releasePolicy({ version: release.version, versionTag, stableTag, allowDowngrade, overwriteVersion });
    const result = await publishArtifact(wiring.client, target, {
      diffTag: versionTag,
      tags: [stableTag],
      build: common.build,
      signer: wiring.signer,
      verifier: wiring.verifier,
      logger: actionsLogger,
      guard: policy.guard,
      moveTags: policy.moveTags,
    });
    const stableBefore = policy.stableBefore;

    core.setOutput('component', release.component ?? '');
    core.setOutput('version', release.version);
    core.setOutput('digest', result.digest);
    core.setOutput('digest-url', result.digestUrl);
    core.setOutput('tags', result.tags.join(','));
    if (result.signature) {
      core.setOutput('signature', result.signature.signature);
      core.setOutput('rekor-log-index', String(result.signature.rekorLogIndex));
      core.setOutput('certificate-identity', result.signature.certificateIdentity);
      core.setOutput('certificate-oidc-issuer', result.signature.certificateOidcIssuer);
    }
    // The previous version comes from the registry's annotations: untrusted, escaped like every value in the summary.
    const before = stableBefore ? `${mdText(stableBefore.annotations[ANNOTATION_VERSION] ?? 'unversioned')} (${mdCode(`${stableBefore.digest.slice(0, 19)}…`)})` : 'none';
    const superseded = policy.superseded;
    const promotion = superseded
      ? `**Promotion** of ${mdCode(`${target.repository}:${stableTag}`)}: superseded — a concurrent release moved it on to ${mdText(superseded.version ?? 'a higher version')} (${mdCode(`${superseded.digest.slice(0, 19)}…`)}); ${mdText(release.version)} is published as ${mdCode(versionTag)} only`
      : `**Promotion** of ${mdCode(`${target.repository}:${stableTag}`)}: ${before} → ${mdText(release.version)} (${mdCode(`${result.digest.slice(0, 19)}…`)})${result.pushed ? '' : ' — content unchanged, nothing pushed'}`;
    let summary = publishSummary(`release-artifact ${release.tag}`, [result], []).replace(/\n### Flux verification[\s\S]*$/, '\n');
    summary += `\n${promotion}\n`;
    if (result.signature) summary += `\n${verifySection(result.signature)}\n`;
    await core.summary.addRaw(summary).write();
  });
}
