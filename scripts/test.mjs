#!/usr/bin/env node
// pnpm test / ./scripts/dev test: runs the whole suite with Vitest (unit, integration, conformance) and writes
// .reports/vitest.json. The conformance suite needs the reference tools (flux, cosign, oras) built with Go;
// when Go is missing it is skipped, and this script says so.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reports = join(root, '.reports');
mkdirSync(reports, { recursive: true });
const env = { ...process.env };

const go = spawnSync('go', ['version'], { encoding: 'utf8' });
if (go.status === 0 && process.env.D2_SKIP_CONFORMANCE !== '1') {
  const script = join(root, 'scripts', 'reference-tools.sh');
  if (existsSync(script)) {
    console.error('[test] building/locating reference tools (flux, cosign, oras) with', go.stdout.trim());
    const r = spawnSync('bash', [script], { stdio: ['ignore', 'inherit', 'inherit'], env });
    if (r.status !== 0) {
      console.error('[test] reference tools could not be built: the conformance tests will fail');
    }
  }
  env.D2_CONFORMANCE = '1';
} else {
  console.error('[test] Go is not available (or D2_SKIP_CONFORMANCE=1): SKIPPING the conformance suite against flux/cosign/oras');
  env.D2_CONFORMANCE = '0';
}

// The run's temporary files (mkdtemp of the tests, the sandbox's servers, the actions' RUNNER_TEMP, the reference tools'
// homes) go below one directory of this run, removed when it ends, whatever the tests left behind. Its mode is the
// system temp directory's (sticky, everyone may create): some tests run commands as another user.
const runTmp = mkdtempSync(join(tmpdir(), 'd2-test-'));
chmodSync(runTmp, 0o1777);
env.TMPDIR = runTmp;
const args = ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, 'vitest.json')}`, ...process.argv.slice(2)];
const r = spawnSync('pnpm', args, { stdio: 'inherit', env, cwd: root });
const left = readdirSync(runTmp).length;
rmSync(runTmp, { recursive: true, force: true });
console.error(`[test] removed the run's temporary directory (${left} entries left in it by the tests)`);
spawnSync(process.execPath, [join(root, 'scripts', 'test-summary.mjs')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
