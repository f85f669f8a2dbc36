/**
 * image-automation-controller `internal/policy/applier_test.go`, Test_applyPolicies, over its own `testdata`
 * (appconfig, appconfig-setters-expected, pathconfig, pathconfig-expected; read from ../shared). Our `applyPolicies`
 * takes the automation's `spec.update` as IAC's `ApplyPolicies` does; the CRD defaulting that the API server applies
 * before any object reaches it is `readFleetConfig`'s (ported from the controller tests in iac-controller.test.ts).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPolicies, type PolicySetterSource, type UpdateSpec } from '../../../src/image-automation/setters/index.js';
import { cleanupScratch, copyTree, diffDirectories, iacTestdata, imageToRef, listFiles, replaceMarker, scratchDir } from './fixtures.js';

afterAll(cleanupScratch);

const TEST_NS = 'test-ns';

interface Case {
  name: string;
  update: UpdateSpec | undefined;
  policyLatestImages: Record<string, string>;
  targetPolicyName: string;
  /** Files (relative) whose SETTER_SITE becomes the target policy's marker; default deploy.yaml. */
  markerFiles?: string[];
  inputPath?: string;
  expectedPath?: string;
  wantErr?: RegExp;
}

// The table of Test_applyPolicies.
const CASES: Case[] = [
  {
    name: 'valid update strategy and one policy',
    update: { strategy: 'Setters' },
    policyLatestImages: { policy1: 'helloworld:1.0.1' },
    targetPolicyName: 'policy1',
    inputPath: 'appconfig',
    expectedPath: 'appconfig-setters-expected',
  },
  // ApplyPolicies with a nil spec.update: only an in-memory object can be like this; the API server defaults it
  // (TestImageUpdateAutomationReconciler_DefaultUpdate, ported in iac-controller.test.ts).
  { name: 'no update strategy', update: undefined, policyLatestImages: {}, targetPolicyName: '', wantErr: /no update strategy/ },
  { name: 'unknown update strategy', update: { strategy: 'foo' }, policyLatestImages: {}, targetPolicyName: '', wantErr: /unsupported update strategy: foo/ },
  {
    name: 'valid update strategy and multiple policies',
    update: { strategy: 'Setters' },
    policyLatestImages: { policy1: 'foo:1.1.1', policy2: 'helloworld:1.0.1', policy3: 'bar:2.2.2' },
    targetPolicyName: 'policy2',
    inputPath: 'appconfig',
    expectedPath: 'appconfig-setters-expected',
  },
  {
    name: 'valid update strategy with update path',
    update: { strategy: 'Setters', path: './yes' },
    policyLatestImages: { policy1: 'helloworld:1.0.1' },
    targetPolicyName: 'policy1',
    markerFiles: ['yes/deploy.yaml', 'no/deploy.yaml'],
    inputPath: 'pathconfig',
    expectedPath: 'pathconfig-expected',
  },
];

describe('IAC internal/policy/applier_test.go Test_applyPolicies', () => {
  it.each(CASES)('$name', async (tt) => {
    const policies: PolicySetterSource[] = Object.entries(tt.policyLatestImages).map(([name, image]) => ({
      namespace: TEST_NS,
      name,
      latestRef: imageToRef(image),
    }));
    const markerFiles = tt.markerFiles ?? ['deploy.yaml'];
    const workDir = join(scratchDir(), 'work');
    if (tt.inputPath) {
      copyTree(iacTestdata('policy', tt.inputPath), workDir);
      for (const f of markerFiles) replaceMarker(join(workDir, f), TEST_NS, tt.targetPolicyName);
    }
    const before = tt.inputPath ? listFiles(workDir) : undefined;

    const applied = applyPolicies(workDir, tt.update, policies);
    if (tt.wantErr) {
      await expect(applied).rejects.toThrow(tt.wantErr);
      if (before) expect(listFiles(workDir)).toEqual(before);
      return;
    }
    const run = await applied;
    expect(run.result.empty).toBe(false);

    const expected = copyTree(iacTestdata('policy', tt.expectedPath as string), join(scratchDir(), 'expected'));
    for (const f of markerFiles) replaceMarker(join(expected, f), TEST_NS, tt.targetPolicyName);
    expect(diffDirectories(workDir, expected)).toEqual({ actualOnly: [], expectedOnly: [], different: [] });
  });

  it('the fixture really changes: without the target policy nothing is written (the comparison above can fail)', async () => {
    const workDir = copyTree(iacTestdata('policy', 'appconfig'), join(scratchDir(), 'work'));
    replaceMarker(join(workDir, 'deploy.yaml'), TEST_NS, 'policy2');
    const run = await applyPolicies(workDir, { strategy: 'Setters' }, [{ namespace: TEST_NS, name: 'policy1', latestRef: imageToRef('helloworld:1.0.1') }]);
    expect(run.result.empty).toBe(true);
    const expected = copyTree(iacTestdata('policy', 'appconfig-setters-expected'), join(scratchDir(), 'expected'));
    replaceMarker(join(expected, 'deploy.yaml'), TEST_NS, 'policy2');
    expect(diffDirectories(workDir, expected).different).toEqual(['deploy.yaml']);
  });

  it('an update path that leaves the checkout is refused before any file is read', async () => {
    const workDir = copyTree(iacTestdata('policy', 'pathconfig'), join(scratchDir(), 'work'));
    await expect(applyPolicies(workDir, { strategy: 'Setters', path: '../..' }, [])).rejects.toThrow(/outside the repository/);
  });
});
