/**
 * The real CRD schemas of Flux and the Flux Operator, fetched at test time with the Go module proxy (never committed):
 * `go mod download -json <module>@<version>` into ${XDG_CACHE_HOME:-~/.cache}/d2-actions/crd-modules, then
 * config/crd/bases/*.yaml of each controller module. The controller versions are the ones the reference flux CLI
 * (scripts/reference-tools.sh, versions.json) is built with: its go.mod names each controller's api module version.
 *
 * Objects are checked as the API server would with strict field validation: defaults applied first (ajv useDefaults,
 * as the server defaults before it validates), `nullable` honoured, unknown fields rejected wherever the schema does not
 * preserve them (x-kubernetes-preserve-unknown-fields). Formats and CEL rules (x-kubernetes-validations) are not
 * checked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@d2/sandbox/paths';
import { referenceTools } from '@d2/sandbox/reference-tools';

/** The Flux Operator release whose CRDs (FluxInstance, ResourceSet, ResourceSetInputProvider) the tests use. */
export const FLUX_OPERATOR_VERSION = 'v0.59.0';

const CONTROLLERS = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller', 'image-reflector-controller', 'image-automation-controller'];

type Json = Record<string, unknown>;

export interface CrdSchemas {
  /** `<group>/<version>/<Kind>` → validator. */
  validators: Map<string, ValidateFunction>;
  /** Module versions used. */
  modules: Record<string, string>;
}

function fluxVersion(): string {
  const built = referenceTools().versions.flux?.version;
  if (built) return built;
  const script = readFileSync(join(repoRoot(), 'scripts', 'reference-tools.sh'), 'utf8');
  const m = /FLUX_VERSION="\$\{D2_FLUX_VERSION:-(v[^}]+)\}"/.exec(script);
  if (!m) throw new Error('scripts/reference-tools.sh names no flux version');
  return m[1];
}

/** Go's module path escaping in the module cache (upper case → !lower case). */
const escapePath = (p: string) => p.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`);

function download(module: string, version: string, env: NodeJS.ProcessEnv, cache: string, probe: true): string | undefined;
function download(module: string, version: string, env: NodeJS.ProcessEnv, cache: string): { dir: string; goMod: string };
function download(module: string, version: string, env: NodeJS.ProcessEnv, cache: string, probe?: true): { dir: string; goMod: string } | string | undefined {
  let out = '';
  try {
    out = execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { env, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    // Exit 1 with JSON on stdout when the module wants a newer Go than installed: the files are there all the same.
    out = String((err as { stdout?: string }).stdout ?? '');
  }
  const info = (out ? JSON.parse(out) : {}) as { Dir?: string; GoMod?: string; Error?: string };
  const dir = info.Dir ?? join(cache, `${escapePath(module)}@${version}`);
  const goMod = info.GoMod ?? join(cache, 'cache', 'download', escapePath(module), '@v', `${version}.mod`);
  if (probe) return existsSync(dir) ? dir : undefined;
  if (!existsSync(dir)) throw new Error(`go mod download ${module}@${version} failed: ${info.Error ?? 'no output'}`);
  return { dir, goMod };
}

/**
 * The controller module at the api module's version, or at the nearest lower patch of the same minor: an api module
 * can get a patch release that its controller did not (e.g. notification-controller/api v1.9.4, controller v1.9.3).
 */
function downloadRelease(module: string, version: string, env: NodeJS.ProcessEnv, cache: string): { dir: string; version: string } {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version);
  const first = download(module, version, env, cache, true);
  if (first || !m) return { dir: first ?? download(module, version, env, cache).dir, version };
  for (let patch = Number(m[3]) - 1; patch >= 0; patch--) {
    const v = `v${m[1]}.${m[2]}.${patch}`;
    const got = download(module, v, env, cache, true);
    if (got) return { dir: got, version: v };
  }
  return { dir: download(module, version, env, cache).dir, version };
}

/** Every object schema that names its properties and does not preserve unknown fields rejects other fields. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s: Json = {};
  for (const [k, v] of Object.entries(schema as Json)) s[k] = k === 'default' || k === 'example' || k === 'enum' ? v : strict(v);
  if (s.properties && s.additionalProperties === undefined && s['x-kubernetes-preserve-unknown-fields'] !== true) s.additionalProperties = false;
  return s;
}

/** Why the schemas cannot be had (no Go), or undefined. */
export function crdSkipReason(): string | undefined {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'Go is not installed: the Flux CRDs are fetched with `go mod download` (docs/conformance.md)';
  }
}

let loaded: CrdSchemas | undefined;

export function loadCrdSchemas(): CrdSchemas {
  if (loaded) return loaded;
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'd2-actions', 'crd-modules');
  mkdirSync(cache, { recursive: true });
  const env = { ...process.env, GOMODCACHE: cache, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' };
  const flux = fluxVersion();
  const fluxMod = readFileSync(download('github.com/fluxcd/flux2/v2', flux, env, cache).goMod, 'utf8');
  const modules: Record<string, string> = {};
  for (const c of CONTROLLERS) {
    const m = new RegExp(`github\\.com/fluxcd/${c}/api (v[^\\s]+)`).exec(fluxMod);
    if (!m) throw new Error(`flux ${flux}'s go.mod names no github.com/fluxcd/${c}/api`);
    modules[`github.com/fluxcd/${c}`] = m[1];
  }
  modules['github.com/controlplaneio-fluxcd/flux-operator'] = FLUX_OPERATOR_VERSION;
  const Ajv = (AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule;
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, validateFormats: false });
  const validators = new Map<string, ValidateFunction>();
  for (const [module, wanted] of Object.entries(modules)) {
    const { dir, version } = downloadRelease(module, wanted, env, cache);
    modules[module] = version;
    const bases = join(dir, 'config', 'crd', 'bases');
    for (const f of readdirSync(bases).filter((x) => x.endsWith('.yaml'))) {
      for (const d of parseAllDocuments(readFileSync(join(bases, f), 'utf8'))) {
        const crd = d.toJSON() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: Json } }> } };
        if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
        for (const v of crd.spec.versions) {
          if (!v.served || !v.schema?.openAPIV3Schema) continue;
          validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(strict(v.schema.openAPIV3Schema) as Json));
        }
      }
    }
  }
  loaded = { validators, modules };
  return loaded;
}

/** The API groups whose objects must validate against a CRD (a kind without one is an error). */
export const CRD_GROUPS = /(^|\.)fluxcd\.io$|^fluxcd\.controlplane\.io$/;

/** Errors of one object against its CRD, [] when valid; undefined when its group has no CRD to check against. */
export function crdErrors(schemas: CrdSchemas, object: Json): string[] | undefined {
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!CRD_GROUPS.test(group)) return undefined;
  const v = schemas.validators.get(`${group}/${version}/${String(object.kind)}`);
  if (!v) return [`no CRD for ${apiVersion} ${String(object.kind)}`];
  const copy = structuredClone(object);
  if (v(copy)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
}
