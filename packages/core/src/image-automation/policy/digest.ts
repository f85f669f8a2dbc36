/**
 * Digest reflection for an elected tag (IRC `imagepolicy_controller.go` `fetchDigest`): an ImagePolicy feature that
 * reads the registry through the reflector's image names (docs/image-policies.md).
 */
import { D2Error } from '../../errors.js';
import { parseImageName, scanRepositoryOf, type ImageName, type ManifestHeader } from '../reflector/index.js';
import { PolicyError } from './errors.js';
import type { DigestReflectionPolicy } from './types.js';

/**
 * Digest reflection for an elected tag: `Never` (the default) gives "", `IfNotPresent` and `Always` HEAD
 * `<spec.image>:<tag>` (a stateless run has no previous status to keep). The digest is the index digest for a
 * multi-arch image. Throws PolicyError(DigestFailed).
 */
export async function resolveDigest(
  image: string | ImageName,
  tag: string,
  client: ManifestHeader,
  policy: DigestReflectionPolicy = 'Always',
): Promise<string> {
  if (policy === 'Never') return '';
  const name = typeof image === 'string' ? parseImageName(image) : image;
  const ref = `${name.image}:${tag}`;
  let head: { digest: string } | undefined;
  try {
    // IRC does not pass name.Insecure to this request; our client decides the scheme per registry as GGCR does.
    head = await client.headManifest(scanRepositoryOf(name), tag);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new PolicyError('DigestFailed', `failed fetching digest of ${ref}: ${message}`, {
      hint: err instanceof D2Error ? err.hint : undefined,
      cause: err,
    });
  }
  if (!head) {
    throw new PolicyError('DigestFailed', `failed fetching digest of ${ref}: manifest unknown`, {
      hint: 'the elected tag disappeared from the registry between listing and HEAD; run again',
    });
  }
  if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(head.digest)) {
    throw new PolicyError('DigestFailed', `failed fetching digest of ${ref}: the registry returned no valid Docker-Content-Digest`);
  }
  return head.digest;
}
