/**
 * Golden vectors (docs/artifacts.md "Golden vectors (fixture \"fx\")"): tar (diffID), layer and manifest digests of fixture "fx", the single-file
 * case (Flux >= 2.9), the empty archive, the fluxcd/pkg testdata set; and the header bytes of README.md and ".".
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, encodeManifest, FLUX_CONFIG, FLUX_CONFIG_DIGEST, fluxAnnotations, writeFluxTar } from '@d2/core/flux';
import { goGzipSync } from '@d2/core/flate';
import { LONG_DIR, LONG_FILE, makeFx, tempDir, VECTOR_META } from './fixtures.js';

const DEFAULTS_PLUS = ['.git/', '.gitignore', '.gitmodules', '.gitattributes', '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip', 'big/', '/long', '*.sh'];

/** The golden table: [case, layer size, layer digest, tar size, tar digest, manifest size, Flux 2.9 manifest digest]. */
const TABLE = {
  fxDefaults: [23879, 'sha256:9d76ecd80b3fcc61f0b959c446af6218e211b606e48fb0bb2de6b9827c806105', 130560, 'sha256:ebba607881333b42a079cfea5b15319cab7452810b13251da96edca41ae0bb7b', 636, 'sha256:a1f652e6f717e7585fa4b1b9c86883974901e29692aafbcc91b74e263c6c12ca'],
  fxExtra: [290, 'sha256:5dbb4d100abd6dff3a96fb210378edebdd3a6364756a0228cf9e1a3c4f7b63bc', 6144, 'sha256:bdc3eb558b9a169ea4e1b5807447bdc9d20501277dfb9a57af6ee52c1bcab2cb', 634, 'sha256:e57f0402c7639bfce7ba0adfae65475d1a1d83deec29f4d5508b6e31ad1d7c1b'],
  fxNone: [23990, 'sha256:408608bbaae4427cf8f0e2df347a754073eaa878ea8cfcea59e355049740c6eb', 133120, 'sha256:0037c67a300e9ef1b82bfe6cb9b81685b7d5df78cf174e955e4f4acc022ecede', undefined, undefined],
  single: [172, 'sha256:c760c60c7a215aa984273dd5990b278aec6c1d156d337abf9638684a81026189', 2560, 'sha256:b532e2cb4c22efc4bb5cd0a9c38d2b5fb09e5af5ee93401cde5ee15a27f4e26d', 634, 'sha256:5fef126a8be2776e7df324945e3e8f2721c1c067cdff3ebf4a061a3739149d8a'],
  pkgTestdata: [597, 'sha256:8f8946ea6e953fa9ba91e7736828b6a9dee0f6529f8f20dac406abd546a0af18', 9728, 'sha256:4c1b67b57893b8903fc27a2175859563532537ccee611f131932917c9416f331', 634, 'sha256:f7eb5da3c315938cf992a3d440d93945fbb7dd3d89d53524653c650131fae430'],
  empty: [32, 'sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1', 1024, 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef', undefined, undefined],
} as const;

const SINGLE_LAYER_HEX =
  '1f8b08000000000000ffecd1cbaec220100660d63cc53c41339cd342c2d6b55bf7938086582e69d1a46f6f74e76dd5b4c638df6658c1f0ff8d581e22a241bc4d7c9e2fcee6af5302ba157613a7b1d22010e7def3f8b92fe17ce9f3d44c14fbc5deb8e6a1dbf67dff5adff7afd4bf36025609f1c7fba712767e18434e16ce4a1e4372163639edc3614b45465fc951252b0112456fc1f998e5a7b7668c3136d7250000ffffb40c676a000a0000';

let tmp: ReturnType<typeof tempDir>;
let fx: string;

beforeAll(() => {
  tmp = tempDir();
  fx = makeFx(tmp.dir);
  symlinkSync(fx, join(tmp.dir, 'fx-link'));
});
afterAll(() => tmp.cleanup());

/** Collects the tar of `path` in memory (the fixtures are small). */
async function tarOf(path: string, ignorePaths?: string[]): Promise<{ bytes: Buffer; digest: string; size: number }> {
  const chunks: Buffer[] = [];
  const { Writable } = await import('node:stream');
  const r = await writeFluxTar(path, { ignorePaths }, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  return { bytes: Buffer.concat(chunks), digest: r.tarDigest, size: r.tarSize };
}

/** Entry names in archive order (USTAR prefix joined). */
function entryNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, n: number): string => h.subarray(a, a + n).toString('latin1').replace(/\0.*$/s, '');
    const prefix = str(345, 155);
    names.push(prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    const size = parseInt(str(124, 12), 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

function headerOf(tar: Buffer, name: string): Buffer {
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '') === name) return h;
    off += 512 + Math.ceil(parseInt(h.subarray(124, 136).toString('latin1'), 8) / 512) * 512;
  }
  throw new Error(`no header ${name}`);
}

describe('golden tar (diffID) vectors', () => {
  it('fx with the default ignore paths: size, digest and entry order', async () => {
    const t = await tarOf(fx);
    expect([t.size, t.digest]).toEqual([TABLE.fxDefaults[2], TABLE.fxDefaults[3]]);
    expect(entryNames(t.bytes)).toEqual(['.', 'README.md', 'Zeta.yaml', 'app', 'app/deploy.yaml', 'app/empty.txt', 'big', 'big/data.txt', 'long', LONG_DIR, LONG_FILE, 'scripts', 'scripts/run.sh']);
  });

  it('fx with defaults plus big/,/long,*.sh', async () => {
    const t = await tarOf(fx, DEFAULTS_PLUS);
    expect([t.size, t.digest]).toEqual([TABLE.fxExtra[2], TABLE.fxExtra[3]]);
    expect(entryNames(t.bytes)).toEqual(['.', 'README.md', 'Zeta.yaml', 'app', 'app/deploy.yaml', 'app/empty.txt', 'scripts']);
  });

  it('fx with no ignores keeps .git/HEAD and logo.png', async () => {
    const t = await tarOf(fx, []);
    expect([t.size, t.digest]).toEqual([TABLE.fxNone[2], TABLE.fxNone[3]]);
    expect(entryNames(t.bytes)).toContain('.git/HEAD');
    expect(entryNames(t.bytes)).toContain('logo.png');
  });

  it('single file, Flux >= 2.9: "." 0700 + basename', async () => {
    const t = await tarOf(join(fx, 'app', 'deploy.yaml'));
    expect([t.size, t.digest]).toEqual([TABLE.single[2], TABLE.single[3]]);
    expect(entryNames(t.bytes)).toEqual(['.', 'deploy.yaml']);
    expect(headerOf(t.bytes, '.').subarray(100, 108).toString('latin1')).toBe('0000700\0');
  });

  it('single file: ignore patterns apply to the basename (*.yaml leaves only ".")', async () => {
    const t = await tarOf(join(fx, 'app', 'deploy.yaml'), ['*.yaml']);
    expect(entryNames(t.bytes)).toEqual(['.']);
  });

  it('--path that is a symlink to a directory gives the empty archive', async () => {
    const t = await tarOf(join(tmp.dir, 'fx-link'));
    expect([t.size, t.digest]).toEqual([TABLE.empty[2], TABLE.empty[3]]);
    expect(t.bytes.every((b) => b === 0)).toBe(true);
  });

  it('header bytes of README.md and "."', async () => {
    const t = await tarOf(fx);
    const readme = headerOf(t.bytes, 'README.md');
    const field = (h: Buffer, a: number, n: number): string => h.subarray(a, a + n).toString('latin1');
    expect(field(readme, 100, 8)).toBe('0000644\0');
    expect(field(readme, 108, 8)).toBe('0000000\0');
    expect(field(readme, 116, 8)).toBe('0000000\0');
    expect(field(readme, 124, 12)).toBe('00000000005\0');
    expect(field(readme, 136, 12)).toBe('00000000000\0');
    expect(field(readme, 148, 8)).toBe('010457\0 ');
    expect(field(readme, 156, 1)).toBe('0');
    expect(field(readme, 257, 8)).toBe('ustar\x0000');
    expect(field(readme, 265, 64)).toBe('\0'.repeat(64)); // uname, gname
    expect(field(readme, 329, 16)).toBe('0000000\0'.repeat(2)); // devmajor, devminor
    const dot = headerOf(t.bytes, '.');
    expect(field(dot, 100, 8)).toBe('0000755\0');
    expect(field(dot, 148, 8)).toBe('007263\0 ');
    expect(field(dot, 156, 1)).toBe('5');
    expect(field(dot, 0, 2)).toBe('.\0');
    // The long path is split into USTAR prefix and name.
    const long = t.bytes.indexOf(Buffer.from(`${'b'.repeat(50)}.yaml\0`));
    expect(long % 512).toBe(0);
    expect(t.bytes.subarray(long + 345, long + 345 + LONG_DIR.length + 1).toString('latin1')).toBe(`${LONG_DIR}\0`);
  });
});

describe('golden layer (go-flate, the default compressor) and Flux 2.9 manifest vectors', () => {
  const meta = { ...VECTOR_META };

  it.each([
    ['fx defaults', undefined, TABLE.fxDefaults],
    ['fx defaults plus big/,/long,*.sh', DEFAULTS_PLUS, TABLE.fxExtra],
    ['fx no ignores', [] as string[], TABLE.fxNone],
  ])('%s: layer size/digest, tar digest and manifest digest equal the table', async (_name, ignorePaths, row) => {
    const a = await buildArtifact(fx, { ...meta, ignorePaths });
    try {
      expect([a.layerSize, a.layerDigest, a.tarSize, a.tarDigest]).toEqual([row[0], row[1], row[2], row[3]]);
      expect(statSync(a.layerPath).size).toBe(row[0]);
      if (row[4] !== undefined) expect([a.manifest.length, a.manifestDigest]).toEqual([row[4], row[5]]);
      expect(a.compressor).toBe('go-flate');
    } finally {
      await a.cleanup();
    }
    expect(existsSync(a.layerPath)).toBe(false);
  });

  it('single file: the full 172-byte layer equals the spec hex, manifest digest equals the table', async () => {
    const a = await buildArtifact(join(fx, 'app', 'deploy.yaml'), meta);
    try {
      expect(readFileSync(a.layerPath).toString('hex')).toBe(SINGLE_LAYER_HEX);
      expect([a.layerDigest, a.manifest.length, a.manifestDigest]).toEqual([TABLE.single[1], TABLE.single[4], TABLE.single[5]]);
    } finally {
      await a.cleanup();
    }
  });

  it('empty archive: the well-known empty layer sha256:4f4fb700… (built only when asked: allowEmpty)', async () => {
    const a = await buildArtifact(join(tmp.dir, 'fx-link'), { ...meta, allowEmpty: true });
    try {
      expect([a.layerSize, a.layerDigest, a.tarDigest, a.files]).toEqual([TABLE.empty[0], TABLE.empty[1], TABLE.empty[3], 0]);
    } finally {
      await a.cleanup();
    }
  });

  it('fluxcd/pkg oci/testdata/artifact (git checkout modes 0644/0755), when the Go module cache has it', async (ctx) => {
    let modcache = '';
    try {
      modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    } catch {
      /* no Go */
    }
    const src = join(modcache, 'github.com/fluxcd/pkg/oci@v0.69.0/testdata/artifact');
    if (!modcache || !existsSync(src)) {
      ctx.skip(); // upstream data not available offline; populate with: go mod download github.com/fluxcd/pkg/oci@v0.69.0
      return;
    }
    const dst = join(tmp.dir, 'pkg-artifact');
    cpSync(src, dst, { recursive: true });
    const fix = (d: string): void => {
      chmodSync(d, 0o755);
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) fix(join(d, e.name));
        else chmodSync(join(d, e.name), 0o644);
      }
    };
    fix(dst);
    const a = await buildArtifact(dst, meta);
    try {
      const row = TABLE.pkgTestdata;
      expect([a.layerSize, a.layerDigest, a.tarSize, a.tarDigest, a.manifest.length, a.manifestDigest]).toEqual([...row]);
    } finally {
      await a.cleanup();
    }
  });

  it('manifest bytes from the table layer digest/size alone (independent of the compressor)', () => {
    const annotations = fluxAnnotations(meta);
    for (const row of [TABLE.fxDefaults, TABLE.fxExtra, TABLE.single, TABLE.pkgTestdata]) {
      const m = encodeManifest({ layerDigest: row[1], layerSize: row[0], annotations });
      expect([m.bytes.length, m.digest]).toEqual([row[4], row[5]]);
      expect(m.bytes.toString('utf8')).toBe(
        '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.flux.config.v1+json","size":115,' +
          `"digest":"${FLUX_CONFIG_DIGEST}"},"layers":[{"mediaType":"application/vnd.cncf.flux.content.v1.tar+gzip","size":${row[0]},"digest":"${row[1]}"}],` +
          '"annotations":{"org.opencontainers.image.created":"1970-01-01T00:00:00Z","org.opencontainers.image.revision":"main@sha1:0123456789abcdef0123456789abcdef01234567",' +
          '"org.opencontainers.image.source":"https://github.com/example/repo"}}',
      );
    }
    expect(FLUX_CONFIG.length).toBe(115);
    expect(FLUX_CONFIG_DIGEST).toBe('sha256:5b943e2b943f6c81dbbd4e2eca5121f4fcc39139e3d1219d6d89bd925b77d9fe');
    // The digest is written out in the source (no hashing at load): it must be the digest of the bytes.
    expect(FLUX_CONFIG_DIGEST).toBe(`sha256:${createHash('sha256').update(FLUX_CONFIG).digest('hex')}`);
  });

  it('the go-flate layer of the fx tar equals Go gzip of the same tar bytes (the builder adds no framing of its own)', async () => {
    const t = await tarOf(fx);
    const gz = goGzipSync(t.bytes);
    const { createHash } = await import('node:crypto');
    expect(`sha256:${createHash('sha256').update(gz).digest('hex')}`).toBe(TABLE.fxDefaults[1]);
  });
});
