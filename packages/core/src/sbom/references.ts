/**
 * Image and OCI references as the manifests write them, split into the parts an SBOM records (docs/sbom.md, "What is
 * listed"), and their package URLs: `pkg:docker` for container images, `pkg:oci` for OCI artifacts (Helm charts,
 * OCIRepository sources), following the purl types' rules (docker: namespace = the path in the registry, version = a
 * digest when there is one, else the tag, `repository_url` = the registry when it is not Docker Hub; oci: no
 * namespace, lowercased name = the last path segment, version = the digest, `repository_url` = the repository, `tag`).
 */
import { PackageURL } from 'packageurl-js';

/** A container image reference split as the distribution reference grammar does. */
export interface ImageRef {
  /** Registry host (with port), `docker.io` when the reference names none. */
  registry: string;
  /** Path in the registry, e.g. `bitnami/redis` (`library/x` for a one-segment Docker Hub name). */
  path: string;
  tag?: string;
  digest?: string;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/**
 * Splits `ref` (`[registry/]path[:tag][@digest]`). The first segment is a registry when it has a `.` or a `:`, or is
 * `localhost`, as Docker's reference parser decides; otherwise the image is on Docker Hub. Template variables are kept
 * as written.
 */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  let path = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    path = rest.slice(slash + 1);
  }
  if (DOCKER_HUB.has(registry)) {
    registry = 'docker.io';
    if (!path.includes('/')) path = `library/${path}`;
  }
  return { registry, path, ...(tag !== undefined && tag !== '' ? { tag } : {}), ...(digest ? { digest } : {}) };
}

export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB.has(registry);
}

/** `name` and `group` of a repository path: the last segment, and the registry plus the rest. */
export function nameAndGroup(registry: string, path: string): { name: string; group: string } {
  const i = path.lastIndexOf('/');
  return i >= 0 ? { name: path.slice(i + 1), group: `${registry}/${path.slice(0, i)}` } : { name: path, group: registry };
}

/** `registry/path[:tag][@digest]` (Docker Hub written `docker.io/…`). */
export function formatImageRef(r: ImageRef): string {
  return `${r.registry}/${r.path}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

/**
 * `pkg:docker/<namespace>/<name>@<digest or tag>[?repository_url=<registry>]`. Docker Hub is the type's default
 * repository: no `repository_url`, and official images (`library/x`) have no namespace, as in the type's examples.
 */
export function dockerPurl(r: ImageRef): string {
  const hub = r.registry === 'docker.io';
  const segments = r.path.split('/');
  const name = segments.pop() ?? r.path;
  let namespace: string | undefined = segments.join('/') || undefined;
  if (hub && namespace === 'library') namespace = undefined;
  const qualifiers = hub ? undefined : { repository_url: r.registry };
  return new PackageURL('docker', namespace, name, r.digest ?? r.tag, qualifiers, undefined).toString();
}

/**
 * `pkg:oci/<name>[@<digest>]?repository_url=<repository>[&tag=<tag>]`. The type makes the digest the version; a
 * manifest that pins only a tag gets a purl without version and the tag as the `tag` qualifier (the digest is only
 * known once Flux resolves the tag).
 */
export function ociPurl(repository: string, opts: { tag?: string; digest?: string }): string {
  const name = repository.slice(repository.lastIndexOf('/') + 1).toLowerCase();
  const qualifiers: Record<string, string> = { repository_url: repository };
  if (opts.tag !== undefined) qualifiers.tag = opts.tag;
  return new PackageURL('oci', undefined, name, opts.digest, qualifiers, undefined).toString();
}

/** `oci://host/path` → `host/path` (undefined when not an `oci://` URL). */
export function ociRepository(url: string): string | undefined {
  const m = /^oci:\/\/(.+?)\/*$/.exec(url.trim());
  return m ? m[1] : undefined;
}

/** Flux post-build variables (`${VAR}`, `${VAR:=default}`) and ResourceSet inputs (`<< inputs.x >>`) in `s`. */
export function unresolvedVariables(s: string): string[] {
  return [...s.matchAll(/\$\{[^}]*\}|<<[^>]*>>/g)].map((m) => m[0]);
}
