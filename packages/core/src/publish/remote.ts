import { join } from 'node:path';
import { D2Error } from '../errors.js';
import type { Repository } from '../base/index.js';
import { tarDigestOfLayer } from '../flux/index.js';
import { makeTempDir } from '../util/index.js';
import type { PublishRegistry, RemoteArtifact } from './types.js';

interface ManifestJson {
  mediaType?: string;
  layers?: { mediaType?: string; digest?: string; size?: number }[];
  annotations?: Record<string, string>;
}

/**
 * Reads the artifact at `reference` (tag or digest): manifest bytes, annotations and layer digest, or undefined when
 * the reference does not exist. The tar digest is computed only when `withTar` and the caller needs it
 * (`knownLayer` short-circuits: an identical layer digest means an identical tar, so nothing is downloaded).
 */
export async function inspectRemote(
  registry: PublishRegistry,
  repo: Repository,
  reference: string,
  opts: { withTar?: boolean; knownLayer?: { digest: string; tarDigest: string } } = {},
): Promise<RemoteArtifact | undefined> {
  const head = await registry.headManifest(repo, reference);
  if (!head) return undefined;
  const manifest = await registry.getManifest(repo, head.digest);
  let parsed: ManifestJson;
  try {
    parsed = JSON.parse(manifest.bytes.toString('utf8')) as ManifestJson;
  } catch {
    throw new D2Error(`${repo.registry}/${repo.repository}:${reference} is not a JSON manifest`, { code: 'ARTIFACT_INVALID' });
  }
  const layer = parsed.layers?.[0];
  const remote: RemoteArtifact = {
    reference,
    digest: head.digest,
    manifest,
    layerDigest: layer?.digest,
    annotations: parsed.annotations ?? {},
  };
  if (opts.withTar && layer?.digest) {
    if (opts.knownLayer && opts.knownLayer.digest === layer.digest) {
      remote.tarDigest = opts.knownLayer.tarDigest;
    } else if (!layer.mediaType || /gzip/.test(layer.mediaType)) {
      const dir = await makeTempDir('d2-remote-');
      try {
        const file = join(dir.path, 'layer.tgz');
        await registry.fetchBlobToFile(repo, layer.digest, file);
        remote.tarDigest = (await tarDigestOfLayer(file)).digest;
      } catch (err) {
        // A layer that is not a gzip tar cannot equal ours: treat as changed rather than failing the push.
        if (!(err instanceof D2Error && err.code === 'ARTIFACT_LAYER_INVALID')) throw err;
      } finally {
        await dir.remove();
      }
    }
  }
  return remote;
}
