/**
 * The hermetic sprig functions (Masterminds/sprig v3.3.0 `HermeticTxtFuncMap`) that commit templates use in
 * practice (docs/image-automation.md, "Commit messages"). Non-hermetic ones (dates, random, env, DNS) are deliberately absent.
 * Argument order follows sprig (the piped value comes last: `{{ .x | trimSuffix "-" }}`).
 */
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { goQuote } from './fmt.js';
import type { FuncMap } from './exec.js';
import { compareKeys, formatValue, isStruct, isTrue, NO_VALUE, sortedEntries, type GoValue } from './values.js';

/** sprig strval: strings as is, nil as "", everything else through fmt %v. */
function strval(v: GoValue): string {
  if (v === null || v === undefined || v === NO_VALUE) return '';
  return formatValue(v);
}

function toList(v: GoValue): GoValue[] {
  if (Array.isArray(v)) return v;
  if (v === null || v === undefined) return [];
  throw new Error(`cannot use type ${typeof v} as a list`);
}

function toInt(v: GoValue): number {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  return 0;
}

function toFloat(v: GoValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    return Number.isFinite(n) ? n : 0;
  }
  return typeof v === 'boolean' ? (v ? 1 : 0) : 0;
}

/** sprig `empty`: Go zero values. */
function empty(v: GoValue): boolean {
  if (v === null || v === undefined || v === NO_VALUE) return true;
  if (isStruct(v)) return false;
  return !isTrue(v);
}

/** Go encoding/json Marshal (compact, HTML-safe escaping, sorted map keys). */
export function goJson(v: GoValue): string {
  if (v === null || v === undefined || v === NO_VALUE) return 'null';
  if (typeof v === 'string') {
    return JSON.stringify(v)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (v instanceof Map) return `{${sortedEntries(v).map(([k, x]) => `${goJson(strval(k))}:${goJson(x)}`).join(',')}}`;
  if (isStruct(v)) return `{${Object.keys(v).map((k) => `${goJson(k)}:${goJson(v[k])}`).join(',')}}`;
  return 'null';
}

function indent(n: GoValue, s: GoValue): string {
  const pad = ' '.repeat(toInt(n));
  return pad + strval(s).replace(/\n/g, '\n' + pad);
}

function title(s: string): string {
  // strings.Title: upper-case the first letter of each word (words separated by non-letters).
  return s.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase());
}

function words(s: string): string[] {
  return s
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean);
}

function re(pattern: GoValue): RE2JS {
  return RE2JS.compile(strval(pattern));
}

type Re2Matcher = ReturnType<RE2JS['matcher']>;

/** Go Regexp.ReplaceAllString over re2js matches. */
function replaceAll(r: RE2JS, s: string, f: (m: Re2Matcher) => string): string {
  const m = r.matcher(s);
  let out = '';
  let pos = 0;
  while (m.find()) {
    out += s.slice(pos, m.start()) + f(m);
    pos = m.end();
    if (m.start() === m.end()) {
      if (pos >= s.length) break;
      out += s[pos];
      pos++;
      if (!m.find(pos)) break;
      out += s.slice(pos, m.start()) + f(m);
      pos = m.end();
    }
  }
  return out + s.slice(pos);
}

/** Go Regexp.Expand: `$1`, `$name`, `${name}` (longest [A-Za-z0-9_] run), `$$`; unknown groups expand to "". */
function expand(m: Re2Matcher, template: string): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (all, _x, braced: string | undefined, bare: string | undefined) => {
    if (all === '$$') return '$';
    const name = braced ?? bare ?? '';
    try {
      const g = /^\d+$/.test(name) ? m.group(Number(name)) : m.group(name);
      return g ?? '';
    } catch {
      return '';
    }
  });
}

function dictOf(args: GoValue[]): Map<string, GoValue> {
  const m = new Map<string, GoValue>();
  for (let i = 0; i < args.length; i += 2) m.set(strval(args[i]), i + 1 < args.length ? args[i + 1] : '');
  return m;
}

function uniq(list: GoValue[]): GoValue[] {
  const out: GoValue[] = [];
  for (const x of list) if (!out.some((y) => compareKeys(x, y) === 0 && typeof x === typeof y)) out.push(x);
  return out;
}

export function sprigFuncs(): FuncMap {
  return {
    // strings
    trim: (s) => strval(s).trim(),
    trimAll: (cut, s) => {
      const c = strval(cut);
      let str = strval(s);
      while (str && c.includes(str[0])) str = str.slice(1);
      while (str && c.includes(str[str.length - 1])) str = str.slice(0, -1);
      return str;
    },
    trimSuffix: (suf, s) => {
      const a = strval(suf);
      const b = strval(s);
      return a && b.endsWith(a) ? b.slice(0, -a.length) : b;
    },
    trimPrefix: (pre, s) => {
      const a = strval(pre);
      const b = strval(s);
      return a && b.startsWith(a) ? b.slice(a.length) : b;
    },
    upper: (s) => strval(s).toUpperCase(),
    lower: (s) => strval(s).toLowerCase(),
    title: (s) => title(strval(s)),
    untitle: (s) => strval(s).replace(/(^|\s)(\S)/g, (_m, sp: string, c: string) => sp + c.toLowerCase()),
    replace: (o, n, s) => strval(s).split(strval(o)).join(strval(n)),
    contains: (sub, s) => strval(s).includes(strval(sub)),
    hasPrefix: (p, s) => strval(s).startsWith(strval(p)),
    hasSuffix: (p, s) => strval(s).endsWith(strval(p)),
    repeat: (n, s) => strval(s).repeat(Math.max(0, toInt(n))),
    substr: (start, end, s) => {
      const str = strval(s);
      const a = toInt(start);
      const b = toInt(end);
      if (a < 0) return str.slice(0, b);
      if (b < 0 || b > str.length) return str.slice(a);
      return str.slice(a, b);
    },
    trunc: (n, s) => {
      const str = strval(s);
      const c = toInt(n);
      if (c < 0 && str.length + c > 0) return str.slice(str.length + c);
      if (c >= 0 && str.length > c) return str.slice(0, c);
      return str;
    },
    nospace: (s) => strval(s).replace(/\s/g, ''),
    quote: (...a) => a.filter((x) => x !== null && x !== undefined).map((x) => goQuote(strval(x))).join(' '),
    squote: (...a) => a.filter((x) => x !== null && x !== undefined).map((x) => `'${strval(x)}'`).join(' '),
    cat: (...a) => a.filter((x) => x !== null && x !== undefined).map(strval).join(' '),
    indent: (n, s) => indent(n, s),
    nindent: (n, s) => '\n' + indent(n, s),
    join: (sep, list) => (Array.isArray(list) ? list.map(strval).join(strval(sep)) : strval(list)),
    split: (sep, s) => {
      const m = new Map<string, GoValue>();
      strval(s).split(strval(sep)).forEach((p, i) => m.set(`_${i}`, p));
      return m;
    },
    splitList: (sep, s) => strval(s).split(strval(sep)),
    splitn: (sep, n, s) => {
      const parts = strval(s).split(strval(sep));
      const c = toInt(n);
      const m = new Map<string, GoValue>();
      const out = c > 0 && parts.length > c ? [...parts.slice(0, c - 1), parts.slice(c - 1).join(strval(sep))] : parts;
      out.forEach((p, i) => m.set(`_${i}`, p));
      return m;
    },
    toString: (v: GoValue) => strval(v),
    toStrings: (v) => toList(v).map(strval),
    snakecase: (s) => words(strval(s)).map((w) => w.toLowerCase()).join('_'),
    kebabcase: (s) => words(strval(s)).map((w) => w.toLowerCase()).join('-'),
    camelcase: (s) => words(strval(s)).map((w) => w[0].toUpperCase() + w.slice(1)).join(''),
    initials: (s) => words(strval(s)).map((w) => w[0]).join(''),
    abbrev: (n, s) => {
      const str = strval(s);
      const w = toInt(n);
      return w < 4 || str.length <= w ? str : str.slice(0, w - 3) + '...';
    },
    sha256sum: (s) => createHash('sha256').update(strval(s)).digest('hex'),
    sha1sum: (s) => createHash('sha1').update(strval(s)).digest('hex'),
    b64enc: (s) => Buffer.from(strval(s)).toString('base64'),
    b64dec: (s) => Buffer.from(strval(s), 'base64').toString('utf8'),
    // regular expressions (Go RE2 via re2js)
    regexMatch: (r, s) => re(r).matcher(strval(s)).find(),
    regexFind: (r, s) => {
      const m = re(r).matcher(strval(s));
      return m.find() ? m.group() : '';
    },
    regexFindAll: (r, s, n) => {
      const m = re(r).matcher(strval(s));
      const out: string[] = [];
      const lim = toInt(n);
      while (m.find() && (lim < 0 || out.length < lim)) out.push(m.group() ?? '');
      return out;
    },
    regexReplaceAll: (r, s, repl) => replaceAll(re(r), strval(s), (m) => expand(m, strval(repl))),
    regexReplaceAllLiteral: (r, s, repl) => replaceAll(re(r), strval(s), () => strval(repl)),
    regexSplit: (r, s, n) => {
      const parts = re(r).split(strval(s), toInt(n) === 0 ? 0 : toInt(n) < 0 ? -1 : toInt(n));
      return parts;
    },
    regexQuoteMeta: (s) => RE2JS.quote(strval(s)),
    // defaults and logic
    default: (d, ...given) => (given.length === 0 || empty(given[0]) ? d : given[0]),
    empty: (v) => empty(v),
    coalesce: (...a) => a.find((x) => !empty(x)) ?? null,
    ternary: (t, f, cond) => (isTrue(cond) ? t : f),
    toJson: (v) => goJson(v),
    toPrettyJson: (v) => JSON.stringify(JSON.parse(goJson(v)), null, 2),
    toRawJson: (v) => goJson(v).replace(/\\u003c/g, '<').replace(/\\u003e/g, '>').replace(/\\u0026/g, '&'),
    fromJson: (s) => {
      try {
        return fromJs(JSON.parse(strval(s)));
      } catch {
        return new Map();
      }
    },
    // lists
    list: (...a) => a,
    // sprig's `slice` replaces text/template's builtin: lists only (a string is an error in Flux).
    slice: (l, ...idx) => {
      if (!Array.isArray(l)) throw new Error(`list should be type of slice or array but ${typeof l}`);
      if (l.length === 0) return null;
      const a = idx.length > 0 ? toInt(idx[0]) : 0;
      const b = idx.length > 1 ? toInt(idx[1]) : l.length;
      return l.slice(a, b);
    },
    first: (l) => toList(l)[0] ?? null,
    last: (l) => {
      const x = toList(l);
      return x.length ? x[x.length - 1] : null;
    },
    rest: (l) => toList(l).slice(1),
    initial: (l) => toList(l).slice(0, -1),
    append: (l, v) => [...toList(l), v],
    push: (l, v) => [...toList(l), v],
    prepend: (l, v) => [v, ...toList(l)],
    concat: (...ls) => ls.flatMap(toList),
    reverse: (l) => [...toList(l)].reverse(),
    uniq: (l) => uniq(toList(l)),
    without: (l, ...omit) => toList(l).filter((x) => !omit.some((o) => compareKeys(x, o) === 0)),
    has: (needle, l) => toList(l).some((x) => compareKeys(x, needle) === 0 && typeof x === typeof needle),
    compact: (l) => toList(l).filter((x) => !empty(x)),
    sortAlpha: (l) => toList(l).map(strval).sort((a, b) => compareKeys(a, b)),
    until: (n) => Array.from({ length: Math.max(0, toInt(n)) }, (_v, i) => i),
    untilStep: (start, stop, step) => {
      const out: number[] = [];
      const [a, b, s] = [toInt(start), toInt(stop), toInt(step)];
      if (s === 0) return out;
      for (let i = a; s > 0 ? i < b : i > b; i += s) out.push(i);
      return out;
    },
    // dicts
    dict: (...a) => dictOf(a),
    get: (d, k) => (d instanceof Map ? (d.has(strval(k)) ? d.get(strval(k)) : '') : ''),
    set: (d, k, v) => {
      if (d instanceof Map) d.set(strval(k), v);
      return d;
    },
    unset: (d, k) => {
      if (d instanceof Map) d.delete(strval(k));
      return d;
    },
    hasKey: (d, k) => d instanceof Map && d.has(strval(k)),
    keys: (...ds) => ds.flatMap((d) => (d instanceof Map ? [...d.keys()] : [])),
    values: (d) => (d instanceof Map ? [...d.values()] : []),
    pluck: (k, ...ds) => ds.filter((d): d is Map<unknown, unknown> => d instanceof Map && d.has(strval(k))).map((d) => d.get(strval(k))),
    // math (sprig math works on int64 / float64)
    add: (...a) => a.reduce<number>((s, x) => s + toInt(x), 0),
    add1: (a) => toInt(a) + 1,
    sub: (a, b) => toInt(a) - toInt(b),
    mul: (...a) => a.reduce<number>((s, x) => s * toInt(x), 1),
    div: (a, b) => {
      if (toInt(b) === 0) throw new Error('integer divide by zero');
      return Math.trunc(toInt(a) / toInt(b));
    },
    mod: (a, b) => {
      if (toInt(b) === 0) throw new Error('integer divide by zero');
      return toInt(a) % toInt(b);
    },
    max: (a, ...r) => r.reduce<number>((m, x) => Math.max(m, toInt(x)), toInt(a)),
    min: (a, ...r) => r.reduce<number>((m, x) => Math.min(m, toInt(x)), toInt(a)),
    floor: (a) => Math.floor(toFloat(a)),
    ceil: (a) => Math.ceil(toFloat(a)),
    round: (a, p) => {
      const f = 10 ** toInt(p);
      return Math.round(toFloat(a) * f) / f;
    },
    int: (a) => toInt(a),
    int64: (a) => toInt(a),
    float64: (a) => toFloat(a),
    atoi: (a) => toInt(strval(a)),
    // types
    kindOf: (v) => kindOf(v),
    kindIs: (k, v) => kindOf(v) === k,
    deepEqual: (a, b) => goJson(a) === goJson(b),
  };
}

function kindOf(v: GoValue): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'slice';
  if (v instanceof Map) return 'map';
  return v === null || v === undefined ? 'invalid' : 'struct';
}

function fromJs(v: unknown): GoValue {
  if (Array.isArray(v)) return v.map(fromJs);
  if (v && typeof v === 'object') return new Map(Object.entries(v).map(([k, x]) => [k, fromJs(x)]));
  return v;
}
