import { readFile } from 'node:fs/promises';
import { clip, InputError } from '@d2/core';
import { parseTagList, selectPolicy } from '@d2/core/image-automation';
import { EXIT_OK, str, type Command, type CommandContext } from '../cli.js';

const USAGE = 'd2 policy select --policy <ImagePolicy.yaml> [--repository <ImageRepository.yaml>] --tags <file|->';

async function readInput(ctx: CommandContext, flag: string): Promise<string> {
  const path = str(ctx, flag);
  if (!path) throw new InputError(`--${flag} is required`, `usage: ${USAGE}`);
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read --${flag} ${clip(path)}: ${(err as NodeJS.ErrnoException).code ?? clip((err as Error).message)}`, 'check the file name and its permissions');
  }
}

export const policySelectCommand: Command = {
  name: 'policy select',
  summary: 'Elect the tag an ImagePolicy would choose from a list of tags (offline)',
  usage: USAGE,
  help: `Runs image-reflector-controller's election (docs/image-policies.md) on a tags file instead of a registry scan:
semver (Masterminds semantics), alphabetical, numerical, filterTags pattern/extract (Go RE2). With --repository the
ImageRepository's exclusionList applies first (default ^.*\\.sig$) and latestRef is printed too.

  --policy FILE               an ImagePolicy manifest (YAML)
  --repository FILE           its ImageRepository manifest (optional)
  --tags FILE                 one tag per line ('#' comments and blank lines ignored); '-' reads stdin

Prints the elected tag (text) or {tag, latestRef, excluded, candidates} (-o json).
Exit codes: 0 a tag was elected, 1 the policy elects nothing (the message says why, in Flux's words),
2 usage or input error (unreadable file, invalid manifest).

Example:
  skopeo list-tags docker://ghcr.io/stefanprodan/podinfo | jq -r '.Tags[]' > tags.txt
  d2 policy select --policy policy.yaml --tags tags.txt`,
  options: { policy: { type: 'string' }, repository: { type: 'string' }, tags: { type: 'string' } },
  async run(ctx) {
    const policyYaml = await readInput(ctx, 'policy');
    const repositoryYaml = str(ctx, 'repository') !== undefined ? await readInput(ctx, 'repository') : undefined;
    const tags = parseTagList(await readInput(ctx, 'tags'));
    const sourceOf = (flag: string): string => (str(ctx, flag) === '-' ? `--${flag} (stdin)` : (str(ctx, flag) ?? flag));
    const r = selectPolicy({ policyYaml, repositoryYaml, tags, policySource: sourceOf('policy'), repositorySource: sourceOf('repository') });
    ctx.result(
      {
        tag: r.tag,
        ...(r.latestRef ? { latestRef: r.latestRef } : {}),
        policy: r.policy.namespace ? `${r.policy.namespace}/${r.policy.name}` : r.policy.name,
        candidates: r.storedTags.length,
        excluded: r.excluded,
      },
      r.tag,
    );
    return EXIT_OK;
  },
};
