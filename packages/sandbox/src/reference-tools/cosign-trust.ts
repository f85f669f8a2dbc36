import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TrustPems {
  /** Fulcio root(s) and intermediates, PEM. */
  fulcioPem: string;
  rekorPem: string;
  ctlogPem: string;
}

interface TrustedRootJson {
  tlogs?: { publicKey?: { rawBytes?: string } }[];
  ctlogs?: { publicKey?: { rawBytes?: string } }[];
  certificateAuthorities?: { certChain?: { certificates?: { rawBytes?: string }[] } }[];
}

function pem(label: string, b64: string): string {
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * PEM files for cosign 2's legacy trust variables (SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY,
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: cosign 2 reads its trust from these instead of a trusted root), derived from the same trusted_root.json, written next to it.
 */
export function trustPemsFromTrustedRoot(trustedRootPath: string, outDir: string): TrustPems {
  const root = JSON.parse(readFileSync(trustedRootPath, 'utf8')) as TrustedRootJson;
  const certs = (root.certificateAuthorities ?? []).flatMap((ca) => ca.certChain?.certificates ?? []).map((c) => c.rawBytes).filter((s): s is string => !!s);
  const rekor = (root.tlogs ?? []).map((t) => t.publicKey?.rawBytes).filter((s): s is string => !!s);
  const ct = (root.ctlogs ?? []).map((t) => t.publicKey?.rawBytes).filter((s): s is string => !!s);
  if (certs.length === 0 || rekor.length === 0 || ct.length === 0) {
    throw new Error(`${trustedRootPath}: needs a certificate authority, a tlog and a ctlog key for cosign 2's SIGSTORE_* variables`);
  }
  // Sanity: the CA entries must parse as X.509.
  for (const c of certs) new X509Certificate(Buffer.from(c, 'base64'));
  mkdirSync(outDir, { recursive: true });
  const out: TrustPems = { fulcioPem: join(outDir, 'fulcio.pem'), rekorPem: join(outDir, 'rekor.pub'), ctlogPem: join(outDir, 'ctlog.pub') };
  writeFileSync(out.fulcioPem, certs.map((c) => pem('CERTIFICATE', c)).join(''));
  writeFileSync(out.rekorPem, pem('PUBLIC KEY', rekor[0]));
  writeFileSync(out.ctlogPem, pem('PUBLIC KEY', ct[0]));
  return out;
}
