import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  defineSetters,
  markerSetter,
  splitDocuments,
  updateText,
  updateWithSetters,
  type PolicySetterSource,
} from '../../../src/image-automation/setters/index.js';

// Fixtures U1–U12 (docs/image-automation.md "Tests") are written here from descriptions of IAC's cases (not copied
// from IAC's testdata).

const DIGEST = 'sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be';
const U_POLICIES: PolicySetterSource[] = [
  { namespace: 'automation-ns', name: 'policy', latestRef: { name: 'index.repo.fake/updated', tag: 'v1.0.1' } },
  { namespace: 'automation-ns', name: 'unchanged', latestRef: { name: 'image', tag: 'v1.0.0' } },
  { namespace: 'automation-ns', name: 'policy-with-digest', latestRef: { name: 'image', tag: 'v1.0.0', digest: DIGEST } },
];

const MARKED = `apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: foo
  namespace: bar
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: c
            image: image:v1.0.0 # {"$imagepolicy": "automation-ns:policy"}
          - name: d
            image: image:v1.0.0 # {"$imagepolicy": "automation-ns:unchanged"}
`;

const KUSTOMIZATION = `# a Kustomization file without an extension
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
    - deploy.yaml
images:
    - name: image
      newName: replaced # {"$imagepolicy": "automation-ns:policy:name"}
      newTag: v1 # {"$imagepolicy": "automation-ns:policy:tag"}
`;

const KUSTOMIZATION_YML = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deploy.yaml
images:
  - name: image
    newName: replaced # {"$imagepolicy": "automation-ns:policy:name"}
    newTag: v1 # {"$imagepolicy": "automation-ns:policy:tag"}
    newDigest: sha256:1234567890abcdef # {"$imagepolicy": "automation-ns:policy-with-digest:digest"}
patches:
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args
        value:   [ "--trailing-spaces-kept" ]   
    target:
      kind: Deployment
      image: image # {"$imagepolicy": "automation-ns:policy-with-digest"}
`;

const OTHERNS = `apiVersion: v1
kind: Pod
metadata:
  name: other
spec:
  containers:
  - image: image:v1.0.0 # {"$imagepolicy": "other-namespace:policy"}
`;

const UNMARKED = `apiVersion: v1
kind: Pod
metadata:
  name: unmarked
spec:
  containers:
  - image: image:v1.0.0
`;

const tmps: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'd2-setters-'));
  tmps.push(dir);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}
afterEach(() => {
  while (tmps.length) rmSync(tmps.pop() as string, { recursive: true, force: true });
});

/** Lines that differ between two texts of the same line count (the minimal-diff property). */
function changedLines(a: string, b: string): number[] {
  const x = a.split('\n');
  const y = b.split('\n');
  expect(y.length).toBe(x.length);
  return x.flatMap((l, i) => (l === y[i] ? [] : [i + 1]));
}

describe('IAC setter fixtures U1–U9', () => {
  function uTree() {
    const dir = tree({ 'marked.yaml': MARKED, Kustomization: KUSTOMIZATION, 'kustomization.yml': KUSTOMIZATION_YML, 'otherns.yaml': OTHERNS, 'unmarked.yaml': UNMARKED });
    symlinkSync(join(dir, 'does-not-exist.yaml'), join(dir, 'test.yaml'));
    return dir;
  }

  it('U1/U2: marked.yaml changes only container c; sequence indent and the "*/1 * * * *" quoting are kept', async () => {
    const dir = uTree();
    await updateWithSetters(dir, U_POLICIES);
    const out = readFileSync(join(dir, 'marked.yaml'), 'utf8');
    expect(out).toBe(MARKED.replace('image: image:v1.0.0 # {"$imagepolicy": "automation-ns:policy"}', 'image: index.repo.fake/updated:v1.0.1 # {"$imagepolicy": "automation-ns:policy"}'));
    expect(changedLines(MARKED, out)).toEqual([14]);
  });

  it('U3: Kustomization (no extension, wide sequences, header comment): :name and :tag setters', async () => {
    const dir = uTree();
    await updateWithSetters(dir, U_POLICIES);
    const out = readFileSync(join(dir, 'Kustomization'), 'utf8');
    expect(out).toContain('      newName: index.repo.fake/updated # {"$imagepolicy": "automation-ns:policy:name"}\n');
    expect(out).toContain('      newTag: v1.0.1 # {"$imagepolicy": "automation-ns:policy:tag"}\n');
    expect(changedLines(KUSTOMIZATION, out)).toEqual([8, 9]);
  });

  it('U4/U5: kustomization.yml: digest setter, full setter with digest; the patch block scalar is byte-exact', async () => {
    const dir = uTree();
    await updateWithSetters(dir, U_POLICIES);
    const out = readFileSync(join(dir, 'kustomization.yml'), 'utf8');
    expect(out).toContain(`    newDigest: ${DIGEST} # {"$imagepolicy"`);
    expect(out).toContain(`      image: image:v1.0.0@${DIGEST} # {"$imagepolicy": "automation-ns:policy-with-digest"}\n`);
    expect(out).toContain('        value:   [ "--trailing-spaces-kept" ]   \n');
    expect(changedLines(KUSTOMIZATION_YML, out)).toEqual([7, 8, 9, 17]);
  });

  it('U6/U7/U8: other namespace and unmarked files are not written; the dangling symlink is skipped; 4 files read', async () => {
    const dir = uTree();
    const run = await updateWithSetters(dir, U_POLICIES);
    expect(readFileSync(join(dir, 'otherns.yaml'), 'utf8')).toBe(OTHERNS);
    expect(readFileSync(join(dir, 'unmarked.yaml'), 'utf8')).toBe(UNMARKED);
    expect(run.scannedFiles).toBe(4);
    expect(run.files.map((f) => f.path)).toEqual(['Kustomization', 'kustomization.yml', 'marked.yaml']);
  });

  it('U9: the exact Result (files → object identifiers → changes in discovery order)', async () => {
    const dir = uTree();
    const { result } = await updateWithSetters(dir, U_POLICIES);
    const fc = result.fileChanges;
    expect([...fc.keys()].sort()).toEqual(['Kustomization', 'kustomization.yml', 'marked.yaml']);
    expect(fc.get('kustomization.yml')).toEqual([
      {
        object: { APIVersion: 'kustomize.config.k8s.io/v1beta1', Kind: 'Kustomization', Name: '', Namespace: '' },
        changes: [
          { OldValue: 'replaced', NewValue: 'index.repo.fake/updated', Setter: 'automation-ns:policy:name' },
          { OldValue: 'v1', NewValue: 'v1.0.1', Setter: 'automation-ns:policy:tag' },
          { OldValue: 'sha256:1234567890abcdef', NewValue: DIGEST, Setter: 'automation-ns:policy-with-digest:digest' },
          { OldValue: 'image', NewValue: `image:v1.0.0@${DIGEST}`, Setter: 'automation-ns:policy-with-digest' },
        ],
      },
    ]);
    expect(fc.get('Kustomization')?.[0].changes).toHaveLength(2);
    expect(fc.get('marked.yaml')).toEqual([
      {
        object: { APIVersion: 'batch/v1beta1', Kind: 'CronJob', Name: 'foo', Namespace: 'bar' },
        changes: [{ OldValue: 'image:v1.0.0', NewValue: 'index.repo.fake/updated:v1.0.1', Setter: 'automation-ns:policy' }],
      },
    ]);
  });

  it('is idempotent: a second run changes nothing', async () => {
    const dir = uTree();
    await updateWithSetters(dir, U_POLICIES);
    const again = await updateWithSetters(dir, U_POLICIES);
    expect(again.result.empty).toBe(true);
    expect(again.files).toEqual([]);
  });

  it('dry run computes the same result without writing', async () => {
    const dir = uTree();
    const run = await updateWithSetters(dir, U_POLICIES, { dryRun: true });
    expect(run.files).toHaveLength(3);
    expect(readFileSync(join(dir, 'marked.yaml'), 'utf8')).toBe(MARKED);
  });
});

describe('applier cases U10–U12', () => {
  const deploy = (policy: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: test
spec:
  template:
    spec:
      containers:
      - name: hello
        image: helloworld:1.0.0 # {"$imagepolicy": "test-ns:${policy}"}
`;

  it('U10: one policy', async () => {
    const dir = tree({ 'appconfig/deploy.yaml': deploy('policy1') });
    const run = await updateWithSetters(dir, [{ namespace: 'test-ns', name: 'policy1', latestRef: { name: 'helloworld', tag: '1.0.1' } }]);
    expect(readFileSync(join(dir, 'appconfig/deploy.yaml'), 'utf8')).toBe(deploy('policy1').replace('helloworld:1.0.0', 'helloworld:1.0.1'));
    expect([...run.result.fileChanges.keys()]).toEqual(['appconfig/deploy.yaml']);
  });

  it('U11: three policies, the marker names policy2', async () => {
    const dir = tree({ 'appconfig/deploy.yaml': deploy('policy2') });
    await updateWithSetters(dir, [
      { namespace: 'test-ns', name: 'policy1', latestRef: { name: 'helloworld', tag: '1.0.1' } },
      { namespace: 'test-ns', name: 'policy2', latestRef: { name: 'helloworld', tag: '1.0.2' } },
      { namespace: 'test-ns', name: 'policy3', latestRef: { name: 'helloworld', tag: '1.0.3' } },
    ]);
    expect(readFileSync(join(dir, 'appconfig/deploy.yaml'), 'utf8')).toContain('image: helloworld:1.0.2 #');
  });

  it('U12: update.path ./yes updates yes/ only; FileChanges are relative to update.path', async () => {
    const dir = tree({ 'yes/deploy.yaml': deploy('policy1'), 'no/deploy.yaml': deploy('policy1') });
    const run = await updateWithSetters(join(dir, 'yes'), [{ namespace: 'test-ns', name: 'policy1', latestRef: { name: 'helloworld', tag: '1.0.1' } }]);
    expect(readFileSync(join(dir, 'yes/deploy.yaml'), 'utf8')).toContain('helloworld:1.0.1');
    expect(readFileSync(join(dir, 'no/deploy.yaml'), 'utf8')).toBe(deploy('policy1'));
    expect([...run.result.fileChanges.keys()]).toEqual(['deploy.yaml']);
  });
});

describe('marker grammar (marker examples)', () => {
  const setters = defineSetters([{ namespace: 'ns', name: 'p', latestRef: { name: 'img', tag: '2' } }]);
  it.each([
    '# {"$imagepolicy": "ns:p"}',
    '#{"$imagepolicy":"ns:p"}',
    '# { "$imagepolicy" : "ns:p" }',
    '# {"$imagepolicy": "ns:p", "x": "y"}',
    '## {"$imagepolicy": "ns:p"}',
    '# {"$ref": "#/definitions/io.k8s.cli.setters.ns:p"}',
    '# {"$imagepolicy": "ns:p", "x": null}',
  ])('works: %s', (c) => expect(markerSetter(c, setters)).toBe('ns:p'));
  it.each([
    '# {"$imagepolicy": "ns:p"} keep me',
    "# {'$imagepolicy': 'ns:p'}",
    '# {"$imagepolicy": "ns/p"}',
    '# {"$imagepolicy": "p"}',
    '# {"$imagepolicy": "NS:p"}',
    '# {"$imagepolicy": " ns:p"}',
    '# {"$imagepolicy": "ns:p", "x": 1}',
    '# {"$imagepolicy": ["ns:p"]}',
    '# {"$imagepolicy": "other:p"}',
    '# ["ns:p"]',
  ])('ignored: %s', (c) => expect(markerSetter(c, setters)).toBeUndefined());

  it('defines the four setters per policy; the digest setter writes "" without a digest', () => {
    expect([...setters.entries()]).toEqual([
      ['ns:p', 'img:2'],
      ['ns:p:tag', '2'],
      ['ns:p:name', 'img'],
      ['ns:p:digest', ''],
    ]);
    expect(defineSetters([{ namespace: 'ns', name: 'none' }]).size).toBe(0);
  });

  it('an unparseable latestRef fails the whole update', () => {
    expect(() => defineSetters([{ namespace: 'ns', name: 'bad', latestRef: { name: 'Bad/Upper', tag: 'x' } }])).toThrow(/invalid image ref/);
  });
});

/** Runs updateText with ns:p → `value` and checks the minimal-diff property and idempotence. */
function apply(input: string, value = 'img:2', extra: Record<string, string> = {}) {
  const setters = new Map<string, string>([['ns:p', value], ...Object.entries(extra)]);
  const r = updateText(input, setters);
  if (r.status === 'updated') {
    const again = updateText(r.text, setters);
    expect(again.status).toBe('unchanged');
    return r.text;
  }
  return r.status === 'problem' ? `PROBLEM: ${r.reason}` : input;
}

describe('minimal diffs: every formatting situation keeps all other bytes (spec README item 9)', () => {
  it('4-space indentation, blank lines, aligned comments and other comments', () => {
    const input = `# header

kind: Deployment    # aligned
spec:
    containers:


        -   name: a       # padded
            image: img:1        # {"$imagepolicy": "ns:p"}
    # foot
`;
    expect(apply(input)).toBe(input.replace('img:1   ', 'img:2   '));
  });

  it('single and double quotes are kept, with escaping', () => {
    const input = `a: 'img:1' # {"$imagepolicy": "ns:p"}\nb: "img:1" # {"$imagepolicy": "ns:p"}\n`;
    expect(apply(input)).toBe(`a: 'img:2' # {"$imagepolicy": "ns:p"}\nb: "img:2" # {"$imagepolicy": "ns:p"}\n`);
    expect(apply(input, `it's "x"`)).toBe(`a: 'it''s "x"' # {"$imagepolicy": "ns:p"}\nb: "it's \\"x\\"" # {"$imagepolicy": "ns:p"}\n`);
  });

  it('a plain value that becomes a YAML 1.1 non-string gets double quotes (D2I tag: "86.2.0" style stays)', () => {
    expect(apply('tag: 1.9 # {"$imagepolicy": "ns:p"}\n', '1.10')).toBe('tag: "1.10" # {"$imagepolicy": "ns:p"}\n');
    expect(apply('int: 5 # {"$imagepolicy": "ns:p"}\n', '6')).toBe('int: "6" # {"$imagepolicy": "ns:p"}\n');
    expect(apply('tag: "86.2.0" # {"$imagepolicy": "ns:p"}\n', '86.3.0')).toBe('tag: "86.3.0" # {"$imagepolicy": "ns:p"}\n');
    expect(apply('digest: sha256:1 # {"$imagepolicy": "ns:p"}\n', '')).toBe('digest: "" # {"$imagepolicy": "ns:p"}\n');
  });

  it('CRLF line endings stay CRLF', () => {
    const input = 'kind: A\r\nspec:\r\n  image: img:1 # {"$imagepolicy": "ns:p"}\r\n  other: x\r\n';
    expect(apply(input)).toBe(input.replace('img:1', 'img:2'));
  });

  it('multi-document files: separators with comments, end markers and untouched documents stay', () => {
    const input = `---
kind: A
x: y   # untouched
--- # second
kind: B
image: img:1 # {"$imagepolicy": "ns:p"}
...
---

# comment-only document
---
kind: C
list: [a, b]
`;
    expect(apply(input)).toBe(input.replace('image: img:1', 'image: img:2'));
  });

  it('an invalid --- line makes a problem file that is left alone', () => {
    expect(apply('kind: A\n--- x\nimage: img:1 # {"$imagepolicy": "ns:p"}\n')).toMatch(/^PROBLEM: invalid document separator/);
    expect(splitDocuments('a: 1\n---\nb: 2\n')).toEqual([{ start: 0, end: 4 }, { start: 9, end: 14 }]);
  });

  it('top-level sequences and scalar metadata are problem files (#624)', () => {
    expect(apply('- image: img:1 # {"$imagepolicy": "ns:p"}\n')).toMatch(/^PROBLEM/);
    expect(apply('metadata: x\nimage: img:1 # {"$imagepolicy": "ns:p"}\n')).toMatch(/^PROBLEM: metadata/);
  });

  it('flow style: `[a, # marker` is the item\'s line comment; after `]` the comment is the collection\'s', () => {
    const input = `args: [img:1, # {"$imagepolicy": "ns:p"}\n  img:1]\nmore: [img:1] # {"$imagepolicy": "ns:p"}\n`;
    expect(apply(input)).toBe(input.replace('[img:1, #', '[img:2, #'));
  });

  it('anchors and tags before the value are kept; aliases are never written', () => {
    const input = `a: &x img:1 # {"$imagepolicy": "ns:p"}\nb: *x # {"$imagepolicy": "ns:p"}\nc: !!str img:1 # {"$imagepolicy": "ns:p"}\n`;
    expect(apply(input)).toBe(`a: &x img:2 # {"$imagepolicy": "ns:p"}\nb: *x # {"$imagepolicy": "ns:p"}\nc: !!str img:2 # {"$imagepolicy": "ns:p"}\n`);
  });

  it('block scalars as marked values become a one-line block of the same style (documented decision)', () => {
    const input = `a: | # {"$imagepolicy": "ns:p"}\n    img:1\nb: >+ # {"$imagepolicy": "ns:p"}\n  img:1\n\nc: d\n`;
    expect(apply(input)).toBe(`a: |- # {"$imagepolicy": "ns:p"}\n    img:2\nb: >- # {"$imagepolicy": "ns:p"}\n  img:2\n\nc: d\n`);
  });

  it('head comments: sequence items and values on their own line; never a comment above `key: value`', () => {
    const input = `list:
# {"$imagepolicy": "ns:p"}
- img:1
- img:1
  # {"$imagepolicy": "ns:p"}
- img:1
- # {"$imagepolicy": "ns:p"}
  img:1
# {"$imagepolicy": "ns:p"}
key: img:1
own:
  # {"$imagepolicy": "ns:p"}
  img:1
empty: # {"$imagepolicy": "ns:p"}
`;
    const out = apply(input);
    expect(changedLines(input, out)).toEqual([3, 6, 8, 13]);
  });

  it('multi-line head comments, foot comments and blank-line-separated comments do not count', () => {
    const input = `list:
- name: a
  # {"$imagepolicy": "ns:p"}
- img:1
- img:1
# {"$imagepolicy": "ns:p"}

- img:1
# other
# {"$imagepolicy": "ns:p"}
- img:1
`;
    expect(apply(input)).toBe(input);
  });

  it('a value equal to the policy value is not a change (no write, no recorded change)', () => {
    const r = updateText('image: img:2 # {"$imagepolicy": "ns:p"}\n', new Map([['ns:p', 'img:2']]));
    expect(r.status).toBe('unchanged');
  });

  it('whole-scalar replacement: a :tag marker on `image: app:1.0` yields `image: 1.1`', () => {
    expect(apply('image: app:1.0 # {"$imagepolicy": "ns:p:tag"}\n', 'x', { 'ns:p:tag': '1.1' })).toBe('image: "1.1" # {"$imagepolicy": "ns:p:tag"}\n');
  });
});

describe('D2 repositories are in kyaml form: a bump changes only the marked line', () => {
  it('d2-apps-like podinfo.yaml 6.14.0 → 6.15.0', () => {
    const input = `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo-chart
spec:
  interval: 1h
  url: oci://ghcr.io/stefanprodan/charts/podinfo
  ref:
    semver: 6.14.0 # {"$imagepolicy": "apps:frontend-podinfo:tag"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  values:
    ingress:
      hosts:
        - host: podinfo.\${CLUSTER_DOMAIN}
`;
    const setters = defineSetters([{ namespace: 'apps', name: 'frontend-podinfo', latestRef: { name: 'ghcr.io/stefanprodan/charts/podinfo', tag: '6.15.0' } }]);
    const r = updateText(input, setters);
    expect(r.status).toBe('updated');
    if (r.status !== 'updated') return;
    expect(r.text).toBe(input.replace('semver: 6.14.0', 'semver: 6.15.0'));
    expect(r.changes.map((c) => [c.object, c.change])).toEqual([
      [
        { APIVersion: 'source.toolkit.fluxcd.io/v1', Kind: 'OCIRepository', Name: 'podinfo-chart', Namespace: '' },
        { OldValue: '6.14.0', NewValue: '6.15.0', Setter: 'apps:frontend-podinfo:tag' },
      ],
    ]);
  });
});

describe('file selection', () => {
  it('only .yaml/.yml/Kustomization with the literal "$imagepolicy"; hidden dirs included; lexical order', async () => {
    const m = (n: string) => `kind: K\nmetadata:\n  name: ${n}\nimage: img:1 # {"$imagepolicy": "ns:p"}\n`;
    const dir = tree({
      '.github/x.yaml': m('hidden'),
      'B.yml': m('b'),
      'a/Kustomization': m('k'),
      'a/z.YAML': m('upper'),
      'a/kustomization': m('lower'),
      'c.json': m('json'),
      'd.yaml': 'kind: K\nimage: img:1 # {$imagepolicy: ns:p}\n',
    });
    const run = await updateWithSetters(dir, [{ namespace: 'ns', name: 'p', latestRef: { name: 'img', tag: '2' } }]);
    expect(run.files.map((f) => f.path)).toEqual(['.github/x.yaml', 'B.yml', 'a/Kustomization']);
  });

  it('a missing update path is an error', async () => {
    await expect(updateWithSetters('/nonexistent/d2/path', [{ namespace: 'ns', name: 'p', latestRef: { name: 'img', tag: '2' } }])).rejects.toThrow(/does not exist/);
  });
});
