import * as core from '@actions/core';
import { clip, InputError } from '../errors.js';
import { DEFAULT_TIMEOUT_MS, parseDuration, TimeBudget } from '../util/index.js';

/**
 * Input helpers for the actions. They read through an injectable getter so that the CLI and tests can supply
 * inputs without environment variables; the default reads INPUT_* like @actions/core.
 */
export type InputGetter = (name: string) => string;

export const actionsInput: InputGetter = (name) => core.getInput(name);

export class Inputs {
  constructor(private readonly get: InputGetter = actionsInput) {}

  string(name: string, fallback = ''): string {
    const v = this.get(name).trim();
    return v === '' ? fallback : v;
  }

  required(name: string): string {
    const v = this.string(name);
    if (v === '') throw new InputError(`input '${name}' is required`, `set 'with: ${name}: ...' on the step`);
    return v;
  }

  /** YAML 1.2 core-schema booleans, as @actions/core getBooleanInput accepts them; anything else is an error. */
  boolean(name: string, fallback: boolean): boolean {
    const v = this.string(name);
    if (v === '') return fallback;
    if (['true', 'True', 'TRUE'].includes(v)) return true;
    if (['false', 'False', 'FALSE'].includes(v)) return false;
    throw new InputError(`input '${name}' must be true or false, got '${clip(v)}'`);
  }

  /** Newline- and/or comma-separated list, trimmed, empty entries dropped. */
  list(name: string, opts: { comma?: boolean } = {}): string[] {
    return splitList(this.get(name), opts.comma ?? true);
  }

  /** Newline-separated list only (values may contain commas, e.g. annotations). */
  lines(name: string): string[] {
    return splitList(this.get(name), false);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.string(name, fallback);
    if (!(allowed as readonly string[]).includes(v)) {
      throw new InputError(`input '${name}' must be one of ${allowed.join(', ')}; got '${clip(v)}'`);
    }
    return v as T;
  }

  integer(name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.string(name);
    if (v === '') return fallback;
    if (!/^\d+$/.test(v)) throw new InputError(`input '${name}' must be a whole number, got '${clip(v)}'`);
    const n = Number(v);
    if (n < min || n > max) throw new InputError(`input '${name}' must be between ${min} and ${max}, got ${n}`);
    return n;
  }
}

/**
 * The `timeout` input: the time limit of the whole run (docs/registry-client.md "Deadlines and the time limit"), a
 * duration such as `10m`, `90s`, `1h30m` or a number of seconds; default 10 minutes. The clock starts now, so read it
 * first, with the other inputs, before any request.
 */
export function timeoutInput(inputs: Inputs, name = 'timeout', fallbackMs = DEFAULT_TIMEOUT_MS): TimeBudget {
  const v = inputs.string(name);
  return new TimeBudget(v === '' ? fallbackMs : parseDuration(v, `input '${name}'`), `${name}:`);
}

export function splitList(raw: string, comma: boolean): string[] {
  const parts = raw.split(comma ? /[\r\n,]+/ : /\r?\n/);
  return parts.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
}
