import { redactUrls } from './util/redact.js';

/**
 * Errors carry a user-facing message and, where we know it, the fix. Action entry points map every error to
 * core.setFailed in one place (action/run.ts); the CLI maps them to exit codes.
 */
export class D2Error extends Error {
  /** A short, actionable hint (what to change), shown after the message. */
  readonly hint?: string;
  /** A stable machine-readable code, e.g. INPUT_INVALID, REGISTRY_DENIED. */
  readonly code: string;

  constructor(message: string, opts: { hint?: string; code?: string; cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'D2Error';
    this.hint = opts.hint;
    this.code = opts.code ?? 'D2_ERROR';
  }
}

/** Bad input: thrown before any side effect (no request, no push). */
export class InputError extends D2Error {
  constructor(message: string, hint?: string) {
    super(message, { hint, code: 'INPUT_INVALID' });
    this.name = 'InputError';
  }
}

/**
 * Formats an error for humans: message, then the hint on its own line. URL credentials are redacted (redactUrls), so
 * an error quoting a URL never prints a token, whichever code raised it.
 */
export function formatError(err: unknown): string {
  if (err instanceof D2Error) {
    return redactUrls(err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message);
  }
  if (err instanceof Error) return redactUrls(err.message);
  return redactUrls(String(err));
}
