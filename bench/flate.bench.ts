/**
 * flate bench: go-flate (packages/core/src/flate) vs Go's own compress/gzip (level 6, the default) on the three
 * corpora of the throughput goal — Kubernetes-like YAML text, base64 noise, long zero runs (generators in
 * packages/core/test/flate/fixtures.ts) — plus node:zlib level 6 for context.
 *
 * Both sides compress the same bytes in 32 KiB Write calls, in their own process: ours in this one, Go in a small
 * program built here with the local toolchain that keeps the corpus in memory and compresses it on request. Runs are
 * interleaved (ours, Go, zlib, ours, Go, …) so that the load of a shared machine hits all sides alike; each side
 * reports the wall time and the CPU time (user + system, all threads) of the compression alone. Ratios are
 * throughput ours ÷ Go (above 1 = faster than Go). Byte identity with Go is checked on every corpus.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { constants, deflateRawSync } from 'node:zlib';
import { GoGzipWriter } from '../packages/core/src/flate/index.js';
import { corpusBase64, corpusYaml, corpusZeroRuns } from '../packages/core/test/flate/fixtures.js';
import { median, writeSection } from './harness.js';

const SIZE = 24 * 1000 * 1000;
const RUNS = 7;
const WRITE = 32 * 1024;

/** Go side: reads lines "<file> [hash]" and answers "<wall ns> <cpu ns> <size> <sha256 or ->" per compression. */
const GO_BENCH_SOURCE = `package main

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"strings"
	"syscall"
	"time"
)

type sink struct {
	n int64
	h hash.Hash
}

func (s *sink) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.h != nil {
		s.h.Write(p)
	}
	return len(p), nil
}

func cpu() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	corpora := map[string][]byte{}
	for in.Scan() {
		f := strings.Fields(in.Text())
		data, ok := corpora[f[0]]
		if !ok {
			var err error
			if data, err = os.ReadFile(f[0]); err != nil {
				panic(err)
			}
			corpora[f[0]] = data
		}
		s := &sink{}
		if len(f) > 1 {
			s.h = sha256.New()
		}
		t0, c0 := time.Now(), cpu()
		w := gzip.NewWriter(s)
		for off := 0; off < len(data); off += ${WRITE} {
			if _, err := w.Write(data[off:min(off+${WRITE}, len(data))]); err != nil {
				panic(err)
			}
		}
		if err := w.Close(); err != nil {
			panic(err)
		}
		wall, used := time.Since(t0).Nanoseconds(), cpu()-c0
		digest := "-"
		if s.h != nil {
			digest = hex.EncodeToString(s.h.Sum(nil))
		}
		fmt.Printf("%d %d %d %s\\n", wall, used, s.n, digest)
	}
}
`;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

interface GoBench {
  version: string;
  run(file: string, hash?: boolean): Promise<Sample & { size: number; digest: string }>;
  close(): void;
}

function startGo(dir: string): GoBench | undefined {
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
  const v = spawnSync('go', ['version'], { encoding: 'utf8', env });
  if (v.error || v.status !== 0) return undefined;
  writeFileSync(join(dir, 'main.go'), GO_BENCH_SOURCE);
  const b = spawnSync('go', ['build', '-o', join(dir, 'gobench'), 'main.go'], { cwd: dir, encoding: 'utf8', env });
  if (b.status !== 0) throw new Error(`building the Go bench program failed: ${b.stderr}`);
  const child = spawn(join(dir, 'gobench'), [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    version: v.stdout.trim().replace('go version ', ''),
    async run(file, hash = false) {
      child.stdin.write(`${file}${hash ? ' hash' : ''}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error('the Go bench program exited');
      const [wall, cpu, size, digest] = (value as string).split(' ');
      return { wallMs: Number(wall) / 1e6, cpuMs: Number(cpu) / 1e6, size: Number(size), digest };
    },
    close: () => child.stdin.end(),
  };
}

function timed(fn: () => void): Sample {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** go-flate in 32 KiB writes, as the Go side does; returns the output size and, when asked, its sha256. */
function ours(data: Uint8Array, hash = false): { size: number; digest: string } {
  const h = hash ? createHash('sha256') : undefined;
  let size = 0;
  const w = new GoGzipWriter((b) => {
    size += b.length;
    h?.update(b);
  });
  for (let off = 0; off < data.length; off += WRITE) w.write(data.subarray(off, Math.min(off + WRITE, data.length)));
  w.close();
  return { size, digest: h ? h.digest('hex') : '-' };
}

/** node:zlib level 6, one call (its native loop; chunking does not change its cost). */
function zlib(data: Uint8Array): number {
  return deflateRawSync(data, { level: 6, strategy: constants.Z_DEFAULT_STRATEGY }).length;
}

const mbps = (ms: number): string => `${(SIZE / 1e6 / (ms / 1000)).toFixed(1)} MB/s`;
const cell = (xs: Sample[], k: keyof Sample): string => `${mbps(median(xs.map((x) => x[k])))}`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'd2-flate-bench-'));
  try {
    const go = startGo(dir);
    const corpora: [string, Uint8Array][] = [
      ['YAML text', corpusYaml(SIZE, 1)],
      ['base64 noise', corpusBase64(SIZE, 2)],
      ['long zero runs', corpusZeroRuns(SIZE, 3)],
    ];
    const rows: string[] = [];
    const parity: string[] = [];
    for (const [name, data] of corpora) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.bin`);
      writeFileSync(file, data);
      const check = ours(data, true);
      const samples = { ours: [] as Sample[], go: [] as Sample[], zlib: [] as Sample[] };
      let zlibSize = 0;
      if (go) {
        const g = await go.run(file, true);
        parity.push(`${name}: ${g.digest === check.digest ? `identical to Go (${check.size} bytes, sha256:${check.digest.slice(0, 12)}…)` : `**MISMATCH with Go** (ours ${check.digest}, Go ${g.digest})`}`);
      }
      timed(() => ours(data.subarray(0, 4_000_000))); // warm-up
      for (let r = 0; r < RUNS; r++) {
        samples.ours.push(timed(() => ours(data)));
        if (go) samples.go.push(await go.run(file));
        samples.zlib.push(timed(() => (zlibSize = zlib(data))));
      }
      const med = (xs: Sample[], k: keyof Sample): number => median(xs.map((x) => x[k]));
      const vsGo = (k: keyof Sample): string => (go ? `${(med(samples.go, k) / med(samples.ours, k)).toFixed(2)}×` : '–');
      rows.push(
        `| ${name} | ${cell(samples.ours, 'wallMs')} | ${go ? cell(samples.go, 'wallMs') : '–'} | **${vsGo('wallMs')}** | ` +
          `${cell(samples.ours, 'cpuMs')} | ${go ? cell(samples.go, 'cpuMs') : '–'} | **${vsGo('cpuMs')}** | ${cell(samples.zlib, 'wallMs')} | ` +
          `${((check.size / data.length) * 100).toFixed(1)} % (zlib ${((zlibSize / data.length) * 100).toFixed(1)} %) |`,
      );
    }
    go?.close();
    writeSection(
      'flate',
      `## flate: go-flate vs Go compress/gzip level 6 (three corpora)\n\n` +
        `Each corpus is ${(SIZE / 1e6).toFixed(0)} MB (generators in packages/core/test/flate/fixtures.ts: Kubernetes-like YAML; ` +
        `base64 of random bytes in 76-character lines; zero runs of up to 1 MiB broken by bursts of up to 2 KiB of noise), ` +
        `compressed in 32 KiB writes. Go (${go?.version ?? 'not installed'}) runs in its own process, keeps the corpus in ` +
        `memory and times the compression alone, as we do in ours; runs are interleaved (ours, Go, zlib, …), ${RUNS} each, ` +
        `medians. Throughput = corpus size ÷ time; the ratio is ours ÷ Go (above 1 = faster than Go). CPU = user + system ` +
        `time of the compressing process, all threads (garbage collection and JIT included for ours), steadier than wall ` +
        `time on a shared machine. node:zlib (level 6, native) is there for context; its output differs from Go's.\n\n` +
        `| Corpus | ours (wall) | Go (wall) | ours ÷ Go | ours (CPU) | Go (CPU) | ours ÷ Go (CPU) | node:zlib (wall) | Output / input |\n` +
        `|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\n` +
        (parity.length ? `Byte identity: ${parity.join('; ')}.\n` : 'Go not installed: no Go column and no byte check in this run.\n'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
