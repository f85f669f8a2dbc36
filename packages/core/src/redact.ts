/**
 * Credentials in URLs never reach a log, a step summary, an output or an error message (docs/security.md): every URL
 * that is printed or returned goes through redactUrl (one URL or reference) or redactUrls (free text that may quote
 * URLs: git's stderr, registry and GitHub error bodies, whole error messages). The whole userinfo — user and
 * password — becomes `***`, because a token is often sent as the user name alone (`https://<token>@github.com/…`).
 *
 * Forms handled:
 * - `scheme://userinfo@host/…` for every scheme (http, https, ssh, git, oci, …); the userinfo ends at the last `@`
 *   of the authority, as URL parsers read it, so a raw `@` in a password is covered;
 * - the same text when it is not a parseable URL (e.g. a raw `/` in the password): everything between `://` and the
 *   last `@` of the word is removed;
 * - scheme-less `user:password@host[:port][/…]` and `token@host/…` (registry references, scp-like git remotes with a
 *   password). `user@host:path` without a password (`git@github.com:org/repo`) names no secret and is kept, and so
 *   are image references with a digest (`app:1.0@sha256:…`) and e-mail addresses.
 */

/** What the userinfo is replaced with. */
export const REDACTED = '***';

/** `scheme://` + the authority's userinfo (greedy: up to the authority's last `@`). */
const SCHEME_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;

/** A word starting with `scheme://` (for the unparseable case). */
const SCHEME_WORD = /[a-z][a-z0-9+.-]*:\/\/\S*/gi;

/**
 * Scheme-less userinfo at the start of a word, `user:password@` or `token@`, then a host (with an optional port) and
 * what follows it. A host followed by `:` and hex is a digest (`app:1.0@sha256:…`), not a host.
 */
const BARE_USERINFO =
  /(^|[\s'"`(<[{=,;])([^\s/@'"`<>()[\]{}=,;]+)@(?![a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{6,})(?=(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?([/:\s'"`)\]},;]|$))/gi;

/** Characters that end a URL in prose rather than belong to it. */
const TRAILING = /['"`)\]}>,.;:!?]+$/;

function parses(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/**
 * Redacts the userinfo of every URL (and scheme-less `user:password@host`) in `text`. Everything else is unchanged;
 * the result is safe to log, to put in a summary or an output, and to return.
 */
export function redactUrls(text: string): string {
  if (!text.includes('@')) return text;
  let out = text.replace(SCHEME_USERINFO, `$1${REDACTED}@`);
  // A URL the authority rule could not delimit (a raw `/`, `?` or `#` in the password): if the word does not parse as
  // a URL and still has an `@` after `://`, drop everything up to its last `@`.
  out = out.replace(SCHEME_WORD, (word) => {
    const core = word.replace(TRAILING, '');
    const start = core.indexOf('://') + 3;
    const at = core.lastIndexOf('@');
    if (at < start || core.slice(start, at) === REDACTED || parses(core)) return word;
    return `${core.slice(0, start)}${REDACTED}${word.slice(at)}`;
  });
  return out.replace(BARE_USERINFO, (match: string, lead: string, userinfo: string, next: string) => {
    // `user:password@host…` always; a user alone only before a path (`token@ghcr.io/org/app`): `git@github.com:org/r`
    // and e-mail addresses name no secret.
    if (userinfo === REDACTED || (!userinfo.includes(':') && next !== '/')) return match;
    return `${lead}${REDACTED}@`;
  });
}

/** Redacts the userinfo of one URL or reference (see redactUrls); a string without credentials is returned as is. */
export function redactUrl(url: string): string {
  return redactUrls(url);
}

/** Whether `url` carries credentials (user, password or token) that redactUrl would remove. */
export function hasUrlCredentials(url: string): boolean {
  return redactUrl(url) !== url;
}
