/**
 * Escaping of untrusted values in the Markdown job summaries and PR bodies (packages/core/src/util/markdown.ts):
 * no HTML, no links or emphasis, no table split, no new block, and the value still reads as itself.
 */
import { describe, expect, it } from 'vitest';
import { mdCode, mdFence, mdText, mdUrl } from '../../src/util/markdown.js';

describe('mdText', () => {
  it('turns HTML into text and escapes link, emphasis, code, strike-through and table syntax', () => {
    expect(mdText('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(mdText('[click](https://evil) *a* _b_ ~c~ `d` | e & f \\')).toBe('\\[click\\](https://evil) \\*a\\* \\_b\\_ \\~c\\~ \\`d\\` \\| e &amp; f \\\\');
  });

  it('keeps everything on one line', () => {
    expect(mdText('a\n# heading\r\n- item\rb')).toBe('a⏎# heading⏎- item⏎b');
  });

  it('leaves ordinary names alone', () => {
    expect(mdText('frontend/base/podinfo.yaml')).toBe('frontend/base/podinfo.yaml');
    expect(mdText('OCIRepository//podinfo-chart')).toBe('OCIRepository//podinfo-chart');
  });
});

describe('mdCode', () => {
  it('a plain value is one backtick span', () => {
    expect(mdCode('6.9.0')).toBe('`6.9.0`');
    expect(mdCode('')).toBe('');
  });

  it('backticks in the value get a longer fence, padded when the value starts or ends with one', () => {
    expect(mdCode('a`b')).toBe('``a`b``');
    expect(mdCode('``x')).toBe('``` ``x ```');
    expect(mdCode(' x ')).toBe('`  x  `');
  });

  it('in a table cell, | is escaped (GFM splits cells before reading code spans); outside it is kept', () => {
    expect(mdCode('a|b', { inTable: true })).toBe('`a\\|b`');
    expect(mdCode('a|b')).toBe('`a|b`');
  });

  it('HTML inside a code span is already literal; line breaks become ⏎', () => {
    expect(mdCode('<img src=x>\nnext')).toBe('`<img src=x>⏎next`');
  });
});

describe('mdFence and mdUrl', () => {
  it('a fence longer than any backtick run in the content', () => {
    expect(mdFence('a: b\n', 'yaml')).toBe('```yaml\na: b\n```');
    expect(mdFence('x ```` y', 'yaml')).toBe('`````yaml\nx ```` y\n`````');
  });

  it('link destinations cannot close the link', () => {
    expect(mdUrl('https://github.com/a/b/pull/1')).toBe('https://github.com/a/b/pull/1');
    expect(mdUrl('https://x/a) [y](z <b>\n')).toBe('https://x/a%29%20[y]%28z%20%3Cb%3E%0A');
  });
});
