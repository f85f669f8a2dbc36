import { redactUrls } from './redact.js';

/**
 * Every code a D2Error can carry: stable and machine-readable (the CLI prints it with --json, tests match on it). A new
 * failure with its own meaning gets a new member here.
 */
export type ErrorCode =
  // Generic
  | 'D2_ERROR'
  | 'INPUT_INVALID'
  // Flux artifacts (flux/, flate/)
  | 'ARTIFACT_BUILD_FAILED'
  | 'ARTIFACT_INVALID'
  | 'ARTIFACT_LAYER_INVALID'
  | 'ARTIFACT_SOURCE_CHANGED'
  | 'ARTIFACT_SOURCE_UNREADABLE'
  | 'ARTIFACT_UNSAFE_PATH'
  | 'FLATE_CLOSED'
  | 'FLATE_INTERNAL'
  // Registry client (oci/)
  | 'CREDENTIALS_HELPER'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_DIGEST_MISMATCH'
  | 'REGISTRY_INVALID'
  | 'REGISTRY_NETWORK'
  | 'REGISTRY_NOT_FOUND'
  | 'REGISTRY_PROTOCOL'
  | 'REGISTRY_SERVER_ERROR'
  | 'REGISTRY_TOO_LARGE'
  | 'REGISTRY_TIMEOUT'
  | 'REGISTRY_TOO_MANY_REQUESTS'
  | 'REGISTRY_UNAUTHORIZED'
  // Publishing and releases (publish/)
  | 'PUBLISH_FAILED'
  | 'VERSION_EXISTS'
  | 'DOWNGRADE'
  | 'RELEASE_RACE'
  // Signing and verification (sign/, verify/)
  | 'SIGNING_FAILED'
  | 'SIGNATURE_INVALID'
  | 'SIGNATURE_LIMIT'
  | 'VERIFY_FAILED'
  | 'VERIFY_IDENTITY'
  | 'VERIFY_TRUST'
  // Attestations (attest/)
  | 'ATTESTATION_FAILED'
  | 'ATTESTATION_NOT_FOUND'
  // Image automation (image-automation/)
  | 'SCAN_FAILED'
  | 'POLICY_FAILED'
  | 'POLICY_INVALID'
  | 'POLICY_NO_TAGS'
  | 'POLICY_NO_CANDIDATES'
  | 'POLICY_NO_MATCH'
  | 'POLICY_INVALID_NUMERIC'
  | 'POLICY_SPEC_INVALID'
  | 'PROVIDER_FAILED'
  | 'POLICY_DIGEST_FAILED'
  | 'SETTER_INVALID_REF'
  | 'SETTER_PATH'
  | 'TEMPLATE_ERROR'
  | 'TEMPLATE_REMOVED_FIELD'
  | 'UPDATE_STRATEGY'
  // git and GitHub (git/, github/)
  | 'GIT_FAILED'
  | 'GIT_BRANCH_MOVED'
  | 'GITHUB_ACTIONS_NOT_PERMITTED'
  | 'GITHUB_API_ERROR'
  | 'GITHUB_AUTO_MERGE_CLEAN'
  | 'GITHUB_AUTO_MERGE_NOT_ALLOWED'
  | 'GITHUB_BAD_CREDENTIALS'
  | 'GITHUB_FORBIDDEN'
  | 'GITHUB_NOT_FOUND'
  | 'GITHUB_NO_COMMITS'
  | 'GITHUB_PR_EXISTS'
  | 'GITHUB_RATE_LIMITED'
  | 'GITHUB_TIMEOUT'
  // GitLab (gitlab/)
  | 'GITLAB_API_ERROR'
  | 'GITLAB_FORBIDDEN'
  | 'GITLAB_MR_EXISTS'
  | 'GITLAB_NOT_FOUND'
  | 'GITLAB_TIMEOUT'
  | 'GITLAB_UNAUTHORIZED';

/**
 * Errors carry a user-facing message and, where we know it, the fix. Action entry points map every error to
 * core.setFailed in one place (action/run.ts); the CLI maps them to exit codes.
 */
export class D2Error extends Error {
  /** A short, actionable hint (what to change), shown after the message. */
  readonly hint?: string;
  /** A stable machine-readable code, e.g. INPUT_INVALID, REGISTRY_DENIED. */
  readonly code: ErrorCode;

  constructor(message: string, opts: { hint?: string; code?: ErrorCode; cause?: unknown } = {}) {
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

/** Longest untrusted value quoted whole in an error message (`clip`). */
export const CLIP_LENGTH = 256;

/**
 * An untrusted value (an input, a flag, a path, a file's content) as quoted in an error message: values longer than
 * `max` characters are cut, with an explicit marker giving the full length (`aaa… (100000 characters)`), so that a huge
 * input cannot flood a log and a cut is never silent. Every message that echoes an input goes through this helper.
 */
export function clip(value: string, max = CLIP_LENGTH): string {
  if (value.length <= max) return value;
  let end = max;
  // Do not split a surrogate pair.
  const c = value.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${value.slice(0, end)}… (${value.length} characters)`;
}

/** Longest run of non-space characters `formatError` lets through (a backstop for values not quoted with `clip`). */
const TOKEN_LIMIT = 1024;

/** `text` with every run of more than `limit` non-space (or space) characters clipped (`clip`). */
export function clipRuns(text: string, limit = TOKEN_LIMIT): string {
  if (text.length <= limit) return text;
  return text
    .split(/(\s+)/)
    .map((part) => clip(part, limit))
    .join('');
}

/**
 * Formats an error for humans: message, then the hint on its own line. URL credentials are redacted (redactUrls), so
 * an error quoting a URL never prints a token, whichever code raised it; then any run of more than 1024 non-space
 * characters is clipped (`clip`), whatever its source, so no error prints an input whole.
 */
export function formatError(err: unknown): string {
  let text: string;
  if (err instanceof D2Error) text = err.hint ? `${err.message}\n  hint: ${err.hint}` : err.message;
  else if (err instanceof Error) text = err.message;
  else text = String(err);
  return clipRuns(redactUrls(text));
}
