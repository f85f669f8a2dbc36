/**
 * The action inputs adapter (src/action/inputs.ts): booleans follow the YAML 1.2 core schema exactly as @actions/core
 * getBooleanInput does (checked against it as the oracle), every refusal names the input (and the allowed values),
 * lists and lines split as documented, the timeout input gives a time budget, and a long value is clipped with its
 * length in the message, never silently.
 */
import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError } from '../../src/errors.js';
import { Inputs, splitList, timeoutInput } from '../../src/action/inputs.js';
import { inputs } from './helpers.js';
import { thrownAs } from '../support/failures.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Inputs.boolean', () => {
  const values = ['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'yes', 'no', 'on', 'off', '1', '0', 'y', 'tRUE', 'truee', ' true ', '\ttrue\n', 'null', '~'];

  it('accepts and refuses exactly what @actions/core getBooleanInput does', () => {
    for (const v of values) {
      vi.stubEnv('INPUT_FLAG', v);
      let expected: boolean | 'error';
      try {
        expected = core.getBooleanInput('flag');
      } catch {
        expected = 'error';
      }
      let got: boolean | 'error';
      try {
        got = inputs({ flag: v }).boolean('flag', false);
      } catch (e) {
        expect(e, JSON.stringify(v)).toBeInstanceOf(InputError);
        got = 'error';
      }
      expect(got, JSON.stringify(v)).toBe(expected);
    }
  });

  it('an empty input gives the fallback (an action.yml default reaches us as empty only when unset)', () => {
    expect(inputs({}).boolean('sign', true)).toBe(true);
    expect(inputs({ sign: '  ' }).boolean('sign', false)).toBe(false);
  });

  it('a refusal names the input and the accepted values', () => {
    const err = thrownAs(InputError, () => inputs({ sign: 'yes' }).boolean('sign', true));
    expect(err.message).toBe("input 'sign' must be true or false, got 'yes'");
  });
});

describe('Inputs.oneOf / required / integer / string', () => {
  it('oneOf returns an allowed value or the fallback', () => {
    expect(inputs({ format: 'bundle' }).oneOf('format', ['legacy', 'bundle', 'both'] as const, 'legacy')).toBe('bundle');
    expect(inputs({}).oneOf('format', ['legacy', 'bundle', 'both'] as const, 'both')).toBe('both');
  });

  it('oneOf names the input and every allowed value; it is case-sensitive', () => {
    const err = thrownAs(InputError, () => inputs({ format: 'Bundle' }).oneOf('format', ['legacy', 'bundle', 'both'] as const, 'legacy'));
    expect(err.message).toBe("input 'format' must be one of legacy, bundle, both; got 'Bundle'");
  });

  it('required names the input and how to set it', () => {
    const err = thrownAs(InputError, () => inputs({ repository: ' \n' }).required('repository'));
    expect(err.message).toBe("input 'repository' is required");
    expect(err.hint).toBe("set 'with: repository: ...' on the step");
    expect(inputs({ repository: ' ghcr.io/o/r ' }).required('repository')).toBe('ghcr.io/o/r');
  });

  it('integer accepts whole numbers within bounds only', () => {
    const i = inputs({ a: '8', b: '-1', c: '1.5', d: '0', e: '1e3', f: '65' });
    expect(i.integer('a', 4)).toBe(8);
    expect(i.integer('missing', 4)).toBe(4);
    expect(thrownAs(InputError, () => i.integer('b', 4)).message).toBe("input 'b' must be a whole number, got '-1'");
    expect(thrownAs(InputError, () => i.integer('c', 4)).message).toBe("input 'c' must be a whole number, got '1.5'");
    expect(thrownAs(InputError, () => i.integer('e', 4)).message).toBe("input 'e' must be a whole number, got '1e3'");
    expect(thrownAs(InputError, () => i.integer('d', 4)).message).toBe("input 'd' must be between 1 and 9007199254740991, got 0");
    expect(thrownAs(InputError, () => i.integer('f', 4, 1, 64)).message).toBe("input 'f' must be between 1 and 64, got 65");
  });

  it('string trims and falls back on empty', () => {
    expect(inputs({ a: '  x y  ' }).string('a')).toBe('x y');
    expect(inputs({ a: '   ' }).string('a', 'dflt')).toBe('dflt');
  });

  it('the default getter reads INPUT_<NAME> like @actions/core (spaces become underscores, upper case)', () => {
    vi.stubEnv('INPUT_DIFF-TAG', 'main');
    vi.stubEnv('INPUT_MY_INPUT', 'v');
    const i = new Inputs();
    expect(i.string('diff-tag')).toBe('main');
    expect(i.string('my input')).toBe('v');
  });
});

describe('lists and lines', () => {
  it('list splits on newlines and commas, trims, drops empty entries and # comments', () => {
    expect(inputs({ tags: 'v1, latest\n\n  main ,,\r\n# a comment\nsha-1' }).list('tags')).toEqual(['v1', 'latest', 'main', 'sha-1']);
  });

  it('list without commas and lines keep commas inside a value', () => {
    const raw = 'a=1,2\n  b=3  \n\n#c=4\r\nd=5,6';
    expect(inputs({ annotations: raw }).lines('annotations')).toEqual(['a=1,2', 'b=3', 'd=5,6']);
    expect(inputs({ annotations: raw }).list('annotations', { comma: false })).toEqual(['a=1,2', 'b=3', 'd=5,6']);
    expect(splitList(raw, true)).toEqual(['a=1', '2', 'b=3', 'd=5', '6']);
  });

  it('an empty input is an empty list', () => {
    expect(inputs({}).list('tags')).toEqual([]);
    expect(inputs({ tags: ' \n , \n' }).lines('tags')).toEqual([',']);
    expect(inputs({ tags: ' \n , \n' }).list('tags')).toEqual([]);
  });
});

describe('timeoutInput', () => {
  it('parses durations and seconds, and defaults to 10 minutes', () => {
    expect(timeoutInput(inputs({ timeout: '90s' })).totalMs).toBe(90_000);
    expect(timeoutInput(inputs({ timeout: '1h30m' })).totalMs).toBe(5_400_000);
    expect(timeoutInput(inputs({ timeout: '45' })).totalMs).toBe(45_000);
    expect(timeoutInput(inputs({ timeout: '1500ms' })).totalMs).toBe(1_500);
    expect(timeoutInput(inputs({})).totalMs).toBe(600_000);
    expect(timeoutInput(inputs({ t: '2m' }), 't').describe()).toBe('t: 2m');
  });

  it('a malformed or out-of-range timeout names the input and the accepted forms', () => {
    const bad = thrownAs(InputError, () => timeoutInput(inputs({ timeout: '10 minutes' })));
    expect(bad.message).toBe("input 'timeout' must be a duration, got '10 minutes'");
    expect(bad.hint).toContain('90s, 5m or 1h30m');
    expect(thrownAs(InputError, () => timeoutInput(inputs({ timeout: '0s' }))).message).toBe("input 'timeout' must be between 1s and 24h, got '0s'");
    expect(thrownAs(InputError, () => timeoutInput(inputs({ timeout: '25h' }))).message).toBe("input 'timeout' must be between 1s and 24h, got '25h'");
  });

  it('the budget starts when the input is read', () => {
    const before = Date.now();
    const b = timeoutInput(inputs({ timeout: '1m' }));
    expect(b.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(b.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe('long values are clipped in messages, with their length', () => {
  const huge = 'x'.repeat(100_000);

  it('boolean, oneOf and integer quote at most 256 characters and say how long the value was', () => {
    for (const f of [() => inputs({ a: huge }).boolean('a', true), () => inputs({ a: huge }).oneOf('a', ['p', 'q'] as const, 'p'), () => inputs({ a: huge }).integer('a', 1)]) {
      const err = thrownAs(InputError, f);
      expect(err.message).toContain(`'${'x'.repeat(256)}… (100000 characters)'`);
      expect(err.message.length).toBeLessThan(400);
    }
  });

  it('timeout quotes at most 40 characters', () => {
    const err = thrownAs(InputError, () => timeoutInput(inputs({ timeout: `${'9'.repeat(50)}x` })));
    expect(err.message).toBe(`input 'timeout' must be a duration, got '${'9'.repeat(40)}…'`);
  });
});
