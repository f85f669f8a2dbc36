/**
 * Reading an OCI image layout (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`; image-spec image-layout.md), e.g. one
 * written by `skopeo copy … oci:<dir>:<tag>`, into what RegistryClient.pushImage takes. Blobs stay on disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { PushImageOptions } from './client.js';
import type { Descriptor } from './types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

export interface LayoutImage extends Omit<PushImageOptions, 'tags'> {
  /** The manifest's descriptor in index.json. */
  descriptor: Descriptor;
}

function blobPath(dir: string, digest: string): string {
  const i = digest.indexOf(':');
  return join(dir, 'blobs', digest.slice(0, i), digest.slice(i + 1));
}

/** Reads the manifest named `ref` (the ref.name annotation; default: the only manifest) and lists its blobs. */
export async function readOciLayout(dir: string, ref?: string): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  const all = index.manifests ?? [];
  const matches = ref === undefined ? all : all.filter((d) => d.annotations?.[REF_NAME] === ref);
  if (matches.length !== 1) {
    throw new InputError(`OCI layout ${dir} has ${matches.length} manifests${ref ? ` named '${ref}'` : ''}`, ref ? `names present: ${all.map((d) => d.annotations?.[REF_NAME] ?? '(none)').join(', ')}` : 'name one with its ref.name');
  }
  const descriptor = matches[0];
  const bytes = await readFile(blobPath(dir, descriptor.digest));
  const manifest = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
  if (manifest.manifests) throw new InputError(`OCI layout ${dir}: '${ref ?? descriptor.digest}' is an index; only single manifests are supported`);
  const blobs = [...(manifest.config ? [manifest.config] : []), ...(manifest.layers ?? [])].map((d) => ({ digest: d.digest, size: d.size, source: { path: blobPath(dir, d.digest) } }));
  return { descriptor, blobs, manifest: { bytes, mediaType: manifest.mediaType ?? descriptor.mediaType } };
}
