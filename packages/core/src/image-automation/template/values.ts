/**
 * The Go value model the template engine works on. JavaScript values map to Go kinds as follows:
 * string → string, number → int when integral else float64, boolean → bool, null/undefined → nil,
 * Array → slice, Map → map (ranged in sorted key order), plain object → struct (fields in insertion order).
 * Objects may carry GO_STRING (a fmt.Stringer) or GO_FORMAT (their %v text), e.g. types.NamespacedName prints
 * `ns/name` and IAC's ObjectIdentifier prints `{{{apps/v1 Deployment} {test }}}` (docs/image-automation.md, "Commit messages").
 */
export const GO_STRING: unique symbol = Symbol.for('d2.go.String');
export const GO_FORMAT: unique symbol = Symbol.for('d2.go.Format');
export const GO_TYPE: unique symbol = Symbol.for('d2.go.Type');

/** Text/template's "invalid value" (a missing map key): prints `<no value>`, is false, becomes nil as an argument. */
export const NO_VALUE: unique symbol = Symbol.for('d2.go.NoValue');

export type GoValue = unknown;

export function isStruct(v: unknown): v is Record<string | symbol, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** Go fmt's %v text for a value. `top` = not nested (strings are written bare either way). */
export function formatValue(v: GoValue): string {
  if (v === NO_VALUE) return '<no value>';
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'function') return '<func>';
  if (Array.isArray(v)) return `[${v.map(formatNested).join(' ')}]`;
  if (v instanceof Map) return `map[${sortedEntries(v).map(([k, x]) => `${formatNested(k)}:${formatNested(x)}`).join(' ')}]`;
  if (isStruct(v)) {
    const s = v[GO_STRING];
    if (typeof s === 'function') return String(s.call(v));
    const f = v[GO_FORMAT];
    if (typeof f === 'function') return String(f.call(v));
    return `{${Object.keys(v).map((k) => formatNested(v[k])).join(' ')}}`;
  }
  return String(v);
}

function formatNested(v: GoValue): string {
  if (v === null || v === undefined) return '<nil>';
  return formatValue(v);
}

/** Go's %v for numbers: integers in decimal, floats as strconv 'g' with the shortest representation. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return n.toString();
  return formatFloatG(n);
}

export function formatFloatG(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  // strconv.FormatFloat(n, 'g', -1, 64): shortest digits; exponent form when exp < -4 || exp >= 6 (eprec for shortest).
  const expStr = n.toExponential();
  const [mant, ex] = expStr.split('e');
  const e = Number(ex);
  if (e < -4 || e >= 6) {
    const sign = e < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return n.toString();
}

/** Go fmtsort order for map keys: numbers numerically, strings by bytes, bools false<true, structs field by field. */
export function compareKeys(a: GoValue, b: GoValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a === b ? 0 : Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (isStruct(a) && isStruct(b)) {
    const ka = Object.keys(a);
    for (const k of ka) {
      const c = compareKeys(a[k], b[k]);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function sortedEntries(m: Map<unknown, unknown>): Array<[unknown, unknown]> {
  return [...m.entries()].sort((x, y) => compareKeys(x[0], y[0]));
}

/** Map lookup with Go equality (structs compare field by field). */
export function mapGet(m: Map<unknown, unknown>, key: unknown): { found: boolean; value: unknown } {
  if (m.has(key)) return { found: true, value: m.get(key) };
  if (isStruct(key)) {
    for (const [k, v] of m) if (isStruct(k) && compareKeys(k, key) === 0) return { found: true, value: v };
  }
  return { found: false, value: undefined };
}

/** Go's template truth (text/template isTrue). */
export function isTrue(v: GoValue): boolean {
  if (v === NO_VALUE || v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  return true;
}

/** A readable Go-ish type name for error messages. */
export function typeName(v: GoValue): string {
  if (v === null || v === undefined || v === NO_VALUE) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map) return 'map';
  if (isStruct(v)) return typeof v[GO_TYPE] === 'string' ? (v[GO_TYPE] as string) : 'struct';
  return typeof v;
}
