import { PolicyError } from './errors.js';
import { assertNotEmpty, type Policer } from './policer.js';
import { compareVersions, SemverConstraints, SemverSyntaxError, tryParseTagVersion, type SemVersion } from './semver.js';

/**
 * IRC `internal/policy/semver.go`: the first candidate (iteration order) whose version satisfies the range and is
 * strictly greater than the best so far wins; unparseable tags are skipped silently; the tag text is returned
 * (ties go to the first in storage order).
 */
export class SemverPolicy implements Policer {
  readonly constraints: SemverConstraints;

  constructor(readonly range: string) {
    try {
      this.constraints = SemverConstraints.parse(range);
    } catch (err) {
      if (!(err instanceof SemverSyntaxError)) throw err;
      throw new PolicyError('InvalidPolicy', `invalid policy: ${err.message}`, {
        hint: `fix spec.policy.semver.range ${JSON.stringify(range)}: Masterminds/semver syntax, e.g. ">=1.0.0", "1.2.x", "^1.0", ">=1.0.0-0" to include prereleases`,
        cause: err,
      });
    }
  }

  latest(candidates: readonly string[]): string {
    assertNotEmpty(candidates);
    let best: SemVersion | undefined;
    for (const tag of candidates) {
      const v = tryParseTagVersion(tag);
      if (v && this.constraints.check(v) && (best === undefined || compareVersions(v, best) > 0)) best = v;
    }
    if (best) return best.original;
    throw new PolicyError('NoMatch', 'unable to determine latest version from provided list', {
      hint: `no tag is a version (MAJOR.MINOR.PATCH, optional lowercase v) within range ${JSON.stringify(this.range)}`,
    });
  }
}
