/** What the credential providers share: docker's host matching and `auth` decoding. */
import { InputError } from '../../../errors.js';
import { DOCKER_HUB_CREDENTIALS_KEY, isDockerHub, type Credentials } from '../../../base/index.js';

/** docker/cli `ConvertToHostname`: strip the scheme and any path from a config key. */
export function convertToHostname(key: string): string {
  let s = key.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//, '');
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  return s.toLowerCase();
}

/** The key/server URL docker uses for a registry: Docker Hub's is https://index.docker.io/v1/. */
export function credentialKey(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB_CREDENTIALS_KEY : registry.toLowerCase();
}

export function sameRegistry(a: string, b: string): boolean {
  const ha = convertToHostname(a);
  const hb = convertToHostname(b);
  return ha === hb || (isDockerHub(ha) && isDockerHub(hb));
}

export function decodeAuth(auth: string, where: string): { username: string; password: string } {
  const decoded = Buffer.from(auth, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) throw new InputError(`${where}: 'auth' is not base64 of 'username:password'`, 'recreate it with `docker login` or `echo -n user:password | base64`');
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function empty(c: Credentials | undefined): boolean {
  return !c || (!c.username && !c.password && !c.identityToken && !c.registryToken);
}

