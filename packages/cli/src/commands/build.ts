import { copyFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildArtifact } from '@d2/core/flux';
import { EXIT_OK, requirePositional, str, type Command } from '../cli.js';
import { BUILD_HELP, buildOptions, buildOptionsFrom } from '../wiring.js';

const USAGE = 'd2 build <dir> [--ignore-paths P] [-o out.tgz] [--source URL --revision REV --created T]';

/**
 * `d2 build`: packages a directory as a Flux artifact locally, nothing is sent (docs/artifacts.md). Prints the
 * digests a push would produce. `-o out.tgz` writes the layer (docs/cli.md); `-o json|text` stays the output format.
 */
export const buildCommand: Command = {
  name: 'build',
  summary: 'Package a directory as a Flux OCI artifact locally and print its digests',
  usage: USAGE,
  help: `Builds the tar (byte-identical to flux push artifact's), the gzip layer and the Flux 2.9 manifest, and prints
JSON: tarDigest/tarSize (uncompressed content), layerDigest/layerSize, configDigest, manifestDigest, annotations.
The default output is JSON for this command (-o text for a short summary).

  -o, --out-file FILE         also write the gzip layer (.tgz) there (-o json|text still selects the output format;
                              -f is a synonym of --out-file)
${BUILD_HELP}

Exit codes: 0 built, 1 failed (e.g. unreadable file), 2 usage or input error (missing directory, bad annotation).

Example:
  d2 build components/frontend --revision "main@sha1:$(git rev-parse HEAD)" -o frontend.tgz`,
  defaultOutput: 'json',
  outputFileOption: 'out-file',
  options: { ...buildOptions, 'out-file': { type: 'string', short: 'f' } },
  async run(ctx) {
    const dir = resolve(requirePositional(ctx, 0, 'the directory to package', USAGE));
    const opts = buildOptionsFrom(ctx);
    const built = await buildArtifact(dir, opts);
    try {
      const outFile = str(ctx, 'out-file');
      if (outFile) await copyFile(built.layerPath, resolve(outFile));
      const result = {
        path: dir,
        files: built.files,
        tarDigest: built.tarDigest,
        tarSize: built.tarSize,
        layerDigest: built.layerDigest,
        layerSize: built.layerSize,
        layerMediaType: built.layerMediaType,
        configDigest: built.configDigest,
        manifestDigest: built.manifestDigest,
        annotations: built.annotations,
        compressor: built.compressor,
        ...(outFile ? { outFile: resolve(outFile) } : {}),
      };
      ctx.result(
        result,
        [`${dir}: ${built.files} files`, `tar      ${built.tarDigest} (${built.tarSize} bytes)`, `layer    ${built.layerDigest} (${built.layerSize} bytes)`, `manifest ${built.manifestDigest}`].join('\n'),
      );
      return EXIT_OK;
    } finally {
      await built.cleanup();
    }
  },
};
