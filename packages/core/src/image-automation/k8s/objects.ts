/**
 * Kubernetes objects from YAML, shared by the image objects (ImagePolicy, ImageRepository) and the fleet configuration:
 * multi-document reading that refuses alias bombs, field validation that names the object and the field in every
 * message, and the apiVersion/kind/metadata header of `image.toolkit.fluxcd.io` objects (docs/image-policies.md).
 */
import { parseAllDocuments } from 'yaml';
import { clip, InputError } from '../../errors.js';

export const IMAGE_API_GROUP = 'image.toolkit.fluxcd.io';
export const IMAGE_API_VERSIONS: readonly string[] = Object.freeze([`${IMAGE_API_GROUP}/v1`, `${IMAGE_API_GROUP}/v1beta2`]);
/** CRD pattern of `interval`/`timeout` (Go durations). */
const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

export type K8sObject = Record<string, unknown>;

/** How many times a document may use aliases (anchors referenced with `*`) before it is refused as an alias bomb. */
export const MAX_YAML_ALIASES = 1000;

/**
 * A parsed YAML document as plain data. Aliases are expanded at most `MAX_YAML_ALIASES` times, so an "alias bomb"
 * (a few lines that expand to gigabytes) is refused as bad input naming the file, instead of exhausting memory or
 * surfacing as the YAML library's bare error.
 */
export function documentToJS(doc: { toJS(opts?: { maxAliasCount?: number }): unknown }, source: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias count/i.test(message)) {
      throw new InputError(
        `${clip(source)}: refused: its YAML aliases expand more than ${MAX_YAML_ALIASES} times (an alias bomb, which would exhaust memory)`,
        'write the values out instead of nesting aliases of aliases',
      );
    }
    throw new InputError(`${clip(source)}: cannot read the YAML: ${clip(message)}`, 'fix the YAML (anchors and aliases)');
  }
}

/** Parses one or more YAML documents (or takes an already parsed object) into objects; empty documents are skipped. */
export function readK8sObjects(input: string | K8sObject, source = 'input'): K8sObject[] {
  if (typeof input !== 'string') return [input];
  const docs = parseAllDocuments(input);
  const list = Array.isArray(docs) ? docs : [];
  const out: K8sObject[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      throw new InputError(`${clip(source)}: invalid YAML: ${clip(doc.errors[0].message, 1000)}`, 'fix the YAML syntax');
    }
    const value: unknown = documentToJS(doc, source);
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new InputError(`${source}: a document is not a Kubernetes object (mapping)`, 'each YAML document must be a mapping with apiVersion and kind');
    }
    out.push(value as K8sObject);
  }
  return out;
}

/**
 * The one object of `kind` in `input`, as `convert` reads it: a parsed object or a single-document text is taken as
 * it is (so `convert` reports a wrong kind); several documents must hold exactly one of `kind`. Throws InputError.
 */
export function readSingleK8sObject<T>(input: string | K8sObject, source: string, kind: string, convert: (o: K8sObject, source: string) => T): T {
  const objects = readK8sObjects(input, source);
  if (typeof input !== 'string' || objects.length === 1) return convert(objects[0] ?? {}, source);
  const matching = objects.filter((o) => o.kind === kind);
  if (matching.length !== 1) {
    throw new InputError(`${source}: expected exactly one ${kind}, found ${matching.length}`, `pass a file with a single ${kind}`);
  }
  return convert(matching[0], source);
}

/** Field-path validation helpers with the object named in every message. */
export class ObjectValidator {
  constructor(readonly label: string) {}

  fail(message: string, hint?: string): never {
    throw new InputError(`${this.label}: ${message}`, hint);
  }

  object(value: unknown, path: string, required: true): K8sObject;
  object(value: unknown, path: string, required?: false): K8sObject | undefined;
  object(value: unknown, path: string, required = false): K8sObject | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(`${path} is required`);
      return undefined;
    }
    if (typeof value !== 'object' || Array.isArray(value)) this.fail(`${path} must be a mapping`);
    return value as K8sObject;
  }

  string(value: unknown, path: string, required: true): string;
  string(value: unknown, path: string, required?: false): string | undefined;
  string(value: unknown, path: string, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.fail(`${path} is required`);
      return undefined;
    }
    if (typeof value !== 'string') this.fail(`${path} must be a string, got ${JSON.stringify(value)}`, 'quote the value in YAML');
    if (required && value === '') this.fail(`${path} must not be empty`);
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') this.fail(`${path} must be true or false`);
    return value;
  }

  enumOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    const s = this.string(value, path);
    if (s === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(s)) this.fail(`${path} must be one of ${allowed.join(', ')}, got ${JSON.stringify(s)}`);
    return s as T;
  }

  duration(value: unknown, path: string): string | undefined {
    const s = this.string(value, path);
    if (s !== undefined && !DURATION.test(s)) this.fail(`${path} must be a duration such as 5m or 1h30m, got ${JSON.stringify(s)}`);
    return s;
  }

  stringArray(value: unknown, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) this.fail(`${path} must be a list of strings`);
    return value.map((v, i) => this.string(v, `${path}[${i}]`, true));
  }

  labels(value: unknown): Record<string, string> {
    const obj = this.object(value, 'metadata.labels') ?? {};
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = this.string(v, `metadata.labels.${k}`, true);
    return out;
  }
}

/** apiVersion/kind/metadata common to the image objects. */
export function readObjectHeader(obj: K8sObject, kind: string, source: string) {
  const v0 = new ObjectValidator(`${kind} in ${source}`);
  const apiVersion = v0.string(obj.apiVersion, 'apiVersion', true);
  if (obj.kind !== kind) v0.fail(`kind must be ${kind}, got ${JSON.stringify(obj.kind)}`);
  if (!IMAGE_API_VERSIONS.includes(apiVersion)) {
    v0.fail(`unsupported apiVersion ${apiVersion}`, `use ${IMAGE_API_VERSIONS.join(' or ')} (v1beta2 was removed in Flux 2.9)`);
  }
  const metadata = v0.object(obj.metadata, 'metadata', true);
  const name = v0.string(metadata.name, 'metadata.name', true);
  const namespace = v0.string(metadata.namespace, 'metadata.namespace');
  const label = namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
  const v = new ObjectValidator(label);
  return { apiVersion, name, namespace: namespace || undefined, labels: v.labels(metadata.labels), v };
}
