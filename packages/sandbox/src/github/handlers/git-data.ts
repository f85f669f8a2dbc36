import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCommandError } from '../bare-repo.js';
import { errorBody, HttpError } from '../http-error.js';
import { hashId, nodeId, type JsonObject, type JsonValue } from '../model.js';
import type { RepoState } from '../state.js';
import { bodyObj, str, type Handler } from './context.js';

/**
 * GitHub's Git Data API (blobs, trees, commits, references) over the real bare repository: a blob is
 * `git hash-object -w`, a tree is built in a throwaway index from `base_tree` (paths may be nested, a null sha deletes),
 * a commit is `git commit-tree`, and references move with git's own compare-and-swap (`git update-ref <ref> <new> <old>`).
 *
 * Signing: GitHub signs a commit created through this API with its own key and marks it Verified when the caller is a
 * GitHub App or GITHUB_TOKEN (a `[bot]` login) and no `committer` or `signature` is given; the committer is then
 * GitHub (`noreply@github.com`). The emulator records such commits as verified. A branch protected with "Require
 * signed commits" (AddRepoOptions.signedCommitBranches) refuses a ref update to any other commit.
 */

const SHA = /^[0-9a-f]{40}$/;

function gitUser(i: { name: string; email: string; date: string }): JsonObject {
  return { name: i.name, email: i.email, date: new Date(i.date).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

function verification(verified: boolean): JsonObject {
  return verified
    ? { verified: true, reason: 'valid', signature: '-----BEGIN PGP SIGNATURE-----\n\n(emulated web-flow signature)\n-----END PGP SIGNATURE-----\n', payload: '', verified_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') }
    : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };
}

async function objectType(r: RepoState, sha: string): Promise<string | undefined> {
  if (!SHA.test(sha)) return undefined;
  try {
    return (await r.git.git(['cat-file', '-t', sha])).trim();
  } catch {
    return undefined;
  }
}

async function gitCommitObject(state: Parameters<Handler>[0]['state'], r: RepoState, sha: string): Promise<JsonObject> {
  const c = await r.git.commit(sha);
  const a = `${state.urls.api}/repos/${r.fullName}`;
  return {
    sha: c.sha,
    node_id: nodeId('C', hashId(c.sha)),
    url: `${a}/git/commits/${c.sha}`,
    html_url: `${state.urls.html}/${r.fullName}/commit/${c.sha}`,
    author: gitUser(c.author),
    committer: gitUser(c.committer),
    message: c.message,
    tree: { sha: c.tree, url: `${a}/git/trees/${c.tree}` },
    parents: c.parents.map((p) => ({ sha: p, url: `${a}/git/commits/${p}`, html_url: `${state.urls.html}/${r.fullName}/commit/${p}` })),
    verification: verification(r.verified.has(c.sha)),
  };
}

function refObject(state: Parameters<Handler>[0]['state'], r: RepoState, ref: string, sha: string): JsonObject {
  return {
    ref,
    node_id: nodeId('REF', hashId(`${r.fullName}:${ref}`)),
    url: `${state.urls.api}/repos/${r.fullName}/git/${ref}`,
    object: { type: 'commit', sha, url: `${state.urls.api}/repos/${r.fullName}/git/commits/${sha}` },
  };
}

/** Glob of AddRepoOptions.signedCommitBranches: `*` within a segment, `**` anything. */
function protects(patterns: readonly string[], branch: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*')}$`).test(branch));
}

function checkSigned(r: RepoState, ref: string, sha: string, docUrl: string): void {
  const branch = ref.replace(/^refs\/heads\//, '');
  if (ref.startsWith('refs/heads/') && protects(r.signedCommitBranches, branch) && !r.verified.has(sha)) {
    throw new HttpError(422, errorBody(422, 'Protected branch update failed for refs/heads/' + branch + '. Commits must have verified signatures.', docUrl));
  }
}

export const gitDataHandlers: Record<string, Handler> = {
  'git/create-blob': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const content = str(b.content) ?? '';
    const encoding = str(b.encoding) ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64') throw new HttpError(422, errorBody(422, `encoding must be utf-8 or base64`, docUrl));
    const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    const sha = (await r.git.git(['hash-object', '-w', '--stdin'], { input: bytes })).trim();
    return { status: 201, body: { url: `${state.urls.api}/repos/${r.fullName}/git/blobs/${sha}`, sha } };
  },

  'git/create-tree': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const baseTree = str(b.base_tree);
    if (baseTree !== undefined && (await objectType(r, baseTree)) !== 'tree') throw new HttpError(422, errorBody(422, 'base_tree is not a valid tree oid', docUrl));
    const dir = mkdtempSync(join(tmpdir(), 'd2-gh-tree-'));
    // A throwaway index (and an empty work tree, which update-index wants even for index-only edits).
    const env = { GIT_INDEX_FILE: join(dir, 'index'), GIT_WORK_TREE: dir };
    try {
      if (baseTree) await r.git.git(['read-tree', baseTree], { env });
      else await r.git.git(['read-tree', '--empty'], { env });
      for (const e of (b.tree as JsonValue[] | undefined) ?? []) {
        const entry = e as JsonObject;
        const path = str(entry.path) ?? '';
        const mode = str(entry.mode) ?? '';
        if (path === '' || path.startsWith('/') || path.split('/').some((s) => s === '' || s === '.' || s === '..')) throw new HttpError(422, errorBody(422, `tree.path contains a malformed path component`, docUrl));
        if (entry.sha === null) {
          await r.git.git(['update-index', '--force-remove', '--', path], { env });
          continue;
        }
        let sha = str(entry.sha);
        if (sha !== undefined && entry.content !== undefined) throw new HttpError(422, errorBody(422, 'Must supply either tree.sha or tree.content, not both', docUrl));
        if (sha === undefined) {
          const c = await gitDataHandlers['git/create-blob']({ ...ctx, body: { content: str(entry.content) ?? '', encoding: 'utf-8' } });
          sha = String((c.body as JsonObject).sha);
        }
        const want = str(entry.type) === 'commit' ? 'commit' : str(entry.type) === 'tree' ? 'tree' : 'blob';
        if (want !== 'commit' && (await objectType(r, sha)) !== want) throw new HttpError(422, errorBody(422, `tree.sha ${sha} is not a valid ${want}`, docUrl));
        await r.git.git(['update-index', '--add', '--cacheinfo', `${mode},${sha},${path}`], { env });
      }
      const sha = (await r.git.git(['write-tree'], { env })).trim();
      const ls = (await r.git.git(['ls-tree', '-l', sha])).split('\n').filter(Boolean);
      const tree = ls.map((l) => {
        const [meta, path] = l.split('\t');
        const [mode, type, oid, size] = meta.trim().split(/\s+/);
        return { path, mode, type, sha: oid, ...(type === 'blob' ? { size: Number(size) } : {}), url: `${state.urls.api}/repos/${r.fullName}/git/${type}s/${oid}` };
      });
      return { status: 201, body: { sha, url: `${state.urls.api}/repos/${r.fullName}/git/trees/${sha}`, truncated: false, tree } };
    } catch (err) {
      if (err instanceof GitCommandError) throw new HttpError(422, errorBody(422, `GitRPC::BadObjectState: ${err.stderr.trim().split('\n')[0]}`, docUrl));
      throw err;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  'git/create-commit': async (ctx) => {
    const { state, op, docUrl, login } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const tree = str(b.tree) ?? '';
    if ((await objectType(r, tree)) !== 'tree') throw new HttpError(422, errorBody(422, 'Tree SHA does not exist', docUrl));
    const parents = ((b.parents as JsonValue[] | undefined) ?? []).map(String);
    for (const p of parents) if ((await objectType(r, p)) !== 'commit') throw new HttpError(422, errorBody(422, 'Parent SHA does not exist or is not a commit object', docUrl));
    const now = new Date().toISOString();
    const author = (b.author as JsonObject | undefined) ?? undefined;
    const committer = (b.committer as JsonObject | undefined) ?? undefined;
    const botIdentity = { name: login.replace(/\[bot\]$/, ''), email: `${hashId(login)}+${login}@users.noreply.github.com` };
    const a = { name: str(author?.name) ?? botIdentity.name, email: str(author?.email) ?? botIdentity.email, date: str(author?.date) ?? now };
    // GitHub signs (web-flow) only for an app or GITHUB_TOKEN caller that leaves committer and signature to it.
    const signs = login.endsWith('[bot]') && committer === undefined && b.signature === undefined;
    const c = signs ? { name: 'GitHub', email: 'noreply@github.com', date: now } : { name: str(committer?.name) ?? a.name, email: str(committer?.email) ?? a.email, date: str(committer?.date) ?? a.date };
    const env = { GIT_AUTHOR_NAME: a.name, GIT_AUTHOR_EMAIL: a.email, GIT_AUTHOR_DATE: a.date, GIT_COMMITTER_NAME: c.name, GIT_COMMITTER_EMAIL: c.email, GIT_COMMITTER_DATE: c.date };
    // The message goes in on stdin, verbatim (commit-tree does no cleanup).
    const sha = (await r.git.git(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-'], { env, input: str(b.message) ?? '' })).trim();
    if (signs) r.verified.add(sha);
    return { status: 201, body: await gitCommitObject(state, r, sha) };
  },

  'git/get-commit': async ({ state, op, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    if ((await objectType(r, op.params.commit_sha)) !== 'commit') throw new HttpError(404, errorBody(404, 'Not Found', docUrl));
    return { status: 200, body: await gitCommitObject(state, r, op.params.commit_sha) };
  },

  'git/create-ref': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const ref = str(b.ref) ?? '';
    const sha = str(b.sha) ?? '';
    if (!/^refs\/(heads|tags)\/[^\s~^:?*[\\]+$/.test(ref) || ref.includes('..') || ref.endsWith('/') || ref.endsWith('.lock')) {
      throw new HttpError(422, errorBody(422, 'Reference name is invalid', docUrl));
    }
    if ((await objectType(r, sha)) !== 'commit') throw new HttpError(422, errorBody(422, 'Object does not exist', docUrl));
    checkSigned(r, ref, sha, docUrl);
    try {
      // The empty old value: created only while it does not exist (atomic in git).
      await r.git.git(['update-ref', ref, sha, '']);
    } catch {
      throw new HttpError(422, errorBody(422, 'Reference already exists', docUrl));
    }
    return { status: 201, body: refObject(state, r, ref, sha), headers: { location: `${state.urls.api}/repos/${r.fullName}/git/${ref}` } };
  },

  'git/update-ref': async (ctx) => {
    const { state, op, docUrl } = ctx;
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const b = bodyObj(ctx);
    const ref = `refs/${op.params.ref}`;
    const sha = str(b.sha) ?? '';
    const current = await r.git.resolve(ref);
    if (!current) throw new HttpError(422, errorBody(422, 'Reference does not exist', docUrl));
    if ((await objectType(r, sha)) !== 'commit') throw new HttpError(422, errorBody(422, 'Object does not exist', docUrl));
    if (b.force !== true && !(await r.git.isAncestor(current, sha))) throw new HttpError(422, errorBody(422, 'Update is not a fast forward', docUrl));
    checkSigned(r, ref, sha, docUrl);
    try {
      await r.git.git(['update-ref', ref, sha, current]);
    } catch {
      throw new HttpError(422, errorBody(422, 'Update is not a fast forward', docUrl));
    }
    return { status: 200, body: refObject(state, r, ref, sha) };
  },
};
