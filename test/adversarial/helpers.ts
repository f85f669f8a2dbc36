/**
 * Shared by the adversarial suite: the d2 CLI bundle run as a separate process (as users run it), optionally as an
 * unprivileged user, and small file-tree helpers. Action bundles run through `runActionBundle` (@d2/sandbox).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@d2/sandbox/paths';

export const root = repoRoot();
export const cliBundle = join(root, 'packages', 'cli', 'dist', 'd2.cjs');

/** Newest modification time of the sources the CLI bundle is built from. */
function newestSource(): number {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name === 'test') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  for (const pkg of ['core', 'cli']) walk(join(root, 'packages', pkg, 'src'));
  return newest;
}

/** Builds packages/cli/dist/d2.cjs (as `pnpm d2` does) unless it is newer than its sources. */
export function ensureCliBundle(): void {
  if (existsSync(cliBundle) && statSync(cliBundle).mtimeMs >= newestSource()) return;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--cli', '--quiet'], { cwd: root, stdio: 'pipe' });
}

export interface ProcessRun {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Run as this uid/gid (with setpriv), e.g. to make permission bits count when the tests run as root. */
  as?: { uid: number; gid: number };
  timeoutMs?: number;
  /** Called once the child is running (e.g. to signal it later). */
  onSpawn?: (pid: number) => void;
}

/** Runs a command; with `as`, through `setpriv` so that permission bits apply even when the tests run as root. */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<ProcessRun> {
  const [file, argv] = opts.as
    ? ['setpriv', [`--reuid=${opts.as.uid}`, `--regid=${opts.as.gid}`, '--clear-groups', '--', cmd, ...args]]
    : [cmd, args];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, ...opts.env })) if (v !== undefined) env[k] = v;
  return new Promise((resolve) => {
    const child = spawn(file, argv, { cwd: opts.cwd ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, signal, stdout, stderr });
    });
  });
}

/** Runs the d2 CLI bundle (`node packages/cli/dist/d2.cjs …`). */
export function runD2(args: string[], opts: RunOptions = {}): Promise<ProcessRun> {
  return runProcess(process.execPath, [cliBundle, ...args], { ...opts, env: { DOCKER_CONFIG: emptyDockerConfig(), ...opts.env } });
}

let dockerConfig: string | undefined;
/** An empty docker config dir, so no credentials of the machine are used (removed when the test process exits). */
export function emptyDockerConfig(): string {
  if (dockerConfig === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'd2-adv-docker-'));
    chmodSync(dir, 0o755);
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    dockerConfig = dir;
  }
  return dockerConfig;
}

/** Writes files (path → content) under `dir`, creating folders. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

/**
 * How to make permission bits count: the tests run as root on some machines (root reads mode-000 files), so the
 * command is run as `nobody` through setpriv; as any other user, it runs as is. Undefined when neither works.
 */
export function unprivileged(): { as?: { uid: number; gid: number }; reason?: string } {
  if (process.getuid?.() !== 0) return {};
  if (spawnSync('setpriv', ['--version']).status === 0) return { as: { uid: 65534, gid: 65534 } };
  return { reason: 'running as root without setpriv: permission bits cannot be made to count' };
}
