import type { BareRepo } from '../bare-repo.js';
import { hashId, nodeId, type JsonObject } from '../model.js';
import type { Handler } from './context.js';

/**
 * `GET /repos/{owner}/{repo}/tags` and `GET /repos/{owner}/{repo}/branches` from the bare repository's real refs,
 * paginated as GitHub does (`per_page` default 30, at most 100; `page`; a `Link: rel="next"` header while more
 * remain). Tags are listed newest name first (`for-each-ref --sort=-refname`), branches by name.
 */
async function refs(git: BareRepo, prefix: 'refs/tags' | 'refs/heads'): Promise<Array<{ name: string; sha: string }>> {
  // %(*objectname) is the peeled commit of an annotated tag (empty for lightweight tags and branches).
  const out = await git.git(['for-each-ref', `--sort=${prefix === 'refs/tags' ? '-refname' : 'refname'}`, '--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)', prefix]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [name, sha, peeled] = line.split('\0');
      return { name, sha: peeled || sha };
    });
}

function page<T>(items: T[], query: URLSearchParams, self: string): { slice: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Number(query.get('per_page') ?? 30) || 30, 100);
  const n = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const headers: Record<string, string> = {};
  if (n * perPage < items.length) {
    const next = new URL(self);
    query.forEach((v, k) => next.searchParams.set(k, v));
    next.searchParams.set('page', String(n + 1));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { slice: items.slice((n - 1) * perPage, n * perPage), headers };
}

/** A repository's tags and branches (list-tags, list-branches). */
export const tagBranchHandlers: Record<string, Handler> = {
  'repos/list-tags': async ({ state, op, query, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const { api, html } = state.urls;
    const base = `${api}/repos/${r.fullName}`;
    const { slice, headers } = page(await refs(r.git, 'refs/tags'), query, `${base}/tags`);
    const body: JsonObject[] = slice.map((t) => ({
      name: t.name,
      commit: { sha: t.sha, url: `${base}/commits/${t.sha}` },
      zipball_url: `${html}/${r.fullName}/zipball/refs/tags/${encodeURIComponent(t.name)}`,
      tarball_url: `${html}/${r.fullName}/tarball/refs/tags/${encodeURIComponent(t.name)}`,
      node_id: nodeId('REF', hashId(`${r.fullName}:refs/tags/${t.name}`)),
    }));
    return { status: 200, body, headers };
  },
  'repos/list-branches': async ({ state, op, query, docUrl }) => {
    const r = state.repoOf(op.params.owner, op.params.repo, docUrl);
    const base = `${state.urls.api}/repos/${r.fullName}`;
    const { slice, headers } = page(await refs(r.git, 'refs/heads'), query, `${base}/branches`);
    const body: JsonObject[] = slice.map((b) => ({ name: b.name, commit: { sha: b.sha, url: `${base}/commits/${b.sha}` }, protected: false }));
    return { status: 200, body, headers };
  },
};
