import { OCI_MANIFEST_MEDIA_TYPE, sha256Digest as sha256 } from '@d2/core/base';
import type { BlobSource, Repository } from '@d2/core/oci';

/** The registry-client calls a tiny push needs (RegistryClient satisfies it). */
export interface TinyPushClient {
  pushBlob(repo: Repository, source: BlobSource, digest: string, size?: number): Promise<unknown>;
  putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string>;
}

/**
 * Pushes a small Flux-typed artifact (`{}` config, one layer holding `content`) by digest, for tests and benchmarks that
 * need something to sign, tag or verify; returns the manifest digest. Different content gives a different digest.
 */
export async function pushTinyArtifact(client: TinyPushClient, repo: Repository, content: string): Promise<string> {
  const config = Buffer.from('{}');
  const layer = Buffer.from(content);
  await client.pushBlob(repo, { data: config }, sha256(config));
  await client.pushBlob(repo, { data: layer }, sha256(layer));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', size: config.length, digest: sha256(config) },
      layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', size: layer.length, digest: sha256(layer) }],
    }),
  );
  return client.putManifest(repo, sha256(manifest), manifest, OCI_MANIFEST_MEDIA_TYPE);
}
