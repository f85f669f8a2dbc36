import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { formatDuration, parseDuration, RequestTimeoutError, TimeBudget } from '../../src/util/deadline.js';

describe('parseDuration (the timeout input and --timeout)', () => {
  it.each([
    ['10m', 600_000],
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2500ms', 2500],
    ['600', 600_000],
    [' 5m ', 300_000],
    ['24h', 86_400_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each([['0'], ['0s'], ['500ms'], ['25h'], ['1d'], ['-5s'], ['5 m'], ['m'], [''], ['5M'], ['1e3'], ['Infinity']])('%j is refused with a hint', (text) => {
    let err: unknown;
    try {
      parseDuration(text, "input 'timeout'");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/^input 'timeout' must be/);
    expect((err as InputError).hint).toMatch(/90s, 5m or 1h30m/);
  });

  it('echoes at most 40 characters of a long value', () => {
    const long = 'x'.repeat(100_000);
    expect(() => parseDuration(long, '--timeout')).toThrow(/^--timeout must be a duration, got 'x{40}…'$/);
  });
});

describe('formatDuration', () => {
  it.each([
    [600_000, '10m'],
    [90_000, '1m30s'],
    [5_400_000, '1h30m'],
    [3_000, '3s'],
    [1_500, '1.5s'],
    [800, '800ms'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('TimeBudget', () => {
  it('counts down, describes itself and aborts its signal with a reason when spent', async () => {
    const b = new TimeBudget(1000, '--timeout');
    expect(b.describe()).toBe('--timeout 1s');
    expect(b.remainingMs()).toBeGreaterThan(0);
    expect(b.remainingMs()).toBeLessThanOrEqual(1000);
    const reason = await new Promise<unknown>((resolve) => b.signal.addEventListener('abort', () => resolve(b.signal.reason), { once: true }));
    expect(b.remainingMs()).toBe(0);
    expect((reason as Error).message).toBe('the time limit (--timeout 1s) is spent');
  });

  it('RequestTimeoutError names the method, path and host, never the query', () => {
    const e = new RequestTimeoutError('deadline', 'PUT', 'registry.example:5000', '/v2/acme/app/blobs/uploads/abc', 120_000);
    expect(e.message).toBe('PUT /v2/acme/app/blobs/uploads/abc to registry.example:5000 ran out of time: no complete answer within 2m (per-request deadline)');
    const b = new TimeBudget(3000, 'timeout:');
    expect(new RequestTimeoutError('budget', 'GET', 'h', '/p', 0, b).message).toBe('GET /p to h ran out of time: the time limit (timeout: 3s) is spent');
  });
});
