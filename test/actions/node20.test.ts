/**
 * The actions declare runs.using: node24, but the bundles must keep working on Node 20 (self-hosted runners, GHES,
 * development machines). This runs each committed bundle with the system Node 20 when it exists.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { runActionBundle, startRegistry, type SandboxRegistry } from '@d2/sandbox';

function node20(): string | undefined {
  for (const bin of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(bin)) continue;
    const v = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
    if (v.startsWith('v20.')) return bin;
  }
  return undefined;
}

const NODE20 = node20();

describe.skipIf(!NODE20)(`bundles on Node 20 (${NODE20 ?? 'no Node 20 on this machine'})`, () => {
  let registry: SandboxRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'anonymous' });
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it.each([
    ['push-artifact', { repository: 'ghcr.io/Acme/x' }, /upper-case/],
    ['release-artifact', { ref: 'refs/heads/main' }, /runs on tags/],
    ['e2e-update', { 'dry-run': 'maybe' }, /input 'dry-run' must be true or false/],
    ['image-updates-pr', { 'auto-merge': 'yes' }, /input 'auto-merge' must be one of/],
  ])('%s starts and reports input errors', async (name, inputs, message) => {
    const r = await runActionBundle(name, { node: NODE20, inputs });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(message);
  });

  it('push-artifact pushes an artifact (go-flate layer) on Node 20 with the same digest as on Node 24', async () => {
    const ws = mkdtempSync(join(tmpdir(), 'd2-node20-'));
    mkdirSync(join(ws, 'app'));
    writeFileSync(join(ws, 'app', 'cm.yaml'), 'kind: ConfigMap\n');
    const inputs = { path: 'app', sign: 'false' };
    const on20 = await runActionBundle('push-artifact', { node: NODE20, workspace: ws, inputs: { ...inputs, repository: `${registry.host}/node/v20` } });
    expect(on20.errors).toEqual([]);
    const on24 = await runActionBundle('push-artifact', { workspace: ws, inputs: { ...inputs, repository: `${registry.host}/node/v24` } });
    expect(on24.errors).toEqual([]);
    expect(on20.outputs.digest).toMatch(/^sha256:/);
    expect(on20.outputs.digest).toBe(on24.outputs.digest);
    expect((await new RegistryClient({}).headManifest({ registry: registry.host, repository: 'node/v20' }, 'latest'))?.digest).toBe(on20.outputs.digest);
  });
});
