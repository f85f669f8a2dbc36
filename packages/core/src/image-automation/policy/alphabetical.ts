import { compareBytes } from '../../base/index.js';
import { assertNotEmpty, normaliseOrder, type Policer, type SortOrder } from './policer.js';

/**
 * IRC `internal/policy/alphabetical.go`: `sort.StringSlice` order, i.e. bytes, not
 * locale; ASC (the default, case-insensitive) elects the maximum, DESC the minimum. So `B,a,Z` → `a` and `v1.9` beats
 * `v1.10`.
 */
export class AlphabeticalPolicy implements Policer {
  readonly order: SortOrder;

  constructor(order?: string) {
    this.order = normaliseOrder(order);
  }

  latest(candidates: readonly string[]): string {
    assertNotEmpty(candidates);
    let best = candidates[0];
    for (const tag of candidates) {
      const d = compareBytes(tag, best);
      if (this.order === 'ASC' ? d > 0 : d < 0) best = tag;
    }
    return best;
  }
}
