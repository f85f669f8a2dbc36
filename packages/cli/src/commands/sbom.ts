import { basename, resolve } from 'node:path';
import { buildSbom, parseSbomFormat } from '@d2/core/sbom';
import { EXIT_OK, list, requirePositional, str, type Command } from '../cli.js';

const USAGE = 'd2 sbom <dir> [--format cyclonedx|spdx] [--name N] [--version V] [--ignore-paths P] [--sourceignore]';

/**
 * `d2 sbom`: prints the SBOM an attestation of the artifact of `<dir>` would carry, without building or pushing
 * anything (docs/sbom.md): the artifact's files with their digests and what its manifests deploy.
 */
export const sbomCommand: Command = {
  name: 'sbom',
  summary: "Print the SBOM of a directory's artifact: its files and the images, charts and OCI sources it deploys",
  usage: USAGE,
  help: `Walks the directory as d2 build and d2 push do (same files, same ignore rules) and prints a CycloneDX 1.6 or
SPDX 2.3 JSON document: every file of the artifact with its SHA-256, and every container image, Helm chart and OCI
source the manifests deploy, with the version or digest they pin and a pkg:docker / pkg:oci package URL. Flux
post-build variables and ResourceSet inputs are recorded as written (docs/sbom.md). Nothing is sent anywhere.

  --format cyclonedx|spdx     document format (default cyclonedx)
  --name N                    component name in the document (default: the directory's name)
  --version V                 component version in the document (default: none)
  --ignore-paths P[,P…]       gitignore patterns, as for d2 build (repeatable); default: Flux's list
  --sourceignore              also honour .sourceignore files, as for d2 build

Exit codes: 0 printed, 1 failed (e.g. unreadable file), 2 usage or input error (missing or empty directory,
unknown format).

Examples:
  d2 sbom components/backend > backend.cdx.json
  d2 sbom components/backend --format spdx --version 1.2.0`,
  defaultOutput: 'json',
  options: {
    format: { type: 'string' },
    name: { type: 'string' },
    version: { type: 'string' },
    'ignore-paths': { type: 'string', multiple: true },
    sourceignore: { type: 'boolean' },
  },
  async run(ctx) {
    const shown = requirePositional(ctx, 0, 'the directory to describe', USAGE);
    const format = parseSbomFormat(str(ctx, 'format') ?? 'cyclonedx');
    const dir = resolve(shown);
    const ignore = list(ctx, 'ignore-paths');
    const version = str(ctx, 'version');
    const { predicate } = await buildSbom({
      dir,
      name: str(ctx, 'name') ?? basename(dir),
      ...(version !== undefined ? { version } : {}),
      format,
      ...(ignore.length ? { ignorePaths: ignore } : {}),
      sourceignore: ctx.values.sourceignore === true,
    });
    ctx.result(predicate, JSON.stringify(predicate, null, 2));
    return EXIT_OK;
  },
};
