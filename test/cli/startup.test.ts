/**
 * The BUILT d2 (packages/cli/dist: d2.cjs → d2.mjs + chunks/, bundled by `node scripts/build.mjs --cli`) loads at start
 * only the chunks of the command it runs: no command but `d2 demo` — and the demo only when it runs — reaches the
 * sandbox (GitHub emulator with @octokit/openapi, registry, Sigstore stand-in). Read from the chunks' static imports;
 * dynamic import() is what loads a command or the demo later. docs/architecture.md "CLI start-up".
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
import { closureText, staticClosure as closure } from '../support/bundle-closure.js';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';

const execFileAsync = promisify(execFile);
const root = repoRoot();
const dist = join(root, 'packages', 'cli', 'dist');

/** Strings only the sandbox has: the GitHub emulator's OpenAPI document, the sandbox registry, the Sigstore stand-in. */
const SANDBOX_MARKERS = ['@octokit/openapi/generated/api.github.com.json', 'dockerConfigDir: no non-read-only user', 'proposedContent.envelope is not a DSSE envelope'];

/** Files (relative to dist) a module loads before it runs: itself and its static imports, transitively. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  return closure(dist, file, seen);
}

/**
 * The chunk a dynamic import() loads for the module named `name` (chunk names keep the source file's name), looked
 * for in `file` and its static imports (shared code may sit in a common chunk).
 */
function dynamicChunk(file: string, name: string): string {
  for (const f of staticClosure(file)) {
    const m = new RegExp(`import\\(\\s*["'](\\.{1,2}/(?:chunks/)?${name}-[A-Z0-9]+\\.mjs)["']\\s*\\)`).exec(readFileSync(join(dist, f), 'utf8'));
    if (m) return relative(dist, join(dist, dirname(f), m[1]));
  }
  throw new Error(`no import() of a ${name} chunk from ${file}`);
}

function markersIn(files: Set<string>): string[] {
  const text = closureText(dist, files);
  return SANDBOX_MARKERS.filter((m) => text.includes(m));
}

describe('d2 start-up: each command loads only its own code', () => {
  beforeAll(async () => {
    await execFileAsync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--cli', '--quiet'], { cwd: root });
  }, 120_000);

  it('the sandbox is reached only by the demo, and only when it runs', () => {
    const entry = staticClosure('d2.mjs');
    expect(markersIn(entry)).toEqual([]);
    for (const c of commands) {
      const chunk = dynamicChunk('d2.mjs', c.name.replace(' ', '-'));
      expect(markersIn(staticClosure(chunk, new Set(entry))), `d2 ${c.name}`).toEqual([]);
    }
    // The help lists every command: the whole table, still without the sandbox.
    expect(markersIn(staticClosure(dynamicChunk('d2.mjs', 'commands'), new Set(entry)))).toEqual([]);
    // Running the demo does load it (so the markers are the right ones).
    const run = dynamicChunk(dynamicChunk('d2.mjs', 'demo'), 'run');
    expect(markersIn(staticClosure(run))).toEqual(SANDBOX_MARKERS);
  });

  it('the built binary answers as the command table does (help of every command, version, usage errors)', async () => {
    const argvs = [['--help'], ['nope'], ['version', '--bogus'], ...commands.map((c) => [...c.name.split(' '), '--help'])];
    for (const argv of argvs) {
      const r = spawnSync(process.execPath, [join(dist, 'd2.cjs'), ...argv], { encoding: 'utf8', cwd: root });
      let out = '';
      let err = '';
      const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: {} };
      const code = await runCli(commands, argv, JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version as string, io);
      expect({ code: r.status, out: r.stdout, err: r.stderr }, argv.join(' ')).toEqual({ code, out, err });
    }
    const v = spawnSync(process.execPath, [join(dist, 'd2.cjs'), 'version', '-o', 'json'], { encoding: 'utf8' });
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ node: process.versions.node });
  });
});
