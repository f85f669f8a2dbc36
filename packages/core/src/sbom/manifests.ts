/**
 * The Kubernetes objects of an artifact's YAML files: every document of every file (multi-document YAML), `kind: List`
 * items, and objects embedded in others (a ResourceSet's `spec.resources`), each with where it was found. Values are
 * read with YAML's failsafe schema, so every scalar stays the string the file wrote (`tag: 7.40` is `7.40`, not 7.4).
 */
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ManifestFile } from './inventory.js';

export type Yaml = string | Yaml[] | { [key: string]: Yaml } | null;
export type YamlMap = { [key: string]: Yaml };

/** A Kubernetes object (a mapping with `apiVersion` and `kind`), or a document without them (e.g. a values file). */
export interface ManifestObject {
  file: string;
  kind?: string;
  apiVersion?: string;
  name?: string;
  namespace?: string;
  body: YamlMap;
  /** The object that embeds this one (ResourceSet resources, List items). */
  parent?: ManifestObject;
  /** A kustomize `kustomization.yaml` (by kind, or by file name when it has no apiVersion/kind). */
  kustomization: boolean;
}

export interface ParsedManifests {
  objects: ManifestObject[];
  /** YAML files (or documents) that are not valid YAML, e.g. templates: listed as files, not scanned. */
  unparsed: string[];
}

export function isMap(v: Yaml | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: Yaml | undefined): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function at(v: Yaml | undefined, ...keys: string[]): Yaml | undefined {
  let cur: Yaml | undefined = v;
  for (const k of keys) {
    if (!isMap(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

const KUSTOMIZATION_FILES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);

function isObject(v: YamlMap, topLevel: boolean): boolean {
  return typeof v.apiVersion === 'string' && typeof v.kind === 'string' && (topLevel || isMap(v.metadata));
}

function describe(file: string, body: YamlMap, parent: ManifestObject | undefined, topLevel: boolean): ManifestObject {
  const kustomizeApi = typeof body.apiVersion === 'string' && body.apiVersion.startsWith('kustomize.config.k8s.io/');
  const namedKustomization = topLevel && !parent && KUSTOMIZATION_FILES.has(basename(file)) && body.apiVersion === undefined;
  const isObj = isObject(body, topLevel);
  return {
    file,
    ...(isObj ? { kind: body.kind as string, apiVersion: body.apiVersion as string } : {}),
    ...(isObj && str(at(body, 'metadata', 'name')) ? { name: str(at(body, 'metadata', 'name')) } : {}),
    ...(isObj && str(at(body, 'metadata', 'namespace')) ? { namespace: str(at(body, 'metadata', 'namespace')) } : {}),
    body,
    ...(parent ? { parent } : {}),
    kustomization: (kustomizeApi && body.kind === 'Kustomization') || namedKustomization,
  };
}

/** Objects embedded anywhere under `v` (not descending into the embedded objects themselves: they are visited on their own). */
function embedded(v: Yaml, file: string, parent: ManifestObject, out: ManifestObject[]): void {
  if (Array.isArray(v)) {
    for (const item of v) embedded(item, file, parent, out);
  } else if (isMap(v)) {
    if (isObject(v, false)) {
      const obj = describe(file, v, parent, false);
      out.push(obj);
      for (const value of Object.values(v)) embedded(value, file, obj, out);
      return;
    }
    for (const value of Object.values(v)) embedded(value, file, parent, out);
  }
}

/** Parses every YAML file; a file that is not YAML (a Helm template, say) is recorded in `unparsed`. */
export function parseManifests(files: readonly ManifestFile[]): ParsedManifests {
  const objects: ManifestObject[] = [];
  const unparsed: string[] = [];
  for (const f of files) {
    let docs;
    try {
      docs = parseAllDocuments(f.text, { schema: 'failsafe', uniqueKeys: false });
    } catch {
      unparsed.push(f.path);
      continue;
    }
    const list = Array.isArray(docs) ? docs : [docs];
    if (list.some((d) => d.errors.length > 0)) {
      unparsed.push(f.path);
      continue;
    }
    let values: Yaml[];
    try {
      // An alias bomb (more alias expansions than a manifest needs) is refused by toJS: the file is not scanned.
      values = list.map((doc) => doc.toJS({ maxAliasCount: 1000 }) as Yaml);
    } catch {
      unparsed.push(f.path);
      continue;
    }
    for (const value of values) {
      if (!isMap(value)) continue;
      const obj = describe(f.path, value, undefined, true);
      objects.push(obj);
      for (const v of Object.values(value)) embedded(v, f.path, obj, objects);
    }
  }
  return { objects, unparsed };
}
