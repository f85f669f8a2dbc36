/**
 * The container images and charts the demo's image policies watch (DEMO_IMAGES): one small, valid OCI image per tag
 * (an empty tar layer and a config naming the version, so every tag has its own digest), pushed with the real
 * registry client.
 */
import { OCI_CONFIG_MEDIA_TYPE, OCI_MANIFEST_MEDIA_TYPE, sha256Digest as sha256 } from '@d2/core/base';
import type { RegistryClient } from '@d2/core/oci';
import { DEMO_IMAGES } from '@d2/sandbox/d2-repos';

/** An empty tar archive: two 512-byte zero blocks. */
const EMPTY_TAR = Buffer.alloc(1024);

function image(repository: string, tag: string): { config: Buffer; manifest: Buffer } {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: { 'org.opencontainers.image.title': repository, 'org.opencontainers.image.version': tag } },
      rootfs: { type: 'layers', diff_ids: [sha256(EMPTY_TAR)] },
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: OCI_CONFIG_MEDIA_TYPE, digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(EMPTY_TAR), size: EMPTY_TAR.length }],
    }),
  );
  return { config, manifest };
}

export interface SeededTag {
  repository: string;
  tag: string;
  digest: string;
}

/** Pushes `tags` of the demo image repository `repository` (a DEMO_IMAGES repository) to `registry`. */
export async function seedTags(client: RegistryClient, registry: string, repository: string, tags: readonly string[]): Promise<SeededTag[]> {
  const out: SeededTag[] = [];
  for (const tag of tags) {
    const { config, manifest } = image(repository, tag);
    const { digest } = await client.pushImage(
      { registry, repository },
      {
        blobs: [
          { digest: sha256(config), size: config.length, source: { data: config } },
          { digest: sha256(EMPTY_TAR), size: EMPTY_TAR.length, source: { data: EMPTY_TAR } },
        ],
        manifest: { bytes: manifest, mediaType: OCI_MANIFEST_MEDIA_TYPE },
        tags: [tag],
      },
    );
    out.push({ repository: `${registry}/${repository}`, tag, digest });
  }
  return out;
}

/** Pushes `which` versions ('initial' or 'newer') of every demo image to `registry`. */
export async function seedImages(client: RegistryClient, registry: string, which: 'initial' | 'newer'): Promise<SeededTag[]> {
  const out: SeededTag[] = [];
  for (const img of Object.values(DEMO_IMAGES)) {
    const repo = { registry, repository: img.repository };
    const tags: readonly string[] = which === 'initial' ? [img.initial] : img.newer;
    for (const tag of tags) {
      const { config, manifest } = image(img.repository, tag);
      const { digest } = await client.pushImage(repo, {
        blobs: [
          { digest: sha256(config), size: config.length, source: { data: config } },
          { digest: sha256(EMPTY_TAR), size: EMPTY_TAR.length, source: { data: EMPTY_TAR } },
        ],
        manifest: { bytes: manifest, mediaType: OCI_MANIFEST_MEDIA_TYPE },
        tags: [tag],
      });
      out.push({ repository: `${registry}/${img.repository}`, tag, digest });
    }
  }
  return out;
}
