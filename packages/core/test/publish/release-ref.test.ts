/**
 * Release tag parsing (parseReleaseRef) and the per-component failure report of a multi-artifact publish
 * (publishFailedError): a tag that does not fit is refused with an example of one that does; a version that is not
 * a legal OCI tag is refused before anything is built; a failed run names every failed component with its own hint.
 */
import { describe, expect, it } from 'vitest';
import { D2Error, InputError } from '../../src/errors.js';
import { defaultTagPattern, effectiveTags, failureLine, parseReleaseRef, publishFailedError, semverOf, splitRepository } from '../../src/publish/index.js';
import { thrownAs } from '../support/failures.js';

const refusal = (f: () => unknown): InputError => thrownAs(InputError, f);

describe('parseReleaseRef', () => {
  it('splits component and version with the default patterns', () => {
    expect(parseReleaseRef('refs/tags/frontend/v1.2.3', defaultTagPattern('component'), 'component')).toEqual({ tag: 'frontend/v1.2.3', component: 'frontend', version: 'v1.2.3' });
    expect(parseReleaseRef('refs/tags/v2.0.0-rc.1', defaultTagPattern('fleet'), 'fleet')).toEqual({ tag: 'v2.0.0-rc.1', component: undefined, version: 'v2.0.0-rc.1' });
  });

  it('custom patterns: literal parts are matched literally (regexp characters escaped)', () => {
    expect(parseReleaseRef('refs/tags/rel.app/v.1.0', 'rel.{component}/v.{version}', 'component')).toEqual({ tag: 'rel.app/v.1.0', component: 'app', version: '1.0' });
    expect(() => parseReleaseRef('refs/tags/relXapp/vX1.0', 'rel.{component}/v.{version}', 'component')).toThrow("does not fit the tag pattern 'rel.{component}/v.{version}'");
  });

  it('a separator that also occurs in versions or names: the shortest component with a semver version wins', () => {
    expect(parseReleaseRef('refs/tags/app-v1.0.0-rc.1', '{component}-{version}', 'component')).toMatchObject({ component: 'app', version: 'v1.0.0-rc.1' });
    expect(parseReleaseRef('refs/tags/my-app-v1.0.0', '{component}-{version}', 'component')).toMatchObject({ component: 'my-app', version: 'v1.0.0' });
    expect(parseReleaseRef('refs/tags/my-app-2.3.4-beta.1', '{component}-{version}', 'component')).toMatchObject({ component: 'my-app', version: '2.3.4-beta.1' });
    // No split gives a semver version: the longest component, as before.
    expect(parseReleaseRef('refs/tags/my-app-nightly', '{component}-{version}', 'component')).toMatchObject({ component: 'my-app', version: 'nightly' });
  });

  it('a branch ref is refused with how to trigger on tags', () => {
    const err = refusal(() => parseReleaseRef('refs/heads/main', '{component}/{version}', 'component'));
    expect(err.message).toBe("release-artifact runs on tags, but the ref is 'refs/heads/main'");
    expect(err.hint).toContain('frontend/v1.0.0');
  });

  it('a tag that does not fit the pattern is refused with an example', () => {
    const err = refusal(() => parseReleaseRef('refs/tags/v1.0.0', '{component}/{version}', 'component'));
    expect(err.message).toBe("tag 'v1.0.0' does not fit the tag pattern '{component}/{version}'");
    expect(err.hint).toBe('tag releases as <component>/<version>, e.g. frontend/v1.0.0');
  });

  it('patterns that do not fit the mode are refused', () => {
    expect(refusal(() => parseReleaseRef('refs/tags/v1', '{component}', 'component')).message).toBe("tag-pattern '{component}' has no {version} placeholder");
    expect(refusal(() => parseReleaseRef('refs/tags/v1', 'v{version}', 'component')).message).toContain('has no {component} placeholder (mode: component)');
    expect(refusal(() => parseReleaseRef('refs/tags/a/v1', '{component}/{version}', 'fleet')).message).toContain('but mode is fleet');
  });

  it("a version that is not a legal OCI tag is refused; '+' build metadata gets the tag to use instead", () => {
    const err = refusal(() => parseReleaseRef('refs/tags/app/v1.0.0+build.5', '{component}/{version}', 'component'));
    expect(err.message).toContain("the version in tag 'app/v1.0.0+build.5': 'v1.0.0+build.5' contains '+'");
    expect(err.hint).toBe("OCI tags cannot contain '+': tag the release as app/v1.0.0-build.5 instead");
  });
});

describe('semverOf / effectiveTags / splitRepository', () => {
  it('semverOf accepts a v prefix and refuses what is not semver', () => {
    expect(semverOf('v1.2.3')?.version).toBe('1.2.3');
    expect(semverOf('1.2.3-rc.1')?.prerelease).toEqual(['rc', 1]);
    expect(semverOf('latest')).toBeUndefined();
    expect(semverOf(undefined)).toBeUndefined();
  });

  it('effectiveTags: diff-tag first, de-duplicated, latest when none', () => {
    expect(effectiveTags({})).toEqual(['latest']);
    expect(effectiveTags({ tags: [] })).toEqual(['latest']);
    expect(effectiveTags({ diffTag: 'main', tags: ['v1', 'main', 'v1'] })).toEqual(['main', 'v1']);
  });

  it('splitRepository splits host and path, and refuses a bare name', () => {
    expect(splitRepository('registry.test:5000/a/b')).toEqual({ registry: 'registry.test:5000', repository: 'a/b' });
    expect(() => splitRepository('nohost')).toThrow(D2Error);
  });
});

describe('publishFailedError', () => {
  const failures = [
    { component: 'a', repository: 'registry.test/fleet/a', path: 'components/a', error: new D2Error('signing failed', { code: 'SIGNING_FAILED', hint: 'grant id-token: write' }) },
    { repository: 'registry.test/fleet/b', path: 'components/b', error: new Error('quota exceeded') },
  ];

  it('names every failed component with its own hint, says no tag moved for them, and how to re-run', () => {
    const err = publishFailedError(failures, 5);
    expect(err.code).toBe('PUBLISH_FAILED');
    expect(err.message).toBe(
      '2 of 5 artifact(s) failed; no tag was moved for them:\n' +
        '  - a (registry.test/fleet/a): signing failed\n' +
        '    hint: grant id-token: write\n' +
        '  - components/b (registry.test/fleet/b): quota exceeded',
    );
    expect(err.hint).toMatch(/^do what the hint of each failed component says, then re-run/);
    expect(publishFailedError([failures[1]], 1).hint).toMatch(/^fix the causes above/);
    expect(failureLine(failures[1], '')).toBe('- components/b (registry.test/fleet/b): quota exceeded');
  });
});
