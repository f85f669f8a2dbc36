/**
 * Test inputs for the flate tests: a seeded PRNG and generators with different statistics, plus a minimal USTAR
 * writer that reproduces Go's archive/tar output (as Flux writes it) for the fixture "fx" of docs/artifacts.md (only
 * what that fixture needs: ASCII names, prefix split at the last '/', regular files and directories). The tar
 * digests of the golden vectors are asserted before the tar is used, so the helper cannot silently drift.
 */
import { createHash } from 'node:crypto';
import { prng } from '@d2/sandbox/random';

export { prng };


export function randomBytes(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r() & 0xff;
  return b;
}

/** Bytes from a small alphabet: compressible, many short matches. */
export function smallAlphabet(n: number, seed: number, letters = 7): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 97 + (r() % letters);
  return b;
}

/** YAML-ish text with repeated keys and varying values. */
export function yamlText(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const keys = ['apiVersion: v1', 'kind: ConfigMap', 'metadata:', '  name: app-', '  namespace: team-', 'data:', '  key-', '    image: ghcr.io/org/app:v'];
  let s = '';
  while (s.length < n) s += `${keys[r() % keys.length]}${r() % 1000}\n`;
  return new TextEncoder().encode(s.slice(0, n));
}

/**
 * The three corpora of the throughput goal (docs/benchmarks.md, "flate"), also used by bench/flate.bench.ts:
 * Kubernetes-like YAML text, base64 of random bytes in 76-character lines (like a Secret or an embedded blob), and
 * long zero runs broken by short bursts of noise (like sparse files or tar padding). Each is a deterministic function
 * of (size, seed), and a shorter output is a prefix of a longer one.
 */
export function corpusYaml(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const lines = ['apiVersion: apps/v1', 'kind: Deployment', 'metadata:', '  name: podinfo-', '  namespace: apps-', 'spec:', '  replicas: ', '      containers:', '        - name: app', '          image: ghcr.io/stefanprodan/podinfo:6.', '          ports:', '            - containerPort: 9898', '          resources:', '            limits:', '              memory: ', '                cpu: '];
  const out = new Uint8Array(n);
  const enc = new TextEncoder();
  for (let p = 0; p < n; ) {
    const line = enc.encode(`${lines[r() % lines.length]}${r() % 500}\n`);
    out.set(line.subarray(0, n - p), p);
    p += line.length;
  }
  return out;
}

export function corpusBase64(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const alphabet = new TextEncoder().encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 77 === 76 ? 0x0a : alphabet[r() & 63];
  return out;
}

export function corpusZeroRuns(n: number, seed: number, maxRun = 1 << 20): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(n);
  for (let p = 0; p < n; ) {
    p += 1 + (r() % maxRun);
    const burst = 1 + (r() % 2048);
    for (let k = 0; k < burst && p < n; k++) out[p++] = r() & 0xff;
  }
  return out;
}

/** A mix: text, runs, copies from far back (distances near 32 KiB) and noise. */
export function mixed(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const b = new Uint8Array(n);
  let p = 0;
  while (p < n) {
    const kind = r() % 5;
    const len = Math.min(n - p, 1 + (r() % 400));
    if (kind === 0) for (let k = 0; k < len; k++) b[p + k] = r() & 0xff;
    else if (kind === 1) b.fill(r() & 0xff, p, p + len);
    else if (kind === 2 && p > 33000) {
      const d = 30000 + (r() % 2769);
      for (let k = 0; k < len; k++) b[p + k] = b[p + k - d];
    } else for (let k = 0; k < len; k++) b[p + k] = 97 + (r() % 20);
    p += len;
  }
  return b;
}

/** Symbols with Fibonacci-distributed frequencies in random order: forces length-limited Huffman codes. */
export function fibonacciSymbols(seed: number, symbols = 24): Uint8Array {
  const r = prng(seed);
  const counts: number[] = [1, 1];
  while (counts.length < symbols) counts.push(counts[counts.length - 1] + counts[counts.length - 2]);
  const out: number[] = [];
  counts.forEach((c, s) => {
    for (let k = 0; k < c; k++) out.push(s * 7 + 3);
  });
  for (let i = out.length - 1; i > 0; i--) {
    const j = r() % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return Uint8Array.from(out);
}

export function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface TarEntry {
  name: string;
  mode: number;
  /** undefined for a directory. */
  data?: Uint8Array;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

/** One USTAR header block as Go's archive/tar writes it after Flux's sanitising. */
export function ustarHeader(e: TarEntry): Uint8Array {
  const h = new Uint8Array(512);
  const put = (off: number, s: string) => h.set(new TextEncoder().encode(s), off);
  let name = e.name;
  let prefix = '';
  if (name.length > 100) {
    const i = name.lastIndexOf('/');
    prefix = name.slice(0, i);
    name = name.slice(i + 1);
  }
  put(0, name);
  put(100, octal(e.mode, 8));
  put(108, octal(0, 8));
  put(116, octal(0, 8));
  put(124, octal(e.data?.length ?? 0, 12));
  put(136, octal(0, 12));
  put(148, '        ');
  put(156, e.data ? '0' : '5');
  put(257, 'ustar\0');
  put(263, '00');
  put(329, octal(0, 8));
  put(337, octal(0, 8));
  put(345, prefix);
  let sum = 0;
  for (const x of h) sum += x;
  put(148, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/**
 * The tar as the list of Write calls Go's archive/tar makes on the gzip writer: a 512-byte header each, file data
 * in 32 KiB reads (io.Copy), the padding of a file as its own write before the next header, two 512-byte trailer
 * blocks.
 */
export function goTarWrites(entries: TarEntry[]): Uint8Array[] {
  const writes: Uint8Array[] = [];
  let pad = 0;
  for (const e of entries) {
    if (pad) writes.push(new Uint8Array(pad));
    writes.push(ustarHeader(e));
    const data = e.data ?? new Uint8Array(0);
    for (let off = 0; off < data.length; off += 32768) writes.push(data.subarray(off, Math.min(data.length, off + 32768)));
    pad = (512 - (data.length % 512)) % 512;
  }
  if (pad) writes.push(new Uint8Array(pad));
  writes.push(new Uint8Array(512), new Uint8Array(512));
  return writes;
}

/** Fixture "fx" (docs/artifacts.md "Golden vectors") as tar entries (umask 022: directories 0755, files 0644). */
export function fxEntries(variant: 'defaults' | 'extra-ignores' | 'no-ignores'): TarEntry[] {
  const t = (s: string) => new TextEncoder().encode(s);
  let big = '';
  for (let i = 0; i < 10000; i++) big += `line ${String(i).padStart(6, '0')}\n`;
  const a60 = 'a'.repeat(60);
  const all: (TarEntry & { ignored?: 'default' | 'extra' })[] = [
    { name: '.', mode: 0o755 },
    { name: '.git', mode: 0o755, ignored: 'default' },
    { name: '.git/HEAD', mode: 0o644, data: t('ref: refs/heads/main\n'), ignored: 'default' },
    { name: 'README.md', mode: 0o644, data: t('demo\n') },
    { name: 'Zeta.yaml', mode: 0o644, data: t('kind: Zeta\n') },
    { name: 'app', mode: 0o755 },
    { name: 'app/deploy.yaml', mode: 0o644, data: t('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n') },
    { name: 'app/empty.txt', mode: 0o644, data: new Uint8Array(0) },
    { name: 'big', mode: 0o755, ignored: 'extra' },
    { name: 'big/data.txt', mode: 0o644, data: t(big), ignored: 'extra' },
    { name: 'logo.png', mode: 0o644, data: t('PNG'), ignored: 'default' },
    { name: 'long', mode: 0o755, ignored: 'extra' },
    { name: `long/${a60}`, mode: 0o755, ignored: 'extra' },
    { name: `long/${a60}/${'b'.repeat(50)}.yaml`, mode: 0o644, data: t('kind: Long\n'), ignored: 'extra' },
    { name: 'scripts', mode: 0o755 },
    { name: 'scripts/run.sh', mode: 0o755, data: t('#!/bin/sh\necho hi\n'), ignored: 'extra' },
  ];
  return all
    .filter((e) => variant === 'no-ignores' || (e.ignored !== 'default' && (variant === 'defaults' || e.ignored !== 'extra')))
    .map(({ name, mode, data }) => ({ name, mode, data }));
}

export function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}
