/**
 * Action start-up: each committed bundle (`node actions/<name>/dist/index.cjs`, as the runner starts it) against a bare
 * `node -e 0`, whole processes side by side in one run, interleaved round by round so that load on a shared machine
 * hits every case alike. Each run is given the inputs of a step that passes every input check and then fails on the
 * last check before the first request (see SCENARIOS): what is measured is loading the bundle plus validating the
 * inputs, with nothing built and nothing sent. The expected error is checked on every run, so a change in what the
 * bundle validates cannot silently change what is measured. Timings are never asserted.
 *
 * D2_BENCH_BASELINE=<git ref>: also runs the bundles committed at that ref (copied into .reports/bench), in the same
 * rounds, for a before/after comparison of a change to the bundles.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { actionDefaults, inputEnvName } from '../packages/sandbox/src/runner.js';
import { interleavedRounds, runMeasured, summarize, writeSection, type ProcessSample } from './harness.js';

const root = process.env.D2_ROOT ?? process.cwd();
const out = process.env.D2_BENCH_OUT ?? join(root, '.reports', 'bench');
const ROUNDS = Number(process.env.D2_BENCH_ROUNDS ?? 25);
const WARMUP = 3;
const baselineRef = process.env.D2_BENCH_BASELINE;

/** A step that passes input validation and stops right before its first request (nothing is built or sent). */
interface Scenario {
  action: string;
  inputs: Record<string, string>;
  ref?: string;
  /** The error the step must end with: the last check before anything is sent. */
  expect: RegExp;
  /** What the row says the run stops at. */
  stop: string;
}

// Registries are 127.0.0.1:9 (discard, nothing listens): were anything sent, the run would fail differently.
const SCENARIOS: Scenario[] = [
  {
    action: 'push-artifact',
    inputs: { path: 'app', repository: '127.0.0.1:9/bench/app', tags: 'latest' },
    expect: /id-token/,
    stop: 'signing on, no id-token permission (after the targets are resolved)',
  },
  {
    action: 'release-artifact',
    ref: 'refs/tags/app/v1.0.0',
    inputs: { path: '{component}', repository: '127.0.0.1:9/bench/{component}' },
    expect: /id-token/,
    stop: 'signing on, no id-token permission (after the release plan and target)',
  },
  {
    action: 'e2e-update',
    inputs: { repository: 'https://github.com/example/repo.git', 'policies-path': 'policies', namespace: 'flux-system', token: '', tokens: 'https://github.com/example/other=x' },
    expect: /no token for/,
    stop: 'direct target resolved, no token covers its repository (before the clone)',
  },
  {
    action: 'image-updates-pr',
    inputs: { 'delete-branch-when-empty': 'maybe' },
    expect: /delete-branch-when-empty/,
    stop: "last input ('delete-branch-when-empty') invalid (before the first API request)",
  },
];

interface Case {
  name: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  expect?: RegExp;
}

function runOnce(c: Case): ProcessSample {
  const { sample, result: r } = runMeasured(process.execPath, c.args, { cwd: c.env?.GITHUB_WORKSPACE ?? root, env: c.env });
  if (c.expect) {
    // The step fails (exit 1) with the expected ::error:: line; anything else means the case measures something else.
    if (r.status !== 1 || !c.expect.test(r.stdout)) throw new Error(`${c.name}: expected exit 1 and ${c.expect}, got ${r.status}:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  } else if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return sample;
}

/** The runner's environment for one step of `s` (action.yml defaults, INPUT_*, GITHUB_* files), no id-token variables. */
function stepEnv(s: Scenario, tmp: string): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmp, `${s.action}-`));
  const ws = join(dir, 'ws');
  mkdirSync(join(ws, 'app'), { recursive: true });
  writeFileSync(join(ws, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n');
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(INPUT_|GITHUB_|ACTIONS_|RUNNER_)/.test(k)) env[k] = v;
  for (const f of ['GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_STATE', 'GITHUB_PATH']) {
    env[f] = join(dir, f.toLowerCase());
    writeFileSync(env[f], '');
  }
  writeFileSync(join(dir, 'event.json'), '{}');
  const ref = s.ref ?? 'refs/heads/main';
  Object.assign(env, {
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: ws,
    GITHUB_REPOSITORY: 'example/repo',
    GITHUB_REPOSITORY_OWNER: 'example',
    GITHUB_REF: ref,
    GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    RUNNER_TEMP: dir,
  });
  const inputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(actionDefaults(s.action))) inputs[k] = v === '${{ github.token }}' ? 'ghs_bench_token' : v;
  Object.assign(inputs, s.inputs);
  for (const [k, v] of Object.entries(inputs)) env[inputEnvName(k)] = v;
  return env;
}

/** The bundles committed at `ref`, copied next to each other under .reports/bench (they need no other file to start). */
function baselineBundles(ref: string): Map<string, string> {
  const dir = join(out, 'action-startup-baseline');
  rmSync(dir, { recursive: true, force: true });
  const files = new Map<string, string>();
  for (const s of SCENARIOS) {
    const list = execFileSync('git', ['ls-tree', '-r', '--name-only', ref, `actions/${s.action}/dist/`], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const f of list) {
      const dest = join(dir, f);
      mkdirSync(join(dest, '..'), { recursive: true });
      writeFileSync(dest, execFileSync('git', ['show', `${ref}:${f}`], { cwd: root, maxBuffer: 1 << 28 }));
    }
    files.set(s.action, join(dir, 'actions', s.action, 'dist', 'index.cjs'));
  }
  return files;
}

/** The committed dist/ of an action: its size and number of files (the entry, and the chunks it may import). */
function distSize(action: string): string {
  const dir = join(root, 'actions', action, 'dist');
  const files = readdirSync(dir);
  const bytes = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  return `dist/ ${(bytes / 1024).toFixed(0)} KiB in ${files.length} file${files.length === 1 ? '' : 's'}`;
}

function main(): void {
  const tmp = mkdtempSync(join(tmpdir(), 'd2-action-startup-'));
  const baseline = baselineRef ? baselineBundles(baselineRef) : undefined;
  const cases: Case[] = [{ name: '`node -e 0`', args: ['-e', '0'] }];
  for (const s of SCENARIOS) {
    const env = stepEnv(s, tmp);
    cases.push({ name: `${s.action}`, args: [join(root, 'actions', s.action, 'dist', 'index.cjs')], env, expect: s.expect });
    const old = baseline?.get(s.action);
    if (old) cases.push({ name: `${s.action}, bundle of ${baselineRef}`, args: [old], env, expect: s.expect });
  }
  const loadBefore = loadavg()[0];
  const samples = interleavedRounds(cases, ROUNDS, WARMUP, (c) => runOnce(c));
  const loadAfter = loadavg()[0];
  rmSync(tmp, { recursive: true, force: true });
  const stat = (name: string) => summarize(samples.get(name) ?? []);
  const base = stat(cases[0].name);
  const rows = cases.map((c) => {
    const s = stat(c.name);
    const cpu = s.cpu === undefined ? '–' : `${s.cpu.toFixed(0)} ms (${base.cpu ? (s.cpu / base.cpu).toFixed(2) : '–'}×)`;
    const label = c.expect ? `\`${c.name.split(',')[0]}\`${c.name.includes(',') ? c.name.slice(c.name.indexOf(',')) : ''}` : c.name;
    return `| ${label} | ${s.wall.toFixed(1)} ms (min ${s.min.toFixed(1)}) | **${(s.wall / base.wall).toFixed(2)}×** | ${cpu} | ${s.rss === undefined ? '–' : `${s.rss.toFixed(0)} MiB`} |`;
  });
  const stops = SCENARIOS.map((s) => `- \`${s.action}\` (${distSize(s.action)}): ${s.stop}.`);
  writeSection(
    'action-startup',
    `## Action start-up: each bundle vs \`node -e 0\` (bench/action-startup.bench.ts)

Whole processes: \`node actions/<name>/dist/index.cjs\` with the runner's environment (action.yml defaults as INPUT_*,
GITHUB_OUTPUT and the other files), ${ROUNDS} interleaved rounds after ${WARMUP} warm-up rounds; medians, min in brackets.
Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end of the run. Ratios are ÷
\`node -e 0\`. CPU = user + system time from GNU time (10 ms resolution), steadier than wall time on a shared machine.
Each step is given inputs that pass every input check and then fail on the last check before the first request, so
the run loads the bundle and validates its inputs, and builds and sends nothing (registries and the GitHub API point
at 127.0.0.1:9, where nothing listens; every run is checked to end with the expected error):
${stops.join('\n')}

| Case | Wall time | Ratio | CPU (ratio) | Peak RSS |
|---|---|---|---|---|
${rows.join('\n')}
`,
  );
}

main();
