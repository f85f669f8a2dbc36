/** `d2 demo` run once through the BUILT binary for a describe block, on a sandbox registry the tests inspect afterwards. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { ensureCliBundle, runD2, type ProcessRun } from '../adversarial/helpers.js';
import type { DemoReport } from '../../packages/cli/src/demo/report.js';

export interface DemoRun {
  /** The demo's --out directory (report.json, trusted_root.json, identities.json). */
  readonly out: string;
  registry: SandboxRegistry;
  run: ProcessRun;
  report: DemoReport;
}

/**
 * In the calling describe block: before its tests, `d2 demo <args> --registry <a new sandbox registry> --out <a new
 * temporary directory> -o json` (the demo uses that registry instead of starting its own, so the tests can inspect it)
 * and its report.json; after them, the registry stopped and the directory removed. registry, run and report are set
 * once the beforeAll ran.
 */
export function demoRun(prefix: string, args: string[]): DemoRun {
  const demo = { out: mkdtempSync(join(tmpdir(), prefix)) } as DemoRun;
  beforeAll(async () => {
    ensureCliBundle();
    demo.registry = await startRegistry({ auth: 'anonymous' });
    demo.run = await runD2(['demo', ...args, '--registry', demo.registry.host, '--out', demo.out, '-o', 'json'], { timeoutMs: 280_000 });
    demo.report = JSON.parse(readFileSync(join(demo.out, 'report.json'), 'utf8')) as DemoReport;
    // The demo (attestations included) takes about 100 s alone, longer beside the rest of the suite on two cores.
  }, 300_000);
  afterAll(async () => {
    await demo.registry?.stop();
    rmSync(demo.out, { recursive: true, force: true });
  });
  return demo;
}
