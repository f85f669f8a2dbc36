/**
 * A token per target repository (docs/image-automation.md "A token per repository"): the `tokens` input maps
 * repositories to tokens, one `<repository>=<token>` per line, and `token` is the fallback. A repository is named by
 * its URL (`https://github.com/org/repo.git`), by `host/owner/name` (`github.com/org/repo`), or by `owner/name` on the
 * run's GitHub server (GITHUB_SERVER_URL, default github.com). A token is only ever sent to the host it is mapped to.
 * Messages never contain a token: a bad line is named by its number and its repository part.
 */
import { InputError } from '../../errors.js';

export interface TokenMap {
  /** The token for a repository URL: its own mapping, else the fallback; undefined when there is neither. */
  tokenFor(url: string): string | undefined;
  /** Whether the repository has its own mapping. */
  has(url: string): boolean;
  /** Number of mappings. */
  readonly size: number;
  /** The mapped repositories (normalised `host/path`) that no tokenFor/has call has matched. */
  unused(): string[];
  /** Every token (to register as secrets). */
  values(): string[];
}

/** `host[:port]/path` (host lower case, path without trailing `/` and `.git`, lower case), or undefined for a non-http(s) URL. */
export function repositoryKey(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  const path = decodeURIComponent(u.pathname)
    .replace(/\/+$/, '')
    .replace(/\.git$/, '')
    .replace(/^\/+/, '');
  return `${u.host.toLowerCase()}/${path.toLowerCase()}`;
}

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The normalised key of a `tokens` entry's repository part; throws InputError (naming `where`) when malformed. */
function entryKey(repo: string, serverHost: string, where: string): string {
  const hint = 'name the repository as https://host/owner/name(.git), host/owner/name, or owner/name (on the run\'s GitHub server)';
  if (repo.includes('://')) {
    let u: URL;
    try {
      u = new URL(repo);
    } catch {
      throw new InputError(`${where}: '${repo}' is not a URL`, hint);
    }
    if (u.username || u.password) throw new InputError(`${where}: the repository URL must not contain credentials`, hint);
    const key = repositoryKey(repo);
    if (!key || key.split('/').length < 3) throw new InputError(`${where}: '${u.protocol}//${u.host}${u.pathname}' is not an http(s) repository URL`, hint);
    return key;
  }
  const parts = repo.replace(/\.git$/, '').split('/');
  if (parts.length === 2 && parts.every((p) => SEGMENT.test(p))) return `${serverHost}/${parts.join('/').toLowerCase()}`;
  if (parts.length >= 3 && HOST.test(parts[0]) && parts.slice(1).every((p) => SEGMENT.test(p))) return `${parts[0].toLowerCase()}/${parts.slice(1).join('/').toLowerCase()}`;
  throw new InputError(`${where}: '${repo}' does not name a repository`, hint);
}

/**
 * Parses the `tokens` input. Blank lines and `#` comments are skipped; each other line is `<repository>=<token>`
 * (split at the first `=`, so tokens may contain `=`). An empty token (a secret that does not exist expands to "") and
 * a repository named twice are errors.
 */
export function parseTokenMap(raw: string, o: { fallback?: string; serverUrl?: string; input?: string } = {}): TokenMap {
  const input = o.input ?? 'tokens';
  let serverHost = 'github.com';
  try {
    if (o.serverUrl) serverHost = new URL(o.serverUrl).host.toLowerCase();
  } catch {
    // an invalid GITHUB_SERVER_URL: owner/name keys then mean github.com
  }
  const map = new Map<string, string>();
  raw.split(/\r?\n/).forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const where = `${input.startsWith('--') ? input : `input '${input}'`}, line ${i + 1}`;
    const eq = text.indexOf('=');
    if (eq < 0) throw new InputError(`${where}: expected <repository>=<token>`, 'e.g. github.com/org/apps=${{ secrets.APPS_TOKEN }}');
    const repo = text.slice(0, eq).trim();
    const token = text.slice(eq + 1).trim();
    const key = entryKey(repo, serverHost, where);
    if (token === '') throw new InputError(`${where}: the token for ${repo} is empty`, 'a secret that does not exist expands to an empty string: check the secret name');
    if (map.has(key)) throw new InputError(`${where}: ${repo} is mapped twice`, 'keep one line per repository');
    map.set(key, token);
  });
  const used = new Set<string>();
  const lookup = (url: string): string | undefined => {
    const key = repositoryKey(url);
    if (key === undefined || !map.has(key)) return undefined;
    used.add(key);
    return map.get(key);
  };
  const fallback = o.fallback === '' ? undefined : o.fallback;
  return {
    tokenFor: (url) => lookup(url) ?? fallback,
    has: (url) => lookup(url) !== undefined,
    size: map.size,
    unused: () => [...map.keys()].filter((k) => !used.has(k)),
    values: () => [...map.values()],
  };
}

/**
 * The fail-early rule: with a `tokens` mapping in use, every http(s) repository needs its own token or the `token`
 * fallback. Throws one InputError listing every repository without a token.
 */
export function checkTokensCover(urls: readonly string[], tokens: TokenMap, input = 'tokens'): void {
  if (tokens.size === 0) return;
  const missing = [...new Set(urls)].filter((u) => repositoryKey(u) !== undefined && tokens.tokenFor(u) === undefined);
  if (missing.length > 0) {
    throw new InputError(
      `no token for ${missing.map((u) => repositoryKey(u)).join(', ')}: ${input} does not map ${missing.length === 1 ? 'it' : 'them'} and token is empty`,
      `add a line <repository>=<token> to ${input} for each, or set token as the fallback`,
    );
  }
}
