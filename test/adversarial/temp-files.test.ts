/**
 * Every temporary file and directory (the layer in `d2-artifact-*`, the staging dir of a single-file build, downloaded
 * layers in `d2-remote-*`) is removed on every path: success, a failed push, and a process stopped by SIGINT or
 * SIGTERM in the middle of a push (a cancelled CI job, Ctrl-C) — util/tempdir.ts. Each run gets its own TMPDIR, so
 * the count is exact and parallel tests do not interfere.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionBundle, startFaultProxy, startRegistry, type FaultProxy, type SandboxRegistry } from '@d2/sandbox';
import { ensureCliBundle, runD2, writeFiles, type ProcessRun } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'd2-adv-temp-'));
const ws = writeFiles(join(scratch, 'ws'), {
  'components/app/deploy.yaml': 'kind: ConfigMap\n',
  'components/api/deploy.yaml': 'kind: Service\n',
  'single.yaml': 'kind: ConfigMap\n',
});

let registry: SandboxRegistry;
let proxy: FaultProxy;
let n = 0;

/** A fresh, empty TMPDIR for one run. */
function privateTmp(): string {
  return mkdtempSync(join(scratch, `tmp-${n++}-`));
}
const leftovers = (dir: string) => readdirSync(dir);
const artifactDirs = (dir: string) => readdirSync(dir).filter((e) => e.startsWith('d2-artifact-'));

beforeAll(async () => {
  ensureCliBundle();
  registry = await startRegistry({ auth: 'anonymous' });
  proxy = await startFaultProxy(registry.url);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), registry?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('temporary files after a failed push', () => {
  it('d2 push against a registry that fails every manifest PUT: exit 1, no d2-artifact-* left (count before and after)', async () => {
    const tmp = privateTmp();
    proxy.clearFaults();
    proxy.addFault({ method: 'PUT', path: /\/manifests\//, action: { status: 500 } });
    try {
      expect(artifactDirs(tmp)).toEqual([]);
      const r = await runD2(['push', 'components/{component}', `oci://${proxy.host}/temp/{component}`, '--components', 'app,api', '--diff-tag', 'latest'], { cwd: ws, env: { TMPDIR: tmp } });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/2 of 2 artifact\(s\) failed/);
      expect(artifactDirs(tmp)).toEqual([]);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      proxy.clearFaults();
    }
  });

  it('push-artifact (committed bundle) with a failing registry: no temp dir left in its TMPDIR', async () => {
    const tmp = privateTmp();
    proxy.addFault({ method: 'PUT', path: /\/manifests\//, action: { status: 500 } });
    try {
      const r = await runActionBundle('push-artifact', {
        workspace: ws,
        inputs: { components: 'app\napi', repository: `${proxy.host}/temp-action/{component}`, sign: 'false', 'diff-tag': 'latest' },
        env: { TMPDIR: tmp },
      });
      expect(r.exitCode).toBe(1);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      proxy.clearFaults();
    }
  });

  it('a single-file build (staging dir) and a refused build leave nothing', async () => {
    const tmp = privateTmp();
    const ok = await runD2(['build', 'single.yaml', '-o', 'text'], { cwd: ws, env: { TMPDIR: tmp } });
    expect(ok.code, ok.stderr).toBe(0);
    const bad = await runD2(['build', 'components/app', '-a', 'no-equals'], { cwd: ws, env: { TMPDIR: tmp } });
    expect(bad.code).toBe(2);
    expect(leftovers(tmp)).toEqual([]);
  });
});

describe('temporary files when the process is stopped mid-push', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s while a blob upload hangs: the layer directory is removed, the process ends by the signal', async (signal) => {
    const tmp = privateTmp();
    proxy.clearFaults();
    // Every request to the registry hangs: the push is stuck after the build, with the layer on disk.
    proxy.addFault({ action: { delayMs: 120_000 } });
    const before = proxy.log.length;
    let pid: number | undefined;
    try {
      const run: Promise<ProcessRun> = runD2(['push', 'components/app', `oci://${proxy.host}/temp-signal/app`], {
        cwd: ws,
        env: { TMPDIR: tmp },
        onSpawn: (p) => (pid = p),
        timeoutMs: 60_000,
      });
      // Wait until the layer exists and the first request is in flight.
      const deadline = Date.now() + 30_000;
      while (!(artifactDirs(tmp).length > 0 && proxy.log.length > before)) {
        if (Date.now() > deadline) throw new Error(`the push did not start: ${leftovers(tmp).join(', ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(artifactDirs(tmp)).toHaveLength(1);
      process.kill(pid as number, signal);
      const r = await run;
      expect(r.signal, `exit code ${r.code}, stderr: ${r.stderr}`).toBe(signal);
      expect(artifactDirs(tmp)).toEqual([]);
      expect(leftovers(tmp)).toEqual([]);
    } finally {
      proxy.clearFaults();
    }
  });
});
