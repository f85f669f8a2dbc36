/**
 * How a new setter value is written into an existing scalar, so that the result is what Flux would write for that
 * scalar (docs/image-automation.md, "Setters").
 *
 * Flux sets the node's value and then (a) kyaml `FormatNonStringStyle` double-quotes a plain scalar whose new value
 * would load as a YAML 1.1 non-string (go-yaml v2 `Unmarshal` into `interface{}` gives no `string`), and (b) go-yaml
 * v3.0.4's encoder double-quotes a plain `!!str` whose text resolves to another tag under its own rules (this adds `""`
 * and timestamps), and its emitter single-quotes text that cannot be a plain scalar (`*x`, `x #y`, leading spaces).
 * Existing single or double quotes are kept. No npm package reproduces these Go resolvers, so they are written here
 * from the rules; the table in test/image-automation/setters/quote.test.ts was derived by running kyaml v0.21.1.
 */
import { parseDocument, isMap, isSeq, isScalar, Scalar } from 'yaml';

/** go-yaml v2 (YAML 1.1) resolve table: plain words that are not strings. */
const V2_WORDS = new Set([
  'y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF',
  'true', 'True', 'TRUE', 'false', 'False', 'FALSE', '~', 'null', 'Null', 'NULL',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
]);
/** go-yaml v3 resolve table (YAML 1.2 core plus `<<`). */
const V3_WORDS = new Set([
  '', '~', 'null', 'Null', 'NULL', 'true', 'True', 'TRUE', 'false', 'False', 'FALSE',
  '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF',
]);

/** go-yaml's `yamlStyleFloat`. */
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** Go strconv.ParseInt(s, 0, 64) / ParseUint success (underscores already removed by the caller). */
function goParsesInt(s: string): boolean {
  const m = /^([-+]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return false;
  const body = m[2];
  let v: bigint;
  if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
  else v = BigInt(body.toLowerCase());
  // ParseInt fits int64; ParseUint (tried next by go-yaml) fits uint64 without a sign.
  const limit = m[1] === '-' ? 1n << 63n : m[1] === '+' ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  return v <= limit;
}

/** Go strconv.ParseFloat(s, 64) success for text that already matched YAML_STYLE_FLOAT (only overflow fails). */
function goParsesFloat(s: string): boolean {
  return Number.isFinite(Number(s));
}

/** The numeric part shared by go-yaml v2 and v3 resolve (first character a digit, sign or dot). */
function resolvesNumeric(v: string, v3: boolean): boolean {
  if (!/^[-+.0-9]/.test(v)) return false;
  if (v.startsWith('.')) return /^\.[0-9]/.test(v) ? YAML_STYLE_FLOAT.test(v) && goParsesFloat(v) : false;
  const plain = v.replace(/_/g, '');
  if (goParsesInt(plain)) return true;
  if (YAML_STYLE_FLOAT.test(plain) && goParsesFloat(plain)) return true;
  if (/^-?0b[01]+$/.test(plain)) return true;
  if (v3 && /^-?0o[0-7]+$/.test(plain)) return true;
  return false;
}

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** go-yaml v3 parseTimestamp: four digits and '-', then one of its time.Parse layouts. */
function resolvesTimestamp(v: string): boolean {
  const m =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.\d+)?))?$/.exec(v);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > DAYS[month - 1]) return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  const h = Number(m[4] ?? m[7] ?? 0);
  const mi = Number(m[5] ?? m[8] ?? 0);
  const s = Number(m[6] ?? m[9] ?? 0);
  return h < 24 && mi < 60 && s < 60;
}

/**
 * kyaml `IsValueNonString`: would go-yaml v2 load this text (as a whole YAML document) into something other than a
 * string? Structure (maps, sequences, empty/comment-only documents) is recognised with the `yaml` parser; plain
 * scalars then go through the YAML 1.1 resolver. A parse error counts as "string", as in kyaml.
 */
export function isYaml11NonString(value: string): boolean {
  if (value === '' || value.includes('\n')) return false;
  // go-yaml v2 reads a leading document end marker as an error, `yaml` as an empty document.
  if (value.startsWith('...')) return false;
  const doc = parseDocument(value, { version: '1.1', uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) return false;
  const node = doc.contents;
  if (node === null || node === undefined) return true;
  if (isMap(node) || isSeq(node)) return true;
  if (!isScalar(node)) return false;
  if (node.type !== Scalar.PLAIN) return false;
  if (node.tag) return /^tag:yaml\.org,2002:(null|bool|int|float)$/.test(node.tag);
  const text = String(node.source ?? node.value ?? '');
  if (text === '') return true;
  return V2_WORDS.has(text) || resolvesNumeric(text, false);
}

/** go-yaml v3 `resolve("", value)` gives a tag other than !!str (the encoder then forces double quotes). */
export function isYaml12V3NonString(value: string): boolean {
  if (V3_WORDS.has(value)) return true;
  return resolvesTimestamp(value) || resolvesNumeric(value, true);
}

const FLOW_OR_BLOCK_INDICATOR_FIRST = new Set(['#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`']);

/** go-yaml v3 emitter `analyze_scalar`: may this single-line text be written as a block plain scalar? */
export function plainAllowed(value: string): boolean {
  if (value === '') return false;
  if (/^(---|\.\.\.)/.test(value)) return false;
  if (/[\n\r\u0085\u2028\u2029]/.test(value)) return false;
  if (!isPrintable(value)) return false;
  if (value.startsWith(' ') || value.endsWith(' ') || value.startsWith('\t') || value.endsWith('\t')) return false;
  const first = value[0];
  if (FLOW_OR_BLOCK_INDICATOR_FIRST.has(first)) return false;
  if ((first === '-' || first === '?' || first === ':') && (value.length === 1 || value[1] === ' ' || value[1] === '\t')) {
    // `-`, `?`, `:` alone or followed by a blank are indicators.
    return false;
  }
  if (/:([ \t]|$)/.test(value)) return false;
  if (/[ \t]#/.test(value)) return false;
  return true;
}

/** YAML printable set as go-yaml checks it (tab, LF, CR and 0x20-0x7E plus the non-control Unicode ranges). */
function isPrintable(s: string): boolean {
  return !/[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, 'x'));
}

/** go-yaml v3 double-quoted scalar escaping. */
export function doubleQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\0': out += '\\0'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\t': out += '\\t'; continue;
      case '\n': out += '\\n'; continue;
      case '\v': out += '\\v'; continue;
      case '\f': out += '\\f'; continue;
      case '\r': out += '\\r'; continue;
      case '\x1b': out += '\\e'; continue;
      case '\u0085': out += '\\N'; continue;
      case '\u00a0': out += '\\_'; continue;
      case '\u2028': out += '\\L'; continue;
      case '\u2029': out += '\\P'; continue;
    }
    if (!isPrintable(ch) || c === 0xfeff) {
      out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    } else out += ch;
  }
  return out + '"';
}

function hex(n: number, width: number): string {
  return n.toString(16).toUpperCase().padStart(width, '0');
}

export function singleQuote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export type ScalarStyle = 'PLAIN' | 'QUOTE_SINGLE' | 'QUOTE_DOUBLE';

/**
 * The source text for `value` written into a scalar that had `style`. Plain: double quotes for non-strings, single
 * quotes where a plain scalar is impossible, else plain. Quoted scalars keep their quote character (go-yaml falls
 * back to double quotes when single quotes cannot hold the text).
 */
export function formatScalar(value: string, style: ScalarStyle): string {
  const key = `${style}\u0000${value}`;
  let out = formatCache.get(key);
  if (out === undefined) {
    if (formatCache.size > 10_000) formatCache.clear();
    formatCache.set(key, (out = formatScalarUncached(value, style)));
  }
  return out;
}

const formatCache = new Map<string, string>();

function formatScalarUncached(value: string, style: ScalarStyle): string {
  if (style === 'QUOTE_DOUBLE') return doubleQuote(value);
  const singleOk = isPrintable(value) && !/[\n\r\u0085\u2028\u2029]/.test(value);
  if (style === 'QUOTE_SINGLE') return singleOk ? singleQuote(value) : doubleQuote(value);
  if (isYaml11NonString(value) || isYaml12V3NonString(value)) return doubleQuote(value);
  if (plainAllowed(value)) return value;
  return singleOk ? singleQuote(value) : doubleQuote(value);
}
