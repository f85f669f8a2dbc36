/**
 * Flux notification-controller Receiver webhooks (docs/receivers.md): after the tags moved, a POST tells the cluster to
 * reconcile now instead of at its next interval. The request is the one `flux trigger receiver` (flux ≥ 2.9) sends:
 * `POST <url>/hook/<sha256(token + name + namespace) in hex>` with `Content-Type: application/json` and the JSON
 * payload as body; a `generic-hmac` Receiver also gets `X-Signature: sha256=<hex HMAC-SHA256 of the body keyed with the
 * token>`. Like flux, a connection error or a 404, 408, 429 or 5xx answer is retried.
 *
 * The token and the webhook path (derived from it, and enough to trigger the Receiver) are secrets: they never reach
 * the log, an error, the summary or an output; receivers are named as `namespace/name at <origin + base path>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { InputError } from '../errors.js';
import type { TimeLeft } from '../util/index.js';

export const RECEIVER_TYPES = ['generic', 'generic-hmac'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

export interface ReceiverTarget {
  /** The base URL of the notification-controller webhook receiver (may have a base path). */
  url: string;
  namespace: string;
  name: string;
  type: ReceiverType;
  token: string;
}

export interface ReceiverRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Whether `host` (a URL hostname) is the loopback interface: plain http is allowed only there. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** How a receiver is named in logs and errors: `namespace/name at https://host/base` (no token, no hook path). */
export function describeReceiver(r: Pick<ReceiverTarget, 'namespace' | 'name' | 'url'>): string {
  const u = new URL(r.url);
  return `Receiver ${r.namespace}/${r.name} at ${u.origin}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * The `notify-receivers` input: one Receiver per line, `<url> <namespace>/<name> [generic|generic-hmac] [token=ENV_VAR]`
 * (type default `generic`; the token from the environment variable ENV_VAR of the step, else `defaultToken`, the
 * `receiver-token` input). Blank lines and `#` comments are skipped. Every error names the line, never a token.
 */
export function parseReceivers(raw: string, o: { defaultToken?: string; env?: Readonly<Record<string, string | undefined>>; input?: string } = {}): ReceiverTarget[] {
  const input = o.input ?? 'notify-receivers';
  const out: ReceiverTarget[] = [];
  const lines = raw.split(/\r?\n/);
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === '' || text.startsWith('#')) return;
    const where = `input '${input}' line ${i + 1}`;
    const fields = text.split(/\s+/);
    const [url, ref, ...rest] = fields;
    const hint = 'write <url> <namespace>/<receiver-name> [generic|generic-hmac] [token=ENV_VAR], e.g. https://flux-webhook.example.com flux-system/apps generic-hmac';
    if (!ref) throw new InputError(`${where}: expected a URL and <namespace>/<name>`, hint);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new InputError(`${where}: '${url}' is not a URL`, hint);
    }
    if (u.username || u.password) throw new InputError(`${where}: the URL must not contain credentials`, 'the Receiver is authenticated by its token (receiver-token), not by the URL');
    if (u.search || u.hash) throw new InputError(`${where}: the URL must not have a query or fragment`, 'give the base URL of the webhook receiver; the /hook/… path is computed');
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLoopback(u.hostname))) {
      throw new InputError(`${where}: ${u.protocol}//${u.host} is not https`, 'Receiver webhooks carry a secret path: use https (plain http is allowed only on the loopback interface, 127.0.0.1 or localhost)');
    }
    const m = /^([^/]+)\/([^/]+)$/.exec(ref);
    if (!m || !DNS_LABEL.test(m[1]) || m[1].length > 63 || !DNS_SUBDOMAIN.test(m[2]) || m[2].length > 253) {
      throw new InputError(`${where}: '${ref}' is not <namespace>/<name> of a Receiver`, 'e.g. flux-system/apps (lowercase Kubernetes names)');
    }
    let type: ReceiverType = 'generic';
    let tokenVar: string | undefined;
    for (const f of rest) {
      if ((RECEIVER_TYPES as readonly string[]).includes(f)) type = f as ReceiverType;
      else if (f.startsWith('token=')) tokenVar = f.slice('token='.length);
      else throw new InputError(`${where}: unknown field '${f}'`, `the type is one of ${RECEIVER_TYPES.join(', ')} (generic-oidc and the forge types are not sent by this action); a token is token=<ENV_VAR>`);
    }
    let token = o.defaultToken ?? '';
    if (tokenVar !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenVar)) throw new InputError(`${where}: token=${tokenVar} is not an environment variable name`);
      token = o.env?.[tokenVar] ?? '';
      if (token === '') throw new InputError(`${where}: the environment variable ${tokenVar} is unset or empty`, `set it from a secret in the step's env: (${tokenVar}: \${{ secrets.… }})`);
    }
    if (token === '') throw new InputError(`${where}: no token for Receiver ${m[1]}/${m[2]}`, "pass the Receiver's token as receiver-token (from a secret), or token=<ENV_VAR> on the line");
    out.push({ url: url.replace(/\/+$/, ''), namespace: m[1], name: m[2], type, token });
  });
  return out;
}

/** The exact request `flux trigger receiver` sends for this Receiver and payload. */
export function receiverRequest(r: ReceiverTarget, payload: string): ReceiverRequest {
  const digest = createHash('sha256').update(r.token + r.name + r.namespace).digest('hex');
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (r.type === 'generic-hmac') headers['X-Signature'] = `sha256=${createHmac('sha256', r.token).update(payload).digest('hex')}`;
  return { method: 'POST', url: `${r.url.replace(/\/+$/, '')}/hook/${digest}`, headers, body: payload };
}

export interface NotifyResult {
  receiver: string;
  ok: boolean;
  /** The last HTTP status, 0 when no answer came. */
  status: number;
  attempts: number;
  error?: string;
}

export interface NotifyOptions {
  fetch?: typeof fetch;
  /** The operation's time limit: no attempt starts when it is spent. */
  budget?: TimeLeft;
  /** Each request's own deadline (default 30 s). */
  requestTimeoutMs?: number;
  /** Attempts per Receiver (default 3). */
  attempts?: number;
  /** Delay before retry n (default 1 s · n). */
  retryDelayMs?: (attempt: number) => number;
  userAgent?: string;
}

const RETRYABLE = (status: number) => status === 404 || status === 408 || status === 429 || status >= 500;

/** POSTs `payload` to each Receiver (one after the other); never throws: failures are in the results. */
export async function notifyReceivers(receivers: readonly ReceiverTarget[], payload: string, o: NotifyOptions = {}): Promise<NotifyResult[]> {
  const doFetch = o.fetch ?? fetch;
  const attempts = Math.max(1, o.attempts ?? 3);
  const results: NotifyResult[] = [];
  for (const r of receivers) {
    const req = receiverRequest(r, payload);
    const name = describeReceiver(r);
    const res: NotifyResult = { receiver: name, ok: false, status: 0, attempts: 0 };
    for (let n = 1; n <= attempts; n++) {
      if (o.budget && o.budget.remainingMs() <= 0) {
        res.error = `the time limit (${o.budget.describe()}) is spent`;
        break;
      }
      res.attempts = n;
      const timeout = Math.min(o.requestTimeoutMs ?? 30_000, o.budget ? Math.max(1, o.budget.remainingMs()) : Infinity);
      try {
        const answer = await doFetch(req.url, { method: req.method, headers: { ...req.headers, 'User-Agent': o.userAgent ?? 'd2-actions' }, body: req.body, signal: AbortSignal.timeout(timeout), redirect: 'error' });
        res.status = answer.status;
        await answer.arrayBuffer().catch(() => undefined);
        if (answer.ok) {
          res.ok = true;
          res.error = undefined;
          break;
        }
        res.error = `HTTP ${answer.status}`;
        if (!RETRYABLE(answer.status)) break;
      } catch (err) {
        // Never the URL: its path is derived from the token.
        const e = err as { name?: string; cause?: { code?: string } };
        res.error = e.name === 'TimeoutError' ? `no answer within ${Math.round(timeout / 1000)} s` : `connection failed${e.cause?.code ? ` (${e.cause.code})` : ''}`;
      }
      if (n < attempts) await new Promise((resolve) => setTimeout(resolve, o.retryDelayMs?.(n) ?? 1000 * n));
    }
    results.push(res);
  }
  return results;
}
