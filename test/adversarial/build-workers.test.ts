/**
 * Components built on worker threads (docs/artifacts.md, "Workers"), through the bundles as users run them: the
 * push-artifact bundle and the d2 CLI start their build workers from the `build-worker.cjs` bundled next to them; the
 * digests do not depend on the number of workers; and a component whose worker dies fails the run loudly, naming the
 * component, with no tag moved for it, while the other components are published.
 */
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { runActionBundle, startRegistry, type SandboxRegistry } from '@d2/sandbox';
import { ensureCliBundle, root, runProcess, emptyDockerConfig, writeFiles } from './helpers.js';

let registry: SandboxRegistry;
const client = new RegistryClient({});
const ws = mkdtempSync(join(tmpdir(), 'd2-adv-workers-'));
const names = ['alpha', 'beta', 'boom', 'delta', 'gamma'];

/** Five components of different sizes (so that the builds overlap), one of them named `boom`. */
writeFiles(
  ws,
  Object.fromEntries(
    names.flatMap((n, i) => [
      [`components/${n}/deploy.yaml`, `kind: ConfigMap\nmetadata:\n  name: ${n}\n`],
      [`components/${n}/data/blob.txt`, `${n}\n`.repeat(20_000 * (i + 1))],
    ]),
  ),
);

beforeAll(async () => {
  ensureCliBundle();
  registry = await startRegistry({ auth: 'anonymous' });
});
afterAll(async () => {
  await registry?.stop();
  rmSync(ws, { recursive: true, force: true });
});

const latestOf = async (repository: string) => (await client.headManifest({ registry: registry.host, repository }, 'latest'))?.digest;

describe('push-artifact builds on worker threads from its bundle', () => {
  it('workers 1, 2 and 4 publish the same digests; with more than one, the step says it builds on worker threads', async () => {
    const runs: Record<string, Record<string, string>> = {};
    for (const workers of ['1', '2', '4']) {
      const r = await runActionBundle('push-artifact', {
        workspace: ws,
        inputs: { sign: 'false', components: 'alpha,beta,delta,gamma', repository: `${registry.host}/w${workers}/{component}`, workers, concurrency: '4' },
      });
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      if (workers === '1') expect(r.stdout).not.toMatch(/worker threads/);
      else expect(r.stdout).toMatch(new RegExp(`building on ${workers} worker threads`));
      const artifacts = JSON.parse(r.outputs.artifacts) as { component: string; digest: string; 'layer-digest': string }[];
      runs[workers] = Object.fromEntries(artifacts.map((a) => [a.component, `${a.digest} ${a['layer-digest']}`]));
      expect(Object.keys(runs[workers]).sort()).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    }
    expect(runs['2']).toEqual(runs['1']);
    expect(runs['4']).toEqual(runs['1']);
  });
});

describe('d2 push: a component whose build worker dies fails loudly; the others are published', () => {
  let dist: string;
  let seen: string;
  beforeAll(() => {
    // A copy of the CLI bundle whose build worker dies on the component named boom (and records every build it got).
    dist = mkdtempSync(join(tmpdir(), 'd2-adv-workers-dist-'));
    cpSync(join(root, 'packages', 'cli', 'dist'), dist, { recursive: true });
    copyFileSync(join(dist, 'build-worker.cjs'), join(dist, 'build-worker-real.cjs'));
    seen = join(dist, 'seen.txt');
    writeFileSync(seen, '');
    writeFileSync(
      join(dist, 'build-worker.cjs'),
      [
        "const { parentPort } = require('node:worker_threads');",
        "const { appendFileSync } = require('node:fs');",
        'parentPort.on("message", (req) => {',
        `  appendFileSync(${JSON.stringify(seen)}, req.path + '\\n');`,
        "  if (req.path.endsWith('/boom')) process.exit(7);",
        '});',
        "require('./build-worker-real.cjs');",
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(dist, { recursive: true, force: true }));

  const push = (d2: string, repo: string, workers: string) =>
    runProcess(process.execPath, [d2, 'push', 'components/{component}', `oci://${registry.host}/${repo}/{component}`, '--components', names.join(','), '--workers', workers, '-o', 'json'], {
      cwd: ws,
      env: { DOCKER_CONFIG: emptyDockerConfig() },
      timeoutMs: 120_000,
    });

  it('exit 1, the failure names boom and the dead worker, no tag for boom, the same digests as a main-thread run for the others', async () => {
    const r = await push(join(dist, 'd2.cjs'), 'crash', '2');
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/1 of 5 artifact\(s\) failed; no tag was moved for them/);
    expect(r.stderr).toMatch(/- boom \([^)]*crash\/boom\): the build worker building \S*components\/boom stopped: it exited with code 7/);
    expect(r.stderr).toMatch(/hint: nothing was pushed for this component/);
    expect(await latestOf('crash/boom')).toBeUndefined();
    // Every component went through a worker.
    const built = readFileSync(seen, 'utf8').trim().split('\n').map((p) => p.split('/').pop()).sort();
    expect(built).toEqual([...names].sort());

    const main = await push(join(root, 'packages', 'cli', 'dist', 'd2.cjs'), 'main', '1');
    expect(main.code, main.stderr).toBe(0);
    const digests = (result: string) => {
      const out = JSON.parse(result) as { artifacts: { component: string; digest: string; layerDigest: string }[] };
      return Object.fromEntries(out.artifacts.map((a) => [a.component, `${a.digest} ${a.layerDigest}`]));
    };
    const crashed = digests(r.stdout);
    const reference = digests(main.stdout);
    delete reference.boom;
    expect(crashed).toEqual(reference);
    for (const n of names.filter((x) => x !== 'boom')) expect(await latestOf(`crash/${n}`)).toBe(crashed[n].split(' ')[0]);
  });
});
