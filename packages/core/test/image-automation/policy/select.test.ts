/**
 * `selectPolicy` / `parseTagList`, the offline election behind `d2 policy select`: the tags file stands
 * for the registry listing, so the repository's exclusion list applies.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '@d2/core';
import { parseTagList, PolicyError, selectPolicy } from '@d2/core/image-automation';

const policyYaml = (policy: string, extra = '') => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: podinfo
  namespace: apps
spec:
  imageRepositoryRef:
    name: podinfo
  policy:
${policy}
${extra}`;

const repositoryYaml = (extra = '') => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: podinfo
  namespace: apps
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 1h
${extra}`;

describe('parseTagList', () => {
  it('one tag per line; blanks, CRs, whitespace and # lines ignored', () => {
    expect(parseTagList('6.0.0\r\n  6.1.0 \n\n# comment\nlatest\n')).toEqual(['6.0.0', '6.1.0', 'latest']);
  });
});

describe('selectPolicy', () => {
  const tags = parseTagList('6.0.0\n6.1.0\n6.2.0-rc.1\n6.1.0.sig\n7.0.0\nlatest\n');

  it('elects with the policy alone (no latestRef without the repository)', () => {
    const r = selectPolicy({ policyYaml: policyYaml('    semver:\n      range: 6.x'), tags });
    expect(r.tag).toBe('6.1.0');
    expect(r.latestRef).toBeUndefined();
    expect(r.storedTags[0]).toBe('latest');
  });

  it('with the repository: default exclusions and latestRef.name = spec.image verbatim', () => {
    const r = selectPolicy({
      policyYaml: policyYaml('    alphabetical:\n      order: asc'),
      repositoryYaml: repositoryYaml(),
      tags,
    });
    expect(r.excluded).toEqual(['6.1.0.sig']);
    expect(r.tag).toBe('latest');
    expect(r.latestRef).toEqual({ name: 'ghcr.io/stefanprodan/podinfo', tag: 'latest', digest: '' });
  });

  it('the repository exclusion list replaces the default', () => {
    const r = selectPolicy({
      policyYaml: policyYaml('    alphabetical: {}'),
      repositoryYaml: repositoryYaml('  exclusionList: ["^latest$", "^7"]'),
      tags,
    });
    expect(r.tag).toBe('6.2.0-rc.1');
    expect(r.excluded).toEqual(['7.0.0', 'latest']);
  });

  it('filterTags + numerical', () => {
    const r = selectPolicy({
      policyYaml: policyYaml('    numerical:\n      order: asc', "  filterTags:\n    pattern: '^main-[a-f0-9]+-(?P<ts>[0-9]+)'\n    extract: '$ts'"),
      tags: ['main-abc-1700000000', 'main-def-1700000500', 'dev-x-1800000000'],
    });
    expect(r.tag).toBe('main-def-1700000500');
  });

  it('a policy that refers to another repository is refused', () => {
    expect(() =>
      selectPolicy({ policyYaml: policyYaml('    semver: {range: "*"}'), repositoryYaml: repositoryYaml().replace('name: podinfo', 'name: other'), tags }),
    ).toThrow(InputError);
  });

  it('election failures name the policy', () => {
    let caught: unknown;
    try {
      selectPolicy({ policyYaml: policyYaml('    semver:\n      range: ">=8.0.0"'), tags });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PolicyError);
    expect((caught as PolicyError).message).toBe('ImagePolicy apps/podinfo: unable to determine latest version from provided list');
    expect(() => selectPolicy({ policyYaml: policyYaml('    semver:\n      range: "1.0.0p"'), tags })).toThrow(
      'ImagePolicy apps/podinfo: invalid policy: improper constraint: "1.0.0p"',
    );
  });
});
