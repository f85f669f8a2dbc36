import { execFile } from 'node:child_process';

/** Reads and writes a bare repository with the git CLI: the emulator's branch and commit state is real git state. */
export interface GitIdentity {
  name: string;
  email: string;
  /** ISO 8601 date. */
  date: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: GitIdentity;
  committer: GitIdentity;
  message: string;
}

export interface FileChange {
  filename: string;
  previousFilename?: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  additions: number;
  deletions: number;
  /** Blob SHA of the new side (old side for removed files). */
  sha: string;
  /** Unified diff hunks (from the first `@@`), absent for binary files. */
  patch?: string;
}

const ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

export class GitCommandError extends Error {
  constructor(readonly args: string[], readonly exitCode: number, readonly stderr: string, readonly stdout: string) {
    super(`git ${args.join(' ')} failed (${exitCode}): ${stderr.trim()}`);
  }
}

export class BareRepo {
  constructor(readonly path: string) {}

  /** `git -C <repo> <args>`; `input` is written to its stdin. */
  async git(args: string[], opts: { env?: Record<string, string>; input?: string | Buffer } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile('git', ['-C', this.path, ...args], { env: { ...ENV, ...opts.env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
          reject(new GitCommandError(args, code, String(stderr), String(stdout)));
        } else resolve(String(stdout));
      });
      if (opts.input !== undefined) child.stdin?.end(opts.input);
    });
  }

  /** The commit SHA a ref or SHA names, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined;
    try {
      return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  async branchSha(branch: string): Promise<string | undefined> {
    return this.resolve(`refs/heads/${branch}`);
  }

  async commit(sha: string): Promise<CommitInfo> {
    const out = await this.git(['show', '-s', '--format=%H%x00%T%x00%P%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B', sha]);
    const [h, tree, parents, an, ae, ad, cn, ce, cd, ...msg] = out.split('\0');
    return {
      sha: h,
      tree,
      parents: parents.trim() === '' ? [] : parents.trim().split(' '),
      author: { name: an, email: ae, date: ad },
      committer: { name: cn, email: ce, date: cd },
      message: msg.join('\0').replace(/\n+$/, ''),
    };
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.git(['merge-base', a, b])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Commits in `to` not in `from`, oldest first (as GitHub's compare lists them). */
  async commitsBetween(from: string, to: string, limit = 250): Promise<string[]> {
    const out = await this.git(['rev-list', '--reverse', '--topo-order', `${from}..${to}`]);
    return out.split('\n').filter(Boolean).slice(0, limit);
  }

  async count(from: string, to: string): Promise<number> {
    return Number((await this.git(['rev-list', '--count', `${from}..${to}`])).trim());
  }

  async isAncestor(a: string, b: string): Promise<boolean> {
    try {
      await this.git(['merge-base', '--is-ancestor', a, b]);
      return true;
    } catch {
      return false;
    }
  }

  /** Files changed from `from` to `to` (rename detection on), with per-file hunks like GitHub's `files[].patch`. */
  async diff(from: string, to: string): Promise<FileChange[]> {
    const raw = (await this.git(['diff', '--raw', '--no-abbrev', '-z', '-M', from, to])).split('\0');
    const numstat = (await this.git(['diff', '--numstat', '-z', '-M', from, to])).split('\0');
    const counts = new Map<string, { add: number; del: number }>();
    for (let i = 0; i < numstat.length; i++) {
      const m = /^(\d+|-)\t(\d+|-)\t(.*)$/.exec(numstat[i]);
      if (!m) continue;
      let name = m[3];
      if (name === '') {
        // rename: "a\td\t\0old\0new"
        name = numstat[i + 2];
        i += 2;
      }
      counts.set(name, { add: m[1] === '-' ? 0 : Number(m[1]), del: m[2] === '-' ? 0 : Number(m[2]) });
    }
    const files: FileChange[] = [];
    for (let i = 0; i < raw.length; i++) {
      const meta = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])(\d*)$/.exec(raw[i]);
      if (!meta) continue;
      const letter = meta[5];
      let filename = raw[++i];
      let previousFilename: string | undefined;
      if (letter === 'R' || letter === 'C') {
        previousFilename = filename;
        filename = raw[++i];
      }
      const status = ({ A: 'added', D: 'removed', M: 'modified', R: 'renamed', C: 'copied', T: 'changed' } as const)[letter] ?? 'changed';
      const c = counts.get(filename) ?? { add: 0, del: 0 };
      const full = await this.git(['diff', '-M', from, to, '--', ...(previousFilename ? [previousFilename] : []), filename]);
      const at = full.indexOf('\n@@');
      files.push({
        filename,
        ...(previousFilename ? { previousFilename } : {}),
        status,
        additions: c.add,
        deletions: c.del,
        sha: status === 'removed' ? meta[3] : meta[4],
        ...(at >= 0 ? { patch: full.slice(at + 1).replace(/\n$/, '') } : {}),
      });
    }
    return files;
  }

  async updateRef(ref: string, sha: string, oldSha?: string): Promise<void> {
    await this.git(['update-ref', ref, sha, ...(oldSha ? [oldSha] : [])]);
  }

  async deleteRef(ref: string): Promise<void> {
    await this.git(['update-ref', '-d', ref]);
  }

  /** Three-way merge without a work tree (git ≥ 2.38): the merged tree, or undefined on conflicts. */
  async mergeTree(ours: string, theirs: string): Promise<string | undefined> {
    try {
      return (await this.git(['merge-tree', '--write-tree', ours, theirs])).split('\n')[0].trim();
    } catch (err) {
      if (err instanceof GitCommandError && err.exitCode === 1) return undefined;
      throw err;
    }
  }

  async commitTree(tree: string, parents: string[], message: string, who: { name: string; email: string }): Promise<string> {
    const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', message];
    const env = { GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_COMMITTER_NAME: 'GitHub', GIT_COMMITTER_EMAIL: 'noreply@github.com' };
    return (await this.git(args, { env })).trim();
  }
}
