import type { DemoStep } from '../context.js';
import { pullRequestStep } from './pull-request.js';
import { pushStep } from './push.js';
import { releaseStep } from './release.js';
import { updateStep } from './update.js';
import { verifyStep } from './verify.js';

/** The demo's steps in the order D2's workflows run them (docs/cli.md "d2 demo"). */
export const demoSteps: DemoStep[] = [pushStep, releaseStep, updateStep, pullRequestStep, verifyStep];
