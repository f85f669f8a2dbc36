/** Untrusted values quoted in errors are clipped with an explicit marker (errors.ts `clip`, `formatError`). */
import { describe, expect, it } from 'vitest';
import { clip, clipRuns, CLIP_LENGTH, D2Error, formatError, InputError } from '@d2/core';

describe('clip', () => {
  it('keeps short values and cuts long ones with the full length', () => {
    expect(clip('short')).toBe('short');
    expect(clip('a'.repeat(CLIP_LENGTH))).toBe('a'.repeat(CLIP_LENGTH));
    expect(clip('a'.repeat(100_000))).toBe(`${'a'.repeat(CLIP_LENGTH)}… (100000 characters)`);
    expect(clip('abcdef', 3)).toBe('abc… (6 characters)');
  });

  it('never splits a surrogate pair', () => {
    const s = 'a'.repeat(CLIP_LENGTH - 1) + '😀'.repeat(10);
    const out = clip(s);
    expect(out.startsWith('a'.repeat(CLIP_LENGTH - 1) + '…')).toBe(true);
    expect(out).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('formatError: a backstop for values not quoted with clip', () => {
  it('clips every run longer than 1024 characters, keeps the rest and the hint', () => {
    const long = 'x'.repeat(50_000);
    const out = formatError(new InputError(`bad value ${long} given`, `use something else than ${long}`));
    expect(out).toBe(`bad value ${'x'.repeat(1024)}… (50000 characters) given\n  hint: use something else than ${'x'.repeat(1024)}… (50000 characters)`);
    expect(formatError(new Error('plain'))).toBe('plain');
    expect(formatError(new D2Error('m', { hint: 'h' }))).toBe('m\n  hint: h');
  });

  it('clipRuns is linear on adversarial spacing (runs just under the limit)', () => {
    const text = ('y'.repeat(1023) + ' ').repeat(200);
    expect(clipRuns(text)).toBe(text);
  });
});
