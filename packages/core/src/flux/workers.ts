/**
 * How many build workers (build-pool.ts): the default, one per core, and the check of a `workers` setting. Kept apart
 * from the pool so that the inputs are checked without loading the builder.
 */
import { availableParallelism } from 'node:os';
import { InputError } from '../errors.js';

/** The default number of workers: one per core, at most this many. */
export const MAX_DEFAULT_WORKERS = 8;
/** The largest `workers` setting accepted. */
export const MAX_WORKERS = 64;

/** One worker per core (`os.availableParallelism()`), at most MAX_DEFAULT_WORKERS. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_WORKERS));
}

/** Checks a `workers` setting (the action input or the CLI flag, named by `what`): an integer from 1 to MAX_WORKERS. */
export function parseWorkers(value: string | undefined, what: string): number {
  if (value === undefined || value.trim() === '') return defaultWorkers();
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new InputError(`${what} must be an integer from 1 to ${MAX_WORKERS}, got '${value.slice(0, 64)}'`, `leave it empty for one worker per core (here ${defaultWorkers()})`);
  }
  return n;
}
