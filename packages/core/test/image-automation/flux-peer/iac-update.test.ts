/**
 * image-automation-controller `internal/update/update_test.go` (TestUpdateWithSetters), `filereader_test.go`
 * (TestScreeningLocalReader) and `result_test.go` (TestResult, TestResultObjectsAggregatesSameObjectAcrossFiles). The
 * first two run over IAC's own
 * `testdata/setters/{original,expected}` (read from ../shared). IAC writes the rewritten files to a fresh output
 * directory, so `expected/` holds exactly the changed files; we rewrite in place, so the same check reads: the changed
 * files equal `expected/`, and every other file is untouched.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  isCandidateFile,
  SCREENING_TOKEN,
  UpdateResult,
  updateWithSetters,
  walkFiles,
  type ObjectIdentifier,
  type PolicySetterSource,
} from '../../../src/image-automation/setters/index.js';
import { cleanupScratch, copyTree, iacTestdata, imageToRef, listFiles, scratchDir } from './fixtures.js';

afterAll(cleanupScratch);

// The policies of the Go test (namespace automation-ns) and their status.latestRef.
const POLICIES: PolicySetterSource[] = [
  { namespace: 'automation-ns', name: 'policy', latestRef: imageToRef('index.repo.fake/updated:v1.0.1') },
  { namespace: 'automation-ns', name: 'unchanged', latestRef: imageToRef('image:v1.0.0') },
  {
    namespace: 'automation-ns',
    name: 'policy-with-digest',
    latestRef: imageToRef('image:v1.0.0@sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be'),
  },
];

const DIGEST = 'sha256:6745aaad46d795c9836632e1fb62f24b7e7f4c843144da8e47a5465c411a14be';
const KUSTOMIZE_ID: ObjectIdentifier = { APIVersion: 'kustomize.config.k8s.io/v1beta1', Kind: 'Kustomization', Name: '', Namespace: '' };
const MARKED_ID: ObjectIdentifier = { APIVersion: 'batch/v1beta1', Kind: 'CronJob', Name: 'foo', Namespace: 'bar' };

// The Result of the Go test: file → object → changes (in discovery order).
const EXPECTED_RESULT = {
  'kustomization.yml': [
    {
      object: KUSTOMIZE_ID,
      changes: [
        { OldValue: 'replaced', NewValue: 'index.repo.fake/updated', Setter: 'automation-ns:policy:name' },
        { OldValue: 'v1', NewValue: 'v1.0.1', Setter: 'automation-ns:policy:tag' },
        { OldValue: 'sha256:1234567890abcdef', NewValue: DIGEST, Setter: 'automation-ns:policy-with-digest:digest' },
        { OldValue: 'image', NewValue: `image:v1.0.0@${DIGEST}`, Setter: 'automation-ns:policy-with-digest' },
      ],
    },
  ],
  Kustomization: [
    {
      object: KUSTOMIZE_ID,
      changes: [
        { OldValue: 'replaced', NewValue: 'index.repo.fake/updated', Setter: 'automation-ns:policy:name' },
        { OldValue: 'v1', NewValue: 'v1.0.1', Setter: 'automation-ns:policy:tag' },
      ],
    },
  ],
  'marked.yaml': [
    {
      object: MARKED_ID,
      changes: [{ OldValue: 'image:v1.0.0', NewValue: 'index.repo.fake/updated:v1.0.1', Setter: 'automation-ns:policy' }],
    },
  ],
};

describe('IAC internal/update/update_test.go', () => {
  it('TestUpdateWithSetters: the changed files equal testdata/setters/expected, the rest is untouched, and the Result matches', async () => {
    const original = iacTestdata('update', 'setters/original');
    const work = copyTree(original, join(scratchDir(), 'work'));
    const run = await updateWithSetters(work, POLICIES);

    // ExpectMatchingDirectories(output, expected): the output directory holds exactly the rewritten files.
    const expected = listFiles(iacTestdata('update', 'setters/expected'));
    const written = new Map(run.files.map((f) => [f.path, f.after]));
    expect([...written.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, text] of expected) expect(written.get(path), path).toBe(text);

    // In place: the rewritten files are on disk, every other file (other namespace, unmarked, the symlink stand-in)
    // is byte for byte the original.
    const after = listFiles(work);
    const before = listFiles(original);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [path, text] of after) expect(text, path).toBe(expected.get(path) ?? before.get(path));
    expect(run.problemFiles).toEqual([]);

    // g.Expect(result).To(Equal(expectedResult))
    const result = Object.fromEntries(run.result.fileChanges);
    expect(result).toEqual(EXPECTED_RESULT);
  });

  it('TestUpdateWithSetters, run again on its own output: nothing left to change (the result is empty)', async () => {
    const work = copyTree(iacTestdata('update', 'setters/original'), join(scratchDir(), 'work'));
    await updateWithSetters(work, POLICIES);
    const second = await updateWithSetters(work, POLICIES);
    expect(second.result.empty).toBe(true);
    expect(second.files).toEqual([]);
  });
});

describe('IAC internal/update/filereader_test.go', () => {
  it('TestScreeningLocalReader: the four files of testdata/setters/original that contain the marker are read', async () => {
    const original = iacTestdata('update', 'setters/original');
    // The reader's selection: candidate names (.yaml, .yml, Kustomization) whose bytes contain the token.
    const screened = [...walkFiles(original)].filter((f) => isCandidateFile(f) && readFileSync(f, 'utf8').includes(SCREENING_TOKEN)).map((f) => relative(original, f));
    expect(new Set(screened)).toEqual(new Set(['marked.yaml', 'otherns.yaml', 'kustomization.yml', 'Kustomization']));
    // And a run parses exactly those.
    const work = copyTree(original, join(scratchDir(), 'work'));
    expect((await updateWithSetters(work, POLICIES, { dryRun: true })).scannedFiles).toBe(4);
  });
});

describe('IAC internal/update/result_test.go', () => {
  it('TestResult: Changes and Objects of two objects in two files', () => {
    const foo: ObjectIdentifier = { APIVersion: '', Kind: '', Namespace: 'ns', Name: 'foo' };
    const bar: ObjectIdentifier = { APIVersion: '', Kind: '', Namespace: 'ns', Name: 'bar' };
    const result = new UpdateResult();
    result.addChange('foo.yaml', foo, { OldValue: 'aaa', NewValue: 'bbb', Setter: 'foo-ns:policy:name' });
    result.addChange('bar.yaml', bar, { OldValue: 'cccc:v1.0', NewValue: 'cccc:v1.2', Setter: 'foo-ns:policy' });
    expect(result.changes()).toEqual(
      expect.arrayContaining([
        { OldValue: 'aaa', NewValue: 'bbb', Setter: 'foo-ns:policy:name' },
        { OldValue: 'cccc:v1.0', NewValue: 'cccc:v1.2', Setter: 'foo-ns:policy' },
      ]),
    );
    expect(result.changes()).toHaveLength(2);
    const objects = new Map(result.objects().map((o) => [o.object.Name, o.changes]));
    expect(objects).toEqual(
      new Map([
        ['foo', [{ OldValue: 'aaa', NewValue: 'bbb', Setter: 'foo-ns:policy:name' }]],
        ['bar', [{ OldValue: 'cccc:v1.0', NewValue: 'cccc:v1.2', Setter: 'foo-ns:policy' }]],
      ]),
    );
  });

  it('TestResultObjectsAggregatesSameObjectAcrossFiles', () => {
    const id: ObjectIdentifier = { APIVersion: 'apps/v1', Kind: 'Deployment', Namespace: 'default', Name: 'podinfo' };
    const result = new UpdateResult();
    result.addChange('base/deployment.yaml', id, { OldValue: 'podinfo:v1.0.0', NewValue: 'podinfo:v1.0.1', Setter: 'flux-system:podinfo' });
    result.addChange('overlays/prod/deployment.yaml', id, { OldValue: '1', NewValue: '2', Setter: 'flux-system:replicas' });
    const objects = result.objects();
    expect(objects.map((o) => o.object)).toEqual([id]);
    expect(objects[0].changes).toEqual(
      expect.arrayContaining([
        { OldValue: 'podinfo:v1.0.0', NewValue: 'podinfo:v1.0.1', Setter: 'flux-system:podinfo' },
        { OldValue: '1', NewValue: '2', Setter: 'flux-system:replicas' },
      ]),
    );
  });
});
