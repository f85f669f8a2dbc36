/**
 * An action bundle (one CommonJS file, as scripts/build.mjs makes them) that makes an SBOM: the CycloneDX library's
 * CommonJS modules, loaded with import() inside the bundle, give a valid document, and its optional XML peers, left out
 * of the bundle, are not needed (docs/sbom.md, "Formats").
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
import { cyclonedxErrors, KITCHEN_SINK, spdxErrors, writeFiles } from '../../packages/core/test/sbom/fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'd2-sbom-bundle-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('generateSbom works from a CommonJS bundle, in both formats', async () => {
  const out = join(scratch, 'index.cjs');
  await build({
    stdin: {
      contents: `import { generateSbom } from '@d2/core/sbom';
generateSbom({ dir: process.argv[2], name: 'sink', format: process.argv[3] }).then((r) => process.stdout.write(JSON.stringify(r)));`,
      resolveDir: repoRoot(),
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    external: ['xmlbuilder2', 'libxmljs2'],
    outfile: out,
    logLevel: 'silent',
  });
  const dir = writeFiles(join(scratch, 'sink'), KITCHEN_SINK);
  const run = (format: string): { predicateType: string; predicate: Record<string, unknown> } =>
    JSON.parse(execFileSync(process.execPath, [out, dir, format], { encoding: 'utf8', timeout: 60_000 })) as { predicateType: string; predicate: Record<string, unknown> };
  const cdx = run('cyclonedx');
  expect(cdx.predicateType).toBe('https://cyclonedx.org/bom');
  expect(cdx.predicate.bomFormat).toBe('CycloneDX');
  expect(await cyclonedxErrors(cdx.predicate)).toBeNull();
  const spdx = run('spdx');
  expect(spdx.predicateType).toBe('https://spdx.dev/Document');
  expect(spdxErrors(spdx.predicate)).toBeNull();
});
