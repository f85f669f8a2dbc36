import { resolve } from 'node:path';
import { InputError } from '@d2/core';
import {
  ANNOTATION_VERSION,
  ciRegistryImage,
  ciReleaseRef,
  defaultTagPattern,
  planRelease,
  publishArtifact,
  releasePolicy,
  resolveTargets,
  type ReleaseMode,
} from '@d2/core/publish';
import { EXIT_OK, requirePositional, str, type Command, type CommandContext } from '../cli.js';
import { ATTEST_HELP, BUILD_HELP, REGISTRY_HELP, SIGN_HELP, SUMMARY_HELP, attestOptions, buildOptions, buildOptionsFrom, cliLogger, registryOptions, signOptions, summaryOption, timeBudget, wireCommand, writeSummary } from '../wiring.js';
import { artifactJson, repositoryAndTag } from './push.js';

const USAGE = 'd2 release <component>/<version> oci://<host>/<repo>/{component} [--path components/{component}] [--sign]';

/**
 * The release tag and repository: both positional, or in CI from the run (GitHub's refs/tags GITHUB_REF, GitLab's
 * CI_COMMIT_TAG; GitLab's `$CI_REGISTRY_IMAGE/{component}`). A lone `oci://` argument is the repository.
 */
function releaseArgs(ctx: CommandContext, fleet: boolean): { tagArg: string; refArg: string } {
  const [first, second] = ctx.positionals;
  const lone = second === undefined && first?.startsWith('oci://') ? first : undefined;
  const tagArg = (lone ? undefined : first) ?? ciReleaseRef(ctx.env) ?? requirePositional(ctx, 0, 'the release tag (e.g. frontend/v1.0.0)', USAGE);
  const image = ciRegistryImage(ctx.env);
  const refArg = second ?? lone ?? (image ? `oci://${image}${fleet ? '' : '/{component}'}` : undefined) ?? requirePositional(ctx, 1, 'the repository (oci://host/repo/{component})', USAGE);
  return { tagArg, refArg };
}

export const releaseCommand: Command = {
  name: 'release',
  summary: 'Promote a component version: push, sign, then move the version tag and latest-stable',
  usage: USAGE,
  help: `The release-artifact action as a command (docs/cli.md). The release tag (a git tag name, or refs/tags/<name>) is parsed
with --tag-pattern (default {component}/{version}; fleet mode: {version}); the component is built exactly as push does,
compared with the version tag by content, pushed by digest, signed (--sign), and only then the version tag and the
stable tag move. Guards: an existing version tag with other content is never overwritten (--overwrite-version), and
the stable tag never moves to a lower semver version (--allow-downgrade). Re-running a release is idempotent.
The artifact gets the annotation ${ANNOTATION_VERSION}=<version>.

  In CI both arguments may be left out: the tag comes from the run (GITHUB_REF refs/tags/…, GitLab CI_COMMIT_TAG),
  and in a GitLab job the repository defaults to $CI_REGISTRY_IMAGE/{component} ($CI_REGISTRY_IMAGE in fleet mode).
  --mode component|fleet      fleet: no component, the whole --path (default '.'), tags {version} and latest-stable
  --path TEMPLATE             default components/{component} ('.' in fleet mode), relative to --workspace
  --workspace DIR             default: the current directory
  --tag-pattern P             default {component}/{version} ({version} in fleet mode)
  --version-tag T             default {version}
  --stable-tag T              default latest-stable
  --allow-downgrade  --overwrite-version
  --sign
${SUMMARY_HELP}
${SIGN_HELP}
${ATTEST_HELP}
${BUILD_HELP}
${REGISTRY_HELP}

Exit codes: 0 released, 1 refused (downgrade, immutable version) or failed — no tag moved, 2 usage or input error.

Example:
  d2 release frontend/v1.2.0 'oci://ghcr.io/org/apps/{component}' --sign`,
  options: {
    ...buildOptions,
    ...registryOptions,
    ...signOptions,
    ...summaryOption,
    ...attestOptions,
    mode: { type: 'string' },
    path: { type: 'string' },
    workspace: { type: 'string' },
    'tag-pattern': { type: 'string' },
    'version-tag': { type: 'string' },
    'stable-tag': { type: 'string' },
    'allow-downgrade': { type: 'boolean' },
    'overwrite-version': { type: 'boolean' },
  },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const mode = (str(ctx, 'mode') ?? 'component') as ReleaseMode;
    if (mode !== 'component' && mode !== 'fleet') throw new InputError(`--mode must be component or fleet, got '${String(mode)}'`);
    const { tagArg, refArg } = releaseArgs(ctx, mode === 'fleet');
    const plan = planRelease({
      ref: tagArg.startsWith('refs/') ? tagArg : `refs/tags/${tagArg}`,
      mode,
      tagPattern: str(ctx, 'tag-pattern') ?? defaultTagPattern(mode),
      versionTag: str(ctx, 'version-tag'),
      stableTag: str(ctx, 'stable-tag'),
    });
    const { release, versionTag, stableTag } = plan;
    const { repository, tag } = repositoryAndTag(refArg);
    if (tag) throw new InputError(`'${refArg}' has a tag; the release tags are --version-tag and --stable-tag`);
    const path = str(ctx, 'path') ?? plan.defaultPath;
    const build = buildOptionsFrom(ctx);
    build.annotations = { ...build.annotations, [ANNOTATION_VERSION]: release.version };
    const workspace = resolve(str(ctx, 'workspace') ?? '.');
    const [target] = await resolveTargets({ workspace, components: release.component ? [release.component] : [], repository, path, build });
    const { client, signer, verifier, attestor } = await wireCommand(ctx, [target.repository], ctx.values.sign === true);
    ctx.log(`→ releasing ${release.component ? `${release.component} ` : ''}${release.version} from ${target.displayPath} to ${target.repository}`);
    const policy = releasePolicy({
      version: release.version,
      versionTag,
      stableTag,
      allowDowngrade: ctx.values['allow-downgrade'] === true,
      overwriteVersion: ctx.values['overwrite-version'] === true,
    });
    const r = await publishArtifact(client, target, {
      diffTag: versionTag,
      tags: [stableTag],
      build,
      signer,
      verifier,
      attestor,
      version: release.version,
      logger: cliLogger(ctx),
      guard: policy.guard,
      moveTags: policy.moveTags,
    });
    client.close();
    await writeSummary(ctx, `Release ${release.component ? `${release.component} ` : ''}${release.version}`, [r], []);
    const stableBefore = policy.stableBefore;
    const before = stableBefore ? { digest: stableBefore.digest, version: stableBefore.annotations[ANNOTATION_VERSION] ?? null } : null;
    const superseded = policy.superseded ? { digest: policy.superseded.digest, version: policy.superseded.version ?? null } : null;
    ctx.result(
      { component: release.component ?? '', version: release.version, stableBefore: before, ...(superseded ? { stableSupersededBy: superseded } : {}), ...artifactJson(r) },
      `${r.pushed ? 'pushed' : 'unchanged'} ${r.digestUrl} ${r.tags.map((t) => `:${t}`).join(' ')} (stable was ${before ? `${before.version ?? 'unversioned'} ${before.digest.slice(0, 19)}…` : 'unset'}${superseded ? `; a concurrent release moved it on to ${superseded.version ?? 'a higher version'} ${superseded.digest.slice(0, 19)}…` : ''})`,
    );
    return EXIT_OK;
  },
};
