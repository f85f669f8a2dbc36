/**
 * Certificate identity as cosign and Flux see it (docs/signing.md, "Identity matching"): the SANs of the Fulcio leaf and
 * the OIDC issuer extension (OID 1.3.6.1.4.1.57264.1.8, a DER UTF8String, falling back to the raw bytes of legacy OID
 * 1.1), matched with Go RE2 semantics (re2js), unanchored unless the pattern anchors itself. Shared by signing (which
 * reports the identity it signed with) and verification.
 */
import { X509Certificate } from '@sigstore/core';
import { RE2JS } from 're2js';
import { D2Error } from '../errors.js';
import { GITHUB_ACTIONS_ISSUER } from './issuers.js';

export const OID_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const OID_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
/** Fulcio's otherName SAN for usernames. */
const OID_OTHERNAME_USERNAME = '1.3.6.1.4.1.57264.1.7';

export interface IdentityPolicy {
  /** Go RE2 regex for the certificate SAN (cosign `--certificate-identity-regexp`, Flux `subject`). */
  subjectRegExp: string;
  /** Go RE2 regex for the OIDC issuer (cosign `--certificate-oidc-issuer-regexp`, Flux `issuer`). */
  issuerRegExp: string;
}

export interface CertificateIdentity {
  /** All SANs of the certificate: URI, then email, then otherName username (sigstore-go's summary uses the first). */
  sans: string[];
  issuer?: string;
}

export function parseCertificate(der: Buffer): X509Certificate {
  try {
    return X509Certificate.parse(Buffer.from(der));
  } catch (err) {
    throw new D2Error('the signing certificate cannot be parsed', { code: 'VERIFY_FAILED', cause: err });
  }
}

export function certificateIdentity(cert: X509Certificate): CertificateIdentity {
  const ext = cert.extSubjectAltName;
  const sans = [ext?.uri, ext?.rfc822Name, ext?.otherName(OID_OTHERNAME_USERNAME)].filter((s): s is string => !!s);
  let issuer: string | undefined;
  const v2 = cert.extension(OID_ISSUER_V2);
  if (v2) {
    // extnValue is an OCTET STRING wrapping a DER UTF8String.
    issuer = v2.valueObj.subs[0]?.value.toString('utf8');
  }
  if (!issuer) {
    const v1 = cert.extension(OID_ISSUER_V1);
    if (v1) issuer = v1.value.toString('utf8');
  }
  return { sans, issuer };
}

/** Compiles a user regex with RE2 semantics; a syntax error is an input error. */
export function compileRE2(pattern: string, what: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new D2Error(`${what} is not a valid RE2 regular expression: ${pattern}`, {
      code: 'INPUT_INVALID',
      cause: err,
      hint: 'use Go/RE2 syntax (no look-around or back-references); anchor with ^…$ for an exact match',
    });
  }
}

/** Checks the identity policy; returns the matching SAN and issuer or throws a D2Error naming the mismatch. */
export function matchIdentity(id: CertificateIdentity, policy: IdentityPolicy): { identity: string; issuer: string } {
  const subject = compileRE2(policy.subjectRegExp, 'the certificate identity regexp');
  const issuerRe = compileRE2(policy.issuerRegExp, 'the certificate OIDC issuer regexp');
  if (!id.issuer) {
    throw new D2Error('the signing certificate has no OIDC issuer extension', { code: 'VERIFY_FAILED' });
  }
  if (!issuerRe.matcher(id.issuer).find()) {
    throw new D2Error(`certificate issuer '${id.issuer}' does not match ${policy.issuerRegExp}`, {
      code: 'VERIFY_IDENTITY',
      hint: `GitHub Actions tokens are issued by ${GITHUB_ACTIONS_ISSUER} (GHEC: …/<enterprise>)`,
    });
  }
  // cosign's legacy path accepts any SAN that matches (CheckCertificatePolicy).
  const hit = id.sans.find((s) => subject.matcher(s).find());
  if (!hit) {
    throw new D2Error(`certificate identity '${id.sans.join(', ')}' does not match ${policy.subjectRegExp}`, {
      code: 'VERIFY_IDENTITY',
      hint: 'the SAN is https://github.com/<owner>/<repo>/<workflow file>@<ref> of the signing job (job_workflow_ref)',
    });
  }
  return { identity: hit, issuer: id.issuer };
}
