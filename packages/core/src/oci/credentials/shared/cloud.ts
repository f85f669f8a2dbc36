/**
 * What the GCP and Azure registry providers share: one credential fetch per run and registry, secrets scrubbed from
 * any text a cloud service or library sent back, and the claims of the run's OIDC token quoted in hints.
 */
import type { CredentialProvider, Credentials } from '../../../base/index.js';
import { D2Error } from '../../../errors.js';
import { sameRegistry } from './common.js';

/**
 * A provider for one registry host that runs `fetch` on the first `get` and returns the same credentials afterwards
 * (concurrent callers share the request; a failure is not kept, so a later call may try again). Other hosts get
 * nothing: a cloud token is never sent to a registry it was not obtained for.
 */
export function oncePerRegistry(registry: string, fetch: () => Promise<Credentials>): CredentialProvider {
  let pending: Promise<Credentials> | undefined;
  return {
    get(host: string): Promise<Credentials | undefined> {
      if (!sameRegistry(host, registry)) return Promise.resolve(undefined);
      pending ??= fetch().catch((e: unknown) => {
        pending = undefined;
        throw e;
      });
      return pending.then((c) => ({ ...c }));
    },
  };
}

/** Collects the secrets of one exchange (masked as they arrive) and removes them from any text quoted in an error. */
export class SecretScrubber {
  private readonly secrets = new Set<string>();

  constructor(private readonly mask: (secret: string) => void) {}

  add(secret: string | undefined): void {
    if (!secret || this.secrets.has(secret)) return;
    this.secrets.add(secret);
    this.mask(secret);
  }

  /** `text` with every collected secret (and anything shaped like a JWT or a bearer token) replaced by `***`. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out.replace(/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, '***').replace(/(bearer\s+)\S+/gi, '$1***');
  }
}

/** The `sub` and `repository` claims of an OIDC token, for hints (claims are not secret; the token is). */
export function tokenClaims(token: string | undefined): { sub?: string; repository?: string; aud?: string; iss?: string } {
  if (!token) return {};
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return { sub: str(payload.sub), iss: str(payload.iss), repository: str(payload.repository), aud: Array.isArray(payload.aud) ? payload.aud.map(String).join(',') : str(payload.aud) };
  } catch {
    return {};
  }
}

/** The milliseconds one request to a cloud service may take: 30 s, or less when the run's budget has less left. */
export function requestTimeoutMs(budget: { remainingMs(): number } | undefined): number {
  return Math.max(1000, Math.min(30_000, budget?.remainingMs() ?? 30_000));
}

/**
 * A failure of the OIDC token source itself (no `id-token: write`, the token endpoint down), as the source reported
 * it: a library that called the source must not turn it into one of its own errors.
 */
export function oidcSourceError(err: unknown, scrubber: SecretScrubber): D2Error {
  if (err instanceof D2Error) return err;
  const text = scrubber.scrub(err instanceof Error ? err.message : String(err)).slice(0, 500);
  return new D2Error(`could not get the workflow's OIDC token: ${text}`, { code: 'REGISTRY_UNAUTHORIZED', hint: 'the job needs `permissions: id-token: write` (outside GitHub Actions, an identity provider)' });
}
