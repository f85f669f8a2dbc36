/**
 * What the tests of the action adapters share: inputs from a plain record (as the runner's INPUT_* would give them),
 * and the guarantee that reading inputs sends nothing (every test fails if `fetch` was called).
 */
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { Inputs } from '../../src/action/index.js';

/** Inputs read from `values`; a missing input reads as empty, as `core.getInput` returns it. */
export const inputs = (values: Record<string, string>): Inputs => new Inputs((name) => values[name] ?? '');

/** Registers hooks that make every test of the file fail when a request was sent while it ran. */
export function expectNoRequests(): void {
  let fetchSpy: ReturnType<typeof vi.fn>;
  beforeEach(() => {
    fetchSpy = vi.fn(() => Promise.reject(new Error('no request may be sent while the inputs are read')));
    vi.stubGlobal('fetch', fetchSpy);
  });
  afterEach(() => {
    expect(fetchSpy).not.toHaveBeenCalled();
    vi.unstubAllGlobals();
  });
}
