/**
 * Building on worker threads (src/flux/build-pool.ts), from source: the workers run the TypeScript entry. The layers
 * built with 2 and 4 workers are the same bytes, with the same digests, as the main-thread build (workers: 1), for trees
 * of the three benchmark corpora with go-flate and zlib; a component that fails in a worker fails with the same error
 * (message, hint, code) as on the main thread; a worker that dies fails its build loudly instead of hanging.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { D2Error, InputError } from '@d2/core';
import { BuildPool, buildArtifact, createBuildPool, parseWorkers, type BuildOptions, type BuiltArtifact } from '@d2/core/flux';
import { corpusBase64, corpusYaml, corpusZeroRuns, prng } from '../flate/fixtures.js';
import { tempDir } from './fixtures.js';

let tmp: ReturnType<typeof tempDir>;
const components: string[] = [];
const opts: BuildOptions = { reproducible: true, source: 'https://github.com/o/r', revision: 'main@sha1:0123' };

/** A random tree of files drawn from the three corpora (sizes up to 120 KB), seeded. */
function randomTree(root: string, seed: number): void {
  const r = prng(seed);
  const corpora = [corpusYaml, corpusBase64, corpusZeroRuns];
  const files = 3 + (r() % 8);
  for (let i = 0; i < files; i++) {
    const d = join(root, `d${r() % 3}`, `s${r() % 2}`);
    mkdirSync(d, { recursive: true });
    const size = r() % 120_000;
    writeFileSync(join(d, `f${i}.yaml`), corpora[r() % 3](size, seed * 31 + i));
  }
}

/** What must not depend on where the layer was built. */
function digests(b: BuiltArtifact): Record<string, unknown> {
  return { layer: b.layerDigest, size: b.layerSize, tar: b.tarDigest, tarSize: b.tarSize, manifest: b.manifestDigest, files: b.files, bytes: readFileSync(b.layerPath).toString('base64') };
}

async function buildAll(build: (p: string, o: BuildOptions) => Promise<BuiltArtifact>, o: BuildOptions): Promise<Record<string, unknown>[]> {
  const built = await Promise.all(components.map((c) => build(c, o)));
  try {
    return built.map(digests);
  } finally {
    await Promise.all(built.map((b) => b.cleanup()));
  }
}

beforeAll(() => {
  tmp = tempDir('d2-build-pool-');
  for (let i = 0; i < 8; i++) {
    const c = join(tmp.dir, `c${i}`);
    randomTree(c, 1000 + i);
    components.push(c);
  }
});
afterAll(() => tmp.cleanup());

describe('BuildPool: the same artifacts with 1, 2 and 4 workers', () => {
  it.each(['go-flate', 'zlib'] as const)('%s: layers, tar and manifest digests do not depend on the number of workers', async (compressor) => {
    const o = { ...opts, compressor };
    const one = await buildAll((p, x) => buildArtifact(p, x), o);
    expect(new Set(one.map((d) => d.layer)).size, 'the components differ').toBe(components.length);
    for (const workers of [2, 4]) {
      const pool = new BuildPool({ workers });
      try {
        expect(await buildAll(pool.build, o), `${workers} workers`).toEqual(one);
      } finally {
        await pool.close();
      }
    }
  });

  it('a pool is used only when more than one build can run at a time', () => {
    expect(createBuildPool(1, 50)).toBeUndefined();
    expect(createBuildPool(4, 1)).toBeUndefined();
    const pool = createBuildPool(4, 2);
    expect(pool?.workers).toBe(2);
    void pool?.close();
  });

  it('workers is an integer from 1 to 64; empty means one per core', () => {
    expect(parseWorkers('3', 'input workers')).toBe(3);
    expect(parseWorkers('', 'input workers')).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', '65', '1.5', 'two']) expect(() => parseWorkers(bad, 'input workers')).toThrow(/input workers must be an integer from 1 to 64/);
  });
});

describe('BuildPool: a failing build fails loudly', () => {
  it('an error in a worker is the error of the main-thread build (class, message, hint, code), and the pool goes on', async () => {
    const missing = join(tmp.dir, 'missing');
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const pool = new BuildPool({ workers: 2 });
    try {
      for (const path of [missing, empty]) {
        const main = await buildArtifact(path, opts).then(
          () => undefined,
          (e: unknown) => e,
        );
        const worker = await pool.build(path, opts).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(main).toBeInstanceOf(InputError);
        expect(worker).toBeInstanceOf(InputError);
        const [m, w] = [main as InputError, worker as InputError];
        expect({ message: w.message, hint: w.hint, code: w.code }).toEqual({ message: m.message, hint: m.hint, code: m.code });
      }
      const ok = await pool.build(components[0], opts);
      expect(ok.files).toBeGreaterThan(0);
      await ok.cleanup();
    } finally {
      await pool.close();
    }
  });

  it('a worker that dies fails the build it was running with ARTIFACT_BUILD_FAILED, naming the path; later builds fail too, none hangs', async () => {
    const script = join(tmp.dir, 'dying-worker.cjs');
    writeFileSync(script, "require('node:worker_threads').parentPort.on('message', () => process.exit(3));\n");
    const pool = new BuildPool({ workers: 2, script: pathToFileURL(script) });
    try {
      const results = await Promise.allSettled(components.slice(0, 3).map((c) => pool.build(c, opts)));
      for (const [i, r] of results.entries()) {
        expect(r.status).toBe('rejected');
        const err = (r as PromiseRejectedResult).reason as D2Error;
        expect(err).toBeInstanceOf(D2Error);
        expect(err.code).toBe('ARTIFACT_BUILD_FAILED');
        expect(err.message).toContain(`building ${components[i]} stopped: it exited with code 3`);
        expect(err.hint).toMatch(/nothing was pushed/);
      }
    } finally {
      await pool.close();
    }
  });

  it('a worker script that cannot start fails every build with the reason', async () => {
    const pool = new BuildPool({ workers: 2, script: pathToFileURL(join(tmp.dir, 'no-such-worker.cjs')) });
    try {
      await expect(pool.build(components[0], opts)).rejects.toThrow(/the build worker building .* stopped: .*Cannot find module/);
    } finally {
      await pool.close();
    }
  });

  it('builds still queued when the pool is closed fail', async () => {
    const pool = new BuildPool({ workers: 1 });
    const settling = Promise.allSettled(components.slice(0, 3).map((c) => pool.build(c, opts).then((b) => b.cleanup())));
    await new Promise((r) => setTimeout(r, 10));
    await pool.close();
    const settled = await settling;
    expect(settled.some((s) => s.status === 'rejected' && /closed before this build finished/.test(String(s.reason)))).toBe(true);
  });
});
