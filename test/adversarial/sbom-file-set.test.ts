/**
 * An SBOM describes the artifact, not the directory (docs/sbom.md, "Every file of the artifact"): what the build leaves
 * out — Flux's default ignores (.git/, images), `--ignore-paths`, `.sourceignore` when asked, symbolic links and what
 * they point to — is neither listed as a file nor scanned for images. Checked against the tar the build writes.
 */
import { createReadStream, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArtifact, readTar, type TarOptions } from '@d2/core/flux';
import { buildSbom } from '@d2/core/sbom';
import { writeFiles } from './helpers.js';

const ws = mkdtempSync(join(tmpdir(), 'd2-adv-sbom-files-'));
afterAll(() => rmSync(ws, { recursive: true, force: true }));

const deploy = (image: string): string => `apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: ${image}\n`;
writeFiles(ws, {
  'outside/secret-deploy.yaml': deploy('ghcr.io/acme/outside:1.0.0'),
  'c/deploy.yaml': deploy('ghcr.io/acme/inside:1.0.0'),
  'c/.git/config': '[core]\n',
  'c/.git/deploy.yaml': deploy('ghcr.io/acme/in-git:1.0.0'),
  'c/logo.png': 'png',
  'c/drafts/deploy.yaml': deploy('ghcr.io/acme/draft:1.0.0'),
  'c/local/.sourceignore': '*.yaml\n',
  'c/local/deploy.yaml': deploy('ghcr.io/acme/source-ignored:1.0.0'),
});
symlinkSync(join(ws, 'outside'), join(ws, 'c', 'linked-dir'));
symlinkSync(join(ws, 'outside', 'secret-deploy.yaml'), join(ws, 'c', 'linked.yaml'));

async function tarFiles(dir: string, opts: TarOptions): Promise<string[]> {
  const built = await buildArtifact(dir, { ...opts, reproducible: true, compressor: 'zlib' });
  const names: string[] = [];
  try {
    await readTar(createReadStream(built.layerPath).pipe(createGunzip()), async (h) => {
      if (h.typeflag === '0') names.push(h.name);
    });
  } finally {
    await built.cleanup();
  }
  return names.sort();
}

describe('the SBOM lists what the artifact contains, nothing else', () => {
  const cases: [string, TarOptions, string[]][] = [
    ["Flux's default ignores; symbolic links not followed", {}, ['inside', 'draft', 'source-ignored']],
    ['--ignore-paths replaces the defaults', { ignorePaths: ['drafts/', '*.png'] }, ['inside', 'in-git', 'source-ignored']],
    ['.sourceignore when asked', { sourceignore: true }, ['inside', 'draft']],
  ];
  it.each(cases)('%s', async (_what, opts, images) => {
    const dir = join(ws, 'c');
    const { predicate } = await buildSbom({ dir, name: 'c', format: 'cyclonedx', ...opts });
    const components = predicate.components as { type: string; name: string }[];
    expect(components.filter((c) => c.type === 'file').map((c) => c.name).sort()).toEqual(await tarFiles(dir, opts));
    expect(components.filter((c) => c.type === 'container').map((c) => c.name).sort()).toEqual([...images].sort());
    expect(JSON.stringify(predicate)).not.toContain('outside');
  });
});
