import { D2Error } from '../errors.js';

/** Which check of cosign's / Flux's pipeline failed (docs/signing.md, "Decisions": the checks in order). */
export type VerificationCheck =
  | 'no-signature'
  | 'signature-annotation'
  | 'payload-digest'
  | 'payload-claims'
  | 'certificate'
  | 'rekor-bundle'
  | 'rekor-set'
  | 'tlog-body'
  | 'certificate-expiry'
  | 'certificate-chain'
  | 'sct'
  | 'signature'
  | 'timestamp'
  | 'identity'
  | 'bundle-format'
  | 'subject-digest';

/** A failed verification; `check` names the failing step, the message says why. */
export class VerificationFailure extends D2Error {
  readonly check: VerificationCheck;
  constructor(check: VerificationCheck, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(`signature verification failed [${check}]: ${message}`, { code: 'VERIFY_FAILED', ...opts });
    this.name = 'VerificationFailure';
    this.check = check;
  }
}
