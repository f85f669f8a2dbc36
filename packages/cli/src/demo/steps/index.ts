import type { DemoStep } from '../context.js';
import { pullRequestStep } from './pull-request.js';
import { pushStep } from './push.js';
import { releaseStep } from './release.js';
import { updateStep } from './update.js';
import { groupedStep } from './grouped.js';
import { verifyStep } from './verify.js';

/** The demo's steps in the order D2's workflows run them (docs/cli.md "d2 demo"). */
export const demoSteps: DemoStep[] = [pushStep, releaseStep, updateStep, pullRequestStep, verifyStep, groupedStep];

/**
 * The steps for the repositories `d2 init` writes (`--from-init`): the five steps of the D2 loop. Step 6 (grouping per
 * component) needs the built-in d2-apps with two components; init writes one example component.
 */
export const initDemoSteps: DemoStep[] = demoSteps.filter((s) => s !== groupedStep);
