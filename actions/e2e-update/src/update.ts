import { actionLog, e2eUpdateGitHub, e2eUpdateGitOptions, e2eUpdateLogger, e2eUpdateRegistry, e2eUpdateTargets, writeE2eUpdateOutputs, type E2eUpdateConfig } from '@d2/core/action';
import { resolveCommitSigners, runImageUpdate, type EngineResult } from '@d2/core/image-automation';

/** The run of e2e-update once its inputs are valid (main.ts): targets, their signers, the engine, then the outputs. */
export async function update(config: E2eUpdateConfig): Promise<void> {
  const log = e2eUpdateLogger(config.redact);
  const github = e2eUpdateGitHub(config, log.warn);
  const { client, registry } = e2eUpdateRegistry(config, log);
  let result: EngineResult;
  try {
    // Logic: the targets (checked against the inputs before anything is cloned), their signers, the engine.
    const targets = await e2eUpdateTargets(config, { registry, github: github.refLister });
    const signing = await resolveCommitSigners(targets, { key: config.signingKey, passphrase: config.signingPassphrase, direct: config.automation === undefined });
    if (signing.unused) actionLog.warning("input 'signing-key' is set but no ImageUpdateAutomation has spec.git.commit.signingKey: commits are not signed");
    if (targets.length === 0) actionLog.info('every ImageUpdateAutomation is suspended: nothing to run');
    result = await runImageUpdate(
      { targets, dryRun: config.dryRun, ...(config.grouping ? { grouping: config.grouping } : {}) },
      { registry, workDir: config.workDir, gitOptions: e2eUpdateGitOptions(config), log, signer: signing.signerFor, ...(config.commitVia === 'api' ? { commitWriter: github.commitWriter } : {}) },
    );
  } finally {
    client.close();
  }
  // Outputs and summary; a failed repository (or a policy error with fail-on-policy-error) fails the step.
  await writeE2eUpdateOutputs(result, config);
}
