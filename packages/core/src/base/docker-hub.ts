/** Docker Hub's registry host (what `docker.io/...` references resolve to). */
export const DOCKER_HUB_HOST = 'registry-1.docker.io';
/** The key docker login stores Docker Hub credentials under (docker/cli `getAuthConfigKey`). */
export const DOCKER_HUB_CREDENTIALS_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

/** Is `registry` (host[:port]) one of Docker Hub's names? */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}
