/**
 * Reading ImagePolicy objects from YAML (`image.toolkit.fluxcd.io/v1` and `v1beta2`) with the validation the API
 * server would apply from the CRD (required fields, enums, the two CEL rules on `interval`), so that a bad manifest
 * fails before anything runs (docs/image-policies.md, "Decisions", Manifest validation).
 */
import { readK8sObjects, readObjectHeader, readSingleK8sObject, type K8sObject, type ObjectValidator } from '../k8s/index.js';
import type { DigestReflectionPolicy, ImagePolicy, ImagePolicyChoice, ImagePolicySpec, TagFilterSpec } from './types.js';

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
  return readSingleK8sObject(input, source, 'ImagePolicy', toImagePolicy);
}
