import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStrategy, expandResourceSet, loadPolicies, matchesSelector, readFleetConfig, readManifestDir, substituteVariables } from '../../../src/image-automation/config/index.js';
import { automationYaml, gitRepositoryYaml, kustomizationYaml, scratchTrees } from './helpers.js';

const tree = scratchTrees('d2-config-');

const IUA = (extra = '') =>
  automationYaml(`      messageTemplateValues:
        env: prod
    push:
      branch: updates
      refspec: refs/heads/updates:refs/heads/auto
      options:
        merge_request.create: ""
        ci.skip: "true"
  update:
    path: ./deploy
${extra}`);

const SOURCES = `${gitRepositoryYaml('  ref:\n    branch: develop\n')}---
${kustomizationYaml('  postBuild:\n    substitute:\n      REGISTRY: registry.example.com\n')}`;

describe('readFleetConfig', () => {
  it('joins the automation with its GitRepository (checkout = its ref) and the Kustomization (path, namespace, substitution)', () => {
    const dir = tree({ 'cluster/sources.yaml': SOURCES, 'cluster/auto.yaml': IUA('    strategy: Setters\n') });
    const [t] = readFleetConfig(dir, 'cluster');
    expect(t.automation).toEqual({ namespace: 'team', name: 'auto' });
    expect(t.git).toEqual({
      url: 'https://git.example.com/team/repo.git',
      checkoutBranch: 'develop',
      pushBranch: 'updates',
      refspec: 'refs/heads/updates:refs/heads/auto',
      pushOptions: ['ci.skip=true', 'merge_request.create'],
    });
    expect(t.policies).toEqual({ path: './flux/policies', namespace: 'team', substitute: { REGISTRY: 'registry.example.com' } });
    expect(t.update).toEqual({ path: './deploy', strategy: 'Setters' });
    expect(t.commit).toEqual({ author: { name: '', email: 'bot@example.com' }, messageTemplate: undefined, values: { env: 'prod' } });
  });

  it('U13: a missing strategy is defaulted to Setters (CRD default); only an explicit unknown strategy is an error', () => {
    const [t] = readFleetConfig(tree({ 'c/s.yaml': SOURCES, 'c/a.yaml': IUA() }), 'c');
    expect(t.update).toEqual({ path: './deploy', strategy: 'Setters' });
    const noUpdate = IUA().replace('  update:\n    path: ./deploy\n', '');
    expect(noUpdate).not.toContain('update:');
    expect(readFleetConfig(tree({ 'c/s.yaml': SOURCES, 'c/a.yaml': noUpdate }), 'c')[0].update).toEqual({ path: './', strategy: 'Setters' });
    expect(() => readFleetConfig(tree({ 'c/s.yaml': SOURCES, 'c/a.yaml': IUA('    strategy: foo\n') }), 'c')).toThrow(/update strategy 'foo' is not supported/);
    expect(checkStrategy('Setters', 'x')).toBe('Setters');
    expect(checkStrategy(undefined, 'x')).toBe('Setters');
    expect(() => checkStrategy('', 'x')).toThrow(/'' is not supported/);
  });

  it('a missing Kustomization or GitRepository is reported with a hint', () => {
    expect(() => readFleetConfig(tree({ 'c/a.yaml': IUA('    strategy: Setters\n') }), 'c')).toThrow(/GitRepository team\/repo not found/);
    expect(() => readFleetConfig(tree({ 'c/s.yaml': SOURCES.split('---')[0], 'c/a.yaml': IUA('    strategy: Setters\n') }), 'c')).toThrow(/no Kustomization/);
  });
});

describe('ResourceSet, substitution, kustomization resources', () => {
  it('expands << inputs.x >> per input with sprig functions', () => {
    const objs = expandResourceSet(
      {
        apiVersion: 'fluxcd.controlplane.io/v1',
        kind: 'ResourceSet',
        metadata: { name: 'rs' },
        spec: {
          inputs: [{ ns: 'a', tag: 'v1' }, { ns: 'b', tag: 'v2' }],
          resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '<< inputs.ns | upper >>', namespace: '<< inputs.ns >>' }, data: { tag: '<< inputs.tag | quote >>' } }],
        },
      },
      'rs.yaml',
    );
    expect(objs).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'A', namespace: 'a' }, data: { tag: 'v1' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'B', namespace: 'b' }, data: { tag: 'v2' } },
    ]);
  });

  it('Flux post-build substitution: ${VAR}, defaults, escapes; $VAR without braces is kept', () => {
    expect(substituteVariables('a ${A} b ${B:=dflt} c ${C:-x} d $${A} e $A f ${MISSING}|', { A: '1', C: '' })).toBe('a 1 b dflt c x d ${A} e $A f |');
  });

  it('follows kustomization.yaml resources (files and directories), never outside the repository', () => {
    const dir = tree({
      'p/kustomization.yaml': 'resources:\n  - a.yaml\n  - sub\n',
      'p/a.yaml': 'kind: A\nmetadata:\n  name: a\n',
      'p/ignored.yaml': 'kind: Ignored\n',
      'p/sub/b.yaml': 'kind: B\nmetadata:\n  name: b\n',
      'q/kustomization.yaml': 'resources:\n  - ../../outside.yaml\n',
    });
    expect(readManifestDir(dir, 'p').map((o) => [o.file, o.object.kind])).toEqual([
      ['p/a.yaml', 'A'],
      ['p/sub/b.yaml', 'B'],
    ]);
    expect(() => readManifestDir(dir, 'q')).toThrow(/outside the repository/);
    expect(() => readManifestDir(dir, '../x')).toThrow(/outside the repository/);
  });

  it('a symlinked path or resource is followed inside the repository and refused when it leads out of it', () => {
    const dir = tree({
      'pol/a.yaml': 'kind: A\nmetadata:\n  name: a\n',
      'k/kustomization.yaml': 'resources:\n  - linked\n',
    });
    const outside = tree({ 'x.yaml': 'kind: X\n' });
    symlinkSync('pol', join(dir, 'link'));
    symlinkSync('../pol', join(dir, 'k/linked'));
    symlinkSync(outside, join(dir, 'out'));
    symlinkSync('nowhere', join(dir, 'dangling'));
    expect(readManifestDir(dir, 'link').map((o) => [o.file, o.object.kind])).toEqual([['pol/a.yaml', 'A']]);
    expect(readManifestDir(dir, 'k').map((o) => [o.file, o.object.kind])).toEqual([['pol/a.yaml', 'A']]);
    expect(() => readManifestDir(dir, 'out')).toThrow(/path 'out' is a symbolic link that leads outside the repository/);
    expect(() => readManifestDir(dir, 'dangling')).toThrow(/path 'dangling' does not exist/);
  });

  it('a YAML alias bomb is an input error naming the file', () => {
    const levels = 'bcdefgh'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`);
    const dir = tree({ 'p/bomb.yaml': ['kind: ConfigMap', 'a: &a [x,x,x,x,x,x,x,x,x]', ...levels, ''].join('\n') });
    expect(() => readManifestDir(dir, 'p')).toThrow(/^p\/bomb\.yaml: refused: its YAML aliases expand more than 1000 times/);
  });

  it('loadPolicies applies targetNamespace and substitution and filters by policySelector', () => {
    const dir = tree({
      'pol/all.yaml': `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: app
spec:
  image: \${REGISTRY}/team/app
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: app
  labels:
    update: weekly
spec:
  imageRepositoryRef:
    name: app
  policy:
    semver:
      range: 1.x
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: other
spec:
  imageRepositoryRef:
    name: app
  policy:
    alphabetical: {}
`,
    });
    const target = {
      automation: { namespace: 'team', name: 'auto' },
      repository: 'x',
      git: { url: 'x' },
      policies: { path: 'pol', namespace: 'team', substitute: { REGISTRY: 'reg.example.com' } },
      update: { path: '.', strategy: 'Setters' as const },
      commit: { author: { name: '', email: 'a@b' }, values: {} },
      policySelector: { matchLabels: { update: 'weekly' } },
    };
    const r = loadPolicies(dir, target);
    expect(r.repositories.map((x) => [x.namespace, x.spec.image])).toEqual([['team', 'reg.example.com/team/app']]);
    expect(r.policies.map((p) => `${p.namespace}/${p.name}`)).toEqual(['team/app']);
    expect(r.skipped).toEqual([{ name: 'team/other', reason: 'not selected by policySelector' }]);
    expect(loadPolicies(dir, { ...target, policies: { ...target.policies, namespace: 'elsewhere' } }).policies).toEqual([]);
  });

  it('label selectors: matchLabels and matchExpressions', () => {
    expect(matchesSelector({ a: '1' }, undefined)).toBe(true);
    expect(matchesSelector({ a: '1' }, { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] })).toBe(true);
    expect(matchesSelector({ a: '3' }, { matchExpressions: [{ key: 'a', operator: 'In', values: ['1'] }] })).toBe(false);
    expect(matchesSelector({}, { matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] })).toBe(true);
    expect(matchesSelector({ a: '1' }, { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] })).toBe(false);
  });
});
