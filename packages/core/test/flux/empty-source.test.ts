/**
 * What an artifact of a path would contain (`inspectSource`: the build's own walk and ignore decisions) and the one
 * decision taken on it before a push and in the build: an artifact without a single file is refused, with the reason
 * (docs/artifacts.md, "Empty artifacts are refused").
 */
import { chmodSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@d2/core';
import { assertSourceHasFiles, buildArtifact, emptyArtifactError, inspectSource } from '@d2/core/flux';
import { regularFiles, tempDir, writeTree } from './fixtures.js';

const tmp = tempDir('d2-empty-source-');
afterAll(() => tmp.cleanup());

const tree = (name: string, files: Record<string, string>): string => {
  const root = join(tmp.dir, name);
  writeTree(root, regularFiles(files));
  return root;
};

describe('inspectSource: the inventory of what a build would archive', () => {
  it('counts archived files and groups excluded ones by the deciding pattern and its origin', async () => {
    const root = tree('mixed', { 'deploy.yaml': 'a', 'logo.png': 'p', 'img/a.png': 'p', '.git/config': 'c', 'notes.md': 'n' });
    const inv = await inspectSource(root, {});
    expect(inv.files).toBe(2);
    expect(inv.ignored).toEqual([
      { pattern: '.git/', origin: "Flux's default ignore-paths", files: 1, example: '.git/config' },
      { pattern: '*.png', origin: "Flux's default ignore-paths", files: 2, example: 'img/a.png' },
    ]);
    expect(emptyArtifactError(inv, 'path x', 'x')).toBeUndefined();
  });

  it('names ignore-paths and each .sourceignore file as the origin', async () => {
    const root = tree('origins', { 'a.yaml': 'a', 'sub/b.yaml': 'b', 'sub/.sourceignore': 'b.yaml\n.sourceignore\n', '.sourceignore': '.sourceignore\n' });
    const inv = await inspectSource(root, { ignorePaths: ['a.yaml'], sourceignore: true });
    expect(inv.files).toBe(0);
    expect(inv.ignored.map((g) => [g.pattern, g.origin, g.example])).toEqual([
      ['.sourceignore', '.sourceignore', '.sourceignore'],
      ['a.yaml', 'ignore-paths', 'a.yaml'],
      ['.sourceignore', 'sub/.sourceignore', 'sub/.sourceignore'],
      ['b.yaml', 'sub/.sourceignore', 'sub/b.yaml'],
    ]);
  });

  it('a symlinked directory: nothing archived, the link target recorded', async () => {
    const real = tree('real', { 'deploy.yaml': 'a' });
    const link = join(tmp.dir, 'link');
    symlinkSync(real, link);
    const inv = await inspectSource(link, {});
    expect(inv).toMatchObject({ files: 0, symlinkTarget: real, ignored: [] });
    expect((await inspectSource(real, {})).files).toBe(1);
  });

  it('symbolic links and special files inside are counted as skipped', async () => {
    const root = join(tmp.dir, 'links');
    mkdirSync(root);
    symlinkSync('/etc/hostname', join(root, 'a.yaml'));
    symlinkSync('/nonexistent', join(root, 'b.yaml'));
    const inv = await inspectSource(root, {});
    expect(inv).toMatchObject({ files: 0, skipped: { count: 2, example: 'a.yaml' } });
  });

  it('a single file excluded by its basename', async () => {
    const root = tree('single', { 'logo.png': 'p' });
    const inv = await inspectSource(join(root, 'logo.png'), {});
    expect(inv).toMatchObject({ kind: 'file', files: 0, ignored: [{ pattern: '*.png', example: 'logo.png' }] });
  });
});

describe('emptyArtifactError: the reason, and a hint', () => {
  const base = { path: '/w/c', kind: 'dir' as const, files: 0, ignored: [], skipped: { count: 0 } };

  it.each([
    ['symlinked path', { ...base, symlinkTarget: 'real' }, /^component 'c' is empty: components\/c is a symbolic link \(to real\), and Flux does not follow a symlinked path/, /point the path at the directory itself/],
    ['ignored by defaults', { ...base, ignored: [{ pattern: '*.png', origin: "Flux's default ignore-paths", files: 3, example: 'logo.png' }] }, /all 3 files in components\/c are excluded by ignore rules: '\*\.png' \(Flux's default ignore-paths\) excludes logo\.png and 2 more$/, /a given ignore-paths list replaces them/],
    ['ignored by .sourceignore', { ...base, ignored: [{ pattern: '*', origin: '.sourceignore', files: 1, example: 'a.yaml' }] }, /the only file in components\/c is excluded by ignore rules: '\*' \(\.sourceignore\) excludes a\.yaml$/, /'!pattern' line re-includes/],
    ['no files', base, /components\/c contains no files$/, /add the manifests/],
    ['only links', { ...base, skipped: { count: 2, example: 'x.yaml' } }, /contains no files: only 2 symbolic links or special files \(x\.yaml\), which Flux does not archive$/, /symbolic links are not followed/],
  ])('%s', (_name, inv, message, hint) => {
    const err = emptyArtifactError(inv, "component 'c'", 'components/c');
    expect(err).toBeInstanceOf(InputError);
    expect(err?.message).toMatch(message);
    expect(err?.hint).toMatch(hint);
  });

  it('clips untrusted names', () => {
    const long = 'x'.repeat(5000);
    const err = emptyArtifactError({ ...base, ignored: [{ pattern: long, origin: 'ignore-paths', files: 1, example: long }] }, 'path p', long);
    expect(err?.message.length).toBeLessThan(1200);
    expect(err?.message).toContain('… (5000 characters)');
  });
});

describe('buildArtifact and assertSourceHasFiles refuse an empty artifact', () => {
  it('buildArtifact throws the same error and leaves no temp directory; allowEmpty builds it', async () => {
    const root = tree('only-images', { 'a.png': 'p', 'b.gif': 'g' });
    const work = join(tmp.dir, 'work');
    mkdirSync(work);
    const err = await buildArtifact(root, { workDir: work }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/is empty: all 2 files in .* are excluded by ignore rules: '\*\.png' \(Flux's default ignore-paths\) excludes a\.png; '\*\.gif'/);
    expect(readdirSync(work)).toEqual([]);
    const built = await buildArtifact(root, { workDir: work, allowEmpty: true });
    try {
      expect(built.files).toBe(0);
    } finally {
      await built.cleanup();
    }
    expect(readdirSync(work)).toEqual([]);
  });

  it('assertSourceHasFiles: names the target; passes with one file', async () => {
    const root = tree('gitonly', { '.git/HEAD': 'ref' });
    await expect(assertSourceHasFiles(root, {}, "component 'gitonly'", 'components/gitonly')).rejects.toThrow(/component 'gitonly' is empty: the only file in components\/gitonly is excluded by ignore rules: '\.git\/'/);
    await expect(assertSourceHasFiles(root, { ignorePaths: [] }, "component 'gitonly'", 'components/gitonly')).resolves.toBeUndefined();
  });

  it.skipIf(process.getuid?.() === 0)('assertSourceHasFiles checks that every file can be read (as a non-root user)', async () => {
    const root = tree('unreadable', { 'a.yaml': 'a', 'b.yaml': 'b' });
    chmodSync(join(root, 'b.yaml'), 0o000);
    await expect(assertSourceHasFiles(root, {}, 'path p', 'p')).rejects.toThrow(/cannot read file .*b\.yaml: permission denied/);
    chmodSync(join(root, 'b.yaml'), 0o644);
  });
});
