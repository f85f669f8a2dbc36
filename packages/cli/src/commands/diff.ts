import { InputError } from '@d2/core';
import { buildArtifact } from '@d2/core/flux';
import { inspectRemote, splitRepository, validateTags } from '@d2/core/publish';
import { EXIT_FAILED, EXIT_OK, requirePositional, str, type Command } from '../cli.js';
import { BUILD_HELP, REGISTRY_HELP, buildOptions, buildOptionsFrom, registryClient, registryOptions, timeBudget } from '../wiring.js';
import { repositoryAndTag, targetsOf } from './push.js';

const USAGE = 'd2 diff <dir> oci://<host>/<repo>[:tag|@digest] [--diff-tag latest]';

/** Exit code of `d2 diff` when the content differs (or nothing is at the tag): like diff(1) and `flux diff artifact`. */
export const EXIT_CHANGES = EXIT_FAILED;

export const diffCommand: Command = {
  name: 'diff',
  summary: 'Compare a directory with the artifact at a tag, by content (what push --diff-tag decides)',
  usage: USAGE,
  help: `Builds the directory locally and compares its uncompressed tar digest with the remote artifact's
(docs/artifacts.md): a change of compressor or of annotations alone is not a change. The remote reference is the tag or digest in the
reference, else --diff-tag, else 'latest'. Nothing is pushed.

  --diff-tag TAG              the tag to compare with (when the reference has none)
${BUILD_HELP}
${REGISTRY_HELP}

Exit codes: 0 no changes; 1 changes found — the content differs or nothing exists at the tag (JSON: "changed": true)
— or the comparison failed (message on stderr); 2 usage or input error.

Example:
  d2 diff components/frontend oci://ghcr.io/org/apps/frontend:latest || echo "frontend changed"`,
  options: { ...buildOptions, ...registryOptions, 'diff-tag': { type: 'string' } },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const dirArg = requirePositional(ctx, 0, 'the directory to compare', USAGE);
    const refArg = requirePositional(ctx, 1, 'the remote artifact (oci://host/repo:tag)', USAGE);
    let reference: string;
    let repository: string;
    if (refArg.includes('@')) {
      const at = refArg.lastIndexOf('@');
      repository = repositoryAndTag(refArg.slice(0, at)).repository;
      reference = refArg.slice(at + 1);
      if (!/^sha256:[0-9a-f]{64}$/.test(reference)) throw new InputError(`'${reference}' is not a sha256 digest`);
    } else {
      const rt = repositoryAndTag(refArg);
      repository = rt.repository;
      reference = rt.tag ?? str(ctx, 'diff-tag') ?? 'latest';
      validateTags([reference]);
    }
    const build = buildOptionsFrom(ctx);
    const [target] = await targetsOf(ctx, dirArg, repository, build);
    const repo = splitRepository(target.repository);
    const client = registryClient(ctx, [repo.registry]);
    const built = await buildArtifact(target.path, build);
    try {
      const remote = await inspectRemote(client, repo, reference, { withTar: true, knownLayer: { digest: built.layerDigest, tarDigest: built.tarDigest } });
      client.close();
      const changed = !remote || remote.tarDigest !== built.tarDigest;
      const at = `${target.repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
      ctx.result(
        {
          changed,
          reference: at,
          local: { tarDigest: built.tarDigest, layerDigest: built.layerDigest, manifestDigest: built.manifestDigest, files: built.files },
          remote: remote ? { digest: remote.digest, tarDigest: remote.tarDigest ?? null, layerDigest: remote.layerDigest ?? null } : null,
        },
        !remote ? `changed: nothing at ${at}` : changed ? `changed: ${dirArg} differs from ${at} (${remote.digest})` : `no changes: ${dirArg} equals ${at} (${remote.digest})`,
      );
      return changed ? EXIT_CHANGES : EXIT_OK;
    } finally {
      await built.cleanup();
    }
  },
};
