/**
 * The release of D2 Actions (RELEASING.md): the logic of scripts/release/release.ts — version checks, release notes
 * from CHANGELOG.md (Keep a Changelog), which tags a release may take — and .github/workflows/release.yml, validated
 * with GitHub's workflow parser, its steps and their order (tags move last). The tag moves through the GitHub REST API
 * are tested against the GitHub emulator in test/adversarial/release-tags.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { repoRoot } from '@d2/sandbox/paths';
import {
  changelogSections,
  checkRelease,
  floatingTags,
  parseReleaseTag,
  ReleaseError,
  releaseNotes,
} from '../../scripts/release/release.js';
import { runNodeScript } from '../support/node-script.js';

const root = repoRoot();

const CHANGELOG = `# Changelog

All notable changes …

## [Unreleased]

### Added

- something not released yet

## [1.2.0] - 2027-02-01

### Added

- push-artifact: \`provenance\` input

### Fixed

- e2e-update: a marker in a comment

## [1.1.0] - 2027-01-15

### Changed

- release-artifact refuses a downgrade

## [1.0.0] - 2027-01-01

Just words, no change list.

[Unreleased]: https://github.com/acme/d2-actions/compare/v1.2.0...HEAD
[1.2.0]: https://github.com/acme/d2-actions/compare/v1.1.0...v1.2.0
`;

function errorOf(fn: () => unknown): ReleaseError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ReleaseError) return err;
    throw err;
  }
  throw new Error('expected a ReleaseError');
}

describe('release tags, versions and notes', () => {
  it('only vMAJOR.MINOR.PATCH is a release tag', () => {
    expect(parseReleaseTag('v1.2.3')).toEqual({ major: 1, minor: 2, patch: 3, version: '1.2.3', tag: 'v1.2.3' });
    expect(parseReleaseTag('v0.10.0').minor).toBe(10);
    for (const bad of ['1.2.3', 'v1.2', 'v1', 'v01.2.3', 'v1.2.3-rc.1', 'v1.2.3+build', 'frontend/v1.2.3', 'v1.2.3\n', '']) {
      const e = errorOf(() => parseReleaseTag(bad));
      expect(e.message, bad).toMatch(/is not a release tag/);
      expect(e.hint).toMatch(/vMAJOR\.MINOR\.PATCH/);
    }
  });

  it('the notes are the version section of the changelog, without its heading or the link definitions', () => {
    expect(changelogSections(CHANGELOG).map((s) => [s.version, s.date])).toEqual([
      ['1.2.0', '2027-02-01'],
      ['1.1.0', '2027-01-15'],
      ['1.0.0', '2027-01-01'],
    ]);
    expect(releaseNotes(CHANGELOG, '1.2.0')).toBe('### Added\n\n- push-artifact: `provenance` input\n\n### Fixed\n\n- e2e-update: a marker in a comment\n');
    expect(releaseNotes(CHANGELOG.replace(/\n/g, '\r\n'), '1.1.0')).toBe('### Changed\n\n- release-artifact refuses a downgrade\n');
    expect(releaseNotes(CHANGELOG, '1.1.0')).not.toMatch(/\[1\.2\.0\]:/);
  });

  it('a version without a dated section, or with no change listed, has no notes', () => {
    expect(errorOf(() => releaseNotes(CHANGELOG, '1.3.0')).hint).toMatch(/## \[1\.3\.0\] - YYYY-MM-DD/);
    expect(errorOf(() => releaseNotes(CHANGELOG, '1.0.0')).message).toMatch(/lists no change/);
    expect(errorOf(() => releaseNotes(CHANGELOG.replace('2027-01-15', '2027-13-15'), '1.1.0')).message).toMatch(/not a date/);
  });

  it('a release needs the tag, every package.json and the changelog to agree, and reports every disagreement', () => {
    const pkg = (v: string) => JSON.stringify({ name: 'x', version: v });
    expect(checkRelease({ tag: 'v1.2.0', packageJsons: { 'package.json': pkg('1.2.0'), 'packages/cli/package.json': pkg('1.2.0') }, changelog: CHANGELOG }).version).toBe('1.2.0');
    const e = errorOf(() => checkRelease({ tag: 'v1.3.0', packageJsons: { 'package.json': pkg('1.2.0'), 'packages/cli/package.json': '{' }, changelog: CHANGELOG }));
    expect(e.message).toMatch(/package\.json has version "1\.2\.0", the tag v1\.3\.0 says 1\.3\.0/);
    expect(e.message).toMatch(/packages\/cli\/package\.json is not valid JSON/);
    expect(e.message).toMatch(/CHANGELOG\.md has no section for 1\.3\.0/);
    expect(e.hint).toMatch(/"version": "1\.3\.0"/);
  });

  it('this repository: CHANGELOG.md follows Keep a Changelog, and the check names what is missing for an unprepared version', async () => {
    const changelog = readFileSync(join(root, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toMatch(/^# Changelog\n/);
    expect(changelog).toMatch(/\[Keep a Changelog\]\(https:\/\/keepachangelog\.com\/en\/1\.1\.0\/\)/);
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
    for (const s of changelogSections(changelog)) expect(() => releaseNotes(changelog, s.version)).not.toThrow();
    // The script as the workflow runs it (Node's type stripping): exit 1 and one escaped ::error:: line.
    const r = await runNodeScript([join(root, 'scripts', 'release', 'release.ts'), 'check', 'v99.0.0'], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('::'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^::error::release: v99\.0\.0 cannot be released:%0A {2}- package\.json has version/);
    expect(lines[0]).toMatch(/packages\/cli\/package\.json has version/);
    expect(lines[0]).toMatch(/CHANGELOG\.md has no section for 99\.0\.0/);
  });

  it('vX and vX.Y go to the newest release of their line only', () => {
    const tags = ['v1.0.0', 'v1.0.1', 'v1.1.0', 'v1.2.0', 'v2.0.0', 'v1', 'v1.2', 'frontend/v9.9.9', 'v3.0.0-rc.1'];
    expect(floatingTags(parseReleaseTag('v1.2.1'), tags)).toEqual([
      { tag: 'v1', move: true, newest: 'v1.2.1' },
      { tag: 'v1.2', move: true, newest: 'v1.2.1' },
    ]);
    expect(floatingTags(parseReleaseTag('v1.0.2'), tags)).toEqual([
      { tag: 'v1', move: false, newest: 'v1.2.0' },
      { tag: 'v1.0', move: true, newest: 'v1.0.2' },
    ]);
    expect(floatingTags(parseReleaseTag('v1.0.0'), tags)).toEqual([
      { tag: 'v1', move: false, newest: 'v1.2.0' },
      { tag: 'v1.0', move: false, newest: 'v1.0.1' },
    ]);
    expect(floatingTags(parseReleaseTag('v3.0.0'), tags)).toEqual([
      { tag: 'v3', move: true, newest: 'v3.0.0' },
      { tag: 'v3.0', move: true, newest: 'v3.0.0' },
    ]);
  });
});

describe('.github/workflows/release.yml', () => {
  const text = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');
  type Step = { name?: string; uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> };
  type Job = { needs?: string | string[]; uses?: string; permissions?: Record<string, string>; steps?: Step[] };
  const wf = parseYaml(text) as { on: { push: { tags: string[] } }; permissions: Record<string, string>; concurrency?: { group: string; 'cancel-in-progress': boolean }; jobs: Record<string, Job> };

  it("is a valid workflow for GitHub's parser", () => {
    const r = parseWorkflow({ name: 'release.yml', content: text }, new NoOperationTraceWriter());
    expect(r.context.errors.getErrors().map((e) => e.message)).toEqual([]);
  });

  it('runs on vX.Y.Z tags only, one release at a time, read-only by default', () => {
    expect(wf.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    expect(Object.keys(wf.on)).toEqual(['push']);
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(wf.concurrency?.['cancel-in-progress']).toBe(false);
  });

  it('runs the full CI first, then releases from the checked tag, attesting before the release and moving tags last', () => {
    expect(wf.jobs.ci.uses).toBe('./.github/workflows/ci.yml');
    const ci = parseYaml(readFileSync(join(root, '.github', 'workflows', 'ci.yml'), 'utf8')) as { on: Record<string, unknown> };
    expect(Object.keys(ci.on)).toContain('workflow_call');
    const job = wf.jobs.release;
    expect(job.needs).toBe('ci');
    expect(job.permissions).toEqual({ contents: 'write', 'id-token': 'write', attestations: 'write' });
    const steps = job.steps ?? [];
    const index = (pred: (s: Step) => boolean, what: string): number => {
      const i = steps.findIndex(pred);
      expect(i, what).toBeGreaterThanOrEqual(0);
      return i;
    };
    const check = index((s) => /release\.ts check "\$\{?GITHUB_REF_NAME\}?"/.test(s.run ?? ''), 'version check');
    const dist = index((s) => /pnpm check-dist/.test(s.run ?? ''), 'check-dist');
    const pack = index((s) => /pnpm pack/.test(s.run ?? ''), 'npm tarball');
    const sea = index((s) => /pnpm build:sea/.test(s.run ?? ''), 'single binary');
    const attest = index((s) => (s.uses ?? '').startsWith('actions/attest-build-provenance@'), 'attestation');
    const release = index((s) => /gh release create/.test(s.run ?? ''), 'GitHub release');
    const move = index((s) => /release\.ts move-tags/.test(s.run ?? ''), 'tag moves');
    expect(check).toBeLessThan(dist);
    expect(Math.max(dist, pack, sea)).toBeLessThan(attest);
    expect(attest).toBeLessThan(release);
    expect(release).toBeLessThan(move);
    const subjects = (steps[attest].with?.['subject-path'] ?? '').split('\n').map((s) => s.trim()).filter(Boolean);
    expect(subjects).toEqual(expect.arrayContaining(['actions/*/dist/**', 'dist-release/*.tgz', 'dist-release/d2-linux-x64']));
    expect(steps[release].run).toMatch(/--notes-file/);
    expect(steps[release].run).toMatch(/--verify-tag/);
    expect(steps[move].env?.GITHUB_TOKEN).toBe('${{ github.token }}');
  });
});
