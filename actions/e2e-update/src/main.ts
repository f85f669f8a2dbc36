import { Inputs, readE2eUpdateInputs, redacting, runAction } from '@d2/core/action';

/**
 * e2e-update: Flux's image update automation in one step (docs/image-automation.md): scan the registries, select the
 * images of the ImagePolicies, update the setter markers, commit and push. Every secret value known to the step is
 * replaced by *** wherever a message could carry it (errors, log, summary, outputs).
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: validated before any clone, scan or push (in direct mode the target's token too); the time limit starts now.
    const config = await readE2eUpdateInputs(new Inputs(), process.env);
    // The engine, the registry client and the GitHub API are imported once the inputs are valid: a step that fails its
    // input checks loads none of them (docs/architecture.md, "Action start-up").
    const { update } = await import('./update.js');
    await redacting(config.redact, () => update(config));
  });
}
