/**
 * build bench: building a Flux artifact from generated trees, side by side with GNU tar (+ gzip -6).
 *
 *  1. 5,000 files / 50 MB: buildArtifact (zlib and go-flate compressors) vs `tar --sort=name -cf - . | gzip -6`.
 *  2. The tar writer alone on the same tree: writeFluxTar (walk, read, tar bytes, sha256 of the tar) vs GNU
 *     `tar --sort=name -cf - . | cat > /dev/null`. GNU tar is not timed with its output sent straight to /dev/null:
 *     it recognises that archive and skips reading the files (strace shows no open of them), so it would not do the
 *     work being compared. That timing is still shown, for reference.
 *  3. Peak RSS of a whole `buildArtifact` process at 50, 200 and 500 MB (5,000 files each, larger files).
 *
 * Every timed row is a separate process (GNU time gives peak RSS and the CPU time of the process and its children);
 * runs are interleaved (one of each command in turn) so that the load of a shared machine hits all sides alike.
 * Our processes also report their in-process time (without Node's start-up), printed by the child mode below.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildArtifact, writeFluxTar } from '../packages/core/src/flux/index.js';
import { median, writeSection } from './harness.js';
import { prng } from '../packages/sandbox/src/random.js';

const FILES = 5000;
const DIRS = 100;
const RUNS = 5;

/** 100 directories × 50 files: YAML-like text (most), compressible binary, some random blobs; `target` bytes in all. */
function generateTree(root: string, target: number): { files: number; bytes: number } {
  const r = prng(7);
  const words = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: podinfo-', '  namespace: apps-', 'spec:', '  replicas: ', '      containers:', '        - name: app', '          image: ghcr.io/stefanprodan/podinfo:6.', '          ports:', '            - containerPort: 9898'];
  const avg = target / FILES;
  let bytes = 0;
  mkdirSync(root, { recursive: true });
  for (let d = 0; d < DIRS; d++) {
    const dir = join(root, `component-${String(d).padStart(3, '0')}`, d % 2 ? 'base' : 'overlays/prod');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < FILES / DIRS; f++) {
      const kind = r() % 10;
      const size = Math.floor(avg * (0.2 + (r() % 1600) / 1000));
      let body: Buffer;
      if (kind < 7) {
        const parts: string[] = [];
        let n = 0;
        while (n < size) {
          const line = `${words[r() % words.length]}${r() % 500}\n`;
          parts.push(line);
          n += line.length;
        }
        body = Buffer.from(parts.join('').slice(0, size));
      } else if (kind < 9) {
        body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = i % 64 < 48 ? (i * 7) & 0xff : r() & 0x0f;
      } else {
        body = Buffer.alloc(size);
        for (let i = 0; i < size; i++) body[i] = r() & 0xff;
      }
      const p = join(dir, `manifest-${f}.yaml`);
      writeFileSync(p, body);
      chmodSync(p, 0o644);
      bytes += body.length;
    }
  }
  return { files: FILES, bytes };
}

/** Child mode: one build (or the tar alone); prints in-process wall and CPU time and the result as JSON. */
async function child(mode: string, dir: string, work: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const done = (extra: object): void => {
    const c = process.cpuUsage(c0);
    process.stdout.write(JSON.stringify({ ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, ...extra }));
  };
  if (mode === 'tar') {
    const r = await writeFluxTar(dir, { ignorePaths: [] });
    done({ tarSize: r.tarSize, tarDigest: r.tarDigest });
    return;
  }
  const a = await buildArtifact(dir, { compressor: mode as 'zlib' | 'go-flate', reproducible: true, ignorePaths: [], workDir: work });
  done({ layerSize: a.layerSize, layerDigest: a.layerDigest, tarDigest: a.tarDigest });
  await a.cleanup();
}

interface Run {
  wallMs: number;
  /** user + system of the command and its children (GNU time). */
  cpuMs: number;
  rssMiB: number;
  /** What our child mode printed. */
  out?: { ms: number; cpuMs: number; layerSize?: number; tarDigest?: string };
}

function run(cmd: string): Run {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '__TIME__ %U %S %M', 'bash', '-c', cmd], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const wallMs = performance.now() - t0;
  if (r.error || r.status !== 0) throw new Error(`benchmark command failed (${r.status ?? r.error?.message}): ${cmd}\n${r.stderr.slice(-2000)}`);
  const m = /__TIME__ ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no GNU time output for: ${cmd}`);
  const out = r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as Run['out']) : undefined;
  return { wallMs, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssMiB: Number(m[3]) / 1024, out };
}

/** Runs each command `runs` times, one of each in turn, after one warm-up round. */
function interleaved<K extends string>(cmds: Record<K, string>, runs: number): Record<K, Run[]> {
  const keys = Object.keys(cmds) as K[];
  const res = Object.fromEntries(keys.map((k) => [k, [] as Run[]])) as Record<K, Run[]>;
  for (let i = -1; i < runs; i++) {
    for (const k of keys) {
      const r = run(cmds[k]);
      if (i >= 0) res[k].push(r);
    }
  }
  return res;
}

const ms = (x: number): string => `${x.toFixed(0)} ms`;
const wall = (rs: Run[]): number => median(rs.map((r) => r.wallMs));
const cpu = (rs: Run[]): number => median(rs.map((r) => r.cpuMs));
const inProc = (rs: Run[]): number => median(rs.map((r) => r.out?.ms ?? NaN));
const inProcCpu = (rs: Run[]): number => median(rs.map((r) => r.out?.cpuMs ?? NaN));
const peak = (rs: Run[]): string => `${Math.max(...rs.map((r) => r.rssMiB)).toFixed(0)} MiB`;
const range = (rs: Run[]): string => `min ${Math.min(...rs.map((r) => r.wallMs)).toFixed(0)}, max ${Math.max(...rs.map((r) => r.wallMs)).toFixed(0)}`;
const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const base = mkdtempSync(join(tmpdir(), 'd2-build-bench-'));
  const work = join(base, 'work');
  mkdirSync(work);
  const q = JSON.stringify;
  const node = q(process.execPath);
  const ours = (mode: string, tree: string): string => `${node} ${q(self)} --child ${mode} ${q(tree)} ${q(work)}`;
  try {
    const tree = join(base, 'tree');
    const { files, bytes } = generateTree(tree, 50 * 1000 * 1000);

    // 1 and 2: the 50 MB tree, everything interleaved.
    const t = interleaved(
      {
        zlib: ours('zlib', tree),
        goFlate: ours('go-flate', tree),
        gnuGz: `cd ${q(tree)} && tar --sort=name -cf - . | gzip -6 > ${q(join(work, 'gnu.tgz'))}`,
        tar: ours('tar', tree),
        gnuTarPipe: `cd ${q(tree)} && tar --sort=name -cf - . | cat > /dev/null`,
        gnuTarNull: `cd ${q(tree)} && tar --sort=name -cf - . > /dev/null`,
      },
      RUNS,
    );
    const gnuSize = statSync(join(work, 'gnu.tgz')).size;
    const buildRows = [
      `| ours, buildArtifact compressor zlib | ${ms(wall(t.zlib))} (${range(t.zlib)}) | ${x(wall(t.zlib), wall(t.gnuGz))} | ${ms(inProc(t.zlib))} | ${ms(cpu(t.zlib))} (${x(cpu(t.zlib), cpu(t.gnuGz))}) | ${peak(t.zlib)} | ${t.zlib[0].out?.layerSize} |`,
      `| ours, buildArtifact compressor go-flate (Flux-identical) | ${ms(wall(t.goFlate))} (${range(t.goFlate)}) | ${x(wall(t.goFlate), wall(t.gnuGz))} | ${ms(inProc(t.goFlate))} | ${ms(cpu(t.goFlate))} (${x(cpu(t.goFlate), cpu(t.gnuGz))}) | ${peak(t.goFlate)} | ${t.goFlate[0].out?.layerSize} |`,
      `| GNU \`tar --sort=name -cf - . \\| gzip -6\` | ${ms(wall(t.gnuGz))} (${range(t.gnuGz)}) | 1.00× | – | ${ms(cpu(t.gnuGz))} (1.00×) | ${peak(t.gnuGz)} | ${gnuSize} |`,
    ];
    const tarRows = [
      `| ours, writeFluxTar (walk, read, tar, sha256), in-process | ${ms(inProc(t.tar))} | **${x(inProc(t.tar), wall(t.gnuTarPipe))}** | ${ms(inProcCpu(t.tar))} (${x(inProcCpu(t.tar), cpu(t.gnuTarPipe))}) | – |`,
      `| ours, the same as a whole process (Node start-up included) | ${ms(wall(t.tar))} (${range(t.tar)}) | ${x(wall(t.tar), wall(t.gnuTarPipe))} | ${ms(cpu(t.tar))} (${x(cpu(t.tar), cpu(t.gnuTarPipe))}) | ${peak(t.tar)} |`,
      `| GNU \`tar --sort=name -cf - . \\| cat > /dev/null\` | ${ms(wall(t.gnuTarPipe))} (${range(t.gnuTarPipe)}) | 1.00× | ${ms(cpu(t.gnuTarPipe))} (1.00×) | ${peak(t.gnuTarPipe)} |`,
      `| GNU \`tar --sort=name -cf - . > /dev/null\` (reads no file data) | ${ms(wall(t.gnuTarNull))} (${range(t.gnuTarNull)}) | – | ${ms(cpu(t.gnuTarNull))} | ${peak(t.gnuTarNull)} |`,
    ];
    const node0 = interleaved({ node: `${node} -e 0` }, RUNS).node;

    // 3: peak RSS as the component grows (one process each; RSS does not depend on load).
    const rssRows: string[] = [];
    for (const mb of [50, 200, 500]) {
      const dir = mb === 50 ? tree : join(base, `tree-${mb}`);
      const gen = mb === 50 ? { bytes } : generateTree(dir, mb * 1000 * 1000);
      const g = run(ours('go-flate', dir));
      const z = run(ours('zlib', dir));
      rssRows.push(`| ${(gen.bytes / 1e6).toFixed(0)} MB | **${g.rssMiB.toFixed(0)} MiB** | ${ms(g.wallMs)} | ${z.rssMiB.toFixed(0)} MiB | ${ms(z.wallMs)} |`);
      if (mb !== 50) rmSync(dir, { recursive: true, force: true });
    }

    writeSection(
      'build',
      `## build: Flux artifact and tar writer vs GNU tar (${files} files)\n\n` +
        `Tree: ${DIRS} component directories × ${FILES / DIRS} files, ${(bytes / 1e6).toFixed(0)} MB (YAML-like text, compressible ` +
        `binary, 10 % random). Each row is its own process, ${RUNS} runs interleaved with the other rows after a warm-up ` +
        `round, medians; peak RSS and CPU (user + system, children included) from GNU time; "in-process" is the time our ` +
        `process measured around the call itself, without Node's start-up (\`node -e 0\` took ${ms(median(node0.map((r) => r.wallMs)))} ` +
        `in this run). The machine is shared with other work while this runs: compare ratios, not absolute times.\n\n` +
        `| Tool | Wall time | Ratio vs GNU | In-process | CPU (ratio) | Peak RSS | Layer bytes |\n|---|---|---|---|---|---|---|\n${buildRows.join('\n')}\n\n` +
        `### Tar writer\n\n` +
        `GNU tar writes the archive into a pipe that discards it; ours discards it too, after hashing it (the diffID). ` +
        `With its output sent straight to /dev/null GNU tar does not open the files at all, so that line is not a ` +
        `like-for-like reference.\n\n` +
        `| Tar writer | Time | Ratio vs GNU (pipe) | CPU (ratio) | Peak RSS |\n|---|---|---|---|---|\n${tarRows.join('\n')}\n\n` +
        `### Peak RSS as the component grows\n\n` +
        `One whole \`buildArtifact\` process per size (5,000 files each, larger files for larger sizes), layer written to a temp ` +
        `file. The go-flate compressor hands each tar chunk back once compressed, so the tar writer reuses its buffers and RSS ` +
        `stays flat; with zlib the chunks are left to the garbage collector and RSS grows a little before it levels off.\n\n` +
        `| Component | Peak RSS, go-flate (default) | Time | Peak RSS, zlib | Time |\n|---|---|---|---|---|\n${rssRows.join('\n')}\n`,
    );
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

(process.argv[2] === '--child' ? child(process.argv[3], process.argv[4], process.argv[5]) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
