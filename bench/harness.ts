/**
 * Tiny benchmark harness for `pnpm bench`. Each bench/<name>.bench.ts is bundled and run by scripts/bench.mjs
 * in its own Node 24 process; it measures our code and a reference tool side by side in the same run and calls
 * `writeSection` with a markdown section. scripts/bench.mjs assembles the sections into docs/benchmarks.md.
 * Benchmarks never assert timings.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Stats {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Peak RSS of the measured process in MiB, when known. */
  peakRssMiB?: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times an async function `runs` times after `warmup` runs (in this process). */
export async function timeAsync(fn: (i: number) => Promise<unknown>, runs = 5, warmup = 1, prepare?: (i: number) => Promise<void> | void): Promise<Stats> {
  for (let i = 0; i < warmup; i++) {
    await prepare?.(-1 - i);
    await fn(-1 - i);
  }
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    await prepare?.(i);
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  return { runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

/**
 * Times a whole command (a new process each run) with GNU time for peak RSS. `cmd` is run through bash.
 */
export function timeCommand(cmd: string, runs = 5, warmup = 1, prepare?: (i: number) => void, env?: NodeJS.ProcessEnv): Stats {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = -warmup; i < runs; i++) {
    prepare?.(i);
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', `command -v /usr/bin/time >/dev/null && exec /usr/bin/time -f '__RSS__%M' bash -c "$0" || exec bash -c "$0"`, cmd], { encoding: 'utf8', env: env ?? process.env, maxBuffer: 1 << 28 });
    const dt = performance.now() - t0;
    if (r.status !== 0) throw new Error(`benchmark command failed (${r.status}): ${cmd}\n${r.stderr.slice(-2000)}`);
    const m = /__RSS__(\d+)/.exec(r.stderr);
    if (i >= 0) {
      times.push(dt);
      if (m) rss.push(Number(m[1]) / 1024);
    }
  }
  return { runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times), peakRssMiB: rss.length ? Math.max(...rss) : undefined };
}

export function fmtMs(s: Stats): string {
  return `${s.medianMs.toFixed(1)} ms (min ${s.minMs.toFixed(1)}, max ${s.maxMs.toFixed(1)}, n=${s.runs})`;
}

export function ratio(ours: Stats, ref: Stats): string {
  return `${(ours.medianMs / ref.medianMs).toFixed(2)}×`;
}

/** Peak RSS of this process so far, in MiB (Linux: VmHWM). */
export function selfPeakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Writes this benchmark's markdown section (picked up by scripts/bench.mjs). */
export function writeSection(name: string, markdown: string): void {
  const dir = process.env.D2_BENCH_OUT ?? join(process.cwd(), '.reports', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.md`), markdown.trimEnd() + '\n');
  console.log(markdown);
}

const GNU_TIME = '/usr/bin/time';

/** One whole-process run: wall time, and user + system CPU and peak RSS from GNU time when it is installed. */
export interface ProcessSample {
  wallMs: number;
  /** user + system CPU of the process (GNU time, 10 ms resolution). */
  cpuMs?: number;
  rssMiB?: number;
}

/** Runs `cmd args` once under GNU time (when present); the caller checks the result's status and output. */
export function runMeasured(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): { sample: ProcessSample; result: SpawnSyncReturns<string> } {
  const useTime = existsSync(GNU_TIME);
  const t0 = performance.now();
  const result = spawnSync(useTime ? GNU_TIME : cmd, useTime ? ['-f', '__T__%U %S %M', cmd, ...args] : args, { cwd: opts.cwd, encoding: 'utf8', env: opts.env ?? process.env });
  const wallMs = performance.now() - t0;
  const m = /__T__([\d.]+) ([\d.]+) (\d+)/.exec(result.stderr);
  return { sample: m ? { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMiB: Number(m[3]) / 1024 } : { wallMs }, result };
}

/** Median wall and CPU, fastest wall and peak RSS of repeated runs. */
export function summarize(samples: ProcessSample[]): { wall: number; min: number; cpu?: number; rss?: number } {
  const cpu = samples.flatMap((x) => (x.cpuMs === undefined ? [] : [x.cpuMs]));
  const rss = samples.flatMap((x) => (x.rssMiB === undefined ? [] : [x.rssMiB]));
  return { wall: median(samples.map((x) => x.wallMs)), min: Math.min(...samples.map((x) => x.wallMs)), cpu: cpu.length ? median(cpu) : undefined, rss: rss.length ? Math.max(...rss) : undefined };
}

/**
 * Runs every case once per round, `rounds` rounds after `warmup` rounds that are not kept: interleaved, so that load on
 * a shared machine hits every case alike. The samples of each case, by name.
 */
export function interleavedRounds<C extends { name: string }>(cases: C[], rounds: number, warmup: number, run: (c: C) => ProcessSample): Map<string, ProcessSample[]> {
  const samples = new Map<string, ProcessSample[]>(cases.map((c) => [c.name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const c of cases) {
      const s = run(c);
      if (round >= 0) samples.get(c.name)?.push(s);
    }
  }
  return samples;
}
