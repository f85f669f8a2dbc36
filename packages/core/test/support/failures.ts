/**
 * Catching what a call throws or a promise rejects with, so that a test can assert on the error itself (its class,
 * code, message, hint) rather than only on `toThrow`.
 */
import { expect } from 'vitest';

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** What `p` rejects with, or undefined when it resolves. */
export function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

/** What `f` throws, or undefined when it returns. */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** What `p` rejects with; a test failure when it resolves. */
export async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

/** The error `p` rejects with, checked to be a `type`. */
export async function rejectedAs<E>(type: ErrorClass<E>, p: Promise<unknown>): Promise<E> {
  const err = await rejectionOf(p);
  expect(err).toBeInstanceOf(type);
  return err as E;
}

/** The error `f` throws, checked to be a `type`. */
export function thrownAs<E>(type: ErrorClass<E>, f: () => unknown): E {
  const err = thrownBy(f);
  expect(err).toBeInstanceOf(type);
  return err as E;
}
