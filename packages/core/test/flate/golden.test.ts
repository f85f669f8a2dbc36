/**
 * Golden vectors (docs/artifacts.md "Golden vectors (fixture \"fx\")") that can be reached from bytes alone: the 172-byte single-file layer (hex),
 * the empty archive (1024 zero bytes), and fixture "fx" in its three variants (tar built by the test helper, whose
 * tar digest is checked against the golden value first). No Go needed.
 */
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GoGzipWriter, goGzipSync } from '../../src/flate/index.js';
import { concat, fxEntries, goTarWrites, sha256 } from './fixtures.js';

const SINGLE_FILE_LAYER_HEX =
  '1f8b08000000000000ffecd1cbaec220100660d63cc53c41339cd342c2d6b55bf7938086582e69d1a46f6f74e76dd5b4c638df6658c1f0ff8d581e22a241bc4d7c9e2fcee6af5302ba157613a7b1d22010e7def3f8b92fe17ce9f3d44c14fbc5deb8e6a1dbf67dff5adff7afd4bf36025609f1c7fba712767e18434e16ce4a1e4372163639edc3614b45465fc951252b0112456fc1f998e5a7b7668c3136d7250000ffffb40c676a000a0000';

function gzipWrites(writes: Uint8Array[]): Buffer {
  const out: Uint8Array[] = [];
  const w = new GoGzipWriter((b) => out.push(b));
  for (const chunk of writes) w.write(chunk);
  w.close();
  return Buffer.concat(out);
}

describe('golden layers of fixture "fx"', () => {
  it('single file (Flux >= 2.9): recompressing the tar of the 172-byte layer gives the same bytes', () => {
    const layer = Buffer.from(SINGLE_FILE_LAYER_HEX, 'hex');
    expect(layer.length).toBe(172);
    expect(sha256(layer)).toBe('sha256:c760c60c7a215aa984273dd5990b278aec6c1d156d337abf9638684a81026189');
    const tar = gunzipSync(layer);
    expect(tar.length).toBe(2560);
    expect(sha256(tar)).toBe('sha256:b532e2cb4c22efc4bb5cd0a9c38d2b5fb09e5af5ee93401cde5ee15a27f4e26d');
    expect(goGzipSync(tar).toString('hex')).toBe(SINGLE_FILE_LAYER_HEX);
    // The same tar split the way archive/tar writes it (header, data, padding, header, ..., two trailer blocks).
    const writes = [tar.subarray(0, 512), tar.subarray(512, 1024), tar.subarray(1024, 1024 + 54), tar.subarray(1078, 1536), tar.subarray(1536, 2048), tar.subarray(2048)];
    expect(gzipWrites(writes).toString('hex')).toBe(SINGLE_FILE_LAYER_HEX);
  });

  it('empty archive: 1024 zero bytes -> 32-byte layer sha256:4f4fb700…', () => {
    const layer = goGzipSync(new Uint8Array(1024));
    expect(layer.length).toBe(32);
    expect(sha256(layer)).toBe('sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1');
    expect(sha256(gunzipSync(layer))).toBe('sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
    // fixed header and the closing empty stored block before the trailer.
    expect(layer.subarray(0, 10).toString('hex')).toBe('1f8b08000000000000ff');
    expect(layer.subarray(layer.length - 8 - 4, layer.length - 8).toString('hex')).toBe('0000ffff');
  });

  const fx = [
    { variant: 'defaults', tarSize: 130560, tarDigest: 'sha256:ebba607881333b42a079cfea5b15319cab7452810b13251da96edca41ae0bb7b', size: 23879, digest: 'sha256:9d76ecd80b3fcc61f0b959c446af6218e211b606e48fb0bb2de6b9827c806105' },
    { variant: 'extra-ignores', tarSize: 6144, tarDigest: 'sha256:bdc3eb558b9a169ea4e1b5807447bdc9d20501277dfb9a57af6ee52c1bcab2cb', size: 290, digest: 'sha256:5dbb4d100abd6dff3a96fb210378edebdd3a6364756a0228cf9e1a3c4f7b63bc' },
    { variant: 'no-ignores', tarSize: 133120, tarDigest: 'sha256:0037c67a300e9ef1b82bfe6cb9b81685b7d5df78cf174e955e4f4acc022ecede', size: 23990, digest: 'sha256:408608bbaae4427cf8f0e2df347a754073eaa878ea8cfcea59e355049740c6eb' },
  ] as const;
  for (const c of fx) {
    it(`fixture "fx", ${c.variant}: layer ${c.size} bytes, ${c.digest.slice(0, 19)}…`, () => {
      const writes = goTarWrites(fxEntries(c.variant));
      const tar = concat(writes);
      expect(tar.length).toBe(c.tarSize);
      expect(sha256(tar)).toBe(c.tarDigest);
      const layer = gzipWrites(writes);
      expect(layer.length).toBe(c.size);
      expect(sha256(layer)).toBe(c.digest);
      // One single Write gives the same bytes for this input.
      expect(sha256(goGzipSync(tar))).toBe(c.digest);
    });
  }
});
