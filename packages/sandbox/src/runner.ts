import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from './paths.js';
import { parseWorkflowCommands, type WorkflowCommand } from './workflow-commands.js';

/**
 * Runs an action's committed bundle exactly as the GitHub runner does: `node actions/<name>/dist/index.cjs`
 * with INPUT_* variables (name upper-cased, spaces to '_', hyphens kept), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY /
 * GITHUB_ENV / GITHUB_STATE files, GITHUB_WORKSPACE, GITHUB_REPOSITORY, GITHUB_REF, GITHUB_SHA and RUNNER_TEMP.
 * Defaults for the inputs come from action.yml only when the caller passes them (the runner fills defaults;
 * tests pass what a workflow would).
 */
export interface RunActionOptions {
  /** Action inputs by their action.yml names. */
  inputs?: Record<string, string>;
  /** Extra environment (overrides the defaults below). */
  env?: Record<string, string | undefined>;
  /** GITHUB_WORKSPACE; default a new temp dir. */
  workspace?: string;
  repository?: string;
  ref?: string;
  sha?: string;
  actor?: string;
  eventName?: string;
  /** Written to GITHUB_EVENT_PATH. */
  event?: unknown;
  /** Node binary; default the current one. */
  node?: string;
  /** Kill after this many ms (default 120 s). */
  timeoutMs?: number;
  /** Apply action.yml input defaults for inputs not given (as the runner does). Default true. */
  applyDefaults?: boolean;
}

export interface ActionRun {
  exitCode: number;
  outputs: Record<string, string>;
  summary: string;
  /** Variables exported through GITHUB_ENV. */
  exportedEnv: Record<string, string>;
  stdout: string;
  stderr: string;
  /** The GITHUB_STATE file as written. */
  state: string;
  /** Every workflow command the runner would act on in stdout (see workflow-commands.ts). */
  commands: WorkflowCommand[];
  /** Data of the error commands in stdout, decoded. */
  errors: string[];
  /** Data of the warning commands in stdout, decoded. */
  warnings: string[];
  durationMs: number;
}

export function actionBundle(name: string): string {
  return join(repoRoot(), 'actions', name, 'dist', 'index.cjs');
}

/** Environment variable name for an input, as the runner builds it. */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Parses a GITHUB_OUTPUT / GITHUB_ENV file: `name=value` lines and `name<<DELIM ... DELIM` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc;
      const value: string[] = [];
      i++;
      while (i < lines.length && lines[i] !== delim) value.push(lines[i++]);
      out[key] = value.join('\n');
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** Reads the input defaults from actions/<name>/action.yml (plain scalars and quoted strings). */
export function actionDefaults(name: string): Record<string, string> {
  const text = readFileSync(join(repoRoot(), 'actions', name, 'action.yml'), 'utf8');
  const defaults: Record<string, string> = {};
  let current: string | undefined;
  let inInputs = false;
  for (const line of text.split('\n')) {
    if (/^inputs:\s*$/.test(line)) { inInputs = true; continue; }
    if (/^\S/.test(line)) { inInputs = false; current = undefined; continue; }
    if (!inInputs) continue;
    const key = /^ {2}([A-Za-z0-9_-]+):\s*$/.exec(line);
    if (key) { current = key[1]; continue; }
    const def = /^ {4}default:\s*(.*)$/.exec(line);
    if (def && current) {
      let v = def[1].trim();
      if ((v.startsWith("'") && v.endsWith("'")) || (v.startsWith('"') && v.endsWith('"'))) v = v.slice(1, -1);
      defaults[current] = v;
    }
  }
  return defaults;
}

export async function runActionBundle(name: string, opts: RunActionOptions = {}): Promise<ActionRun> {
  const tmp = mkdtempSync(join(tmpdir(), `d2-run-${name}-`));
  const workspace = resolve(opts.workspace ?? mkdtempSync(join(tmpdir(), 'd2-ws-')));
  const files = {
    GITHUB_OUTPUT: join(tmp, 'output'),
    GITHUB_STEP_SUMMARY: join(tmp, 'summary'),
    GITHUB_ENV: join(tmp, 'env'),
    GITHUB_STATE: join(tmp, 'state'),
    GITHUB_PATH: join(tmp, 'path'),
    GITHUB_EVENT_PATH: join(tmp, 'event.json'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  writeFileSync(files.GITHUB_EVENT_PATH, JSON.stringify(opts.event ?? {}));
  const repository = opts.repository ?? 'example/repo';
  const token = opts.inputs?.token ?? 'ghs_dummy_token_for_tests';

  const inputs: Record<string, string> = {};
  if (opts.applyDefaults !== false) {
    for (const [k, v] of Object.entries(actionDefaults(name))) {
      // Expressions are evaluated by the runner; the only ones our action.yml files use are github.token.
      inputs[k] = v === '${{ github.token }}' ? token : v;
    }
  }
  Object.assign(inputs, opts.inputs ?? {});

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    // Do not leak the test process's own GitHub/Actions context into the action.
    if (/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) continue;
    env[k] = v;
  }
  Object.assign(env, files, {
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split('/')[0],
    GITHUB_REF: opts.ref ?? 'refs/heads/main',
    GITHUB_REF_NAME: (opts.ref ?? 'refs/heads/main').replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: (opts.ref ?? '').startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_SHA: opts.sha ?? '0123456789abcdef0123456789abcdef01234567',
    GITHUB_ACTOR: opts.actor ?? 'octocat',
    GITHUB_EVENT_NAME: opts.eventName ?? 'push',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'https://api.github.com',
    GITHUB_GRAPHQL_URL: 'https://api.github.com/graphql',
    GITHUB_WORKFLOW: 'test',
    GITHUB_RUN_ID: '1',
    GITHUB_RUN_NUMBER: '1',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'test',
    RUNNER_TEMP: tmp,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
  });
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }

  const started = performance.now();
  const child = spawn(opts.node ?? process.execPath, [actionBundle(name)], { cwd: workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
  const exitCode: number = await new Promise((res) => child.on('close', (code) => res(code ?? 1)));
  clearTimeout(timer);

  const commands = parseWorkflowCommands(stdout);
  try {
    return {
      exitCode,
      outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
      summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
      state: readFileSync(opts.env?.GITHUB_STATE ?? files.GITHUB_STATE, 'utf8'),
      exportedEnv: parseCommandFile(readFileSync(files.GITHUB_ENV, 'utf8')),
      stdout,
      stderr,
      commands,
      errors: commands.filter((c) => c.command === 'error').map((c) => c.data),
      warnings: commands.filter((c) => c.command === 'warning').map((c) => c.data),
      durationMs: performance.now() - started,
    };
  } finally {
    // The runner's files and RUNNER_TEMP, and the workspace when this call made it, go with the step, as on a runner.
    rmSync(tmp, { recursive: true, force: true });
    if (!opts.workspace) rmSync(workspace, { recursive: true, force: true });
  }
}
