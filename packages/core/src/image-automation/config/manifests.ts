/**
 * Reading Kubernetes manifests from a checked-out directory the way the D2 update cluster would: a plain directory
 * (every YAML file, recursively, as kustomize-controller generates a kustomization for it) or a simple
 * `kustomization.yaml` with a `resources:` list; list documents inlined; Flux post-build `${VAR}` substitution.
 * Overlays, patches and generators are out of scope (docs/image-automation.md).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { clip, InputError } from '../../errors.js';

import { documentToJS, type K8sObject } from '../k8s/index.js';

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
    if (doc.errors.length > 0) throw new InputError(`${clip(source)}: invalid YAML: ${clip(doc.errors[0].message.split('\n')[0])}`, 'fix the YAML syntax of this file');
    queue.push(documentToJS(doc, source));
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
    const kind = clip(v.kind);
    if (!Array.isArray(v.items)) throw new InputError(`${clip(source)}: expected array in ${kind}/items, but found ${typeof v.items}`, `items of a ${kind} is a list of objects`);
    v.items.forEach((item, j) => {
      if (!isObject(item)) throw new InputError(`${clip(source)}: ${kind}/items[${j}] is not an object`, `items of a ${kind} is a list of objects`);
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
 * Where a path inside the repository (`root`, resolved) really leads: symbolic links are followed as long as they stay inside the
 * repository (a link that leads out of it is refused), and the result says whether it is a directory. `shown` names
 * the path in errors, `what` says which setting gave it.
 */
function resolveInside(root: string, p: string, shown: string, what: string): { path: string; isDir: boolean } {
  let real: string;
  try {
    real = realpathSync(p);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`${shown} is a symbolic link to a path that does not exist`, `point ${what} at an existing directory or file`);
    throw new InputError(`cannot resolve ${shown} (${code ?? 'error'}): ${clip((err as Error).message)}`, `check ${what} and the permissions of the checkout`);
  }
  if (!within(root, real)) {
    throw new InputError(`${shown} is a symbolic link that leads outside the repository`, `point ${what} at a directory inside the repository`);
  }
  return { path: real, isDir: statSync(real).isDirectory() };
}

/**
 * Reads a kustomize-style directory. `root` bounds every path (resources may not escape the checkout).
 * `transform` is applied to each file's text before parsing (post-build substitution).
 */
export function readManifestDir(checkout: string, dir: string, transform: (text: string) => string = (t) => t): SourcedObject[] {
  // Paths are compared after resolving symbolic links, so the root is taken as resolved too.
  let root: string;
  try {
    root = realpathSync(checkout);
  } catch (err) {
    throw new InputError(`cannot read the repository at ${clip(checkout)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 'check that the directory exists and is readable');
  }
  const abs = resolve(root, dir);
  const what = 'the Kustomization spec.path / the policies-path input';
  if (!within(root, abs)) throw new InputError(`path '${clip(dir)}' is outside the repository`, 'use a path inside the repository');
  if (!existsSync(abs)) throw new InputError(`path '${clip(dir)}' does not exist in the repository`, `check ${what}`);
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
      const kname = relative(root, kfile);
      if (kdoc && kdoc.errors.length > 0) throw new InputError(`${clip(kname)}: invalid YAML: ${clip(kdoc.errors[0].message.split('\n')[0])}`, 'fix the YAML syntax of this file');
      const kv: unknown = kdoc ? documentToJS(kdoc, kname) : undefined;
      const k: K8sObject = isObject(kv) ? kv : {};
      const resources = Array.isArray(k.resources) ? k.resources : [];
      for (const r of resources) {
        if (typeof r !== 'string') continue;
        const p = resolve(d, r);
        if (!within(root, p)) throw new InputError(`${clip(kname)}: resource '${clip(r)}' is outside the repository`, 'list resources inside the repository');
        if (!existsSync(p)) throw new InputError(`${clip(kname)}: resource '${clip(r)}' does not exist`, 'fix the resources list');
        const target = resolveInside(root, p, `${kname}: resource '${clip(r)}'`, 'the resource');
        if (target.isDir) visit(target.path);
        else readFile(target.path);
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
  // A symlinked path (policies-path: link → dir) is followed when it stays inside the repository.
  const start = resolveInside(root, abs, `path '${clip(dir)}'`, what);
  if (start.isDir) visit(start.path);
  else readFile(start.path);
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
