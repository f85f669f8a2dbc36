import { describe, expect, it } from 'vitest';
import {
  buildChangeRows,
  changesFromE2e,
  changesFromPatch,
  collapseChains,
  parseFluxMessage,
  parseMarkedLine,
  renderChangeTable,
} from '../../src/github/index.js';
import { composeBody, fillFirst } from '../../src/forge/index.js';

// D2 template renderings (docs/image-automation.md "Commit messages"), as IAC renders them.
const ONE_BUMP = 'Automated image update\n\nFiles:\n- frontend/base/podinfo.yaml\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0\n';
const THREE_FILES =
  'Automated image update\n\nFiles:\n- backend/base/memcached.yaml\n- backend/base/redis.yaml\n- frontend/base/podinfo.yaml\n' +
  'Objects:\n- OCIRepository memcached-chart\n  Changes:\n    - 7.0.0 -> 7.1.0\n\n    - a -> b\n' +
  '- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0\n- OCIRepository redis-chart\n  Changes:\n    - 27.0.12 -> 27.1.0\n';

describe('parseFluxMessage (D2 template)', () => {
  it('one bump: the only file is attributed to the object', () => {
    expect(parseFluxMessage(ONE_BUMP)).toEqual([{ file: 'frontend/base/podinfo.yaml', object: 'OCIRepository podinfo-chart', old: '6.14.0', new: '6.15.0' }]);
  });

  it('three files: objects in order, two changes of one object separated by a blank line, no file guessed', () => {
    expect(parseFluxMessage(THREE_FILES)).toEqual([
      { object: 'OCIRepository memcached-chart', old: '7.0.0', new: '7.1.0' },
      { object: 'OCIRepository memcached-chart', old: 'a', new: 'b' },
      { object: 'OCIRepository podinfo-chart', old: '6.14.0', new: '6.15.0' },
      { object: 'OCIRepository redis-chart', old: '27.0.12', new: '27.1.0' },
    ]);
  });

  it('a values-file object renders "-  " (empty identity): rows without an object', () => {
    const msg = 'Automated image update\n\nFiles:\n- values.yaml\nObjects:\n-  \n  Changes:\n    - 1 -> 2\n';
    expect(parseFluxMessage(msg)).toEqual([{ file: 'values.yaml', old: '1', new: '2' }]);
  });

  it('other messages give no rows (Flux default template, conventional commits)', () => {
    expect(parseFluxMessage('Update from image update automation')).toEqual([]);
    expect(parseFluxMessage('chore: bump podinfo to 6.15.0\n\n- 6.14.0 -> 6.15.0')).toEqual([]);
  });

  it('CRLF messages parse the same', () => {
    expect(parseFluxMessage(ONE_BUMP.replace(/\n/g, '\r\n'))).toEqual(parseFluxMessage(ONE_BUMP));
  });
});

describe('$imagepolicy marker lines in diffs', () => {
  it('reads the setter and the scalar value from mapping values and sequence items, quoted or not', () => {
    expect(parseMarkedLine('    tag: 6.14.0 # {"$imagepolicy": "apps:podinfo:tag"}')).toEqual({ policy: 'apps:podinfo:tag', value: '6.14.0' });
    expect(parseMarkedLine('  image: "ghcr.io/acme/app:1.0.0" #{"$imagepolicy":"apps:app"}')).toEqual({ policy: 'apps:app', value: 'ghcr.io/acme/app:1.0.0' });
    expect(parseMarkedLine("  - 'ghcr.io/acme/app:1.0.0' # {\"$imagepolicy\": \"apps:app\"}")).toEqual({ policy: 'apps:app', value: 'ghcr.io/acme/app:1.0.0' });
    expect(parseMarkedLine('  tag: 1.0.0 # plain comment')).toBeUndefined();
    expect(parseMarkedLine('  tag: 1.0.0 # {"$imagepolicy": 5}')).toBeUndefined();
  });

  it('pairs removed and added marked lines per policy within each hunk', () => {
    const patch = [
      '@@ -5,7 +5,7 @@ spec:',
      '   ref:',
      '-    tag: 6.14.0 # {"$imagepolicy": "apps:podinfo:tag"}',
      '+    tag: 6.15.0 # {"$imagepolicy": "apps:podinfo:tag"}',
      '@@ -20,3 +20,3 @@',
      '-  image: ghcr.io/a/x:1 # {"$imagepolicy": "apps:x"}',
      '-  other: ghcr.io/a/y:1 # {"$imagepolicy": "apps:y"}',
      '+  other: ghcr.io/a/y:2 # {"$imagepolicy": "apps:y"}',
      '+  image: ghcr.io/a/x:2 # {"$imagepolicy": "apps:x"}',
      ' unchanged: 1 # {"$imagepolicy": "apps:z"}',
    ].join('\n');
    expect(changesFromPatch('f.yaml', patch)).toEqual([
      { file: 'f.yaml', old: '6.14.0', new: '6.15.0', policy: 'apps:podinfo:tag' },
      { file: 'f.yaml', old: 'ghcr.io/a/y:1', new: 'ghcr.io/a/y:2', policy: 'apps:y' },
      { file: 'f.yaml', old: 'ghcr.io/a/x:1', new: 'ghcr.io/a/x:2', policy: 'apps:x' },
    ]);
  });

  it('a newly added marked line has no old value', () => {
    expect(changesFromPatch('n.yaml', '@@ -0,0 +1 @@\n+tag: 1.0.0 # {"$imagepolicy": "apps:n:tag"}')).toEqual([{ file: 'n.yaml', old: '', new: '1.0.0', policy: 'apps:n:tag' }]);
  });
});

describe('rows for a branch', () => {
  it('collapses a → b, b → c of one object into a → c and drops a → a', () => {
    expect(
      collapseChains([
        { object: 'O x', old: '1', new: '2' },
        { object: 'O y', old: '5', new: '6' },
        { object: 'O x', old: '2', new: '3' },
        { object: 'O y', old: '6', new: '5' },
      ]),
    ).toEqual([{ object: 'O x', old: '1', new: '3' }]);
  });

  it('messages first, with file and policy taken from the diff row of the same new value', () => {
    const patch = '@@ -1 +1 @@\n-    tag: 27.0.12 # {"$imagepolicy": "apps:backend-redis:tag"}\n+    tag: 27.1.0 # {"$imagepolicy": "apps:backend-redis:tag"}';
    const rows = buildChangeRows([THREE_FILES], [{ filename: 'backend/base/redis.yaml', patch }]);
    expect(rows).toHaveLength(4);
    expect(rows[3]).toEqual({ object: 'OCIRepository redis-chart', old: '27.0.12', new: '27.1.0', file: 'backend/base/redis.yaml', policy: 'apps:backend-redis:tag' });
    expect(rows[0].file).toBeUndefined();
  });

  it('falls back to the diff when no message is in the D2 format', () => {
    const patch = '@@ -1 +1 @@\n-tag: 1 # {"$imagepolicy": "apps:a:tag"}\n+tag: 2 # {"$imagepolicy": "apps:a:tag"}';
    expect(buildChangeRows(['bump'], [{ filename: 'a.yaml', patch }, { filename: 'bin.png' }])).toEqual([{ file: 'a.yaml', old: '1', new: '2', policy: 'apps:a:tag' }]);
  });

  it("e2e-update's changes keep this repository's rows (owner/name, URL or .git forms)", () => {
    const rows = changesFromE2e(
      [
        { repository: 'https://github.com/Acme/Fleet.git', file: 'a.yaml', object: 'Deployment a', setter: 'apps:a', old: '1', new: '2' },
        { repository: 'acme/other', file: 'b.yaml', old: '1', new: '2' },
        { file: 'c.yaml', old: '3', new: '4' },
      ],
      'acme/fleet',
    );
    expect(rows).toEqual([
      { file: 'a.yaml', object: 'Deployment a', old: '1', new: '2', policy: 'apps:a' },
      { file: 'c.yaml', old: '3', new: '4' },
    ]);
  });
});

describe('rendering', () => {
  it('renders a Markdown table, escaping pipes, backticks, HTML and line breaks (values shown literally)', () => {
    expect(renderChangeTable([{ file: 'a|b.yaml', object: 'Deployment x', old: '1', new: '`2`', policy: 'apps:x' }, { new: '3', old: '' }])).toBe(
      '| File | Object | Change | Policy |\n| --- | --- | --- | --- |\n' + '| `a\\|b.yaml` | Deployment x | `1` → `` `2` `` | `apps:x` |\n' + '|  |  | _(none)_ → `3` |  |',
    );
    expect(renderChangeTable([{ file: 'f\n| x |', object: '<img src=x> [l](u)', old: '1', new: '2\n<b>' }]).split('\n')[2]).toBe(
      '| `f⏎\\| x \\|` | &lt;img src=x&gt; \\[l\\](u) | `1` → `2⏎<b>` |  |',
    );
    expect(renderChangeTable([])).toBe('');
    expect(renderChangeTable(Array.from({ length: 3 }, (_, i) => ({ old: `${i}`, new: `${i + 1}` })), 2)).toContain('…and 1 more changes.');
  });

  it('fillFirst follows gh pr create --fill-first: subject as title, the rest as body', () => {
    expect(fillFirst(ONE_BUMP)).toEqual({ title: 'Automated image update', body: 'Files:\n- frontend/base/podinfo.yaml\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0' });
    expect(fillFirst('only a subject\n')).toEqual({ title: 'only a subject', body: '' });
    expect(fillFirst('wrapped\nsubject\n\nbody')).toEqual({ title: 'wrapped subject', body: 'body' });
  });

  it('composeBody: default = commit body + table; a custom body is verbatim unless it has {{ changes }}', () => {
    expect(composeBody('fill', undefined, 'T')).toBe('fill\n\n### Image updates\n\nT');
    expect(composeBody('', '', '')).toBe('');
    expect(composeBody('fill', 'mine', 'T')).toBe('mine');
    expect(composeBody('fill', 'a {{changes}} b {{ changes }}', 'T$&')).toBe('a T$& b T$&');
    expect(composeBody('x'.repeat(70_000), undefined, '').length).toBeLessThanOrEqual(65_536);
  });
});
