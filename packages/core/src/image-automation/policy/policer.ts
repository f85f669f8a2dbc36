import { PolicyError } from './errors.js';

/**
 * One election rule (IRC `internal/policy/policer.go`): given candidates in iteration order, return the latest.
 * Implementations throw PolicyError (without a policy name; `electLatest` adds it).
 */
export interface Policer {
  latest(candidates: readonly string[]): string;
}

/** IRC's message for an empty candidate list (every policer checks this first). */
export function assertNotEmpty(candidates: readonly string[]): void {
  if (candidates.length === 0) throw new PolicyError('EmptyList', 'version list argument cannot be empty');
}

/** IRC accepts `asc`/`desc` in any case (`strings.ToUpper`); empty means ASC. */
export type SortOrder = 'ASC' | 'DESC';

export function normaliseOrder(order: string | undefined): SortOrder {
  const upper = (order ?? '').toUpperCase();
  if (upper === '' || upper === 'ASC') return 'ASC';
  if (upper === 'DESC') return 'DESC';
  throw new PolicyError(
    'InvalidPolicy',
    `invalid policy: invalid order argument provided: '${upper}', must be one of: ASC, DESC`,
    { hint: 'set spec.policy.<alphabetical|numerical>.order to asc or desc' },
  );
}
