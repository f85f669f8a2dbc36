import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolEnv } from './env.js';
import { assertToolOk, runTool, type ToolResult } from './runner.js';

export interface OrasFile {
  /** Path relative to the run's cwd (ORAS records it as the layer title). */
  path: string;
  mediaType?: string;
}

/** The ORAS CLI against the plain-HTTP sandbox registry (docs/registry-client.md). */
export class OrasCli {
  constructor(
    readonly bin: string,
    readonly env: NodeJS.ProcessEnv = toolEnv(),
  ) {}

  run(args: string[], cwd?: string): Promise<ToolResult> {
    return runTool(this.bin, args, { env: this.env, cwd });
  }

  /** `oras push --plain-http <ref> <files…>`; returns the manifest digest (from `--format json`). */
  async push(ref: string, files: OrasFile[], o: { cwd: string; artifactType?: string; annotations?: Record<string, string>; config?: OrasFile } ): Promise<{ digest: string; json: unknown }> {
    const args = ['push', '--plain-http', '--no-tty', '--format', 'json', ref];
    if (o.artifactType) args.push('--artifact-type', o.artifactType);
    if (o.config) args.push('--config', o.config.mediaType ? `${o.config.path}:${o.config.mediaType}` : o.config.path);
    for (const [k, v] of Object.entries(o.annotations ?? {})) args.push('--annotation', `${k}=${v}`);
    for (const f of files) args.push(f.mediaType ? `${f.path}:${f.mediaType}` : f.path);
    const r = assertToolOk(await this.run(args, o.cwd));
    const json = JSON.parse(r.stdout) as { digest: string };
    return { digest: json.digest, json };
  }

  /** `oras pull --plain-http <ref> -o <dir>` */
  async pull(ref: string, outDir: string): Promise<ToolResult> {
    return assertToolOk(await this.run(['pull', '--plain-http', '--no-tty', '-o', outDir, ref]));
  }

  /** `oras manifest fetch --plain-http <ref> --output -`: the exact manifest bytes as stored. */
  async manifestFetch(ref: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, ['manifest', 'fetch', '--plain-http', '--output', '-', ref], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`oras manifest fetch ${ref} exited ${code}: ${err}`))));
    });
  }

  /** `oras manifest push --plain-http --media-type <mt> <ref> <file>`: PUTs exactly these bytes; returns the digest. */
  async manifestPush(ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'd2-oras-manifest-'));
    const file = join(dir, 'manifest.json');
    writeFileSync(file, bytes);
    const r = assertToolOk(await this.run(['manifest', 'push', '--plain-http', '--descriptor', '--media-type', mediaType, ref, file]));
    return (JSON.parse(r.stdout) as { digest: string }).digest;
  }

  /** `oras blob fetch --plain-http <repo@digest> --output -`: the blob bytes. */
  async blobFetch(refWithDigest: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, ['blob', 'fetch', '--plain-http', '--output', '-', refWithDigest], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`oras blob fetch ${refWithDigest} exited ${code}: ${err}`))));
    });
  }

  /** `oras manifest fetch --descriptor`: {mediaType, digest, size}. */
  async manifestDescriptor(ref: string): Promise<{ mediaType: string; digest: string; size: number }> {
    const r = assertToolOk(await this.run(['manifest', 'fetch', '--plain-http', '--descriptor', ref]));
    return JSON.parse(r.stdout) as { mediaType: string; digest: string; size: number };
  }

  /** `oras repo tags --plain-http <repo>` → tags (sorted as oras prints them). */
  async repoTags(repo: string): Promise<string[]> {
    const r = assertToolOk(await this.run(['repo', 'tags', '--plain-http', repo]));
    return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  /** `oras discover --plain-http --format json <ref>`: the referrers tree (API or fallback tag schema). */
  async discover(ref: string, artifactType?: string): Promise<OrasDiscovery> {
    const args = ['discover', '--plain-http', '--format', 'json', ref];
    if (artifactType) args.push('--artifact-type', artifactType);
    const r = assertToolOk(await this.run(args));
    return JSON.parse(r.stdout) as OrasDiscovery;
  }

  /** `oras attach --plain-http --artifact-type <t> <subject> <files…>` */
  async attach(subject: string, artifactType: string, files: OrasFile[], cwd: string, annotations: Record<string, string> = {}): Promise<{ digest: string }> {
    const args = ['attach', '--plain-http', '--no-tty', '--format', 'json', '--artifact-type', artifactType, subject];
    for (const [k, v] of Object.entries(annotations)) args.push('--annotation', `${k}=${v}`);
    for (const f of files) args.push(f.mediaType ? `${f.path}:${f.mediaType}` : f.path);
    const r = assertToolOk(await this.run(args, cwd));
    return JSON.parse(r.stdout) as { digest: string };
  }
}

/** `oras discover --format json` output (ORAS 1.2+): the subject plus a tree of referrers. */
export interface OrasDiscovery {
  reference?: string;
  mediaType?: string;
  digest: string;
  size?: number;
  referrers?: OrasReferrer[];
  /** ORAS ≤ 1.1 used `manifests`. */
  manifests?: OrasReferrer[];
}

export interface OrasReferrer {
  reference?: string;
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  referrers?: OrasReferrer[];
}
