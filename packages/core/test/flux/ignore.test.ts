/**
 * Ignore rules and Go filepath.Match syntax, plus the fluxcd/pkg oci/build_test.go
 * cases on a recreated copy of its testdata layout.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FLUX_DEFAULT_IGNORE_PATHS,
  GoGlob,
  IgnoreMatcher,
  IgnorePattern,
  ignorePathPatterns,
  loadSourceIgnorePatterns,
  readPatterns,
  readTar,
  splitIgnorePaths,
  walkFluxTree,
  writeFluxTar,
} from '@d2/core/flux';
import { regularFiles, tempDir, writeTree } from './fixtures.js';

/** Go path/filepath match_test.go cases (semantics documented by Go): [pattern, name, match]; `null` = ErrBadPattern. */
const GO_MATCH_CASES: [string, string, boolean | null][] = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true], ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false], ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false], ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false], ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false], ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false], ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false], ['[\\]a]', ']', true], ['[\\-]', '-', true],
  ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false], ['[\\-x]', 'x', true], ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false], ['[]a]', ']', null], ['[-]', '-', null], ['[x-]', 'x', null], ['[x-]', '-', null], ['[x-]', 'z', null],
  ['[-x]', 'x', null], ['[-x]', '-', null], ['[-x]', 'a', null], ['\\', 'a', null], ['[a-b-c]', 'a', null], ['[', 'a', null],
  ['[^', 'a', null], ['[^bc', 'a', null], ['a[', 'a', null], ['a[', 'ab', null], ['a[', 'x', null], ['a/b[', 'x', null], ['*x', 'xxx', true],
];

describe('Go filepath.Match semantics', () => {
  it.each(GO_MATCH_CASES)('Match(%j, %j) = %j', (pattern, name, want) => {
    const g = new GoGlob(pattern);
    expect(g.valid).toBe(want !== null);
    expect(g.match(name)).toBe(want === true);
  });

  it('matches raw name bytes: ? consumes one invalid UTF-8 byte, literals compare bytes', () => {
    expect(new GoGlob('b??A').match(Buffer.from([0x62, 0xff, 0xfe, 0x41]))).toBe(true);
    expect(new GoGlob('b?A').match(Buffer.from([0x62, 0xff, 0xfe, 0x41]))).toBe(false);
    expect(new GoGlob('b*').match(Buffer.from([0x62, 0xff]))).toBe(true);
  });
});

function excluded(patterns: string[], path: string, isDir = false, domain: string[] = []): boolean {
  return new IgnoreMatcher(patterns.map((p) => new IgnorePattern(p, domain))).excludes(path.split('/'), isDir);
}

describe('go-git flavoured pattern semantics', () => {
  it('a slash-less pattern matches any component at any depth (excluding a directory name hits its subtree)', () => {
    expect(excluded(['*.png'], 'a/b/logo.png')).toBe(true);
    expect(excluded(['foo'], 'x/foo/y/z.yaml')).toBe(true);
    expect(excluded(['foo'], 'x/foobar/z.yaml')).toBe(false);
  });

  it('a trailing / restricts to directories, but still excludes files below a matching directory', () => {
    expect(excluded(['build/'], 'build', false)).toBe(false);
    expect(excluded(['build/'], 'build', true)).toBe(true);
    expect(excluded(['build/'], 'build/out.txt', false)).toBe(true);
    expect(excluded(['.git/'], '.git/HEAD')).toBe(true);
  });

  it('a pattern with / is anchored at the root and prefix-matches (/long, somedir/git)', () => {
    expect(excluded(['/long'], 'long/a/b.yaml')).toBe(true);
    expect(excluded(['/long'], 'x/long/b.yaml')).toBe(false);
    expect(excluded(['somedir/git'], 'somedir/git/repo.yaml')).toBe(true);
    expect(excluded(['somedir/git'], 'x/somedir/git/repo.yaml')).toBe(false);
  });

  it('** matches zero or more directories; a trailing ** ends the pattern; a part containing ** never matches', () => {
    expect(excluded(['**/z.yaml'], 'z.yaml')).toBe(true);
    expect(excluded(['**/z.yaml'], 'a/b/c/z.yaml')).toBe(true);
    expect(excluded(['deploy/**/z.yaml'], 'deploy/z.yaml')).toBe(true);
    expect(excluded(['deploy/**/z.yaml'], 'deploy/x/y/z.yaml')).toBe(true);
    expect(excluded(['deploy/**'], 'deploy')).toBe(true); // go-git quirk: the directory itself too
    expect(excluded(['a**/b'], 'a/b')).toBe(false);
  });

  it('last to first, first match decides; ! re-includes', () => {
    expect(excluded(['*.yaml', '!keep.yaml'], 'keep.yaml')).toBe(false);
    expect(excluded(['!keep.yaml', '*.yaml'], 'keep.yaml')).toBe(true);
    expect(excluded(['/*', '!/internal'], 'internal/x.go')).toBe(false);
    expect(excluded(['/*', '!/internal'], 'build.go')).toBe(true);
  });

  it('trailing spaces are trimmed unless escaped; # and blank lines are comments', () => {
    expect(excluded(['sp   '], 'sp')).toBe(true);
    expect(excluded(['sp\\ '], 'sp ')).toBe(true);
    expect(excluded(['sp\\ '], 'sp')).toBe(false);
    expect(readPatterns('# comment\n\n   \n*.md\r\n!README.md\n').map((p) => p.source)).toEqual(['*.md', '!README.md']);
  });

  it('the root is never excluded and patterns only apply inside their domain', () => {
    expect(new IgnoreMatcher(readPatterns('*')).excludes([], true)).toBe(false);
    expect(excluded(['*.yaml'], 'sub/a.yaml', false, ['sub'])).toBe(true);
    expect(excluded(['*.yaml'], 'other/a.yaml', false, ['sub'])).toBe(false);
    expect(excluded(['/a.yaml'], 'sub/a.yaml', false, ['sub'])).toBe(true);
    expect(excluded(['*'], 'sub', true, ['sub'])).toBe(false);
  });

  it('Flux default list (undefined) vs a given list that replaces it; CLI-style comma splitting', () => {
    expect(ignorePathPatterns(undefined).map((p) => p.source)).toEqual([...FLUX_DEFAULT_IGNORE_PATHS]);
    expect(ignorePathPatterns(['big/']).map((p) => p.source)).toEqual(['big/']);
    expect(ignorePathPatterns([])).toEqual([]);
    expect(splitIgnorePaths('a/,*.sh\nb, c')).toEqual(['a/', '*.sh', 'b', 'c']);
  });
});

async function archivedNames(path: string, opts: { ignorePaths?: string[]; sourceignore?: boolean }): Promise<string[]> {
  const chunks: Buffer[] = [];
  await writeFluxTar(path, opts, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  const names: string[] = [];
  await readTar(
    (async function* () {
      yield Buffer.concat(chunks);
    })(),
    async (h) => {
      names.push(h.name);
    },
  );
  return names;
}

describe('walk + filter on real trees', () => {
  let tmp: ReturnType<typeof tempDir>;
  let pkg: string;
  beforeAll(() => {
    tmp = tempDir();
    // The layout of fluxcd/pkg oci/testdata/artifact; contents are irrelevant to which entries survive.
    pkg = join(tmp.dir, 'artifact');
    writeTree(pkg, regularFiles({
      'deploy/repo.yaml': 'kind: GitRepository\n',
      'deployment.yaml': 'kind: Deployment\n',
      'ignore-dir/deployment.yaml': 'kind: Deployment\n',
      'ignore.txt': 'ignore me\n',
      'somedir/repo.yaml': 'kind: GitRepository\n',
      'somedir/git/repo.yaml': 'kind: GitRepository\n',
    }));
  });
  afterAll(() => tmp.cleanup());

  it('fluxcd/pkg build_test.go: ignore.txt, ignore-dir/, !/deploy, somedir/git', async () => {
    const names = await archivedNames(pkg, { ignorePaths: ['ignore.txt', 'ignore-dir/', '!/deploy', 'somedir/git'] });
    expect(names).toEqual(['.', 'deploy', 'deploy/repo.yaml', 'deployment.yaml', 'somedir', 'somedir/repo.yaml']);
  });

  it('fluxcd/pkg build_test.go: /*, !/internal keeps only internal/', async () => {
    const root = join(tmp.dir, 'pkgroot');
    writeTree(root, regularFiles({ 'build.go': 'package oci\n', 'internal/fs/fs.go': 'package fs\n', 'testdata/x.yaml': 'x\n' }));
    expect(await archivedNames(root, { ignorePaths: ['/*', '!/internal'] })).toEqual(['.', 'internal', 'internal/fs', 'internal/fs/fs.go']);
  });

  it('per-directory bytewise order, depth-first: a, a/x, a-b', async () => {
    const root = join(tmp.dir, 'order');
    writeTree(root, regularFiles({ 'a/x': 'x', 'a-b': 'y', 'B': 'b', 'a.c': 'c', 'é': 'e', '_': 'u' }));
    expect(await archivedNames(root, { ignorePaths: [] })).toEqual(['.', 'B', '_', 'a', 'a/x', 'a-b', 'a.c', 'é']);
  });

  it('excluded directories are not pruned: a negation re-includes a child without its parent entry', async () => {
    const root = join(tmp.dir, 'noprune');
    writeTree(root, regularFiles({ 'sub/keep.yaml': 'k', 'sub/drop.yaml': 'd' }));
    expect(await archivedNames(root, { ignorePaths: ['sub/', '!sub/keep.yaml'] })).toEqual(['.', 'sub/keep.yaml']);
  });

  it('directories stay even when empty or fully ignored, without a trailing slash', async () => {
    const root = join(tmp.dir, 'emptydirs');
    writeTree(root, regularFiles({ 'full/a.png': 'p' }));
    mkdirSync(join(root, 'empty'));
    expect(await archivedNames(root, {})).toEqual(['.', 'empty', 'full']);
  });

  it('symlinks (to files and directories) are skipped, never followed', async () => {
    const root = join(tmp.dir, 'links');
    writeTree(root, regularFiles({ 'real/a.yaml': 'a' }));
    symlinkSync('real', join(root, 'dirlink'));
    symlinkSync('real/a.yaml', join(root, 'filelink'));
    symlinkSync('/nonexistent', join(root, 'dangling'));
    const seen: string[] = [];
    for await (const e of walkFluxTree(root)) seen.push(e.name.toString());
    expect(seen).toEqual(['.', 'real', 'real/a.yaml']);
  });

  it('.sourceignore (opt-in) is read per directory, relative to that directory, and can re-include defaults', async () => {
    const root = join(tmp.dir, 'srcignore');
    writeTree(root, regularFiles({
      '.sourceignore': '*.txt\n!logo.png\n',
      'a.txt': 'a',
      'logo.png': 'p',
      'sub/.sourceignore': '/local.yaml\n',
      'sub/local.yaml': 'l',
      'sub/keep.yaml': 'k',
      'local.yaml': 'root copy stays',
    }));
    writeFileSync(join(root, 'b.md'), 'b');
    expect(await archivedNames(root, {})).toEqual(['.', '.sourceignore', 'a.txt', 'b.md', 'local.yaml', 'sub', 'sub/.sourceignore', 'sub/keep.yaml', 'sub/local.yaml']);
    expect(await archivedNames(root, { sourceignore: true })).toEqual(['.', '.sourceignore', 'b.md', 'local.yaml', 'logo.png', 'sub', 'sub/.sourceignore', 'sub/keep.yaml']);
    // An explicit ignore list has the last word over .sourceignore files.
    expect(await archivedNames(root, { sourceignore: true, ignorePaths: ['*.md', 'logo.png'] })).toEqual(['.', '.sourceignore', 'local.yaml', 'sub', 'sub/.sourceignore', 'sub/keep.yaml']);
    const loaded = await loadSourceIgnorePatterns(root);
    expect(loaded.map((p) => [p.source, p.domain.join('/')])).toEqual([['*.txt', ''], ['!logo.png', ''], ['/local.yaml', 'sub']]);
  });
});
