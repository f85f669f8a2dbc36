/**
 * The files of an artifact, with their digests: the one walk and ignore decisions of the build (`planEntries` in
 * flux/build.ts), so the SBOM lists exactly the files `d2 push` archives. YAML files are kept for the manifest scan.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { clip } from '../errors.js';
import { emptyArtifactError, planEntries, sourceReadError, type TarOptions } from '../flux/index.js';

/** Runs a read of the source, turning a file-system error into the build's error for that path. */
async function fsCallAsync<T>(path: Buffer | string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw sourceReadError(err, path, 'file');
  }
}

/** A regular file of the artifact. */
export interface ArtifactFile {
  /** Path inside the artifact (slash-separated, relative to the source directory, as in the tar). */
  path: string;
  size: number;
  sha256: string;
  /** SPDX 2.3 makes a SHA-1 of every file mandatory; CycloneDX lists only the SHA-256. */
  sha1: string;
}

/** A YAML file of the artifact, read for the manifest scan. */
export interface ManifestFile {
  path: string;
  text: string;
}

export interface Inventory {
  files: ArtifactFile[];
  manifests: ManifestFile[];
  /** YAML files too large to be scanned for what they deploy (listed with their digest all the same). */
  tooLarge: string[];
}

/** YAML files larger than this are hashed but not parsed (a manifest is small; this bounds memory). */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;

const YAML_FILE = /\.ya?ml$/i;

/**
 * Walks `dir` as the build does and hashes every archived file. An artifact without a single file is refused with the
 * build's own reason (`emptyArtifactError`): an SBOM of an artifact that cannot be pushed would describe nothing.
 */
export async function inventory(dir: string, opts: TarOptions = {}): Promise<Inventory> {
  const plan = await planEntries(dir, opts);
  const files: ArtifactFile[] = [];
  const manifests: ManifestFile[] = [];
  const tooLarge: string[] = [];
  for await (const e of plan.entries) {
    if (e.type !== 'file' || e.source === undefined) continue;
    plan.inventory.files++;
    const path = typeof e.name === 'string' ? e.name : Buffer.from(e.name).toString('utf8');
    const source = e.source;
    const yaml = YAML_FILE.test(path);
    if (e.size <= MAX_MANIFEST_BYTES) {
      const data = await fsCallAsync(source, () => readFile(source));
      files.push({ path, size: data.length, sha256: digest('sha256', data), sha1: digest('sha1', data) });
      if (yaml) manifests.push({ path, text: data.toString('utf8') });
    } else {
      files.push({ path, size: e.size, ...(await streamDigests(source)) });
      if (yaml) tooLarge.push(path);
    }
  }
  const empty = emptyArtifactError(plan.inventory, `path '${clip(dir)}'`, dir);
  if (empty) throw empty;
  return { files, manifests, tooLarge };
}

function digest(alg: 'sha256' | 'sha1', data: Buffer): string {
  return createHash(alg).update(data).digest('hex');
}

async function streamDigests(source: Buffer | string): Promise<{ sha256: string; sha1: string }> {
  const s256 = createHash('sha256');
  const s1 = createHash('sha1');
  await fsCallAsync(source, async () => {
    for await (const chunk of createReadStream(source)) {
      s256.update(chunk as Buffer);
      s1.update(chunk as Buffer);
    }
  });
  return { sha256: s256.digest('hex'), sha1: s1.digest('hex') };
}
