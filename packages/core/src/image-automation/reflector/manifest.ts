/**
 * Reading ImageRepository objects from YAML with the CRD's validation: `spec.image` required
 * and valid (Flux's messages), `exclusionList` at most 25 valid RE2 regexes, `provider` enum, durations.
 */
import { InputError } from '../../errors.js';
import { readObjectHeader, readSingleK8sObject, type K8sObject } from '../k8s/index.js';
import { parseImageName } from './image.js';
import { compileExclusionList } from './scan.js';
import type { ImageRepository, ImageRepositoryProvider, ImageRepositorySpec } from './types.js';

function ref(v: ReturnType<typeof readObjectHeader>['v'], value: unknown, path: string): { name: string } | undefined {
  const obj = v.object(value, path);
  return obj ? { name: v.string(obj.name, `${path}.name`, true) } : undefined;
}

/** Validates one ImageRepository object. Throws InputError naming the object and the field. */
export function toImageRepository(obj: K8sObject, source = 'input'): ImageRepository {
  const { apiVersion, name, namespace, labels, v } = readObjectHeader(obj, 'ImageRepository', source);
  const spec = v.object(obj.spec, 'spec', true);
  const image = v.string(spec.image, 'spec.image', true);
  const insecure = v.boolean(spec.insecure, 'spec.insecure');
  try {
    parseImageName(image, insecure === true);
    compileExclusionList(v.stringArray(spec.exclusionList, 'spec.exclusionList'));
  } catch (err) {
    if (err instanceof InputError) v.fail(err.message, err.hint);
    throw err;
  }
  const out: ImageRepositorySpec = { image };
  const exclusionList = v.stringArray(spec.exclusionList, 'spec.exclusionList');
  if (exclusionList !== undefined) out.exclusionList = exclusionList;
  if (insecure !== undefined) out.insecure = insecure;
  const provider = v.enumOf<ImageRepositoryProvider>(spec.provider, 'spec.provider', ['generic', 'aws', 'azure', 'gcp']);
  if (provider) out.provider = provider;
  const secretRef = ref(v, spec.secretRef, 'spec.secretRef');
  if (secretRef) out.secretRef = secretRef;
  const certSecretRef = ref(v, spec.certSecretRef, 'spec.certSecretRef');
  if (certSecretRef) out.certSecretRef = certSecretRef;
  const proxySecretRef = ref(v, spec.proxySecretRef, 'spec.proxySecretRef');
  if (proxySecretRef) out.proxySecretRef = proxySecretRef;
  const serviceAccountName = v.string(spec.serviceAccountName, 'spec.serviceAccountName');
  if (serviceAccountName) out.serviceAccountName = serviceAccountName;
  const interval = v.duration(spec.interval, 'spec.interval');
  if (interval) out.interval = interval;
  const timeout = v.duration(spec.timeout, 'spec.timeout');
  if (timeout) out.timeout = timeout;
  const suspend = v.boolean(spec.suspend, 'spec.suspend');
  if (suspend !== undefined) out.suspend = suspend;
  return { apiVersion, kind: 'ImageRepository', name, namespace, labels, spec: out };
}

/** Exactly one ImageRepository from YAML text or a parsed object. Throws InputError otherwise. */
export function parseImageRepository(input: string | K8sObject, source = 'input'): ImageRepository {
  return readSingleK8sObject(input, source, 'ImageRepository', toImageRepository);
}
