/**
 * Untrusted values in the Markdown the actions write (job summaries, pull request bodies). GitHub renders GitHub
 * Flavored Markdown with inline HTML, so a value such as `<img src=x>`, `[text](url)`, `|` or a line break must not
 * become markup, break a table row or start a new block. Values are rendered on one line (line breaks as `⏎`).
 */

const oneLine = (s: string) => s.replace(/\r\n|\r|\n/g, '⏎');

/**
 * A value as literal text in a paragraph, heading, list item or table cell: HTML-significant characters become
 * entities, Markdown punctuation that could start emphasis, links, code or strike-through is backslash-escaped, and
 * `|` is escaped so a table cell cannot be split.
 */
export function mdText(value: string): string {
  return oneLine(value)
    .replace(/[\\`*_[\]~|]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A value as an inline code span (shown literally, no HTML, no Markdown). `inTable`: the span is inside a table
 * cell, where GFM splits cells at `|` before reading code spans, so `|` is written `\|` (shown as `|`).
 */
export function mdCode(value: string, opts: { inTable?: boolean } = {}): string {
  let s = oneLine(value);
  if (s === '') return '';
  if (opts.inTable) s = s.replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longestRun + 1);
  // CommonMark strips one space on each side when both are present: pad so the value's own spaces and backticks survive.
  const pad = s.startsWith('`') || s.endsWith('`') || (s.startsWith(' ') && s.endsWith(' ') && s.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A fenced code block whose fence is longer than any backtick run in `content`, so the content cannot close it. */
export function mdFence(content: string, info = ''): string {
  const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longestRun + 1));
  return `${fence}${info}\n${content.replace(/\n$/, '')}\n${fence}`;
}

/** A link destination that cannot end the link or the line: spaces, parentheses, angle brackets and breaks percent-encoded. */
export function mdUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
