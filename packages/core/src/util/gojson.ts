/**
 * Compact JSON exactly as Go's `encoding/json.Marshal` writes it, for documents whose digest must match what Go
 * tools produce (Flux manifests, docs/artifacts.md; cosign payloads, docs/signing.md).
 *
 * Written by hand because `JSON.stringify` differs from Go in escaping: Go (with its default HTML escaping) writes
 * `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`, writes `\b` and `\f` in short
 * form (Go >= 1.22) and other control characters as lower-case `\u00XX`, and replaces invalid UTF-16 (lone surrogates,
 * which Go sees as invalid UTF-8) with U+FFFD. No library we know of reproduces that.
 *
 * Plain objects are written with their keys in property order (like a Go struct, whose field order is fixed; beware
 * that JavaScript puts integer-like keys first). A `Map` is written in its insertion order; use `goSortedMap` for
 * values that are Go maps, whose keys Go's encoder sorts bytewise (by UTF-8 bytes).
 */

/** A value goJson can encode. Numbers must be finite. `undefined` object members are omitted (like `omitempty`). */
export type GoJsonValue =
  | string
  | number
  | boolean
  | null
  | readonly GoJsonValue[]
  | ReadonlyMap<string, GoJsonValue>
  | { readonly [key: string]: GoJsonValue | undefined };

const HEX = '0123456789abcdef';

/** Encodes a string as a Go JSON string literal (quotes included). */
export function goJsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c < 0x20) {
      esc = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : c === 0x08 ? '\\b' : c === 0x0c ? '\\f' : `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    } else if (c === 0x22) {
      esc = '\\"';
    } else if (c === 0x5c) {
      esc = '\\\\';
    } else if (c === 0x3c) {
      esc = '\\u003c';
    } else if (c === 0x3e) {
      esc = '\\u003e';
    } else if (c === 0x26) {
      esc = '\\u0026';
    } else if (c === 0x2028 || c === 0x2029) {
      esc = c === 0x2028 ? '\\u2028' : '\\u2029';
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++; // a valid surrogate pair: written as is (UTF-8 on output)
        continue;
      }
      esc = '\ufffd'; // lone surrogate = invalid UTF-8 for Go: replaced by U+FFFD, written raw
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** Encodes `value` as compact Go-style JSON (no whitespace, no trailing newline). */
export function goJson(value: GoJsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return goJsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // Go formats float64 like ES6 Number#toString (strconv 'f'/'e' switch at 1e21 and 1e-6), i.e. like JSON.stringify.
      if (!Number.isFinite(value)) throw new TypeError(`goJson: unsupported number ${value}`);
      return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: GoJsonValue) => goJson(v)).join(',')}]`;
  const parts: string[] = [];
  const entries = value instanceof Map ? [...(value as ReadonlyMap<string, GoJsonValue>).entries()] : Object.entries(value);
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    parts.push(`${goJsonString(k)}:${goJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Compact Go JSON as UTF-8 bytes (the bytes that get hashed). */
export function goJsonBytes(value: GoJsonValue): Buffer {
  return Buffer.from(goJson(value), 'utf8');
}

/** Compares two strings the way Go compares strings: bytewise on their UTF-8 encoding. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * A Map with the entries of `map` in Go's map-marshalling order (keys sorted bytewise by UTF-8), for values that are
 * Go `map[string]T` (e.g. OCI annotations). A Map rather than an object so that integer-like keys keep that order.
 */
export function goSortedMap<T extends GoJsonValue>(map: Readonly<Record<string, T>> | ReadonlyMap<string, T>): Map<string, T> {
  const entries: [string, T][] = map instanceof Map ? [...(map as ReadonlyMap<string, T>).entries()] : Object.entries(map as Readonly<Record<string, T>>);
  return new Map(entries.sort((a, b) => compareGoStrings(a[0], b[0])));
}
