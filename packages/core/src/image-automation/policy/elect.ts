/**
 * Election (IRC `imagepolicy_controller.go` `applyPolicy`; docs/image-policies.md, "Pipeline"): policer from the spec,
 * tags in descending byte order (the controller's storage order, which decides ties), optional filterTags, `Latest`, map back to the original tag.
 */
import { AlphabeticalPolicy } from './alphabetical.js';
import { PolicyError } from './errors.js';
import { TagFilter } from './filter.js';
import { sortDescendingBytes } from '../../base/index.js';
import { NumericalPolicy } from './numerical.js';
import type { Policer } from './policer.js';
import { SemverPolicy } from './semver-policy.js';
import type { ImagePolicyChoice, ImagePolicySpec, PolicyResult } from './types.js';

/** IRC `PolicerFromSpec`: semver, then alphabetical, then numerical; none → InvalidPolicy. */
export function policerFromSpec(choice: ImagePolicyChoice | undefined): Policer {
  if (choice?.semver) {
    if (typeof choice.semver.range !== 'string') {
      throw new PolicyError('InvalidPolicy', 'invalid policy: spec.policy.semver.range is required', {
        hint: 'set spec.policy.semver.range, e.g. ">=1.0.0"',
      });
    }
    return new SemverPolicy(choice.semver.range);
  }
  if (choice?.alphabetical) return new AlphabeticalPolicy(choice.alphabetical.order);
  if (choice?.numerical) return new NumericalPolicy(choice.numerical.order);
  throw new PolicyError('InvalidPolicy', 'invalid policy: given ImagePolicyChoice object is invalid', {
    hint: 'spec.policy needs one of semver {range}, alphabetical {order} or numerical {order}',
  });
}

export interface ElectOptions {
  /** `<namespace>/<name>` (or `<name>`) of the policy, used in error messages. */
  name?: string;
  /** The tags are already in storage order (descending bytes, e.g. `scanImageRepository().tags`): skip the sort. */
  presorted?: boolean;
}

/** A policy compiled once (range, regex) and applied to many tag lists. */
export class PolicyElector {
  private readonly policer: Policer;
  private readonly filter?: TagFilter;

  /** Throws PolicyError(InvalidPolicy) for an invalid range, order, pattern or missing choice. */
  constructor(
    readonly spec: ImagePolicySpec,
    readonly name?: string,
  ) {
    try {
      this.policer = policerFromSpec(spec.policy);
      if (spec.filterTags) this.filter = new TagFilter(spec.filterTags.pattern ?? '', spec.filterTags.extract ?? '');
    } catch (err) {
      throw err instanceof PolicyError ? err.withPolicy(name) : err;
    }
  }

  /** Elects the latest tag among `tags` (any order unless `presorted`). Throws PolicyError. */
  elect(tags: readonly string[], opts: { presorted?: boolean } = {}): PolicyResult {
    try {
      if (tags.length === 0) {
        throw new PolicyError('NoTags', 'no tags in database', {
          hint: 'the image repository has no tags left after spec.exclusionList; check spec.image and the registry',
        });
      }
      const stored = opts.presorted ? tags : sortDescendingBytes(tags);
      if (!this.filter) return { tag: this.policer.latest(stored) };
      const { candidates, original } = this.filter.apply(stored);
      if (candidates.length === 0) {
        throw new PolicyError(
          'EmptyList',
          `version list argument cannot be empty (no tag matched filterTags.pattern '${this.filter.pattern}')`,
          { hint: 'the pattern is matched anywhere in the tag (unanchored) unless it uses ^…$; check it against the tags' },
        );
      }
      const key = this.policer.latest(candidates);
      return { tag: original.get(key) ?? '' };
    } catch (err) {
      throw err instanceof PolicyError ? err.withPolicy(this.name) : err;
    }
  }
}

/**
 * Elects the latest tag exactly as image-reflector-controller would for this ImagePolicy spec. `tags` may be in any
 * order: they are sorted descending by bytes first, which decides ties as in the controller. Throws PolicyError naming the policy
 * and the reason.
 */
export function electLatest(policy: ImagePolicySpec, tags: readonly string[], opts: ElectOptions = {}): PolicyResult {
  return new PolicyElector(policy, opts.name).elect(tags, { presorted: opts.presorted });
}
