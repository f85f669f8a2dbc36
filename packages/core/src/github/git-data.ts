/**
 * Commits through GitHub's Git Data API (docs/image-automation.md "Verified commits"): blobs, a tree on the parent's
 * tree, a commit without a committer (so GitHub signs it and marks it Verified for a GitHub App or GITHUB_TOKEN, as
 * create-pull-request's `sign-commits` does), then the branch reference: created only while it does not exist, or
 * moved only as a fast-forward of the tip the commit was built on, so nobody's commit is overwritten.
 */
import { D2Error } from '../errors.js';
import { classifyGitHubError, translateGitHubError } from './errors.js';
import type { GitHubClient } from './octokit.js';

export interface ApiCommitFile {
  /** Path from the repository root, `/`-separated. */
  path: string;
  /** git file mode, e.g. 100644. */
  mode: string;
  /** The new content; undefined deletes the file. */
  content?: Buffer;
}

export interface ApiCommitRequest {
  branch: string;
  /** The branch tip the commit was built on; undefined when the branch does not exist yet. */
  expected: string | undefined;
  parent: string;
  parentTree: string;
  /** The tree git built for the same change: the tree GitHub builds must be identical. */
  tree: string;
  files: ApiCommitFile[];
  message: string;
  author: { name: string; email: string; date: Date };
}

export type ApiCommitResult = { ok: true; sha: string; verified: boolean } | { ok: false; reason: string };

const statusOf = (err: unknown): number | undefined => classifyGitHubError(err).status;
const messageOf = (err: unknown): string => classifyGitHubError(err).message;

/** How a commit writer of `owner/repo` names itself in logs and errors. */
export function githubCommitWriterDescription(owner: string, repo: string): string {
  return `the GitHub API (${owner}/${repo})`;
}

/** Writes commits to `owner/repo` through the Git Data API with `octokit`. */
export function githubCommitWriter(octokit: GitHubClient, owner: string, repo: string): { description: string; write(o: ApiCommitRequest): Promise<ApiCommitResult> } {
  const r = { owner, repo };
  const call = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw translateGitHubError(err, `${doing} in ${owner}/${repo}`);
    }
  };
  return {
    description: githubCommitWriterDescription(owner, repo),
    async write(o) {
      const tree: Array<{ path: string; mode: '100644' | '100755' | '040000' | '160000' | '120000'; type: 'blob'; sha: string | null }> = [];
      for (const f of o.files) {
        if (f.content === undefined) {
          tree.push({ path: f.path, mode: f.mode as '100644', type: 'blob', sha: null });
          continue;
        }
        const content = f.content;
        const blob = await call(`create the blob of ${f.path}`, () => octokit.rest.git.createBlob({ ...r, content: content.toString('base64'), encoding: 'base64' }));
        tree.push({ path: f.path, mode: f.mode as '100644', type: 'blob', sha: blob.data.sha });
      }
      const t = await call('create the tree', () => octokit.rest.git.createTree({ ...r, base_tree: o.parentTree, tree }));
      if (t.data.sha !== o.tree) {
        throw new D2Error(`GitHub built tree ${t.data.sha} for the update of ${o.branch}, git built ${o.tree}: nothing was committed`, { code: 'GITHUB_API_ERROR', hint: 'the files GitHub has differ from the clone; run again, or use commit-via: git' });
      }
      const date = o.author.date.toISOString().replace(/\.\d{3}Z$/, 'Z');
      // No committer: GitHub is the committer and signs the commit (Verified) for an app or GITHUB_TOKEN.
      const c = await call('create the commit', () => octokit.rest.git.createCommit({ ...r, message: o.message, tree: t.data.sha, parents: [o.parent], author: { name: o.author.name || o.author.email, email: o.author.email, date } }));
      const sha = c.data.sha;
      const verified = c.data.verification?.verified === true;
      try {
        if (o.expected === undefined) await octokit.rest.git.createRef({ ...r, ref: `refs/heads/${o.branch}`, sha });
        else await octokit.rest.git.updateRef({ ...r, ref: `heads/${o.branch}`, sha, force: false });
      } catch (err) {
        const msg = messageOf(err);
        // The branch was created, or moved, meanwhile: the caller rebuilds on the new tip (nothing was overwritten).
        if (statusOf(err) === 422 && /Reference already exists|not a fast forward|Reference does not exist/i.test(msg)) return { ok: false, reason: msg };
        throw translateGitHubError(err, `${o.expected === undefined ? 'create' : 'update'} the branch ${o.branch} in ${owner}/${repo}`);
      }
      return { ok: true, sha, verified };
    },
  };
}
