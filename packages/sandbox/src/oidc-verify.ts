/**
 * What the cloud stand-ins (gcp/, azure/) do with the OIDC token a workflow presents, as their services do: verify the
 * JWT signature against the issuer's JWKS (fetched from the sandbox issuer, oidc.ts), then its `iss`, `aud`, `exp`/`nbf`
 * and `sub` (OpenID Connect Core 1.0, "ID Token Validation"; RFC 7519). Each check has its own reason, so the stand-ins
 * can answer with the provider's own error for it.
 */
import { createPublicKey, verify as cryptoVerify, type JsonWebKey } from 'node:crypto';

export type OidcRejection = 'malformed' | 'signature' | 'issuer' | 'audience' | 'expired' | 'subject';

export class OidcTokenRejected extends Error {
  constructor(
    readonly reason: OidcRejection,
    message: string,
  ) {
    super(message);
    this.name = 'OidcTokenRejected';
  }
}

export interface OidcExpectation {
  /** The issuer URL the JWKS is fetched from (`<issuerUrl>/.well-known/jwks`), i.e. the sandbox issuer's `url`. */
  jwksBase: string;
  /** The `iss` claim expected. */
  issuer: string;
  /** The `aud` the token must carry (one of them, when `aud` is a list). */
  audience: string;
  /** Accepted `sub` claims (exact); empty or undefined accepts any subject. */
  subjects?: readonly string[];
}

function b64json(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Verifies `token` and returns its claims, or throws OidcTokenRejected naming the failed check. */
export async function verifyOidcToken(token: string, expect: OidcExpectation): Promise<Record<string, unknown>> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new OidcTokenRejected('malformed', 'the token is not a JWT');
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = b64json(parts[0]);
    claims = b64json(parts[1]);
  } catch {
    throw new OidcTokenRejected('malformed', 'the token is not a JWT');
  }
  const res = await fetch(`${expect.jwksBase}/.well-known/jwks`, { signal: AbortSignal.timeout(5000) });
  const jwks = (await res.json()) as { keys: (JsonWebKey & { kid?: string; alg?: string })[] };
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== 'ES256') throw new OidcTokenRejected('signature', 'the token is not signed by a key of the issuer');
  const ok = cryptoVerify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(parts[2], 'base64url'));
  if (!ok) throw new OidcTokenRejected('signature', 'the token signature is invalid');
  if (claims.iss !== expect.issuer) throw new OidcTokenRejected('issuer', `the token issuer '${String(claims.iss)}' is not trusted`);
  const aud = Array.isArray(claims.aud) ? (claims.aud as unknown[]) : [claims.aud];
  if (!aud.includes(expect.audience)) throw new OidcTokenRejected('audience', `the token audience '${aud.map(String).join(',')}' does not match the expected audience '${expect.audience}'`);
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp !== 'number' || claims.exp <= now) throw new OidcTokenRejected('expired', 'the token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf > now + 60) throw new OidcTokenRejected('expired', 'the token is not valid yet');
  if (expect.subjects?.length && !expect.subjects.includes(String(claims.sub))) throw new OidcTokenRejected('subject', `the token subject '${String(claims.sub)}' is not allowed`);
  return claims;
}
