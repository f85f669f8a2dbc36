/** The Git wrapper and Flux push semantics against real git over file:// remotes. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Git } from '../../../src/git/index.js';
import { AutomationCheckout, PushBranchMovedError } from '../../../src/image-automation/git/index.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'd2-git-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
});
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' });

function remote(): string {
  const bare = join(tmp(), 'r.git');
  git(tmp(), 'init', '-q', '--bare', '-b', 'main', bare);
  const w = tmp();
  git(w, 'init', '-q', '-b', 'main');
  writeFileSync(join(w, 'f.yaml'), 'a: 1\n');
  git(w, 'add', '-A');
  git(w, '-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init');
  git(w, 'push', '-q', bare, 'main');
  return bare;
}

describe('Git and AutomationCheckout over file://', () => {
  it('commits the message verbatim (trailing blanks, # lines, no final newline) with author = committer in UTC', async () => {
    const bare = remote();
    const co = await AutomationCheckout.clone({ url: `file://${bare}`, pushBranch: 'image-updates' }, join(tmp(), 'c'));
    expect(co.checkoutBranch).toBe('main');
    expect(co.switchBranch).toBe(true);
    expect(await co.switchToPushBranch()).toEqual({ existed: false });
    writeFileSync(join(co.dir, 'f.yaml'), 'a: 2\n');
    const message = 'Title  \n\n# not a comment to strip\nbody\n\n\n';
    const pushed = await co.commitAndPush({ message, author: { name: 'Bot', email: 'bot@example.com' }, paths: ['f.yaml'], date: new Date('2026-03-01T12:00:00+02:00') });
    expect(pushed?.branch).toBe('image-updates');
    const raw = git(bare, 'cat-file', '-p', 'refs/heads/image-updates');
    expect(raw.slice(raw.indexOf('\n\n') + 2)).toBe(message);
    expect(raw).toContain('\nauthor Bot <bot@example.com> 1772359200 +0000\ncommitter Bot <bot@example.com> 1772359200 +0000\n');
    expect(raw.match(/^parent /gm)).toHaveLength(1);
  });

  it('nothing staged → no commit, no push', async () => {
    const bare = remote();
    const co = await AutomationCheckout.clone({ url: `file://${bare}`, pushBranch: 'image-updates' }, join(tmp(), 'c'));
    await co.switchToPushBranch();
    expect(await co.commitAndPush({ message: 'm', author: { name: 'b', email: 'b@e' }, paths: ['f.yaml'] })).toBeUndefined();
    expect(git(bare, 'branch', '--list', 'image-updates').trim()).toBe('');
  });

  it('pushes the branch, then the refspec; without a push branch the checkout branch is pushed without force', async () => {
    const bare = remote();
    const co = await AutomationCheckout.clone({ url: `file://${bare}`, refspec: 'refs/heads/main:refs/heads/auto' }, join(tmp(), 'c'));
    expect(co.switchBranch).toBe(false);
    writeFileSync(join(co.dir, 'f.yaml'), 'a: 3\n');
    const pushed = await co.commitAndPush({ message: 'm', author: { name: 'b', email: 'b@e' }, paths: ['f.yaml'] });
    expect(git(bare, 'rev-parse', 'refs/heads/main').trim()).toBe(pushed?.sha);
    expect(git(bare, 'rev-parse', 'refs/heads/auto').trim()).toBe(pushed?.sha);
  });

  /** Someone else's commit on `branch` of the bare repository `bare` (from `from`, default the branch itself). */
  function pushForeign(bare: string, branch: string, from = branch): string {
    const w = tmp();
    git(w, 'init', '-q');
    git(w, 'fetch', '-q', bare, `refs/heads/${from}`);
    git(w, 'checkout', '-q', '-B', 'x', 'FETCH_HEAD');
    writeFileSync(join(w, 'foreign.txt'), `${from}\n`);
    git(w, 'add', '-A');
    git(w, '-c', 'user.name=o', '-c', 'user.email=o@e', 'commit', '-q', '-m', 'foreign');
    git(w, 'push', '-q', bare, `HEAD:refs/heads/${branch}`);
    return git(w, 'rev-parse', 'HEAD').trim();
  }

  it('a push branch moved by someone else is never overwritten: PushBranchMovedError names both commits; a rebuild on the new tip pushes', async () => {
    const bare = remote();
    const author = { name: 'b', email: 'b@e' };
    for (const existing of [false, true]) {
      const co = await AutomationCheckout.clone({ url: `file://${bare}`, pushBranch: 'image-updates' }, join(tmp(), 'c'));
      const first = await co.switchToPushBranch();
      expect(first.existed).toBe(existing);
      writeFileSync(join(co.dir, 'f.yaml'), `a: ${existing ? 5 : 4}\n`);
      // Created (lease on "must not exist") or moved (lease on the fetched tip) meanwhile.
      const foreign = pushForeign(bare, 'image-updates', existing ? 'image-updates' : 'main');
      const err = await co.commitAndPush({ message: 'm', author, paths: ['f.yaml'] }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(PushBranchMovedError);
      const moved = err as PushBranchMovedError;
      expect(moved.remote).toBe(foreign);
      expect(moved.base).toBe(first.base);
      expect(moved.message).toContain(moved.built);
      expect(moved.message).toContain(foreign);
      expect(git(bare, 'rev-parse', 'refs/heads/image-updates').trim()).toBe(foreign);
      // Rebuild on the new tip: the foreign commit stays, ours goes on top.
      expect(await co.switchToPushBranch()).toEqual({ existed: true, base: foreign });
      writeFileSync(join(co.dir, 'f.yaml'), `a: ${existing ? 5 : 4}\n`);
      const pushed = await co.commitAndPush({ message: 'm', author, paths: ['f.yaml'] });
      expect(pushed?.sha).toBe(git(bare, 'rev-parse', 'refs/heads/image-updates').trim());
      expect(git(bare, 'rev-parse', `${pushed?.sha}^`).trim()).toBe(foreign);
    }
  });

  it('pushing to the checkout branch: a moved branch is reported, and the rebuild starts from its new tip', async () => {
    const bare = remote();
    const co = await AutomationCheckout.clone({ url: `file://${bare}` }, join(tmp(), 'c'));
    await co.switchToPushBranch();
    writeFileSync(join(co.dir, 'f.yaml'), 'a: 6\n');
    const foreign = pushForeign(bare, 'main');
    await expect(co.commitAndPush({ message: 'm', author: { name: 'b', email: 'b@e' }, paths: ['f.yaml'] })).rejects.toBeInstanceOf(PushBranchMovedError);
    expect(git(bare, 'rev-parse', 'refs/heads/main').trim()).toBe(foreign);
    expect(await co.switchToPushBranch()).toEqual({ existed: true, base: foreign });
    writeFileSync(join(co.dir, 'f.yaml'), 'a: 6\n');
    const pushed = await co.commitAndPush({ message: 'm', author: { name: 'b', email: 'b@e' }, paths: ['f.yaml'] });
    expect(git(bare, 'rev-parse', `${pushed?.sha}^`).trim()).toBe(foreign);
  });

  it('rejects credentials in URLs and invalid branch names before running git', async () => {
    await expect(Git.clone('https://user:secret@example.com/r.git', join(tmp(), 'x'))).rejects.toThrow(/must not contain credentials/);
    await expect(Git.clone('https://secret@example.com/r.git', join(tmp(), 'x'))).rejects.toThrow("the git URL https://***@example.com/r.git must not contain credentials");
    await expect(AutomationCheckout.clone({ url: 'file:///nonexistent', pushBranch: 'bad..name' }, join(tmp(), 'y'))).rejects.toThrow(/invalid push branch/);
  });

  it('passes the token as an origin-scoped extra header in the environment, never in argv', async () => {
    const lines: string[] = [];
    const g = new Git(tmp(), { auth: { token: 'tok_secret_123' }, log: (l) => lines.push(l) }, 'https://git.example.com/r.git');
    await g.run(['init', '-q']);
    const r = await g.run(['config', '--get-regexp', '^http\\.']);
    expect(r.stdout).toContain('http.https://git.example.com/.extraheader Authorization: Basic ' + Buffer.from('x-access-token:tok_secret_123').toString('base64'));
    expect(lines.join('\n')).not.toContain('tok_secret_123');
    expect(git(g.dir, 'config', '--list', '--local')).not.toContain('extraheader');
  });
});
