/**
 * The Go oracle for the flate tests: a tiny program built from the embedded source with the local Go toolchain into
 * a temp dir, writing its stdin through Go's compress/gzip (gzip.NewWriter, level 6) or compress/flate level 6,
 * optionally split into given Write sizes. Only used when `go` is on PATH; tests skip with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORACLE_SOURCE = `package main

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"io"
	"os"
	"strconv"
	"strings"
)

func main() {
	raw := false
	var chunks []int
	for _, a := range os.Args[1:] {
		if a == "-raw" {
			raw = true
		} else if strings.HasPrefix(a, "-chunks=") {
			for _, s := range strings.Split(strings.TrimPrefix(a, "-chunks="), ",") {
				n, err := strconv.Atoi(s)
				if err != nil || n <= 0 {
					panic("bad chunk size " + s)
				}
				chunks = append(chunks, n)
			}
		}
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		panic(err)
	}
	if chunks == nil {
		chunks = []int{len(data) + 1}
	}
	out := bufio.NewWriter(os.Stdout)
	var w io.WriteCloser
	if raw {
		w, _ = flate.NewWriter(out, 6)
	} else {
		w = gzip.NewWriter(out)
	}
	for i := 0; len(data) > 0; i++ {
		n := min(chunks[i%len(chunks)], len(data))
		if _, err := w.Write(data[:n]); err != nil {
			panic(err)
		}
		data = data[n:]
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	if err := out.Flush(); err != nil {
		panic(err)
	}
}
`;

export interface GoOracle {
  /** gzip.NewWriter output; `chunks` are the Write sizes (cycled), default one Write of everything. */
  gzip(input: Uint8Array, chunks?: number[]): Buffer;
  /** flate.NewWriter(w, 6) output. */
  deflateRaw(input: Uint8Array, chunks?: number[]): Buffer;
  version: string;
  /** The oracle binary: reads stdin, writes gzip to stdout (args -raw, -chunks=a,b,c). */
  binary: string;
  dispose(): void;
}

let cached: GoOracle | null | undefined;

/** Builds the oracle once per test file; undefined when Go is not installed. */
export function goOracle(): GoOracle | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOPROXY: 'off', GOFLAGS: '', CGO_ENABLED: '0' };
  const v = spawnSync('go', ['version'], { encoding: 'utf8', env });
  if (v.error || v.status !== 0) {
    cached = null;
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'd2-goflate-oracle-'));
  writeFileSync(join(dir, 'main.go'), ORACLE_SOURCE);
  const b = spawnSync('go', ['build', '-o', join(dir, 'oracle'), 'main.go'], { cwd: dir, encoding: 'utf8', env });
  if (b.status !== 0) throw new Error(`building the Go oracle failed: ${b.stderr}`);
  const run = (args: string[], input: Uint8Array): Buffer => {
    const r = spawnSync(join(dir, 'oracle'), args, { input, maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`Go oracle failed: ${r.stderr.toString()}`);
    return r.stdout;
  };
  const chunkArgs = (chunks?: number[]) => (chunks ? [`-chunks=${chunks.join(',')}`] : []);
  cached = {
    version: v.stdout.trim(),
    binary: join(dir, 'oracle'),
    gzip: (input, chunks) => run(chunkArgs(chunks), input),
    deflateRaw: (input, chunks) => run(['-raw', ...chunkArgs(chunks)], input),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
  return cached;
}
