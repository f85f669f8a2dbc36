import { InputError } from '@d2/core';
import { moveTags, validateTags } from '@d2/core/publish';
import { EXIT_OK, list, requirePositional, type Command } from '../cli.js';
import { REGISTRY_HELP, parseOci, registryClient, registryOptions, repoOf, timeBudget } from '../wiring.js';

const USAGE = 'd2 tag oci://<host>/<repo>:<tag>|@<digest> --tags t1,t2';

export const tagCommand: Command = {
  name: 'tag',
  summary: 'Point more tags at an existing artifact (no blob moves)',
  usage: USAGE,
  help: `Resolves the source tag or digest and PUTs the exact manifest bytes under each new tag (docs/registry-client.md);
tags that already point at that digest are left alone.

  -t, --tags T1,T2            tags to move (repeatable; --tag is an alias)
${REGISTRY_HELP}

Exit codes: 0 tagged, 1 the registry failed or the source does not exist, 2 usage or input error.

Example:
  d2 tag oci://ghcr.io/org/apps/frontend@sha256:… --tags v1.2.3,latest-stable`,
  options: { ...registryOptions, tags: { type: 'string', short: 't', multiple: true }, tag: { type: 'string', multiple: true } },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const ref = parseOci(requirePositional(ctx, 0, 'the source artifact (oci://host/repo:tag or @digest)', USAGE));
    const tags = [...list(ctx, 'tags'), ...list(ctx, 'tag')];
    if (tags.length === 0) throw new InputError('no tags given', `usage: ${USAGE}`);
    validateTags(tags);
    const source = ref.digest ?? ref.tag;
    if (!source) throw new InputError(`'${ctx.positionals[0]}' has no tag or digest to tag from`, 'use oci://host/repo:tag or oci://host/repo@sha256:…');
    const repo = repoOf(ref, ctx.values.insecure === true);
    const client = registryClient(ctx, [ref.registry]);
    const manifest = await client.getManifest(repo, source);
    if (ref.digest && manifest.digest !== ref.digest) throw new InputError(`the registry returned ${manifest.digest} for ${ref.digest}`);
    const moved = await moveTags(client, repo, tags, manifest.digest, manifest);
    client.close();
    const name = `${ref.registry}/${ref.repository}`;
    ctx.result(
      { repository: name, digest: manifest.digest, tags, movedTags: moved },
      `${name}@${manifest.digest}: ${tags.map((t) => `:${t}${moved.includes(t) ? ' (moved)' : ' (already there)'}`).join(', ')}`,
    );
    return EXIT_OK;
  },
};
