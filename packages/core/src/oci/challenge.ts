/**
 * `WWW-Authenticate` challenges and token scopes (docs/registry-client.md, "Decisions", Auth): Basic or Bearer, parameters
 * with quoted strings (commas and escaped quotes inside), several space-separated scopes in one `scope` parameter,
 * `error="insufficient_scope"`. Header-name case is the caller's business (node lower-cases header names).
 */

export interface Challenge {
  /** Lower-case scheme: `basic`, `bearer`, or something unknown. */
  scheme: string;
  /** Parameters with lower-case names. */
  params: Record<string, string>;
}

export interface BearerChallenge {
  realm: string;
  service?: string;
  scopes: string[];
  error?: string;
}

/** Parses the first challenge of a WWW-Authenticate header (registries send one). */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+|$)/.exec(value);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  let s = value.slice(m[0].length);
  const param = /^\s*,?\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/;
  for (;;) {
    const pm = param.exec(s);
    if (!pm) break;
    s = s.slice(pm[0].length);
    let v: string;
    if (s.startsWith('"')) {
      let i = 1;
      v = '';
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        v += s[i++];
      }
      s = s.slice(i + 1);
    } else {
      const end = /[\s,]|$/.exec(s);
      const idx = end ? end.index : s.length;
      v = s.slice(0, idx);
      s = s.slice(idx);
    }
    params[pm[1].toLowerCase()] = v;
  }
  return { scheme: m[1].toLowerCase(), params };
}

/** The Bearer parameters of a challenge, or undefined when it is not a usable Bearer challenge. */
export function bearerOf(ch: Challenge | undefined): BearerChallenge | undefined {
  if (!ch || ch.scheme !== 'bearer' || !ch.params.realm) return undefined;
  return {
    realm: ch.params.realm,
    service: ch.params.service,
    scopes: (ch.params.scope ?? '').split(/\s+/).filter((s) => s !== ''),
    error: ch.params.error,
  };
}

/** `repository:<name>:<actions>` */
export function repositoryScope(repository: string, actions: string[]): string {
  return `repository:${repository}:${actions.join(',')}`;
}

/**
 * Merges scopes: actions of the same resource are unioned and sorted, resources sorted. Scopes that are not of the
 * `type:name:actions` form (ECR once sent `aws`) are kept verbatim, so a malformed scope never breaks the cache key.
 */
export function mergeScopes(...lists: string[][]): string[] {
  const byResource = new Map<string, Set<string>>();
  const verbatim = new Set<string>();
  for (const list of lists) {
    for (const scope of list) {
      const first = scope.indexOf(':');
      const last = scope.lastIndexOf(':');
      if (first < 0 || last <= first) {
        verbatim.add(scope);
        continue;
      }
      const resource = scope.slice(0, last);
      const actions = scope
        .slice(last + 1)
        .split(',')
        .filter((a) => a !== '');
      const set = byResource.get(resource) ?? new Set<string>();
      for (const a of actions) set.add(a);
      byResource.set(resource, set);
    }
  }
  const out = [...byResource].map(([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`);
  return [...out, ...verbatim].sort();
}
