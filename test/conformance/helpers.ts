/**
 * Shared helpers of the conformance suite (docs/conformance.md): gating on D2_CONFORMANCE and on the
 * reference tools, gating on our own modules that other engineers are still writing, fixtures ("fx" of docs/artifacts.md
 * "Golden vectors" and seeded random trees) and a small tar lister for readable failure messages.
 *
 * Gating rules:
 *  - D2_CONFORMANCE !== '1' → the suite is skipped, with the reason in the describe name.
 *  - D2_CONFORMANCE === '1' and a required reference tool is missing → one failing test that says which and how to build it.
 *  - A test that needs a D2 module whose source file does not exist → a failing test naming the module (for the
 *    integrator). When the file exists, the test runs and a failed import fails the test.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
import { missingReferenceTools, referenceTools, type ReferenceToolName, type ReferenceTools } from '@d2/sandbox/reference-tools';

export const CONFORMANCE = process.env.D2_CONFORMANCE === '1';
export const TOOLS: ReferenceTools = referenceTools();

/**
 * describe() for a conformance block that needs `needs` reference tools. The body receives the tool paths (all
 * defined). Skipped unless D2_CONFORMANCE=1; fails when enabled but a tool is missing.
 */
export function describeConformance(name: string, needs: ReferenceToolName[], body: (tools: Required<Pick<ReferenceTools, 'flux' | 'cosign' | 'oras'>> & ReferenceTools) => void): void {
  if (!CONFORMANCE) {
    describe.skip(`${name} [skipped: D2_CONFORMANCE is not 1 — run \`pnpm test\` with Go installed, or D2_CONFORMANCE=1 after scripts/reference-tools.sh]`, () => {
      it('needs the reference tools', () => undefined);
    });
    return;
  }
  const missing = missingReferenceTools(TOOLS, needs);
  if (missing) {
    describe(name, () => {
      it('has the reference tools it needs', () => {
        throw new Error(missing);
      });
    });
    return;
  }
  describe(name, () => body(TOOLS as Required<Pick<ReferenceTools, 'flux' | 'cosign' | 'oras'>> & ReferenceTools));
}

/**
 * A D2 module other engineers are writing, probed once at collection time (top-level await in the test file):
 *  - its source file (`file`, relative to the repo root) does not exist → not available (its tests fail, see itWith);
 *  - the file exists but some `exports` are not exported yet → not available, the reason names them;
 *  - the file exists but importing it throws → available, and `load()` rethrows so the tests FAIL (a real error).
 * The expected API is the local interface T, checked at run time, so the suite compiles before the module lands.
 */
export class PendingModule<T> {
  private constructor(
    readonly specifier: string,
    readonly available: boolean,
    readonly reason: string,
    private readonly mod: T | undefined,
    private readonly error: unknown,
  ) {}

  static async probe<T>(specifier: string, file: string, exports: string[]): Promise<PendingModule<T>> {
    if (!existsSync(join(repoRoot(), file))) return new PendingModule<T>(specifier, false, `${specifier} (${file}) does not exist yet`, undefined, undefined);
    try {
      // A computed specifier keeps TypeScript from resolving modules that may not exist yet.
      const spec: string = specifier;
      const mod = (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
      const missing = exports.filter((e) => mod[e] === undefined);
      if (missing.length) return new PendingModule<T>(specifier, false, `${specifier} does not export ${missing.join(', ')} yet`, undefined, undefined);
      return new PendingModule<T>(specifier, true, '', mod as T, undefined);
    } catch (err) {
      return new PendingModule<T>(specifier, true, '', undefined, err);
    }
  }

  /** The module; throws (failing the test) when it exists but could not be imported. */
  get(): T {
    if (this.error !== undefined) throw new Error(`${this.specifier} exists but cannot be imported: ${String(this.error)}`);
    if (!this.mod) throw new Error(`${this.specifier}: ${this.reason}`);
    return this.mod;
  }
}

/**
 * it() over D2 modules probed with PendingModule. Every module the suite needs exists now, so a missing one (renamed,
 * moved, an export dropped) FAILS the test with the reason instead of quietly turning it into a todo.
 */
export function itWith(modules: PendingModule<unknown>[], name: string, fn: () => Promise<void>, timeout?: number): void {
  const missing = modules.filter((m) => !m.available);
  if (missing.length) {
    it(name, () => {
      throw new Error(`a D2 module the conformance suite needs is missing: ${missing.map((m) => m.reason).join('; ')}`);
    });
  } else it(name, fn, timeout);
}

// ---------------------------------------------------------------------------------------------------------------
// Digests and tar

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function gunzip(b: Buffer): Buffer {
  return gunzipSync(b);
}

export interface TarEntry {
  name: string;
  type: string;
  mode: string;
  size: number;
  /** Offset of the header block. */
  offset: number;
}

function cstr(b: Buffer, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

/** Lists a USTAR/PAX tar (enough to explain a difference; not an extractor). PAX `path` records win over the header name. */
export function listTar(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let paxPath: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] || 0x30);
    const prefix = cstr(h, 345, 155);
    let name = cstr(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    if (type === 'x') {
      const body = tar.subarray(off + 512, off + 512 + size).toString('utf8');
      const m = /\d+ path=([^\n]*)\n/.exec(body);
      paxPath = m?.[1];
    } else {
      out.push({ name: paxPath ?? name, type, mode: cstr(h, 100, 8), size, offset: off });
      paxPath = undefined;
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

/** A readable explanation of how two tars differ (first differing entry or byte). '' when identical. */
export function explainTarDiff(ours: Buffer, ref: Buffer): string {
  if (ours.equals(ref)) return '';
  const a = listTar(ours);
  const b = listTar(ref);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (!x || !y || x.name !== y.name || x.type !== y.type || x.mode !== y.mode || x.size !== y.size) {
      return `entry #${i}: ours ${JSON.stringify(x)} vs flux ${JSON.stringify(y)}\nours:  ${a.map((e) => e.name).join(', ')}\nflux:  ${b.map((e) => e.name).join(', ')}`;
    }
  }
  let i = 0;
  while (i < ours.length && i < ref.length && ours[i] === ref[i]) i++;
  return `same entries, first differing byte at offset ${i} (block ${Math.floor(i / 512)}, byte ${i % 512}); sizes ${ours.length} vs ${ref.length}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures

/** A temp dir for one test (left for inspection; the OS cleans tmp). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `d2-conf-${prefix}-`));
}

function put(root: string, rel: string, content: string | Buffer, mode = 0o644): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  chmodSync(p, mode);
}

/** Sets 0755 on every directory from `root` down to the given ones (umask-independent modes). */
function chmodDirs(root: string, rels: string[]): void {
  chmodSync(root, 0o755);
  for (const rel of rels) {
    let d = rel;
    while (d && d !== '.') {
      chmodSync(join(root, d), 0o755);
      d = dirname(d);
    }
  }
}

/** Fixture "fx" (docs/artifacts.md "Golden vectors"; directories 0755, files 0644 unless noted). Returns its path. */
export function makeFx(parent?: string): string {
  const root = join(parent ?? tempDir('fx'), 'fx');
  mkdirSync(root, { recursive: true });
  put(root, 'app/deploy.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n');
  put(root, 'app/empty.txt', '');
  put(root, 'README.md', 'demo\n');
  put(root, 'Zeta.yaml', 'kind: Zeta\n');
  put(root, '.git/HEAD', 'ref: refs/heads/main\n');
  put(root, 'logo.png', 'PNG');
  put(root, 'scripts/run.sh', '#!/bin/sh\necho hi\n', 0o755);
  let big = '';
  for (let i = 0; i < 10000; i++) big += `line ${String(i).padStart(6, '0')}\n`;
  put(root, 'big/data.txt', big);
  put(root, `long/${'a'.repeat(60)}/${'b'.repeat(50)}.yaml`, 'kind: Long\n');
  chmodDirs(root, ['app', '.git', 'scripts', 'big', `long/${'a'.repeat(60)}`]);
  return root;
}

/** The golden values of fixture "fx" (docs/artifacts.md "Golden vectors"). */
export const FX_VECTORS = {
  metadata: { source: 'https://github.com/example/repo', revision: 'main@sha1:0123456789abcdef0123456789abcdef01234567' },
  defaults: {
    layer: { size: 23879, digest: 'sha256:9d76ecd80b3fcc61f0b959c446af6218e211b606e48fb0bb2de6b9827c806105' },
    tar: { size: 130560, digest: 'sha256:ebba607881333b42a079cfea5b15319cab7452810b13251da96edca41ae0bb7b' },
    manifest29: { size: 636, digest: 'sha256:a1f652e6f717e7585fa4b1b9c86883974901e29692aafbcc91b74e263c6c12ca' },
  },
  extraIgnores: {
    ignorePaths: ['.git/', '.gitignore', '.gitmodules', '.gitattributes', '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip', 'big/', '/long', '*.sh'],
    layer: { size: 290, digest: 'sha256:5dbb4d100abd6dff3a96fb210378edebdd3a6364756a0228cf9e1a3c4f7b63bc' },
    tar: { size: 6144, digest: 'sha256:bdc3eb558b9a169ea4e1b5807447bdc9d20501277dfb9a57af6ee52c1bcab2cb' },
    manifest29: { size: 634, digest: 'sha256:e57f0402c7639bfce7ba0adfae65475d1a1d83deec29f4d5508b6e31ad1d7c1b' },
  },
  noIgnores: {
    layer: { size: 23990, digest: 'sha256:408608bbaae4427cf8f0e2df347a754073eaa878ea8cfcea59e355049740c6eb' },
    tar: { size: 133120, digest: 'sha256:0037c67a300e9ef1b82bfe6cb9b81685b7d5df78cf174e955e4f4acc022ecede' },
  },
  singleFile: {
    layer: { size: 172, digest: 'sha256:c760c60c7a215aa984273dd5990b278aec6c1d156d337abf9638684a81026189' },
    tar: { size: 2560, digest: 'sha256:b532e2cb4c22efc4bb5cd0a9c38d2b5fb09e5af5ee93401cde5ee15a27f4e26d' },
    manifest29: { size: 634, digest: 'sha256:5fef126a8be2776e7df324945e3e8f2721c1c067cdff3ebf4a061a3739149d8a' },
  },
  empty: {
    layer: { size: 32, digest: 'sha256:4f4fb700ef54461cfa02571ae0db9a0dc1e0cdb5577484a6d75e68dc38e8acc1' },
    tar: { size: 1024, digest: 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef' },
  },
  expectedEntries: ['.', 'README.md', 'Zeta.yaml', 'app', 'app/deploy.yaml', 'app/empty.txt', 'big', 'big/data.txt', 'long', `long/${'a'.repeat(60)}`, `long/${'a'.repeat(60)}/${'b'.repeat(50)}.yaml`, 'scripts', 'scripts/run.sh'],
} as const;

/** Flux's default `--ignore-paths`. */
export const FLUX_DEFAULT_IGNORES = ['.git/', '.gitignore', '.gitmodules', '.gitattributes', '*.jpg', '*.jpeg', '*.gif', '*.png', '*.wmv', '*.flv', '*.tar.gz', '*.zip'];

/** mulberry32: a tiny seeded PRNG so a failing random tree can be rebuilt from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomTree {
  root: string;
  seed: number;
  /** `--ignore-paths` to use with it (undefined = Flux's defaults). */
  ignorePaths?: string[];
  /** What the generator put in, for messages. */
  summary: string;
}

const NAME_PARTS = ['app', 'App', 'a-b', 'a', 'a.b', 'Z', '_x', 'über', 'café', '日本語', 'ñ', 'emoji-🚀', 'sp ace', 'dots..', 'UPPER', 'x-1', 'x_1', 'x.1', '1', '10', '9', 'kustomization', 'deploy', '.hidden', 'ß', 'é'];
const EXTS = ['.yaml', '.yml', '.json', '.txt', '.png', '.sh', '', '.md', '.tar.gz', '.jpg'];

/**
 * A random tree: names mixing case, punctuation and non-ASCII (PAX headers), paths longer than 100 bytes (USTAR
 * prefix split, and unsplittable ones that need PAX), empty directories, file modes 0600/0640/0644/0700/0755/0775,
 * directory modes 0700/0750/0755, setgid directories, symlinks to files and directories (skipped by Flux), and
 * optionally a custom ignore list with anchored, slash-less, directory-only and negated patterns.
 */
export function makeRandomTree(seed: number, parent?: string): RandomTree {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const root = join(parent ?? tempDir(`tree${seed}`), 'tree');
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  const dirs: string[] = [''];
  const files: string[] = [];
  const notes: string[] = [];
  const fileModes = [0o600, 0o640, 0o644, 0o644, 0o644, 0o700, 0o755, 0o775];
  const dirModes = [0o700, 0o750, 0o755, 0o755, 0o755, 0o2755];
  const nDirs = 3 + Math.floor(rnd() * 8);
  for (let i = 0; i < nDirs; i++) {
    const parentDir = pick(dirs);
    const name = pick(NAME_PARTS) + (rnd() < 0.3 ? `-${i}` : '');
    const rel = parentDir ? `${parentDir}/${name}` : name;
    if (dirs.includes(rel) || files.includes(rel)) continue;
    mkdirSync(join(root, rel), { recursive: true });
    dirs.push(rel);
  }
  // Long paths: one splittable at a '/', one with a > 100-byte last component (PAX), one > 255 bytes.
  if (rnd() < 0.7) {
    const rel = `deep/${'d'.repeat(70)}/${'e'.repeat(40)}`;
    mkdirSync(join(root, rel), { recursive: true });
    dirs.push('deep', `deep/${'d'.repeat(70)}`, rel);
    notes.push('long splittable path');
  }
  if (rnd() < 0.5) {
    const rel = `longname-${'n'.repeat(110)}.yaml`;
    files.push(rel);
    writeFileSync(join(root, rel), 'kind: VeryLongName\n');
    notes.push('>100-byte file name');
  }
  if (rnd() < 0.4) {
    const rel = `${'p'.repeat(90)}/${'q'.repeat(90)}/${'r'.repeat(90)}`;
    mkdirSync(join(root, rel), { recursive: true });
    dirs.push('p'.repeat(90), `${'p'.repeat(90)}/${'q'.repeat(90)}`, rel);
    files.push(`${rel}/f.yaml`);
    writeFileSync(join(root, rel, 'f.yaml'), 'kind: Deep\n');
    notes.push('>255-byte path');
  }
  const nFiles = 4 + Math.floor(rnd() * 20);
  for (let i = 0; i < nFiles; i++) {
    const d = pick(dirs);
    const name = pick(NAME_PARTS) + (rnd() < 0.5 ? `-${i}` : '') + pick(EXTS);
    const rel = d ? `${d}/${name}` : name;
    if (dirs.includes(rel) || files.includes(rel)) continue;
    const size = rnd() < 0.1 ? 70_000 + Math.floor(rnd() * 40_000) : Math.floor(rnd() * 2000);
    let content = '';
    while (content.length < size) content += `key-${Math.floor(rnd() * 1000)}: value ${rnd().toString(36)}\n`;
    writeFileSync(join(root, rel), content.slice(0, size));
    files.push(rel);
  }
  // Empty directory.
  if (rnd() < 0.8) {
    const rel = `${pick(dirs) || 'empty'}/empty-dir`;
    if (!dirs.includes(rel)) {
      mkdirSync(join(root, rel), { recursive: true });
      dirs.push(rel);
      notes.push('empty dir');
    }
  }
  // Symlinks: to a file and to a directory (both skipped by Flux).
  if (files.length && rnd() < 0.7) {
    symlinkSync(pick(files).split('/').pop() ?? 'x', join(root, dirs[0], 'link-to-file.yaml'));
    notes.push('symlink to file');
  }
  if (dirs.length > 1 && rnd() < 0.5) {
    symlinkSync(join(root, pick(dirs.slice(1))), join(root, 'link-to-dir'));
    notes.push('symlink to dir');
  }
  for (const f of files) chmodSync(join(root, f), pick(fileModes));
  // Directory modes last (a 0700 dir is still writable by us; modes deeper first so parents stay traversable).
  for (const d of [...dirs].reverse()) if (d) chmodSync(join(root, d), pick(dirModes));

  let ignorePaths: string[] | undefined;
  if (rnd() < 0.6) {
    const candidates = ['*.png', '*.txt', '/deep', 'app/', '!app/keep.yaml', '*.json', 'über', '**/x-1*', '/a/*.yaml', '!*.md', 'UPPER/', 'empty-dir', '#comment', '.hidden'];
    ignorePaths = [];
    const n = 1 + Math.floor(rnd() * 5);
    for (let i = 0; i < n; i++) ignorePaths.push(pick(candidates));
    // A negation that re-includes a file inside an excluded directory (excluded dirs are not pruned).
    if (rnd() < 0.5 && dirs.includes('app')) {
      put(root, 'app/keep.yaml', 'kind: Keep\n');
      ignorePaths.push('app/', '!app/keep.yaml');
    }
    notes.push(`ignore ${JSON.stringify(ignorePaths)}`);
  }
  return { root, seed, ignorePaths, summary: `seed ${seed}: ${dirs.length} dirs, ${files.length} files; ${notes.join('; ')}` };
}
