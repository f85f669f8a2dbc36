import { basename, resolve } from 'node:path';
import { D2Error, InputError } from '@d2/core';
import { createBuildPool, parseWorkers, type BuildOptions } from '@d2/core/flux';
import { ciRegistryImage, COMPONENT_PLACEHOLDER, DEFAULT_CONCURRENCY, errorHint, publishAll, publishFailedError, resolveTargets, validateTags, type PublishResult, type PublishTarget } from '@d2/core/publish';
import { EXIT_OK, list, requirePositional, str, type Command, type CommandContext } from '../cli.js';
import { ATTEST_HELP, BUILD_HELP, REGISTRY_HELP, SIGN_HELP, SUMMARY_HELP, attestOptions, buildOptions, buildOptionsFrom, cliLogger, parseOci, registryOptions, signOptions, summaryOption, timeBudget, wireCommand, writeSummary } from '../wiring.js';

const USAGE = 'd2 push <dir> oci://<host>/<repo>[:tag] [--diff-tag latest] [--tags t1,t2] [--sign]';

/**
 * In a GitLab job the repository may be left out: `$CI_REGISTRY_IMAGE/{component}` with --components, else
 * `$CI_REGISTRY_IMAGE/<directory name>` (docs/gitlab.md "Defaults from the job").
 */
export function defaultRepository(ctx: CommandContext, dirArg: string): string | undefined {
  const image = ciRegistryImage(ctx.env);
  if (!image) return undefined;
  return list(ctx, 'components').length > 0 ? `oci://${image}/${COMPONENT_PLACEHOLDER}` : `oci://${image}/${basename(resolve(dirArg))}`;
}

/** Splits `oci://host/repo[:tag]` (a `{component}` template is kept as is) into repository and an optional tag. */
export function repositoryAndTag(ref: string): { repository: string; tag?: string } {
  const raw = ref.replace(/^oci:\/\//, '');
  if (raw.includes(COMPONENT_PLACEHOLDER)) {
    const slash = raw.lastIndexOf('/');
    const colon = raw.lastIndexOf(':');
    if (colon > slash) return { repository: raw.slice(0, colon), tag: raw.slice(colon + 1) };
    return { repository: raw };
  }
  const parsed = parseOci(ref, 'repository');
  if (parsed.digest) throw new InputError(`'${ref}' names a digest; push to a repository (optionally with a tag)`, `use oci://${parsed.registry}/${parsed.repository}`);
  return { repository: `${parsed.registry}/${parsed.repository}`, ...(parsed.tag ? { tag: parsed.tag } : {}) };
}

/**
 * The targets of push/diff: one directory, or `--components` with `{component}` in the path and repository. Each is
 * checked with the build options: a target whose artifact would contain no file is refused before anything is sent.
 */
export async function targetsOf(ctx: CommandContext, dirArg: string, repository: string, build: BuildOptions): Promise<PublishTarget[]> {
  const components = list(ctx, 'components');
  if (components.length === 0) {
    const dir = resolve(dirArg);
    return resolveTargets({ workspace: dir, components: [], repository, path: '.', build, displayPath: dirArg });
  }
  const workspace = resolve(str(ctx, 'workspace') ?? '.');
  return resolveTargets({ workspace, components, repository, path: dirArg, build });
}

export function artifactJson(r: PublishResult): Record<string, unknown> {
  return {
    component: r.component ?? '',
    repository: r.repository,
    path: r.path,
    pushed: r.pushed,
    digest: r.digest,
    digestUrl: r.digestUrl,
    tags: r.tags,
    movedTags: r.movedTags,
    layerDigest: r.layerDigest,
    tarDigest: r.tarDigest,
    size: r.size,
    files: r.files,
    signature: r.signature?.signature ?? '',
    ...(r.signature
      ? { rekorLogIndex: r.signature.rekorLogIndex, certificateIdentity: r.signature.certificateIdentity, certificateOidcIssuer: r.signature.certificateOidcIssuer }
      : {}),
    ...(r.alreadySigned ? { alreadySigned: true } : {}),
    ...(r.attestations ? { attestations: r.attestations } : {}),
  };
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'Build and push Flux OCI artifacts by digest, skip unchanged content, sign, then move tags',
  usage: USAGE,
  help: `The push-artifact action as a command (docs/cli.md; artifacts: docs/artifacts.md; signing: docs/signing.md).
Order: build → compare with --diff-tag by content (uncompressed tar digest) → push blobs and manifest by digest →
sign (--sign) → verify the signature as Flux would → only then move the tags. Unchanged content is not pushed; the tags
still point at the existing digest. With no tag at all, 'latest' is used (Flux's default).

  --diff-tag TAG              compare with the artifact at this tag; push only when the content differs
  --tags T1,T2                tags to move (repeatable); a tag in the reference (oci://r/x:t) counts too
  --components LIST           names or globs: <dir> and the repository then contain {component}, e.g.
                              d2 push 'components/{component}' 'oci://ghcr.io/org/app/{component}' --components '*'
  --workspace DIR             where component paths are resolved (default: the current directory)
                              GitLab CI: the repository defaults to $CI_REGISTRY_IMAGE/{component} (or /<dir name>),
                              logged in with CI_REGISTRY_USER/CI_REGISTRY_PASSWORD (docs/gitlab.md)
  --concurrency N             components built and pushed at once (default 4)
  --workers N                 worker threads building components (tar, compression, digests), at most
                              --concurrency (default: one per CPU core, at most 8; 1 builds on the main thread)
  --sign                      sign each pushed digest keylessly before the tags move
${SUMMARY_HELP}
${SIGN_HELP}
${ATTEST_HELP}
${BUILD_HELP}
${REGISTRY_HELP}

Exit codes: 0 every artifact published, 1 one or more failed (no tag moved for those), 2 usage or input error
(nothing was built or sent).

Examples:
  d2 push . oci://ghcr.io/org/fleet --diff-tag latest --creds "$USER:$TOKEN"
  SIGSTORE_ID_TOKEN=$CI_JOB_JWT d2 push components/frontend oci://registry.gitlab.com/org/apps/frontend --diff-tag latest --sign`,
  options: {
    ...buildOptions,
    ...registryOptions,
    ...signOptions,
    ...summaryOption,
    ...attestOptions,
    'diff-tag': { type: 'string' },
    tags: { type: 'string', short: 't', multiple: true },
    tag: { type: 'string', multiple: true },
    components: { type: 'string', short: 'c', multiple: true },
    workspace: { type: 'string' },
    concurrency: { type: 'string' },
    workers: { type: 'string' },
  },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const dirArg = requirePositional(ctx, 0, 'the directory to package', USAGE);
    const refArg = ctx.positionals[1] ?? defaultRepository(ctx, dirArg) ?? requirePositional(ctx, 1, 'the target repository (oci://host/repo)', USAGE);
    if (ctx.positionals.length > 2) throw new InputError(`unexpected argument '${ctx.positionals[2]}'`, `usage: ${USAGE}`);
    const { repository, tag } = repositoryAndTag(refArg);
    const diffTag = str(ctx, 'diff-tag');
    const tags = [...(tag ? [tag] : []), ...list(ctx, 'tags'), ...list(ctx, 'tag')];
    validateTags(diffTag ? [diffTag, ...tags] : tags);
    const concurrency = Number(str(ctx, 'concurrency') ?? String(DEFAULT_CONCURRENCY));
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new InputError('--concurrency must be an integer from 1 to 64');
    const workers = parseWorkers(str(ctx, 'workers'), '--workers');
    const build = buildOptionsFrom(ctx);
    const targets = await targetsOf(ctx, dirArg, repository, build);
    const { client, signer, verifier, attestor } = await wireCommand(ctx, targets.map((t) => t.repository), ctx.values.sign === true);
    // Validation done: nothing has been built or sent before this line.
    const logger = cliLogger(ctx);
    ctx.log(`→ publishing ${targets.map((t) => `${t.displayPath} → ${t.repository}`).join(', ')}`);
    // Builds (tar, compression, digests) run on worker threads when more than one can run at a time.
    const pool = createBuildPool(Math.min(workers, concurrency), targets.length, ctx.buildWorker);
    if (pool) logger.debug(`building on ${pool.workers} worker threads`);
    const { results, failures } = await publishAll(client, targets, { diffTag, tags, build, builder: pool?.build, signer, verifier, attestor, logger }, concurrency).finally(() =>
      pool?.close(),
    );
    client.close();
    await writeSummary(ctx, 'Push artifacts', results, failures);
    const artifacts = results.map(artifactJson);
    const single = targets.length === 1 && results.length === 1 ? results[0] : undefined;
    ctx.result(
      {
        pushed: results.some((r) => r.pushed),
        ...(single ? { digest: single.digest, digestUrl: single.digestUrl } : {}),
        artifacts,
        failures: failures.map((f) => ({
          component: f.component ?? '',
          repository: f.repository,
          path: f.path,
          error: f.error.message,
          code: f.error instanceof D2Error ? f.error.code : '',
          hint: errorHint(f.error) ?? '',
        })),
      },
      results.map((r) => `${r.pushed ? 'pushed   ' : 'unchanged'} ${r.digestUrl} ${r.tags.map((t) => `:${t}`).join(' ')}${r.signature ? ` signed ${r.signature.signature}` : ''}${attestedText(r)}`).join('\n'),
    );
    if (failures.length) throw publishFailedError(failures, targets.length);
    return EXIT_OK;
  },
};

/** ` attested provenance, sbom` for the text output. */
export function attestedText(r: PublishResult): string {
  return r.attestations?.length ? ` attested ${r.attestations.map((a) => a.type).join(', ')}` : '';
}
