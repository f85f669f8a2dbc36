/**
 * The e2e-update job summary (action/e2e-update.ts): objects without a namespace are named `Kind/name`, and a run
 * without changes says which branch is up to date, linked when it is on the run's GitHub server (the bundle is
 * exercised end to end in test/actions/e2e-update/e2e-update.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { branchWebUrl, displayObject, summaryMarkdown } from '../../src/action/index.js';
import type { EngineResult } from '../../src/image-automation/index.js';

type Target = EngineResult['targets'][number];
const target = (t: Partial<Target>): Target => ({
  automation: 'apps/apps',
  repository: 'https://github.com/acme/d2-apps.git',
  checkoutBranch: 'main',
  pushBranch: 'image-updates',
  pushBranchExisted: false,
  latestRefs: [],
  files: [],
  problemFiles: [],
  skippedPolicies: [],
  ...t,
});
const result = (targets: Target[], changes: EngineResult['changes'] = []): EngineResult => ({ changed: changes.length > 0, commits: [], changes, policyErrors: [], targets, errors: [] });

describe('displayObject', () => {
  it.each([
    ['OCIRepository//memcached-chart', 'OCIRepository/memcached-chart'],
    ['Deployment/apps/podinfo', 'Deployment/apps/podinfo'],
    ['//', ''],
    ['odd', 'odd'],
  ])('%s → %s', (label, shown) => {
    expect(displayObject(label)).toBe(shown);
  });
});

describe('branchWebUrl', () => {
  it('links a branch of a repository on the run’s GitHub server', () => {
    expect(branchWebUrl('https://github.com/acme/d2-apps.git', 'image-updates', 'https://github.com')).toBe('https://github.com/acme/d2-apps/tree/image-updates');
    expect(branchWebUrl('https://ghe.example.com/acme/apps', 'feature/a(b)', 'https://ghe.example.com')).toBe('https://ghe.example.com/acme/apps/tree/feature/a%28b%29');
  });
  it('does not link other hosts, URLs with credentials, or paths that are not owner/repo', () => {
    expect(branchWebUrl('https://gitlab.com/acme/apps.git', 'main', 'https://github.com')).toBeUndefined();
    expect(branchWebUrl('https://x:secret@github.com/acme/apps.git', 'main', 'https://github.com')).toBeUndefined();
    expect(branchWebUrl('https://github.com/acme/group/apps.git', 'main', 'https://github.com')).toBeUndefined();
    expect(branchWebUrl('git@github.com:acme/apps.git', 'main', 'https://github.com')).toBeUndefined();
    expect(branchWebUrl('https://github.com/acme/apps.git', 'main', undefined)).toBeUndefined();
  });
});

describe('summaryMarkdown', () => {
  it('names objects without a namespace as Kind/name', () => {
    const md = summaryMarkdown(
      result([target({})], [{ repository: 'https://github.com/acme/d2-apps.git', file: 'backend/base/memcached.yaml', object: 'OCIRepository//memcached-chart', setter: 'apps:memcached:tag', old: '7.0.0', new: '7.1.0' }]),
      false,
      'https://github.com',
    );
    expect(md).toContain('| backend/base/memcached.yaml | OCIRepository/memcached-chart | `apps:memcached:tag` | `7.0.0` | `7.1.0` |');
    expect(md).not.toContain('//memcached-chart');
  });

  it('no changes on an existing push branch: the branch is up to date, with its link', () => {
    const md = summaryMarkdown(result([target({ pushBranchExisted: true })]), false, 'https://github.com');
    expect(md).toContain('No new changes: [`image-updates`](https://github.com/acme/d2-apps/tree/image-updates) is up to date (it already carries the earlier updates).');
    expect(md).not.toContain('No changes.');
  });

  it('no changes and no push branch: the checkout branch is up to date, no branch is needed', () => {
    expect(summaryMarkdown(result([target({})]), false, 'https://github.com')).toContain('No changes: `main` is up to date; no `image-updates` branch is needed.');
  });

  it('no changes when pushing to the checkout branch itself; not linked off the GitHub server', () => {
    const md = summaryMarkdown(result([target({ repository: 'https://git.example.com/acme/apps.git', pushBranch: 'main', pushBranchExisted: true })]), false, 'https://github.com');
    expect(md).toContain('No changes: `main` is up to date.');
  });

  it('a checkout by tag names the checked-out ref, as a code span whatever the tag contains', () => {
    const md = summaryMarkdown(result([target({ checkoutBranch: '', checkoutRef: 'tag v1`<img src=x>`\n## x (3f1c2ab)' })]), false, 'https://github.com');
    expect(md).toContain('checkout ``tag v1`<img src=x>`⏎## x (3f1c2ab)``, push `image-updates`.');
    expect(md).toContain('No changes: ``tag v1`<img src=x>`⏎## x (3f1c2ab)`` is up to date; no `image-updates` branch is needed.');
    expect(md).not.toMatch(/^## x/m);
  });
  it('every automation suspended: says so', () => {
    expect(summaryMarkdown(result([]), false)).toContain('every one is suspended');
  });
});
