/** Change groups (src/image-automation/engine/groups.ts, branch.ts): group names, branch rendering and input validation. */
import { describe, expect, it } from 'vitest';
import { groupBranch } from '../../../src/image-automation/engine/branch.js';
import { componentOf, DEFAULT_BRANCH_TEMPLATE, parseGrouping, policyOf } from '../../../src/image-automation/engine/groups.js';

describe('change groups', () => {
  it('a component is the first directory below the update path; a file directly in it is other', () => {
    expect(componentOf('frontend/base/podinfo.yaml')).toBe('frontend');
    expect(componentOf('backend/deploy.yaml')).toBe('backend');
    expect(componentOf('shared.yaml')).toBe('other');
  });

  it('a policy group is the ImagePolicy name of the setter', () => {
    expect(policyOf('apps:frontend-podinfo:tag')).toBe('frontend-podinfo');
    expect(policyOf('apps:redis')).toBe('redis');
  });

  it('parseGrouping: none is no grouping, the default template is image-updates/{{ .Group }}', async () => {
    expect(await parseGrouping('', '')).toBeUndefined();
    expect(await parseGrouping('none', 'x/{{ .Group }}')).toBeUndefined();
    expect(await parseGrouping('component', '')).toEqual({ by: 'component', branchTemplate: DEFAULT_BRANCH_TEMPLATE });
    expect(groupBranch(DEFAULT_BRANCH_TEMPLATE, 'frontend')).toBe('image-updates/frontend');
    expect(groupBranch('bump-{{ .Group | lower }}', 'Redis')).toBe('bump-redis');
  });

  it('refuses an unknown group-by and templates that cannot give one valid branch per group', async () => {
    await expect(parseGrouping('folder', '')).rejects.toThrow(/must be one of none, component, policy, got 'folder'/);
    await expect(parseGrouping('policy', 'updates')).rejects.toThrow(/renders the same branch 'updates' for every group/);
    await expect(parseGrouping('policy', 'u/{{ .Group }}.lock')).rejects.toThrow(/not a valid branch name/);
    await expect(parseGrouping('policy', 'u/{{ .Nope.X }}')).rejects.toThrow(/cannot be rendered/);
    expect(() => groupBranch(DEFAULT_BRANCH_TEMPLATE, 'my app')).toThrow(/renders 'image-updates\/my app' for group 'my app'/);
    expect(() => groupBranch(DEFAULT_BRANCH_TEMPLATE, 'a..b')).toThrow(/not a valid branch name/);
  });
});
