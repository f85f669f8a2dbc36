/**
 * What the manifests deploy (docs/sbom.md, "What is listed"): container images, Helm charts and OCI sources, each with
 * the version or digest the manifests pin and a package URL. Found by reading the objects as written — no kustomize
 * build, no Flux post-build substitution: variables (`${VAR}`, `<< inputs.x >>`) are recorded as is and flagged.
 */
import semverValid from 'semver/functions/valid.js';
import { at, isMap, str, type ManifestObject, type Yaml, type YamlMap } from './manifests.js';
import { dockerPurl, formatImageRef, nameAndGroup, ociPurl, ociRepository, parseImageRef, unresolvedVariables, type ImageRef } from './references.js';

export type DeployedKind = 'container-image' | 'helm-chart' | 'oci-source';

/** How a deployed component was found. */
export type DeployedOrigin =
  | 'image field'
  | 'helm values image'
  | 'kustomize images'
  | 'kustomize helmCharts'
  | 'HelmRelease chart'
  | 'HelmRelease chartRef'
  | 'HelmChart'
  | 'OCIRepository';

export interface Deployed {
  kind: DeployedKind;
  /** The image or chart name (last path segment), or the chart name as the HelmRelease writes it. */
  name: string;
  /** Registry and namespace path, e.g. `ghcr.io/stefanprodan/charts` (absent when the source is not in the component). */
  group?: string;
  /** The tag, exact version or chart version the manifests pin. Absent when only a range (or nothing) is given. */
  version?: string;
  /** `sha256:…` when the manifests pin a digest. */
  digest?: string;
  /** A semver range (OCIRepository `ref.semver`, HelmRelease `version`) that does not name one version. */
  versionRange?: string;
  /** Where it is pulled from: an image reference, an `oci://` URL, a Helm repository URL. */
  location?: string;
  purl?: string;
  origin: DeployedOrigin;
  /** The objects that deploy it: `path` or `path: Kind/namespace/name`, sorted. */
  foundIn: string[];
  /** Variables left unresolved (Flux post-build substitution, ResourceSet inputs), as written. */
  unresolved: string[];
  /** A note when something could not be resolved (e.g. a sourceRef outside the component). */
  note?: string;
  /**
   * For an image field: the kustomize `images:` entries of the artifact that match its name, as `file: new reference`.
   * Where that kustomization applies (often one overlay), the new reference runs instead of this one.
   */
  retaggedBy?: string[];
}

/** A YAML null or an empty string, as the failsafe schema reads them (`image: ~`, `image: null`, `image: ""`). */
const NO_VALUE = /^\s*(?:~|null|Null|NULL)?\s*$/;

/** Flux image automation objects name images to scan, not images that run: left out. */
const IMAGE_AUTOMATION_GROUP = 'image.toolkit.fluxcd.io/';

function where(o: ManifestObject): string {
  if (!o.kind) return o.file;
  return `${o.file}: ${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name ?? ''}`;
}

function isObjectLike(v: YamlMap): boolean {
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string' && isMap(v.metadata);
}

class Collector {
  private readonly byKey = new Map<string, Deployed>();

  add(d: Omit<Deployed, 'foundIn' | 'unresolved'>, o: ManifestObject): void {
    const key = JSON.stringify([d.kind, d.origin === 'helm values image' ? 'v' : '', d.location ?? d.name, d.version ?? '', d.digest ?? '', d.versionRange ?? '']);
    const known = this.byKey.get(key);
    const vars = unresolvedVariables([d.name, d.group, d.version, d.digest, d.versionRange, d.location].filter((s) => s !== undefined).join(' '));
    if (known) {
      if (!known.foundIn.includes(where(o))) known.foundIn.push(where(o));
      return;
    }
    this.byKey.set(key, { ...d, foundIn: [where(o)], unresolved: [...new Set(vars)].sort() });
  }

  all(): Deployed[] {
    const list = [...this.byKey.values()];
    for (const d of list) d.foundIn.sort();
    return list.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  }
}

function sortKey(d: Deployed): string {
  return [d.kind, d.group ?? '', d.name, d.version ?? '', d.digest ?? '', d.versionRange ?? '', d.origin, d.location ?? ''].join('\u0000');
}

function image(ref: ImageRef, origin: DeployedOrigin): Omit<Deployed, 'foundIn' | 'unresolved'> {
  const { name, group } = nameAndGroup(ref.registry, ref.path);
  return {
    kind: 'container-image',
    name,
    group,
    ...(ref.tag !== undefined ? { version: ref.tag } : {}),
    ...(ref.digest ? { digest: ref.digest } : {}),
    location: formatImageRef(ref),
    purl: dockerPurl(ref),
    origin,
  };
}

/** Pinned version of a semver field: the version itself when it names exactly one, else a range. */
function semverPin(v: string): { version?: string; versionRange?: string } {
  return semverValid(v) !== null ? { version: v } : { versionRange: v };
}

/** `image:` strings and Helm-style `image: {registry, repository, tag, digest}` maps under `v`, not in embedded objects. */
function scanImages(v: Yaml | undefined, o: ManifestObject, out: Collector, top = true): void {
  if (Array.isArray(v)) {
    for (const item of v) scanImages(item, o, out, false);
    return;
  }
  if (!isMap(v) || (!top && isObjectLike(v))) return;
  for (const [key, value] of Object.entries(v)) {
    if (key === 'image' && typeof value === 'string' && !NO_VALUE.test(value)) {
      out.add(image(parseImageRef(value), 'image field'), o);
      continue;
    }
    if (key === 'image' && isMap(value) && str(value.repository)) {
      const registry = str(value.registry);
      const ref = parseImageRef(`${registry ? `${registry}/` : ''}${str(value.repository)}`);
      const tag = str(value.tag);
      const digest = str(value.digest);
      out.add(image({ ...ref, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) }, 'helm values image'), o);
      continue;
    }
    scanImages(value, o, out, false);
  }
}

/** A kustomize `images:` entry: the image it matches (registry/path) and the reference it sets. */
interface Retag {
  from: string;
  to: string;
  file: string;
}

/** kustomize `images:` entries: the image that runs is `newName` (or `name`) with `newTag` or `digest`. */
function kustomizeImages(list: Yaml | undefined, o: ManifestObject, out: Collector, retags: Retag[]): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    if (!isMap(item)) continue;
    const name = str(item.newName) ?? str(item.name);
    if (!name) continue;
    const base = parseImageRef(name);
    const tag = str(item.newTag);
    const digest = str(item.digest);
    const ref: ImageRef = { registry: base.registry, path: base.path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
    out.add(image(ref, 'kustomize images'), o);
    const matched = str(item.name) ? parseImageRef(str(item.name) as string) : base;
    retags.push({ from: `${matched.registry}/${matched.path}`, to: formatImageRef(ref), file: o.file });
  }
}

interface SourceIndex {
  find(kind: string, name: string, namespace: string | undefined): ManifestObject | undefined;
}

function indexSources(objects: readonly ManifestObject[]): SourceIndex {
  return {
    find(kind, name, namespace) {
      const matches = objects.filter((o) => o.kind === kind && o.name === name && o.apiVersion?.startsWith('source.toolkit.fluxcd.io/'));
      return matches.find((o) => namespace !== undefined && o.namespace === namespace) ?? matches.find((o) => o.namespace === undefined || namespace === undefined) ?? matches[0];
    },
  };
}

/** A chart from `spec.chart.spec` (HelmRelease) or `spec` (HelmChart): chart, version, sourceRef. */
function chartFrom(spec: Yaml | undefined, o: ManifestObject, origin: DeployedOrigin, sources: SourceIndex, out: Collector): void {
  const chart = str(at(spec, 'chart'));
  if (!chart) return;
  const pin = semverPin(str(at(spec, 'version')) ?? '*');
  const refKind = str(at(spec, 'sourceRef', 'kind')) ?? 'HelmRepository';
  const refName = str(at(spec, 'sourceRef', 'name')) ?? '';
  const refNs = str(at(spec, 'sourceRef', 'namespace')) ?? o.namespace;
  const source = sources.find(refKind, refName, refNs);
  const chartName = chart.slice(chart.replace(/\/+$/, '').lastIndexOf('/') + 1).replace(/\/+$/, '');
  const base = { kind: 'helm-chart' as const, name: chartName, ...pin, origin };
  if (!source) {
    out.add({ ...base, note: `source ${refKind}/${refName} is not in the artifact: chart location unknown` }, o);
    return;
  }
  const url = str(at(source.body, 'spec', 'url'));
  if (refKind === 'HelmRepository' && url) {
    const repo = ociRepository(url);
    if (repo) {
      const chartRepo = `${repo}/${chart}`;
      out.add({ ...base, group: repo, location: `oci://${chartRepo}`, purl: ociPurl(chartRepo, pin.version !== undefined ? { tag: pin.version } : {}) }, o);
    } else {
      out.add({ ...base, group: url, location: url, note: `Helm repository ${url}: no purl type for HTTP Helm repositories` }, o);
    }
    return;
  }
  out.add({ ...base, location: `${refKind}/${refName}${url ? ` (${url})` : ''}: ${chart}`, note: `chart from a ${refKind} path` }, o);
}

/** An OCIRepository: url and `ref` (digest, else semver, else tag: Flux's precedence). */
function ociSource(o: ManifestObject, kind: DeployedKind, out: Collector): void {
  const url = str(at(o.body, 'spec', 'url'));
  const repo = url ? ociRepository(url) : undefined;
  if (!url || !repo) return;
  const tag = str(at(o.body, 'spec', 'ref', 'tag'));
  const sv = str(at(o.body, 'spec', 'ref', 'semver'));
  const digest = str(at(o.body, 'spec', 'ref', 'digest'));
  const pin = digest ? { ...(tag ? { version: tag } : {}), digest } : sv ? semverPin(sv) : { version: tag ?? 'latest' };
  const i = repo.lastIndexOf('/');
  out.add(
    {
      kind,
      name: repo.slice(i + 1),
      group: repo.slice(0, i),
      ...pin,
      location: url,
      purl: ociPurl(repo, { ...(pin.version !== undefined ? { tag: pin.version } : {}), ...(digest ? { digest } : {}) }),
      origin: 'OCIRepository',
    },
    o,
  );
}

const HELM_LAYER = /helm\.chart\.content/;

/** Everything the objects deploy, deduplicated and sorted. */
export function findDeployed(objects: readonly ManifestObject[]): Deployed[] {
  const out = new Collector();
  const sources = indexSources(objects);
  const retags: Retag[] = [];
  // OCIRepositories a HelmRelease takes its chart from (by name, and namespace when both sides give one).
  const chartRefs: { name: string; namespace?: string }[] = [];
  const isChartSource = (o: ManifestObject): boolean =>
    chartRefs.some((r) => r.name === o.name && (r.namespace === undefined || o.namespace === undefined || r.namespace === o.namespace));
  for (const o of objects) {
    if (o.kind === 'HelmRelease' && o.apiVersion?.startsWith('helm.toolkit.fluxcd.io/')) {
      const refKind = str(at(o.body, 'spec', 'chartRef', 'kind'));
      const refName = str(at(o.body, 'spec', 'chartRef', 'name'));
      if (refKind === 'OCIRepository' && refName) {
        const namespace = str(at(o.body, 'spec', 'chartRef', 'namespace')) ?? o.namespace;
        const src = sources.find('OCIRepository', refName, namespace);
        if (src) chartRefs.push({ name: refName, ...(namespace !== undefined ? { namespace } : {}) });
        else out.add({ kind: 'helm-chart', name: refName, origin: 'HelmRelease chartRef', note: `source OCIRepository/${refName} is not in the artifact: chart location unknown` }, o);
      }
    }
  }
  for (const o of objects) {
    if (o.apiVersion?.startsWith(IMAGE_AUTOMATION_GROUP)) continue;
    if (o.kustomization) {
      kustomizeImages(o.body.images, o, out, retags);
      kustomizeHelmCharts(o.body.helmCharts, o, out);
      continue;
    }
    scanImages(o.body, o, out);
    if (o.kind === 'Kustomization' && o.apiVersion?.startsWith('kustomize.toolkit.fluxcd.io/')) kustomizeImages(at(o.body, 'spec', 'images'), o, out, retags);
    if (o.kind === 'HelmRelease' && o.apiVersion?.startsWith('helm.toolkit.fluxcd.io/')) chartFrom(at(o.body, 'spec', 'chart', 'spec'), o, 'HelmRelease chart', sources, out);
    if (o.kind === 'HelmChart' && o.apiVersion?.startsWith('source.toolkit.fluxcd.io/')) chartFrom(o.body.spec, o, 'HelmChart', sources, out);
    if (o.kind === 'OCIRepository' && o.apiVersion?.startsWith('source.toolkit.fluxcd.io/')) {
      const helmLayer = HELM_LAYER.test(str(at(o.body, 'spec', 'layerSelector', 'mediaType')) ?? '');
      ociSource(o, isChartSource(o) || helmLayer ? 'helm-chart' : 'oci-source', out);
    }
  }
  const all = out.all();
  for (const d of all) {
    if (d.kind !== 'container-image' || d.origin === 'kustomize images' || d.group === undefined) continue;
    const hits = retags.filter((r) => r.from === `${d.group}/${d.name}`).map((r) => `${r.file}: ${r.to}`);
    if (hits.length > 0) d.retaggedBy = [...new Set(hits)].sort();
  }
  return all;
}

/** kustomize `helmCharts:` (inflated at build time): name, version, repo. */
function kustomizeHelmCharts(list: Yaml | undefined, o: ManifestObject, out: Collector): void {
  if (!Array.isArray(list)) return;
  for (const item of list) {
    const name = str(at(item, 'name'));
    if (!name) continue;
    const version = str(at(item, 'version'));
    const repoUrl = str(at(item, 'repo'));
    const repo = repoUrl ? ociRepository(repoUrl) : undefined;
    out.add(
      {
        kind: 'helm-chart',
        name,
        ...(version ? semverPin(version) : {}),
        ...(repoUrl ? { group: repo ?? repoUrl, location: repo ? `oci://${repo}/${name}` : repoUrl } : {}),
        ...(repo ? { purl: ociPurl(`${repo}/${name}`, version && semverValid(version) ? { tag: version } : {}) } : {}),
        origin: 'kustomize helmCharts',
      },
      o,
    );
  }
}
