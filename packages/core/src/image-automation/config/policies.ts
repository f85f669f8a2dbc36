/**
 * The ImageRepository and ImagePolicy objects of one automation, read from the target repository at the
 * Kustomization's path, with post-build substitution and the Kustomization's targetNamespace applied
 * (docs/image-automation.md, "Fleet config"). Only policies in the automation's namespace that match its policySelector count.
 */
import { toImagePolicy } from '../policy/manifest.js';
import type { ImagePolicy } from '../policy/types.js';
import { toImageRepository } from '../reflector/manifest.js';
import type { ImageRepository } from '../reflector/types.js';
import { matchesSelector, type AutomationTarget } from './fleet.js';
import { readManifestDir, substituteVariables } from './manifests.js';

export interface AutomationPolicies {
  repositories: ImageRepository[];
  policies: ImagePolicy[];
  /** Policies left out by the namespace or the policySelector. */
  skipped: Array<{ name: string; reason: string }>;
}

export function loadPolicies(repoDir: string, target: AutomationTarget): AutomationPolicies {
  const vars = target.policies.substitute;
  const objects = readManifestDir(repoDir, target.policies.path, vars ? (t) => substituteVariables(t, vars) : undefined);
  const ns = target.policies.namespace;
  const repositories: ImageRepository[] = [];
  const policies: ImagePolicy[] = [];
  const skipped: AutomationPolicies['skipped'] = [];
  for (const { object, file } of objects) {
    if (object.kind === 'ImageRepository') repositories.push({ ...toImageRepository(object, file), namespace: ns });
    else if (object.kind === 'ImagePolicy') {
      const p = { ...toImagePolicy(object, file), namespace: ns };
      if (ns !== target.automation.namespace) skipped.push({ name: `${ns}/${p.name}`, reason: `not in the automation's namespace ${target.automation.namespace}` });
      else if (!matchesSelector(p.labels, target.policySelector)) skipped.push({ name: `${ns}/${p.name}`, reason: 'not selected by policySelector' });
      else policies.push(p);
    }
  }
  return { repositories, policies, skipped };
}
