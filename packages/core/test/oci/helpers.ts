/**
 * Test helpers for the registry client tests: small Flux-like artifacts, OCI layouts for skopeo, an async skopeo
 * runner (the sandbox token server and htpasswd gate run in the test process, so a synchronous spawn would deadlock
 * them) and a capturing logger.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Descriptor, Logger } from '../../src/oci/types.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const FLUX_CONFIG = 'application/vnd.cncf.flux.config.v1+json';
export const FLUX_LAYER = 'application/vnd.cncf.flux.content.v1.tar+gzip';

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `d2-oci-${prefix}-`));
}

export interface Artifact {
  config: Buffer;
  layer: Buffer;
  manifest: Buffer;
  digest: string;
  blobs: { digest: string; size: number; source: { data: Buffer } }[];
}

/** A Flux-style artifact (Flux media types) with a random layer of `size` bytes. */
export function makeArtifact(size = 4096, extra: Record<string, unknown> = {}): Artifact {
  const config = Buffer.from('{}');
  const layer = randomBytes(size);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: FLUX_CONFIG, size: config.length, digest: sha256(config) },
      layers: [{ mediaType: FLUX_LAYER, size: layer.length, digest: sha256(layer) }],
      annotations: { 'org.opencontainers.image.source': 'https://example.invalid/repo', 'org.opencontainers.image.revision': `main@sha1:${randomBytes(20).toString('hex')}` },
      ...extra,
    }),
  );
  return {
    config,
    layer,
    manifest,
    digest: sha256(manifest),
    blobs: [config, layer].map((b) => ({ digest: sha256(b), size: b.length, source: { data: b } })),
  };
}

/** Writes an artifact as an OCI image layout. */
export function writeLayout(a: Artifact, tag = 'v1'): string {
  const dir = tempDir('layout');
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  for (const b of [a.config, a.layer, a.manifest]) writeFileSync(join(dir, 'blobs', 'sha256', sha256(b).slice(7)), b);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const desc: Descriptor = { mediaType: OCI_MANIFEST, size: a.manifest.length, digest: a.digest, annotations: { 'org.opencontainers.image.ref.name': tag } };
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  return dir;
}

const emptyAuthDir = tempDir('skopeo-auth');
const emptyAuthFile = join(emptyAuthDir, 'auth.json');
writeFileSync(emptyAuthFile, '{"auths":{}}');

export interface Run {
  status: number;
  out: string;
  err: string;
}

export function skopeo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile('skopeo', args, { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, REGISTRY_AUTH_FILE: emptyAuthFile, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : -1) : 0, out: stdout, err: stderr });
    });
  });
}

/** Runs skopeo and fails with its stderr when it exits non-zero. */
export async function skopeoOk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await skopeo(args, env);
  if (r.status !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${r.status}): ${r.err}`);
  return r.out;
}

/** A logger that keeps every line. */
export class CaptureLogger implements Logger {
  readonly lines: string[] = [];
  debug(msg: string): void {
    this.lines.push(`debug: ${msg}`);
  }
  info(msg: string): void {
    this.lines.push(`info: ${msg}`);
  }
  warn(msg: string): void {
    this.lines.push(`warn: ${msg}`);
  }
}
