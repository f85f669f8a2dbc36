/**
 * image-automation-controller `internal/update/update_test.go`, TestUpdateWithSetters, over its own
 * `testdata/setters/{original,expected}` (read from ../shared). IAC writes the rewritten files to a fresh output
 * directory, so `expected/` holds exactly the changed files; we rewrite in place, so the same check reads: the changed
 * files equal `expected/`, and every other file is untouched.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { updateWithSetters, type ObjectIdentifier, type PolicySetterSource } from '../../../src/image-automation/setters/index.js';
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
