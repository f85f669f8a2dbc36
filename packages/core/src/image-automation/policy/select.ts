/**
 * Offline election for `d2 policy select --policy <ImagePolicy yaml> [--repository <ImageRepository yaml>] --tags <file>`
 * (docs/cli.md): the tags file stands in for the registry listing, so the repository's exclusion list applies to it
 * before the election, exactly as a scan would.
 */
import { sortDescendingBytes } from '../../base/index.js';
import { InputError } from '../../errors.js';
import type { K8sObject } from '../k8s/index.js';
import { parseImageName } from '../reflector/image.js';
import { parseImageRepository } from '../reflector/manifest.js';
import { applyExclusionList, compileExclusionList } from '../reflector/scan.js';
import type { ImageRepository, ManifestHeader } from '../reflector/types.js';
import { resolveDigest } from './digest.js';
import { PolicyElector } from './elect.js';
import { PolicyError } from './errors.js';
import { parseImagePolicy } from './manifest.js';
import type { ImagePolicy, ImagePolicySpec, ImageRef } from './types.js';

export interface SelectPolicyInput {
  /** The ImagePolicy (YAML text, one policy; or a parsed object). */
  policyYaml: string | K8sObject;
  /** Its ImageRepository (YAML text or object): enables the exclusion list and `latestRef.name`. */
  repositoryYaml?: string | K8sObject;
  /** The repository's tags, any order (e.g. from `parseTagList`). */
  tags: readonly string[];
  /** Names of the policy and repository inputs in errors (e.g. their file names); default `policy`, `repository`. */
  policySource?: string;
  repositorySource?: string;
}

export interface SelectPolicyResult {
  /** The elected tag. */
  tag: string;
  /** `status.latestRef` (digest "": this is offline) — only when the repository is known. */
  latestRef?: ImageRef;
  policy: ImagePolicy;
  repository?: ImageRepository;
  /** The tags the policy saw: exclusions applied, in storage order (descending bytes). */
  storedTags: string[];
  /** Tags the exclusion list dropped. */
  excluded: string[];
}

/** A tags file: one tag per line; blank lines, surrounding whitespace, CRs and `#` comment lines are ignored. */
export function parseTagList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function label(obj: { name: string; namespace?: string }): string {
  return obj.namespace ? `${obj.namespace}/${obj.name}` : obj.name;
}

/**
 * Elects the tag an ImagePolicy would choose from `tags`. Throws InputError for invalid manifests or a policy that
 * refers to another repository, PolicyError when the election fails (message names the policy and the reason).
 */
export function selectPolicy(input: SelectPolicyInput): SelectPolicyResult {
  const policy = parseImagePolicy(input.policyYaml, input.policySource ?? 'policy');
  const repository = input.repositoryYaml === undefined ? undefined : parseImageRepository(input.repositoryYaml, input.repositorySource ?? 'repository');
  let tags = [...input.tags];
  let excluded: string[] = [];
  if (repository) {
    const wanted = policy.spec.imageRepositoryRef;
    const wantedNs = wanted.namespace ?? policy.namespace;
    if (wanted.name !== repository.name || (wantedNs && repository.namespace && wantedNs !== repository.namespace)) {
      throw new InputError(
        `ImagePolicy ${label(policy)} refers to ImageRepository ${wantedNs ? `${wantedNs}/` : ''}${wanted.name}, but the repository file defines ${label(repository)}`,
        'pass the ImageRepository named in spec.imageRepositoryRef',
      );
    }
    parseImageName(repository.spec.image, repository.spec.insecure === true);
    const result = applyExclusionList(tags, compileExclusionList(repository.spec.exclusionList));
    tags = result.kept;
    excluded = result.excluded;
  }
  const storedTags = sortDescendingBytes(tags);
  const { tag } = new PolicyElector(policy.spec, label(policy)).elect(storedTags, { presorted: true });
  return {
    tag,
    latestRef: repository ? { name: repository.spec.image, tag, digest: '' } : undefined,
    policy,
    repository,
    storedTags,
    excluded,
  };
}

export interface ElectLatestRefInput {
  policy: ImagePolicySpec;
  /** `<namespace>/<name>` for error messages. */
  name?: string;
  /** The ImageRepository's `spec.image` (becomes `latestRef.name` verbatim). */
  image: string;
  /** The repository's stored tags (`scanImageRepository().tags`, or any order without `presorted`). */
  tags: readonly string[];
  presorted?: boolean;
  /** Needed when `digestReflectionPolicy` is `IfNotPresent` or `Always`. */
  registry?: ManifestHeader;
}

/**
 * Election plus digest reflection: the ImagePolicy's `status.latestRef` for a stateless run (`name` is `spec.image`
 * verbatim; docs/image-policies.md, "Decisions"). `IfNotPresent` behaves as `Always` because there is no previous status to keep.
 */
export async function electLatestRef(input: ElectLatestRefInput): Promise<ImageRef> {
  const { tag } = new PolicyElector(input.policy, input.name).elect(input.tags, { presorted: input.presorted });
  const reflection = input.policy.digestReflectionPolicy ?? 'Never';
  if (reflection === 'Never') return { name: input.image, tag, digest: '' };
  if (!input.registry) {
    throw new PolicyError('DigestFailed', `digestReflectionPolicy ${reflection} needs registry access to HEAD ${input.image}:${tag}`, {
      policy: input.name,
      hint: 'pass a registry client (or set digestReflectionPolicy: Never)',
    });
  }
  try {
    return { name: input.image, tag, digest: await resolveDigest(input.image, tag, input.registry, reflection) };
  } catch (err) {
    throw err instanceof PolicyError ? err.withPolicy(input.name) : err;
  }
}
