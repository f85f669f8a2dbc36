/**
 * flate bench (issue 9): Go-compatible gzip (packages/core/src/flate) vs node:zlib gzip level 6, and Go's own
 * compress/gzip when Go is installed, on a 50 MB tar-like input (512-byte headers, YAML text, some binary).
 * Throughput is measured in-process (streaming 32 KiB chunks through each Transform); peak RSS is measured per tool
 * in a separate process (GNU time) streaming the same input from a file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createGoGzip } from '../packages/core/src/flate/index.js';
import { goOracle } from '../packages/core/test/flate/go-oracle.js';
import { fmtMs, median, ratio, timeAsync, timeCommand, writeSection, type Stats } from './harness.js';
import { prng } from '../packages/sandbox/src/random.js';

const SIZE = 50 * 1000 * 1000;


/** Deterministic tar-like stream: 512-byte headers, YAML manifests (most), compressible binary and random blobs. */
function tarLike(size: number): Buffer {
  const r = prng(42);
  const parts: Buffer[] = [];
  let total = 0;
  const words = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: podinfo-', '  namespace: apps-', 'spec:', '  replicas: ', '      containers:', '        - name: app', '          image: ghcr.io/stefanprodan/podinfo:6.', '          ports:', '            - containerPort: 9898', '          resources:', '            limits:', '              memory: ', '                cpu: '];
  for (let file = 0; total < size; file++) {
    const header = Buffer.alloc(512);
    header.write(`apps/app-${file}/manifest-${file}.yaml`, 0);
    header.write('0000644\x000000000\x000000000\x00', 100);
    header.write('ustar\x0000', 257);
    let body: Buffer;
    const kind = r() % 10;
    if (kind < 7) {
      let s = '';
      const n = 2000 + (r() % 60000);
      while (s.length < n) s += `${words[r() % words.length]}${r() % 500}\n`;
      body = Buffer.from(s);
    } else if (kind < 9) {
      body = Buffer.alloc(20000 + (r() % 100000));
      for (let i = 0; i < body.length; i++) body[i] = i % 64 < 48 ? (i * 7) & 0xff : r() & 0x0f;
    } else {
      body = Buffer.alloc(50000 + (r() % 150000));
      for (let i = 0; i < body.length; i++) body[i] = r() & 0xff;
    }
    const pad = Buffer.alloc((512 - (body.length % 512)) % 512);
    parts.push(header, body, pad);
    total += 512 + body.length + pad.length;
  }
  return Buffer.concat(parts).subarray(0, size);
}

function chunks(b: Buffer, size = 32768): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < b.length; off += size) out.push(b.subarray(off, off + size));
  return out;
}

/** Streams `input` through `t`, returning the output size and sha256. */
async function compress(input: Buffer[] | NodeJS.ReadableStream, t: Transform): Promise<{ size: number; digest: string }> {
  const hash = createHash('sha256');
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb();
    },
  });
  const source = Array.isArray(input) ? Readable.from(input, { objectMode: false }) : input;
  await pipeline(source, t, sink);
  return { size, digest: `sha256:${hash.digest('hex')}` };
}

async function child(mode: string, file: string): Promise<void> {
  const t = mode === 'ours' ? createGoGzip() : createGzip({ level: 6 });
  const r = await compress(createReadStream(file, { highWaterMark: 32768 }), t);
  process.stdout.write(JSON.stringify(r));
}

function mbps(s: Stats): string {
  return `${(SIZE / 1e6 / (s.medianMs / 1000)).toFixed(1)} MB/s`;
}

async function main(): Promise<void> {
  const self = fileURLToPath(import.meta.url);
  const input = tarLike(SIZE);
  const dir = mkdtempSync(join(tmpdir(), 'd2-flate-bench-'));
  const file = join(dir, 'input.tar');
  writeFileSync(file, input);
  try {
    const parts = chunks(input);
    let oursOut = { size: 0, digest: '' };
    let zlibOut = { size: 0, digest: '' };
    // CPU time (user + system of this process, which includes zlib's worker threads) next to wall time: on a shared
    // machine wall time mostly measures how much of a core we were given.
    const cpu = { ours: [] as number[], zlib: [] as number[] };
    const withCpu = (into: number[], fn: () => Promise<void>) => async (i: number) => {
      const c0 = process.cpuUsage();
      await fn();
      const c = process.cpuUsage(c0);
      if (i >= 0) into.push((c.user + c.system) / 1000);
    };
    const ours = await timeAsync(withCpu(cpu.ours, async () => {
      oursOut = await compress(parts, createGoGzip());
    }), 3, 1);
    const zlib = await timeAsync(withCpu(cpu.zlib, async () => {
      zlibOut = await compress(parts, createGzip({ level: 6 }));
    }), 3, 1);
    const cpuOurs = median(cpu.ours);
    const cpuZlib = median(cpu.zlib);
    const node = JSON.stringify(process.execPath);
    const oursProc = timeCommand(`${node} ${JSON.stringify(self)} --child ours ${JSON.stringify(file)} >/dev/null`, 1, 0);
    const zlibProc = timeCommand(`${node} ${JSON.stringify(self)} --child zlib ${JSON.stringify(file)} >/dev/null`, 1, 0);

    const rows = [
      `| ours (createGoGzip) | ${fmtMs(ours)} | ${mbps(ours)} | ${ratio(ours, zlib)} | ${cpuOurs.toFixed(0)} ms | ${(cpuOurs / cpuZlib).toFixed(2)}× | ${oursProc.peakRssMiB?.toFixed(0) ?? '?'} MiB | ${oursOut.size} |`,
      `| node:zlib createGzip level 6 | ${fmtMs(zlib)} | ${mbps(zlib)} | 1.00× | ${cpuZlib.toFixed(0)} ms | 1.00× | ${zlibProc.peakRssMiB?.toFixed(0) ?? '?'} MiB | ${zlibOut.size} |`,
    ];
    let parity = 'Go not installed: byte parity with Go not checked in this run.';
    const go = goOracle();
    if (go) {
      const goOut = join(dir, 'go.gz');
      const goStats = timeCommand(`${JSON.stringify(go.binary)} < ${JSON.stringify(file)} > ${JSON.stringify(goOut)}`, 3, 1);
      const goBytes = readFileSync(goOut);
      const goDigest = `sha256:${createHash('sha256').update(goBytes).digest('hex')}`;
      rows.push(`| Go compress/gzip (${go.version.replace('go version ', '')}, separate process) | ${fmtMs(goStats)} | ${mbps(goStats)} | ${ratio(goStats, zlib)} | – | – | ${goStats.peakRssMiB?.toFixed(0) ?? '?'} MiB | ${goBytes.length} |`);
      parity = goDigest === oursOut.digest ? `Our output equals Go's byte for byte (${goDigest.slice(0, 19)}…).` : `**MISMATCH with Go**: ours ${oursOut.digest}, Go ${goDigest}.`;
      go.dispose();
    }
    writeSection(
      'flate',
      `## flate: Go-compatible gzip vs node:zlib (issue 9)\n\n` +
        `Input: ${(SIZE / 1e6).toFixed(0)} MB tar-like stream (512-byte headers, YAML manifests, compressible binary, random blobs), ` +
        `written in 32 KiB chunks. In-process medians; peak RSS from a separate process streaming the same file (GNU time). ` +
        `Ratios = ours ÷ node:zlib (target: ≤ 3×); CPU = median user+system time of the process per run (zlib's ` +
        `thread-pool work included), the steadier measure on a shared machine. Go runs as its own process (includes start-up and file I/O).\n\n` +
        `| Compressor | Wall time | Throughput | Wall vs zlib | CPU | CPU vs zlib | Peak RSS | Output bytes |\n|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\n${parity}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

(process.argv[2] === '--child' ? child(process.argv[3], process.argv[4]) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
