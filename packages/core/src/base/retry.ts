/**
 * How a client retries a failed request: exponential back-off from `baseMs`, multiplied by `factor` per attempt and
 * capped at `maxMs`. The defaults belong to each client (the registry client: 5 attempts from 250 ms to 3 s; the
 * signer's Fulcio, Rekor and TSA calls: 4 attempts from 500 ms to 5 s), docs/registry-client.md and docs/signing.md.
 */
export interface RetryOptions {
  /** Total attempts, the first included (on 5xx, 408, 429 and network errors or timeouts). */
  attempts?: number;
  /** The first back-off delay. */
  baseMs?: number;
  /** The back-off cap. */
  maxMs?: number;
  /** Growth of the delay from one attempt to the next (default 2). */
  factor?: number;
  /** Cap for a server's Retry-After (registry client only; default 10 000 ms). */
  retryAfterMaxMs?: number;
}
