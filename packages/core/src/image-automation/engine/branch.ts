/**
 * The branch of a change group: the branch template (Go text/template with `.Group`, docs/image-automation.md
 * "Change groups") rendered for the group and checked as a git branch name.
 */
import { InputError } from '../../errors.js';
import { isValidBranchName } from '../git/checkout.js';
import { Template } from '../template/exec.js';
import { sprigFuncs } from '../template/sprig.js';

/** Renders the branch of `group`; an invalid ref is an error naming the group and the rendered name. */
export function groupBranch(branchTemplate: string, group: string): string {
  let branch: string;
  try {
    branch = new Template(branchTemplate, sprigFuncs()).execute({ Group: group });
  } catch (err) {
    throw new InputError(`branch-template '${branchTemplate}' cannot be rendered for group '${group}': ${err instanceof Error ? err.message : String(err)}`, 'use Go template syntax with .Group, e.g. image-updates/{{ .Group }}');
  }
  if (!isValidBranchName(branch)) {
    throw new InputError(`branch-template '${branchTemplate}' renders '${branch}' for group '${group}', which is not a valid branch name`, 'the rendered name must be a valid git branch name (no spaces, "..", "~", "^", ":", "?", "*", "[", "\\\\", no trailing "/" or ".lock")');
  }
  return branch;
}
