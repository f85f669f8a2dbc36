import { D2Error, type ErrorCode } from '../../errors.js';

/**
 * Why an election failed, named after what image-reflector-controller does with it:
 * - `InvalidPolicy`: stalls in Flux (bad range, bad regex, no policy choice, bad order);
 * - `NoTags`: "no tags in database" (the repository has no tags after exclusions), Flux retries;
 * - `EmptyList`: "version list argument cannot be empty" (the filter matched nothing);
 * - `NoMatch`: "unable to determine latest version from provided list" (no tag satisfies the policy);
 * - `InvalidNumeric`: "failed to parse invalid numeric value '…'" (one candidate breaks a numerical policy);
 * - `InvalidSpec`: the ImagePolicy/ImageRepository object itself is malformed (the API server would refuse it);
 * - `DigestFailed`: digest reflection could not HEAD the elected tag.
 */
export type PolicyErrorReason =
  | 'InvalidPolicy'
  | 'NoTags'
  | 'EmptyList'
  | 'NoMatch'
  | 'InvalidNumeric'
  | 'InvalidSpec'
  | 'DigestFailed';

const CODES: Record<PolicyErrorReason, ErrorCode> = {
  InvalidPolicy: 'POLICY_INVALID',
  NoTags: 'POLICY_NO_TAGS',
  EmptyList: 'POLICY_NO_CANDIDATES',
  NoMatch: 'POLICY_NO_MATCH',
  InvalidNumeric: 'POLICY_INVALID_NUMERIC',
  InvalidSpec: 'POLICY_SPEC_INVALID',
  DigestFailed: 'POLICY_DIGEST_FAILED',
};

/**
 * An election failure. The message names the policy (`ImagePolicy <ns>/<name>: …`) and carries Flux's own wording
 * (`detail`), so users can search for it.
 */
export class PolicyError extends D2Error {
  readonly reason: PolicyErrorReason;
  /** `<namespace>/<name>` or `<name>` of the ImagePolicy, when known. */
  readonly policy?: string;
  /** The message image-reflector-controller would put in the Ready condition. */
  readonly detail: string;

  constructor(reason: PolicyErrorReason, detail: string, opts: { policy?: string; hint?: string; cause?: unknown } = {}) {
    super(opts.policy ? `ImagePolicy ${opts.policy}: ${detail}` : `ImagePolicy: ${detail}`, {
      code: CODES[reason],
      hint: opts.hint,
      cause: opts.cause,
    });
    this.name = 'PolicyError';
    this.reason = reason;
    this.policy = opts.policy;
    this.detail = detail;
  }

  /** The same failure attributed to a named policy. */
  withPolicy(policy: string | undefined): PolicyError {
    if (!policy || policy === this.policy) return this;
    return new PolicyError(this.reason, this.detail, { policy, hint: this.hint, cause: this.cause });
  }
}
