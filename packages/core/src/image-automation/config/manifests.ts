/**
 * Reading Kubernetes manifests from a checked-out directory the way the D2 update cluster would: a plain directory
 * (every YAML file, recursively, as kustomize-controller generates a kustomization for it) or a simple
 * `kustomization.yaml` with a `resources:` list; list documents inlined; Flux post-build `${VAR}` substitution.
 * Overlays, patches and generators are out of scope (docs/image-automation.md).
 */
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { InputError } from '../../errors.js';

import type { K8sObject } from '../policy/manifest.js';

export type { K8sObject };

export interface SourcedObject {
  object: K8sObject;
  /** File the object came from, relative to the directory read. */
  file: string;
}

const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function isObject(v: unknown): v is K8sObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * All documents of a YAML text that are objects with a `kind`, with list documents inlined as kustomize reads a
 * resource file (kustomize `inlineAnyEmbeddedLists`, docs/image-automation.md "kind: List"): a document whose kind
 * ends in `List` and that has an `items` field is replaced by its items (lists nested in items too, queued after
 * the file's remaining documents as kustomize does); `items: null` is an empty list; a `…List` without `items` is an
 * ordinary object.
 */
export function parseObjects(text: string, source: string): K8sObject[] {
  const queue: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new InputError(`${source}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`, 'fix the YAML syntax of this file');
    queue.push(doc.toJS({ maxAliasCount: 1000 }));
  }
  const out: K8sObject[] = [];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i];
    if (!isObject(v) || typeof v.kind !== 'string') continue;
    if (!v.kind.endsWith('List') || !('items' in v)) {
      out.push(v);
      continue;
    }
    if (v.items === null || v.items === undefined) continue;
    if (!Array.isArray(v.items)) throw new InputError(`${source}: expected array in ${v.kind}/items, but found ${typeof v.items}`, `items of a ${v.kind} is a list of objects`);
    v.items.forEach((item, j) => {
      if (!isObject(item)) throw new InputError(`${source}: ${v.kind}/items[${j}] is not an object`, `items of a ${v.kind} is a list of objects`);
      queue.push(item);
    });
  }
  return out;
}

function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
}

function within(root: string, p: string): boolean {
  const r = resolve(root);
  const x = resolve(p);
  return x === r || x.startsWith(r + sep);
}

/**
 * Reads a kustomize-style directory. `root` bounds every path (resources may not escape the checkout).
 * `transform` is applied to each file's text before parsing (post-build substitution).
 */
export function readManifestDir(root: string, dir: string, transform: (text: string) => string = (t) => t): SourcedObject[] {
  const abs = resolve(root, dir);
  if (!within(root, abs)) throw new InputError(`path '${dir}' is outside the repository`, 'use a path inside the repository');
  if (!existsSync(abs)) throw new InputError(`path '${dir}' does not exist in the repository`, 'check the Kustomization spec.path / the policies-path input');
  const out: SourcedObject[] = [];
  const seen = new Set<string>();
  const readFile = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const rel = relative(root, file).split(sep).join('/');
    for (const object of parseObjects(transform(readFileSync(file, 'utf8')), rel)) out.push({ object, file: rel });
  };
  const visit = (d: string) => {
    const kfile = kustomizationFile(d);
    if (kfile) {
      const kdoc = parseAllDocuments(readFileSync(kfile, 'utf8'))[0];
      if (kdoc && kdoc.errors.length > 0) throw new InputError(`${relative(root, kfile)}: invalid YAML: ${kdoc.errors[0].message.split('\n')[0]}`);
      const kv: unknown = kdoc?.toJS();
      const k: K8sObject = isObject(kv) ? kv : {};
      const resources = Array.isArray(k.resources) ? k.resources : [];
      for (const r of resources) {
        if (typeof r !== 'string') continue;
        const p = resolve(d, r);
        if (!within(root, p)) throw new InputError(`${relative(root, kfile)}: resource '${r}' is outside the repository`);
        if (!existsSync(p)) throw new InputError(`${relative(root, kfile)}: resource '${r}' does not exist`);
        if (lstatSync(p).isDirectory()) visit(p);
        else readFile(p);
      }
      return;
    }
    const entries = readdirSync(d).sort();
    for (const name of entries) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) visit(p);
      else if (/\.(ya?ml|json)$/.test(name)) readFile(p);
    }
  };
  if (lstatSync(abs).isDirectory()) visit(abs);
  else readFile(abs);
  return out;
}

/**
 * Flux post-build substitution (kustomize-controller `envsubst` in non-strict mode): `${VAR}`, `${VAR:=default}`,
 * `${VAR:-default}`; `$${VAR}` escapes; unset variables without default become "". `$VAR` without braces is kept.
 */
export function substituteVariables(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([^}]*))?\}/g, (all, esc: string, name: string, op: string | undefined, def: string | undefined) => {
    if (esc) return all.slice(1);
    const v = vars[name];
    if (op && (v === undefined || (op.startsWith(':') && v === ''))) return def ?? '';
    return v ?? '';
  });
}

/** Whether an object opted out of substitution (`kustomize.toolkit.fluxcd.io/substitute: disabled`). */
export function substitutionDisabled(obj: K8sObject): boolean {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const ann = isObject(meta.annotations) ? meta.annotations : {};
  const lab = isObject(meta.labels) ? meta.labels : {};
  return ann['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled' || lab['kustomize.toolkit.fluxcd.io/substitute'] === 'disabled';
}
