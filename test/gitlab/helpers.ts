/** Shared by the GitLab tests that run d2 update / e2e-update against a fleet on the sandbox git server. */
import { RegistryClient } from '../../packages/core/src/oci/index.js';
import { seedImages } from '../../packages/cli/src/demo/images.js';

/**
 * Seeds the demo images (initial and newer tags) into the registry at `registryHost` and returns the fleet to commit:
 * apps/redis.yaml at redis 7.4.1 with its setter marker, and policies/redis.yaml (namespace apps, semver ~7.4).
 */
export async function seedRedisFleet(registryHost: string): Promise<Record<string, string>> {
  const client = new RegistryClient({ credentials: { get: async () => undefined } });
  await seedImages(client, registryHost, 'initial');
  await seedImages(client, registryHost, 'newer');
  client.close();
  const app = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: redis\nspec:\n  template:\n    spec:\n      containers:\n        - name: redis\n          image: ${registryHost}/images/redis:7.4.1 # {"$imagepolicy": "apps:redis"}\n`;
  const policies = `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: redis\n  namespace: apps\nspec:\n  image: ${registryHost}/images/redis\n  insecure: true\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: redis\n  namespace: apps\nspec:\n  imageRepositoryRef:\n    name: redis\n  policy:\n    semver:\n      range: "~7.4"\n`;
  return { 'apps/redis.yaml': app, 'policies/redis.yaml': policies };
}
