/**
 * ImagePolicy as written in git (`image.toolkit.fluxcd.io/v1` and `v1beta2`, IRC `api/v1/imagepolicy_types.go`),
 * and the election result (`status.latestRef`). docs/image-policies.md.
 */

export type DigestReflectionPolicy = 'Never' | 'IfNotPresent' | 'Always';

/** `spec.policy`: exactly one of these is used, checked in this order (IRC `factory.go`). */
export interface ImagePolicyChoice {
  semver?: { range: string };
  /** `order`: `asc` (default) or `desc`. */
  alphabetical?: { order?: string };
  /** `order`: `asc` (default) or `desc`. */
  numerical?: { order?: string };
}

/** `spec.filterTags`. */
export interface TagFilterSpec {
  /** Go RE2 pattern, unanchored; "" matches every tag. */
  pattern?: string;
  /** `Regexp.ExpandString` template (`$name`, `${name}`, `$1`); "" keeps the whole tag. */
  extract?: string;
}

/** `spec` of an ImagePolicy (field names as in the CRD). */
export interface ImagePolicySpec {
  imageRepositoryRef: { name: string; namespace?: string };
  policy: ImagePolicyChoice;
  filterTags?: TagFilterSpec;
  /** Default `Never`. */
  digestReflectionPolicy?: DigestReflectionPolicy;
  /** Go duration text (`10m`); allowed only with, and required by, `digestReflectionPolicy: Always`. */
  interval?: string;
}

/** A parsed ImagePolicy object. */
export interface ImagePolicy {
  apiVersion: string;
  kind: 'ImagePolicy';
  name: string;
  /** As written; d2 policies carry none in git (the Kustomization's `targetNamespace` supplies it). */
  namespace?: string;
  labels: Record<string, string>;
  spec: ImagePolicySpec;
}

/** What `electLatest` returns: the elected original tag. */
export interface PolicyResult {
  tag: string;
}

/** `status.latestRef` (IRC `ImageRef`). */
export interface ImageRef {
  /** `spec.image` of the ImageRepository, verbatim (not canonicalised: the setters write it back as is). */
  name: string;
  tag: string;
  /** "" unless digest reflection is on. */
  digest: string;
}
