/**
 * One branch (and pull request) per change group (docs/image-automation.md "Change groups"): `group-by: none |
 * component | policy` and a branch template (Go text/template with `.Group`, default `image-updates/{{ .Group }}`).
 * A component is the first directory below the update path that holds the changed file; a change in a file directly
 * in the update path belongs to the group `other`. A policy group is the ImagePolicy's name. Group names depend only
 * on the repository's layout and the policies, so the same group always lands on the same branch.
 */
import { InputError } from '../../errors.js';

export const GROUP_BY = ['none', 'component', 'policy'] as const;
export type GroupBy = (typeof GROUP_BY)[number];
export const DEFAULT_BRANCH_TEMPLATE = 'image-updates/{{ .Group }}';
/** The group of a change outside any component. */
export const OTHER_GROUP = 'other';

export interface Grouping {
  by: 'component' | 'policy';
  branchTemplate: string;
}

/**
 * `group-by` and `branch-template` as given: `none` (or empty) is no grouping; the template must render a valid branch
 * for a sample group and depend on `.Group` (two groups on one branch would overwrite each other's pull request).
 */
export async function parseGrouping(groupBy: string, branchTemplate: string): Promise<Grouping | undefined> {
  const by = groupBy.trim() || 'none';
  if (!(GROUP_BY as readonly string[]).includes(by)) throw new InputError(`input 'group-by' must be one of ${GROUP_BY.join(', ')}, got '${groupBy}'`, 'group-by: component opens one branch and pull request per component, policy one per ImagePolicy');
  const template = branchTemplate.trim() || DEFAULT_BRANCH_TEMPLATE;
  if (by === 'none') return undefined;
  // The template engine (and the regular expressions of its functions) is imported only when a branch is rendered:
  // e2e-update reads its inputs before it loads the engine (docs/architecture.md, "Action start-up").
  const { groupBranch } = await import('./branch.js');
  const a = groupBranch(template, 'frontend');
  const b = groupBranch(template, OTHER_GROUP);
  if (a === b) throw new InputError(`branch-template '${template}' renders the same branch '${a}' for every group`, 'use .Group in the template, e.g. image-updates/{{ .Group }}');
  return { by: by as Grouping['by'], branchTemplate: template };
}

/** The component of a changed file (path relative to the update path, `/`-separated). */
export function componentOf(file: string): string {
  const i = file.indexOf('/');
  return i > 0 ? file.slice(0, i) : OTHER_GROUP;
}

/** The ImagePolicy name of a setter (`<namespace>:<policy>[:field]`). */
export function policyOf(setter: string): string {
  return setter.split(':')[1] ?? setter;
}
