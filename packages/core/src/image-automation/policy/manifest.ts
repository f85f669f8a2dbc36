/**
 * Reading ImagePolicy objects from YAML (`image.toolkit.fluxcd.io/v1` and `v1beta2`) with the validation the API
 * server would apply from the CRD (required fields, enums, the two CEL rules on `interval`), so that a bad manifest
 * fails before anything runs. image-automation.md §2.
 */
import { parseAllDocuments } from 'yaml';
import { clip, InputError } from '../../errors.js';
import type { DigestReflectionPolicy, ImagePolicy, ImagePolicyChoice, ImagePolicySpec, TagFilterSpec } from './types.js';

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

function orderOf(v: ObjectValidator, value: unknown, path: string): { order?: string } {
  const obj = v.object(value, path) ?? {};
  const order = v.enumOf(obj.order, `${path}.order`, ['asc', 'desc'] as const);
  return order === undefined ? {} : { order };
}

/** Validates one ImagePolicy object. Throws InputError naming the policy and the field. */
export function toImagePolicy(obj: K8sObject, source = 'input'): ImagePolicy {
  const { apiVersion, name, namespace, labels, v } = readObjectHeader(obj, 'ImagePolicy', source);
  const spec = v.object(obj.spec, 'spec', true);
  const refObj = v.object(spec.imageRepositoryRef, 'spec.imageRepositoryRef', true);
  const imageRepositoryRef: ImagePolicySpec['imageRepositoryRef'] = { name: v.string(refObj.name, 'spec.imageRepositoryRef.name', true) };
  const refNs = v.string(refObj.namespace, 'spec.imageRepositoryRef.namespace');
  if (refNs) imageRepositoryRef.namespace = refNs;

  const policyObj = v.object(spec.policy, 'spec.policy', true);
  const policy: ImagePolicyChoice = {};
  const semverObj = v.object(policyObj.semver, 'spec.policy.semver');
  if (semverObj) policy.semver = { range: v.string(semverObj.range, 'spec.policy.semver.range', true) };
  if (policyObj.alphabetical !== undefined) policy.alphabetical = orderOf(v, policyObj.alphabetical, 'spec.policy.alphabetical');
  if (policyObj.numerical !== undefined) policy.numerical = orderOf(v, policyObj.numerical, 'spec.policy.numerical');
  if (!policy.semver && !policy.alphabetical && !policy.numerical) {
    v.fail('spec.policy must set one of semver, alphabetical or numerical', 'e.g. policy: {semver: {range: ">=1.0.0"}}');
  }

  const out: ImagePolicySpec = { imageRepositoryRef, policy };
  const filterObj = v.object(spec.filterTags, 'spec.filterTags');
  if (filterObj) {
    const filterTags: TagFilterSpec = {};
    const pattern = v.string(filterObj.pattern, 'spec.filterTags.pattern');
    const extract = v.string(filterObj.extract, 'spec.filterTags.extract');
    if (pattern !== undefined) filterTags.pattern = pattern;
    if (extract !== undefined) filterTags.extract = extract;
    out.filterTags = filterTags;
  }
  const reflection = v.enumOf<DigestReflectionPolicy>(spec.digestReflectionPolicy, 'spec.digestReflectionPolicy', [
    'Always',
    'IfNotPresent',
    'Never',
  ]);
  if (reflection) out.digestReflectionPolicy = reflection;
  const interval = v.duration(spec.interval, 'spec.interval');
  // The two CEL rules of the CRD.
  if (interval !== undefined && reflection !== 'Always') {
    v.fail("spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'");
  }
  if (interval === undefined && reflection === 'Always') {
    v.fail("spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'", 'e.g. interval: 10m');
  }
  if (interval !== undefined) out.interval = interval;
  return { apiVersion, kind: 'ImagePolicy', name, namespace, labels, spec: out };
}

/** All ImagePolicy objects in a (multi-document) YAML text; other kinds are ignored. */
export function parseImagePolicies(input: string | K8sObject, source = 'input'): ImagePolicy[] {
  return readK8sObjects(input, source)
    .filter((o) => o.kind === 'ImagePolicy')
    .map((o) => toImagePolicy(o, source));
}

/** Exactly one ImagePolicy from YAML text or a parsed object. Throws InputError otherwise. */
export function parseImagePolicy(input: string | K8sObject, source = 'input'): ImagePolicy {
  const objects = readK8sObjects(input, source);
  if (typeof input !== 'string' || objects.length === 1) return toImagePolicy(objects[0] ?? {}, source);
  const policies = objects.filter((o) => o.kind === 'ImagePolicy');
  if (policies.length !== 1) {
    throw new InputError(`${source}: expected exactly one ImagePolicy, found ${policies.length}`, 'pass a file with a single ImagePolicy');
  }
  return toImagePolicy(policies[0], source);
}
