import { pushArtifact } from '../actions.js';
import { StepFailure, type DemoStep } from '../context.js';

/** 1. push-artifact on main for every component and the fleet (signed), then again with no change: nothing is pushed. */
export const pushStep: DemoStep = {
  title: 'push-artifact on main for every component (signed), then again with no change',
  async run(ctx, s) {
    const { pushActions, latestBefore } = ctx;
    for (const a of pushActions) {
      const artifacts = await pushArtifact(ctx, 1, 'first', a, s);
      for (const x of artifacts) {
        latestBefore.set(x.repository, x.digest);
        if (!x.signature && x.pushed) throw new StepFailure(`${x.repository}@${x.digest} was pushed without a signature`);
      }
    }
    for (const a of pushActions) {
      const artifacts = await pushArtifact(ctx, 1, 'unchanged', a, s);
      const pushed = artifacts.filter((x) => x.pushed);
      if (pushed.length) throw new StepFailure(`the second run pushed ${pushed.map((x) => x.repository).join(', ')} although nothing changed`);
      for (const x of artifacts) {
        if (x.digest !== latestBefore.get(x.repository)) throw new StepFailure(`${x.repository}: the unchanged run reports ${x.digest}, not ${latestBefore.get(x.repository)}`);
      }
    }
    s.details.push(`second run: nothing pushed, ${latestBefore.size} artifacts unchanged`);
  },
};
