/**
 * Shared by the adversarial suite: the d2 CLI bundle run as a separate process (as users run it), optionally as an
 * unprivileged user, small file-tree helpers, what the runner would do with a step's output, and whether a Markdown
 * job summary kept its structure. Action bundles run through `runActionBundle` (@d2/sandbox).
 */
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseWorkflowCommands, type ActionRun, type WorkflowCommand } from '@d2/sandbox';
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

/** Every injected command in this suite carries this marker at the start of its data. */
export const PAYLOAD = 'pwned';

/** The commands our actions issue themselves (with `@actions/core`), and the stop/resume pair of the log guard. */
const INTENDED = new Set(['add-mask', 'debug', 'warning', 'error', 'notice', 'group', 'endgroup', 'stop-commands', 'resume-commands']);

/**
 * Commands the runner would act on that our code did not issue: any name we never use (`set-output`, `add-path`, …),
 * any legacy `##[…]` command (we never write one), and any command whose data starts with the injected payload (an
 * injected `::warning::pwned…` line). A warning or error annotation that merely quotes untrusted text is fine.
 */
export function unintendedCommands(run: Pick<ActionRun, 'stdout' | 'stderr'>): WorkflowCommand[] {
  const all = [...parseWorkflowCommands(run.stdout), ...parseWorkflowCommands(run.stderr)];
  return all.filter((c) => !INTENDED.has(c.command) || c.form === 'legacy' || c.data.startsWith(PAYLOAD));
}

/** Group titles as the runner renders them: each must be one line. */
export function groupTitles(run: Pick<ActionRun, 'stdout'>): string[] {
  return parseWorkflowCommands(run.stdout).filter((c) => c.command === 'group').map((c) => c.data);
}

/** `|` cells of a GFM table row, split as GitHub does (a `|` after an odd number of backslashes does not split). */
export function tableCells(row: string): number {
  let n = 0;
  let backslashes = 0;
  for (const ch of row.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '')) {
    if (ch === '|' && backslashes % 2 === 0) n++;
    backslashes = ch === '\\' ? backslashes + 1 : 0;
  }
  return n + 1;
}

/**
 * Structural problems in a Markdown summary: raw HTML tags, table rows whose cell count differs from their header,
 * and lines that start with something other than our own markup (an untrusted line break).
 */
export function summaryProblems(md: string): string[] {
  const problems: string[] = [];
  const lines = md.split('\n');
  // Code spans show their content literally (CommonMark: a run of n backticks closes only with n backticks).
  const outsideCode = md.replace(/(`+)(?!`)([^\n]*?[^`\n])\1(?!`)/g, '');
  if (/<[A-Za-z!/?]/.test(outsideCode)) problems.push(`raw HTML: ${outsideCode.match(/<[A-Za-z!/?][^\n]{0,40}/)?.[0]}`);
  let header: number | undefined;
  for (const line of lines) {
    if (line.startsWith('|')) {
      const cells = tableCells(line);
      if (header === undefined) header = cells;
      else if (cells !== header) problems.push(`table row with ${cells} cells under a ${header}-cell header: ${line}`);
    } else header = undefined;
    if (/^\s*(::|##\[|pwned)/.test(line)) problems.push(`untrusted line: ${line}`);
  }
  return problems;
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Creates `owner/name` on the sandbox git server with `files` on main (async: the git server runs in this process). */
export async function seedGitRepo(git: { createRepo(n: string): Promise<unknown>; authUrl(n: string): string }, fullName: string, files: Record<string, string>): Promise<void> {
  const t = tempDir('d2-adv-seed-');
  try {
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
    const run = (...args: string[]) => promisify(execFile)('git', ['-c', 'user.name=seed', '-c', 'user.email=seed@example.com', ...args], { cwd: t.dir, env });
    await git.createRepo(fullName);
    await run('init', '-q', '-b', 'main');
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(t.dir, path)), { recursive: true });
      writeFileSync(join(t.dir, path), content);
    }
    await run('add', '-A');
    await run('commit', '-q', '-m', 'seed');
    await run('push', '-q', git.authUrl(fullName), 'main');
  } finally {
    t.cleanup();
  }
}

/** An ImageRepository + ImagePolicy pair (Flux image.toolkit.fluxcd.io/v1) as a manifest file. */
export function imagePolicyYaml(name: string, image: string, policy: string, filterTags?: string): string {
  return [
    'apiVersion: image.toolkit.fluxcd.io/v1', 'kind: ImageRepository', 'metadata:', `  name: ${name}`, 'spec:', `  image: ${image}`, '  insecure: true', '---',
    'apiVersion: image.toolkit.fluxcd.io/v1', 'kind: ImagePolicy', 'metadata:', `  name: ${name}`, 'spec:', '  imageRepositoryRef:', `    name: ${name}`,
    ...(filterTags ? ['  filterTags:', `    pattern: '${filterTags}'`] : []),
    '  policy:', ...policy.split('\n').map((l) => `    ${l}`), '',
  ].join('\n');
}
