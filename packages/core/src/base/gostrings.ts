/**
 * Small Go string helpers the image automation needs to behave (and report) like Flux's controllers: byte-order
 * comparison (`strings.Compare`), the descending storage sort that decides ties between equal versions
 * (docs/image-policies.md, "Decisions") and `%q` quoting for error messages.
 */

/**
 * Go `strings.Compare`: lexicographic order of the UTF-8 bytes. UTF-8 byte order equals Unicode code point order, which
 * differs from JavaScript's UTF-16 code unit order only when a surrogate pair meets a code unit in U+E000–U+FFFF, so
 * the first differing position is compared by code point.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
    const cx = a.codePointAt(i) ?? x;
    const cy = b.codePointAt(i) ?? y;
    return cx < cy ? -1 : cx > cy ? 1 : 0;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

const HIGH_UNITS = /[\uD800-\uFFFF]/;

/**
 * IRC `sortTagsAndGetLatestTags`: a copy of the tags sorted descending by bytes (stable, as `slices.SortStableFunc`).
 * Every policy sees tags in this order, so ties resolve as in the controller's tag database.
 */
export function sortDescendingBytes(tags: readonly string[]): string[] {
  return sortDescendingBytesInPlace([...tags]);
}

/** sortDescendingBytes without the copy: sorts `tags` itself and returns it. */
export function sortDescendingBytesInPlace(tags: string[]): string[] {
  // Without surrogates or U+E000–U+FFFF (tags are ASCII in practice), UTF-16 order is byte order: use the native compare.
  const simple = tags.every((t) => !HIGH_UNITS.test(t));
  return tags.sort(simple ? (a, b) => (a < b ? 1 : a > b ? -1 : 0) : (a, b) => compareBytes(b, a));
}

/** UTF-8 length in bytes (Go's `len(s)`). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

const QUOTE_ESCAPES: Record<string, string> = {
  '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\',
};

/** Go `%q` / `strconv.Quote` for the characters that can appear in tags, ranges and patterns. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const esc = QUOTE_ESCAPES[ch];
    if (esc) {
      out += esc;
      continue;
    }
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(ch) || (/\p{Zs}/u.test(ch) && cp !== 0x20)) {
      out += cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}
