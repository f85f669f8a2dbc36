/**
 * Minimal-diff setters on one file's text (docs/image-automation.md, "Setters"): only the changed scalars change.
 *
 * The file is split into documents with kyaml's rule, each document is parsed with the `yaml` package only to
 * learn its structure and the source range of every scalar; markers are read from the source text around those
 * ranges with go-yaml v3.0.4's attachment rules (derived by running go-yaml/kyaml on fixtures, see
 * docs/image-automation.md), and each changed scalar's bytes are spliced in place. Nothing is re-stringified, so
 * every other byte (CRLF, comments, indentation, quoting, other documents) stays.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Scalar } from 'yaml';
import { markerSetter } from './markers.js';
import { formatScalar, type ScalarStyle } from './quote.js';
import type { Change, ObjectIdentifier } from './types.js';

export interface TextChange {
  object: ObjectIdentifier;
  change: Change;
  /** Byte range (UTF-16 offsets) of the replaced scalar in the original text. */
  start: number;
  end: number;
  replacement: string;
}

export type TextUpdate =
  | { status: 'updated'; text: string; changes: TextChange[] }
  | { status: 'unchanged'; changes: [] }
  /** A file Flux cannot read ("problem file"): skipped silently by Flux, reported by us. */
  | { status: 'problem'; reason: string; changes: [] };

/** kyaml splitDocuments: `\n---.*\n` separators (after CRLF→LF); only a comment may follow `---`. */
export function splitDocuments(text: string): Array<{ start: number; end: number }> | { error: string } {
  const out: Array<{ start: number; end: number }> = [];
  if (text.length === 0) return out;
  const re = /(\r?)\n---([^\n]*)\n/g;
  let prev = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const rest = m[2].trim();
    if (rest.length > 0 && rest[0] !== '#') return { error: `invalid document separator: ---${m[2].trimEnd()}` };
    out.push({ start: prev, end: m.index + m[1].length });
    prev = m.index + m[0].length;
  }
  out.push({ start: prev, end: text.length });
  return out;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(text: string, pos: number): number {
  const i = text.indexOf('\n', pos);
  return i < 0 ? text.length : i;
}

/** The comment starting at `#` up to the end of the line (without CR). */
function commentAt(text: string, hash: number): string {
  return text.slice(hash, lineEnd(text, hash)).replace(/\r$/, '');
}

const isBlank = (s: string) => /^[ \t\r]*$/.test(s);
const isCommentLine = (s: string) => /^[ \t]*#/.test(s);

interface ScalarSite {
  node: Scalar;
  parent: 'map' | 'seq';
  /** The previous item of the parent sequence (head-comment rules differ after a sibling). */
  prev?: unknown;
}

/** Scalar value nodes (mapping values, sequence items; no keys, no aliases) in depth-first field order. */
function collectScalars(node: unknown, out: ScalarSite[]): void {
  if (isMap(node)) {
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const v = item.value;
      if (isScalar(v)) out.push({ node: v, parent: 'map' });
      else if (!isAlias(v)) collectScalars(v, out);
    }
  } else if (isSeq(node)) {
    for (const [i, v] of node.items.entries()) {
      if (isScalar(v)) out.push({ node: v, parent: 'seq', prev: i > 0 ? node.items[i - 1] : undefined });
      else if (!isAlias(v)) collectScalars(v, out);
    }
  }
}

/** go-yaml line comment: the comment after the scalar on its (last) line; for block scalars, on the header line. */
function lineComment(text: string, s: Scalar, start: number, end: number, flow: boolean): string {
  if (s.type === 'BLOCK_LITERAL' || s.type === 'BLOCK_FOLDED') {
    const header = text.slice(start, lineEnd(text, start));
    const m = /[ \t]#/.exec(header);
    return m ? commentAt(text, start + m.index + 1) : '';
  }
  let i = end;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (flow) {
    // In a flow collection go-yaml gives `a, # c` to `a`; after `]` or `}` the comment is the collection's.
    if (text[i] !== ',') return '';
    i++;
    while (text[i] === ' ' || text[i] === '\t') i++;
    return text[i] === '#' ? commentAt(text, i) : '';
  }
  if (text[i] !== '#') return '';
  if (i === end && s.type === 'PLAIN') return '';
  return commentAt(text, i);
}

/** Lines above `cursor` (a line start) that are comment-only or blank, nearest first, up to the first other line. */
function gapAbove(text: string, cursor: number): string[] {
  const out: string[] = [];
  while (cursor > 0) {
    const pls = lineStart(text, cursor - 1);
    const line = text.slice(pls, cursor - 1).replace(/\r$/, '');
    if (!isBlank(line) && !isCommentLine(line)) break;
    out.push(line);
    cursor = pls;
  }
  return out;
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)?.[0].length ?? 0;

/**
 * go-yaml head comment of a scalar that starts its own line (a mapping value below its key, a sequence item), as
 * comment lines; kyaml can only match a head comment of exactly one line. Derived by running go-yaml v3.0.4:
 * - below a key, or before the first item of a sequence, every comment line of the gap counts (blank lines too);
 * - after a previous item, a gap that ends with a blank line is that item's foot comment, so only the comment lines
 *   directly above count, and comment lines indented into a previous block collection are its foot comment;
 * - `- # c` followed by the scalar on the next line makes `# c` part of the head comment.
 */
function headComment(text: string, start: number, site: ScalarSite, base: number): string[] {
  const ls = lineStart(text, start);
  const prefix = text.slice(ls, start);
  const props = '([&!][^ \\t]*[ \\t]+)*';
  const lines: string[] = [];
  let cursor = ls;
  if (site.parent === 'seq') {
    if (new RegExp(`^[ \\t]*(-[ \\t]+)+${props}$`).test(prefix)) {
      // `- value`: the comments above the dash line.
    } else if (new RegExp(`^[ \\t]*${props}$`).test(prefix)) {
      // The dash is on an earlier line: comment lines in between, then the dash line itself (`- # c`).
      const between = gapAbove(text, ls);
      lines.push(...between.filter((l) => !isBlank(l)).map((l) => l.trim()));
      cursor = ls;
      for (let i = 0; i < between.length; i++) cursor = lineStart(text, cursor - 1);
      if (cursor === 0) return [];
      const dls = lineStart(text, cursor - 1);
      const dash = /^[ \t]*-[ \t]*(#.*)?$/.exec(text.slice(dls, cursor - 1).replace(/\r$/, ''));
      if (!dash) return [];
      if (dash[1]) lines.push(dash[1].trimEnd());
      cursor = dls;
    } else return [];
  } else if (!new RegExp(`^[ \\t]*${props}$`).test(prefix)) {
    return [];
  }
  const gap = gapAbove(text, cursor);
  if (site.prev === undefined) {
    lines.push(...gap.filter((l) => !isBlank(l)).map((l) => l.trim()));
    return lines;
  }
  const prevCol = isMap(site.prev) || isSeq(site.prev) ? blockColumn(text, site.prev, base) : undefined;
  for (const line of gap) {
    if (isBlank(line)) break;
    if (prevCol !== undefined && indentOf(line) >= prevCol) break;
    lines.push(line.trim());
  }
  return lines;
}

/** Column of a block collection's first entry (its indentation). */
function blockColumn(text: string, node: Node, base: number): number | undefined {
  const r = node.range;
  if (!r) return undefined;
  return base + r[0] - lineStart(text, base + r[0]);
}

function str(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (isScalar(v)) return v.source !== undefined ? String(v.source) : v.value === null || v.value === undefined ? '' : String(v.value);
  return '';
}

function identify(doc: Document): ObjectIdentifier | { error: string } {
  const root = doc.contents as Node | null;
  if (!isMap(root)) return { error: 'document root is not a mapping' };
  const meta = root.get('metadata', true);
  if (meta !== undefined && meta !== null && !isMap(meta) && !(isScalar(meta) && (meta.value === null || meta.source === ''))) {
    return { error: 'metadata is not a mapping' };
  }
  const m = isMap(meta) ? meta : undefined;
  return {
    APIVersion: str(root.get('apiVersion', true)),
    Kind: str(root.get('kind', true)),
    Name: str(m?.get('name', true)),
    Namespace: str(m?.get('namespace', true)),
  };
}

function isFlow(node: Scalar, text: string, start: number): boolean {
  // A scalar inside a flow collection: the previous non-blank character is `[`, `{` or `,` (or `:` of a flow pair).
  void node;
  let i = start - 1;
  while (i >= 0 && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i--;
  return i >= 0 && (text[i] === '[' || text[i] === '{' || text[i] === ',');
}

/** The new source text of a block scalar: same style, strip chomping (the new value has no final newline). */
function blockReplacement(text: string, s: Scalar, start: number, end: number, value: string): string {
  const headerEnd = lineEnd(text, start);
  const header = text.slice(start, headerEnd);
  const m = /^[|>][0-9+-]*/.exec(header);
  const rest = m ? header.slice(m[0].length) : '';
  const indicator = s.type === 'BLOCK_FOLDED' ? '>-' : '|-';
  const content = text.slice(headerEnd + 1, end);
  const indentMatch = /^([ ]*)\S/m.exec(content);
  const indent = indentMatch ? indentMatch[1] : '  ';
  const nl = text[headerEnd - 1] === '\r' ? '\r\n' : '\n';
  // Keep the line break after the content and any trailing blank lines the range covers (keep chomping).
  const tail = /\r?\n(?:[ \t]*\r?\n)*[ \t]*$/.exec(content.replace(/\S[^\n]*$/, ''))?.[0] ?? '';
  return `${indicator}${rest.replace(/\r$/, '')}${nl}${indent}${value}${content.trim() === '' ? '' : tail}`;
}

/**
 * Applies the setters to one file's text. Only marked scalars whose value differs are rewritten; a file that
 * Flux could not read is reported as a problem and left alone.
 */
export function updateText(text: string, setters: ReadonlyMap<string, string>): TextUpdate {
  const parts = splitDocuments(text);
  if ('error' in parts) return { status: 'problem', reason: parts.error, changes: [] };
  const changes: TextChange[] = [];
  const single = parts.filter((p) => text.slice(p.start, p.end).trim() !== '').length === 1;
  for (const part of parts) {
    const seg = text.slice(part.start, part.end);
    const docs = parseAllDocuments(seg, { uniqueKeys: true, prettyErrors: false });
    if (!Array.isArray(docs)) continue; // an empty stream
    const doc = docs[0];
    if (!doc) continue;
    // go-yaml accepts a comment glued to a closing quote (`"x"# c`); `yaml` reports it, so that one error is tolerated.
    const errors = doc.errors.filter((e) => !e.message.startsWith('Comments must be separated from other tokens'));
    if (errors.length > 0) return { status: 'problem', reason: errors[0].message.split('\n')[0], changes: [] };
    const root = doc.contents as Node | null;
    if (root === null || root === undefined) continue; // empty or comment-only document: dropped
    if (isScalar(root) && (root.value === null || root.source === '')) continue;
    const id = identify(doc);
    if ('error' in id) return { status: 'problem', reason: id.error, changes: [] };
    if (single && (id.Kind === 'List' || id.Kind === 'ResourceList') && isMap(root) && root.has('items')) {
      return { status: 'problem', reason: `kind ${id.Kind} files are unwrapped by Flux into new files; not supported`, changes: [] };
    }
    const sites: ScalarSite[] = [];
    collectScalars(root, sites);
    for (const site of sites) {
      const node = site.node;
      if (!node.range) continue;
      const start = part.start + node.range[0];
      const end = part.start + node.range[1];
      if (start === end) continue; // implicit null (`key:`): the comment belongs to the key
      const flow = isFlow(node, text, start);
      let comment = lineComment(text, node, start, end, flow);
      if (comment === '' && !flow) {
        const head = headComment(text, start, site, part.start);
        // kyaml strips only the leading `#` run of the whole (multi-line) comment, so only a one-line one can parse.
        if (head.length !== 1) continue;
        comment = head[0];
      }
      if (comment === '') continue;
      const setter = markerSetter(comment, setters);
      if (!setter) continue;
      const newValue = setters.get(setter) ?? '';
      const oldValue = str(node);
      if (newValue === oldValue) continue;
      const replacement =
        node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED'
          ? blockReplacement(text, node, start, end, newValue)
          : formatScalar(newValue, (node.type ?? 'PLAIN') as ScalarStyle);
      changes.push({ object: id, change: { OldValue: oldValue, NewValue: newValue, Setter: setter }, start, end, replacement });
    }
  }
  if (changes.length === 0) return { status: 'unchanged', changes: [] };
  let out = '';
  let pos = 0;
  for (const c of [...changes].sort((a, b) => a.start - b.start)) {
    out += text.slice(pos, c.start) + c.replacement;
    pos = c.end;
  }
  out += text.slice(pos);
  return { status: 'updated', text: out, changes };
}
