/**
 * `d2 sbom` (docs/sbom.md) through the d2 CLI bundle: it prints a valid document in either format, and bad input — a
 * missing or empty directory, an unknown format, no directory at all — is a clear error with a hint, exit 2, nothing
 * printed on stdout (so a pipeline never attests half a document).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyclonedxErrors, KITCHEN_SINK, REFERENCE_REPOS, spdxErrors } from '../../packages/core/test/sbom/fixtures.js';
import { ensureCliBundle, runD2, writeFiles } from './helpers.js';

const ws = mkdtempSync(join(tmpdir(), 'd2-adv-sbom-'));
writeFiles(ws, Object.fromEntries(Object.entries(KITCHEN_SINK).map(([k, v]) => [`sink/${k}`, v])));
writeFiles(ws, { 'images/logo.png': 'png' });
mkdirSync(join(ws, 'empty'));

beforeAll(() => ensureCliBundle(), 180_000);
afterAll(() => rmSync(ws, { recursive: true, force: true }));

describe('d2 sbom prints the document', () => {
  it('CycloneDX by default, named after the directory, valid against the CycloneDX 1.6 schema', async () => {
    const r = await runD2(['sbom', join(ws, 'sink')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { bomFormat: string; specVersion: string; metadata: { component: { name: string } }; components: { name: string; version?: string }[] };
    expect(doc).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', metadata: { component: { name: 'sink' } } });
    expect(doc.components).toContainEqual(expect.objectContaining({ name: 'redis', version: '7.4.1' }));
    expect(await cyclonedxErrors(doc)).toBeNull();
  });

  it('SPDX 2.3 with --format spdx, --name and --version, valid against the SPDX 2.3 schema', async () => {
    const r = await runD2(['sbom', join(REFERENCE_REPOS, 'd2-apps', 'components', 'backend'), '--format', 'spdx', '--name', 'backend', '--version', '1.2.0']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { spdxVersion: string; name: string; packages: { name: string; versionInfo?: string }[] };
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.name).toBe('backend-1.2.0');
    expect(doc.packages).toContainEqual(expect.objectContaining({ name: 'registry-1.docker.io/bitnamicharts/redis', versionInfo: '27.0.12' }));
    expect(spdxErrors(doc)).toBeNull();
  });
});

describe('d2 sbom refuses bad input with a hint, exit 2, nothing on stdout', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing directory', ['sbom', join(ws, 'nope')], /source path does not exist[\s\S]*hint: check the path/],
    ['an unknown format', ['sbom', join(ws, 'sink'), '--format', 'xml'], /unknown SBOM format "xml"[\s\S]*hint: use one of: cyclonedx, spdx/],
    ['an empty directory', ['sbom', join(ws, 'empty')], /is empty: .* contains no files[\s\S]*hint: /],
    ["a directory whose files Flux's rules all ignore", ['sbom', join(ws, 'images')], /is empty: the only file in .* is excluded by ignore rules[\s\S]*hint: /],
    ['no directory', ['sbom'], /missing the directory to describe[\s\S]*hint: usage: d2 sbom <dir>/],
  ];
  it.each(cases)('%s', async (_what, args, message) => {
    const r = await runD2(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });
});
