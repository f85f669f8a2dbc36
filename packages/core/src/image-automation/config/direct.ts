/**
 * Direct mode (no fleet): the one target of the action's inputs, for users outside the D2 layout
 * (docs/image-automation.md). Checked without reading the repository, so the action checks it with its inputs.
 */
import { InputError } from '../../errors.js';
import type { AutomationTarget } from './fleet.js';

export interface DirectInputs {
  repository: string;
  policiesPath: string;
  namespace: string;
  updatePath?: string;
  checkoutBranch?: string;
  /** Default `image-updates`. */
  pushBranch?: string;
  commitTemplate?: string;
  authorName?: string;
  authorEmail: string;
  substitute?: Record<string, string>;
}

/** A target from the action's direct inputs (non-D2 users). */
export function directTarget(i: DirectInputs): AutomationTarget {
  if (!i.repository) throw new InputError('repository is required in direct mode', 'set `repository` (git URL) or `automation` (fleet update cluster path)');
  if (!i.policiesPath) throw new InputError('policies-path is required in direct mode', 'set `policies-path` to the directory with the ImageRepository/ImagePolicy manifests');
  if (!i.namespace) throw new InputError('namespace is required in direct mode', 'set `namespace` to the namespace your $imagepolicy markers name (e.g. apps for "apps:podinfo")');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(i.namespace)) throw new InputError(`namespace '${i.namespace}' is not a valid Kubernetes namespace name`);
  if (!i.authorEmail) throw new InputError('author-email is required');
  return {
    automation: { namespace: i.namespace, name: i.namespace },
    repository: i.repository,
    git: { url: i.repository, checkoutBranch: i.checkoutBranch || undefined, pushBranch: i.pushBranch || 'image-updates' },
    policies: { path: i.policiesPath, namespace: i.namespace, substitute: i.substitute },
    update: { path: i.updatePath || './', strategy: 'Setters' },
    commit: { author: { name: i.authorName ?? '', email: i.authorEmail }, messageTemplate: i.commitTemplate || undefined, values: {} },
  };
}
