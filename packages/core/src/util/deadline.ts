/**
 * Time limits (docs/registry-client.md "Deadlines and the time limit"): a duration parser for the `timeout` action
 * input and the `--timeout` CLI flag, and TimeBudget, the time limit of one whole operation (an action run, a CLI
 * command). Every network client takes the budget: each request is cut when the budget runs out, and no retry starts
 * once it is spent.
 */
import { InputError } from '../errors.js';

/** Longest accepted time limit (GitHub-hosted jobs stop after 6 h; self-hosted runners may run longer). */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
/** Shortest accepted time limit. */
export const MIN_TIMEOUT_MS = 1000;
/** Default time limit of an action run or a CLI command. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a time limit: a Go-style duration (`90s`, `5m`, `1h30m`, `1.5h`, `500ms`; units ms, s, m, h) or a plain
 * number of seconds (`600`). Throws InputError (naming `what`, e.g. "input 'timeout'" or "--timeout") for anything
 * else, for zero, and outside 1 s … 24 h. The input is echoed only up to 40 characters.
 */
export function parseDuration(text: string, what: string): number {
  const raw = text.trim();
  const shown = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  const hint = 'use a duration such as 90s, 5m or 1h30m (units ms, s, m, h), or a number of seconds';
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(raw)) {
    ms = Number(raw) * 1000;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(raw)) {
    ms = 0;
    for (const m of raw.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNIT_MS[m[2]];
  } else {
    throw new InputError(`${what} must be a duration, got '${shown}'`, hint);
  }
  ms = Math.round(ms);
  if (ms < MIN_TIMEOUT_MS || ms > MAX_TIMEOUT_MS) {
    throw new InputError(`${what} must be between 1s and 24h, got '${shown}'`, hint);
  }
  return ms;
}

/** `1h30m`, `10m`, `1m30s`, `45s`, `1.5s`, `800ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
}

/**
 * The time limit of one operation, started when it is created. `remainingMs()` is what is left; `signal` aborts when
 * it runs out (for child processes and fetch). `label` says where the limit was set, e.g. `--timeout` or
 * `timeout:`, so errors can tell the user what to raise.
 */
export class TimeBudget {
  readonly expiresAt: number;
  private controller?: AbortController;

  constructor(
    readonly totalMs: number,
    readonly label = 'timeout',
  ) {
    this.expiresAt = Date.now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  /** E.g. `--timeout 10m` or `timeout: 10m`. */
  describe(): string {
    return `${this.label} ${formatDuration(this.totalMs)}`;
  }

  /**
   * Aborts when the budget is spent, with an Error saying so as its reason (for child processes and fetch). The
   * timer is unref'd: it never keeps the process alive.
   */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      const timer = setTimeout(() => controller.abort(new Error(`the time limit (${this.describe()}) is spent`)), this.remainingMs());
      timer.unref();
    }
    return this.controller.signal;
  }
}

/** Anything that knows how much time is left and can say where the limit comes from (TimeBudget is one). */
export interface TimeLeft {
  remainingMs(): number;
  describe(): string;
}

export type TimeoutKind = 'inactivity' | 'deadline' | 'budget';

/**
 * A network request ran out of time: no activity on the socket, past its own deadline, or the operation's time limit
 * is spent. The message names the method, the path (never the query, which can carry upload state or signatures) and
 * the host, e.g. `GET /v2/org/app/tags/list to ghcr.io ran out of time: no complete answer within 2m (per-request
 * deadline)`.
 */
export class RequestTimeoutError extends Error {
  readonly errno = 'ETIMEDOUT';

  constructor(
    readonly kind: TimeoutKind,
    readonly method: string,
    readonly host: string,
    readonly path: string,
    readonly ms: number,
    readonly budget?: TimeLeft,
  ) {
    const why =
      kind === 'inactivity'
        ? `no response activity for ${ms} ms (inactivity timeout)`
        : kind === 'deadline'
          ? `no complete answer within ${formatDuration(ms)} (per-request deadline)`
          : `the time limit (${budget?.describe() ?? formatDuration(ms)}) is spent`;
    super(`${method} ${path} to ${host} ran out of time: ${why}`);
    this.name = 'RequestTimeoutError';
  }
}
