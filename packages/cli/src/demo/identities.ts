/**
 * The identities a D2 cluster verifies the demo's artifacts with: the fleet's runtime-info (ARTIFACT_TAG,
 * ARTIFACT_SUBJECT_WORKFLOW, ARTIFACT_SUBJECT_GIT_REF) turned into Flux's matchOIDCIdentity regular expressions. The
 * certificate subject of a GitHub Actions signature is https://github.com/ + the job's workflow ref (docs/signing.md).
 */
import { GITHUB_ACTIONS_ISSUER } from '@d2/core/base';
import { parse as parseYaml } from 'yaml';
import type { FileTree } from '@d2/sandbox/d2-repos';

export const DEMO_OWNER = 'd2-demo';
export const GITHUB_ISSUER = GITHUB_ACTIONS_ISSUER;

/** Go's regexp.QuoteMeta: escapes every RE2 metacharacter (what Flux users and the D2 fleet use). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The runtime-info ConfigMap data of a fleet cluster (ARTIFACT_TAG, ARTIFACT_SUBJECT_WORKFLOW, ARTIFACT_SUBJECT_GIT_REF). */
export function runtimeInfo(fleet: FileTree, cluster: string): Record<string, string> {
  const text = fleet[`clusters/${cluster}/flux-system/runtime-info.yaml`];
  if (!text) throw new Error(`the fleet has no clusters/${cluster}/flux-system/runtime-info.yaml`);
  const doc = parseYaml(text) as { data?: Record<string, string> };
  return doc.data ?? {};
}

/** The subject regexp of `owner/repo`'s workflow at a git ref pattern. */
export function subjectRegExp(owner: string, repo: string, workflow: string, gitRefRegex: string): string {
  return `^${quoteMeta(`https://github.com/${owner}/${repo}/.github/workflows/${workflow}.yaml`)}@${gitRefRegex}$`;
}
