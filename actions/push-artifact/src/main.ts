import { Inputs, readPushArtifactInputs, runAction, wireActionPublish } from '@d2/core/action';
import { resolveTargets } from '@d2/core/publish';

/**
 * push-artifact: package each component as a Flux OCI artifact, skip unchanged content, push by digest, sign, verify,
 * then move the tags (docs/security.md, "Ordering guarantees"). Input-compatible with controlplaneio-fluxcd/distribution/actions/push.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const config = readPushArtifactInputs(new Inputs(), env);
    const { common } = config;
    const targets = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components: config.components, repository: config.repository, path: config.path, build: common.build });
    const wiring = await wireActionPublish(targets.map((t) => t.repository), common, env);
    // The builder and the publishing steps are imported once the inputs are valid (docs/architecture.md, "Action start-up").
    const { publish } = await import('./publish.js');
    await publish(config, targets, wiring);
  });
}
