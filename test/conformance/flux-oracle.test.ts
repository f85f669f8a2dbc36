/**
 * The oracle itself: the real `flux` CLI (built by scripts/reference-tools.sh) reproduces the golden vectors of
 * fixture "fx" (docs/artifacts.md "Golden vectors (fixture \"fx\")"), and push, diff and tag behave as d2's do against
 * the sandbox registry (`flux tag` re-PUTs the same manifest bytes, `flux diff` compares layer content). If these fail, the
 * differential tests (artifacts.test.ts) cannot be trusted: either the tool build or the sandbox is off.
 */
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { FluxCli, OrasCli, startEgressGuard, toolEnv, type EgressGuard } from '@d2/sandbox/reference-tools';
import { describeConformance, FX_VECTORS, gunzip, listTar, makeFx, sha256, tempDir } from './helpers.js';

describeConformance('conformance: flux CLI as oracle', ['flux', 'oras'], (tools) => {
  let registry: SandboxRegistry;
  let guard: EgressGuard;
  let flux: FluxCli;
  let oras: OrasCli;
  let fx: string;

  beforeAll(async () => {
    guard = await startEgressGuard();
    registry = await startRegistry();
    const env = toolEnv({ egress: guard });
    flux = new FluxCli(tools.flux, env);
    oras = new OrasCli(tools.oras, env);
    fx = makeFx();
  });

  afterAll(async () => {
    await registry?.stop();
    await guard?.stop();
  });

  it('flux build artifact of fixture fx gives the golden layer and tar (default ignores)', async () => {
    const out = join(tempDir('flux-build'), 'fx.tgz');
    await flux.build(fx, out);
    const tgz = readFileSync(out);
    const tar = gunzip(tgz);
    expect(listTar(tar).map((e) => e.name)).toEqual(FX_VECTORS.expectedEntries);
    expect({ size: tgz.length, digest: sha256(tgz) }).toEqual(FX_VECTORS.defaults.layer);
    expect({ size: tar.length, digest: sha256(tar) }).toEqual(FX_VECTORS.defaults.tar);
  });

  it('flux build artifact with --ignore-paths replacing the defaults', async () => {
    const dir = tempDir('flux-build-ign');
    await flux.build(fx, join(dir, 'extra.tgz'), { ignorePaths: [...FX_VECTORS.extraIgnores.ignorePaths] });
    const extra = readFileSync(join(dir, 'extra.tgz'));
    expect({ size: extra.length, digest: sha256(extra) }).toEqual(FX_VECTORS.extraIgnores.layer);
    expect(sha256(gunzip(extra))).toBe(FX_VECTORS.extraIgnores.tar.digest);

    await flux.build(fx, join(dir, 'none.tgz'), { ignorePaths: [] });
    const none = readFileSync(join(dir, 'none.tgz'));
    expect({ size: none.length, digest: sha256(none) }).toEqual(FX_VECTORS.noIgnores.layer);
    expect(listTar(gunzip(none)).map((e) => e.name)).toContain('.git/HEAD');
  });

  it('flux ≥ 2.9 single-file build stages the file under a 0700 "."', async () => {
    const out = join(tempDir('flux-single'), 'one.tgz');
    await flux.build(join(fx, 'app', 'deploy.yaml'), out);
    const tgz = readFileSync(out);
    expect(listTar(gunzip(tgz)).map((e) => [e.name, e.mode])).toEqual([['.', '0000700'], ['deploy.yaml', '0000644']]);
    expect({ size: tgz.length, digest: sha256(tgz) }).toEqual(FX_VECTORS.singleFile.layer);
  });

  it('a --path that is a symlink to a directory gives the empty archive', async () => {
    const dir = tempDir('flux-symlink-root');
    symlinkSync(fx, join(dir, 'link'));
    await flux.build(join(dir, 'link'), join(dir, 'empty.tgz'));
    const tgz = readFileSync(join(dir, 'empty.tgz'));
    expect({ size: tgz.length, digest: sha256(tgz) }).toEqual(FX_VECTORS.empty.layer);
  });

  it('flux push artifact --reproducible (TZ=UTC) gives the golden Flux 2.9.x manifest, byte for byte as oras fetches it', async () => {
    const ref = `${registry.host}/conformance/fx:v1`;
    const pushed = await flux.push(ref, fx, { ...FX_VECTORS.metadata });
    expect(pushed.digest).toBe(FX_VECTORS.defaults.manifest29.digest);
    expect(pushed.url).toBe(`oci://${registry.host}/conformance/fx@${FX_VECTORS.defaults.manifest29.digest}`);
    const bytes = await oras.manifestFetch(ref);
    expect({ size: bytes.length, digest: sha256(bytes) }).toEqual(FX_VECTORS.defaults.manifest29);
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { size: number; digest: string }; layers: { digest: string }[]; annotations: Record<string, string> };
    // the constant 115-byte config of Flux 2.9.x and the epoch in UTC.
    expect(manifest.config).toMatchObject({ size: 115, digest: 'sha256:5b943e2b943f6c81dbbd4e2eca5121f4fcc39139e3d1219d6d89bd925b77d9fe' });
    expect(manifest.layers.map((l) => l.digest)).toEqual([FX_VECTORS.defaults.layer.digest]);
    expect(manifest.annotations['org.opencontainers.image.created']).toBe('1970-01-01T00:00:00Z');
  });

  it('flux diff artifact: "no changes" for the same tree, exit 1 after a change', async () => {
    const ref = `${registry.host}/conformance/fx-diff:v1`;
    await flux.push(ref, fx, { ...FX_VECTORS.metadata });
    const same = await flux.diff(ref, fx);
    expect(same.equal, same.stderr).toBe(true);
    expect(same.stderr).toContain('no changes detected');
    const other = makeFx();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(other, 'README.md'), 'changed\n');
    const changed = await flux.diff(ref, other);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain('differs');
  });

  it('flux tag artifact re-PUTs the identical manifest bytes and oras sees both tags', async () => {
    const ref = `${registry.host}/conformance/fx-tag:v1`;
    const pushed = await flux.push(ref, fx, { ...FX_VECTORS.metadata });
    await flux.tag(ref, ['latest', 'stable']);
    const tags = await oras.repoTags(`${registry.host}/conformance/fx-tag`);
    expect(new Set(tags)).toEqual(new Set(['v1', 'latest', 'stable']));
    expect(sha256(await oras.manifestFetch(`${registry.host}/conformance/fx-tag:stable`))).toBe(pushed.digest);
  });

  it('no reference-tool run tried to reach the internet', () => {
    expect(guard.attempts).toEqual([]);
  });
});
