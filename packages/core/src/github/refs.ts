/**
 * Listing a repository's tags and branches through the GitHub REST API, one page at a time (what the GitHubTag and
 * GitHubBranch ResourceSetInputProviders read; docs/image-automation.md "ResourceSet inputsFrom").
 */
import { translateGitHubError } from './errors.js';
import type { GitHubClient } from './octokit.js';

export interface RefPage {
  name: string;
  /** The commit the tag or branch points at. */
  sha: string;
}

/**
 * The REST API root for a repository URL: GITHUB_API_URL when the repository is on the run's GitHub server
 * (GITHUB_SERVER_URL), `https://api.github.com` for github.com, else `<origin>/api/v3` (GitHub Enterprise Server, as
 * go-github's enterprise URLs).
 */
export function githubApiUrlFor(repositoryUrl: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const origin = new URL(repositoryUrl).origin;
  const server = env.GITHUB_SERVER_URL ? new URL(env.GITHUB_SERVER_URL).origin : 'https://github.com';
  if (origin === server && env.GITHUB_API_URL) return env.GITHUB_API_URL.replace(/\/+$/, '');
  if (origin === 'https://github.com') return 'https://api.github.com';
  return `${origin}/api/v3`;
}

/** `owner/repo` of a GitHub repository URL (`https://<host>/<owner>/<repo>[.git]`), or undefined. */
export function githubRepoOf(url: string): { owner: string; repo: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(u.pathname);
  return m ? { owner: decodeURIComponent(m[1]), repo: decodeURIComponent(m[2]) } : undefined;
}

/** `GET /repos/{owner}/{repo}/tags` and `/branches`, page by page, as name and commit SHA. */
export function githubRefLister(octokit: GitHubClient): {
  listTags(owner: string, repo: string, page: number, perPage: number): Promise<RefPage[]>;
  listBranches(owner: string, repo: string, page: number, perPage: number): Promise<RefPage[]>;
} {
  return {
    async listTags(owner, repo, page, perPage) {
      try {
        const r = await octokit.rest.repos.listTags({ owner, repo, page, per_page: perPage });
        return r.data.map((t) => ({ name: t.name, sha: t.commit.sha }));
      } catch (err) {
        throw translateGitHubError(err, `list the tags of ${owner}/${repo}`);
      }
    },
    async listBranches(owner, repo, page, perPage) {
      try {
        const r = await octokit.rest.repos.listBranches({ owner, repo, page, per_page: perPage });
        return r.data.map((b) => ({ name: b.name, sha: b.commit.sha }));
      } catch (err) {
        throw translateGitHubError(err, `list the branches of ${owner}/${repo}`);
      }
    },
  };
}
