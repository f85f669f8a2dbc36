import { Inputs, readReleaseArtifactInputs, runAction, wireActionPublish } from '@d2/core/action';
import { resolveTargets } from '@d2/core/publish';

/**
 * release-artifact: promote a component (or the whole fleet repository) from a `<component>/<version>` tag:
 * build exactly as push-artifact, push by digest, sign, then move the version tag and the stable tag (actions/release-artifact/README.md).
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Inputs: everything here and resolveTargets is validation; nothing has been built or sent yet.
    const env = process.env;
    const config = readReleaseArtifactInputs(new Inputs(), env);
    const { common } = config;
    const components = config.plan.release.component ? [config.plan.release.component] : [];
    const [target] = await resolveTargets({ workspace: env.GITHUB_WORKSPACE || process.cwd(), components, repository: config.repository, path: config.path, build: common.build });
    const wiring = await wireActionPublish([target.repository], common, env);
    // The builder and the publishing steps are imported once the inputs are valid (docs/architecture.md, "Action start-up").
    const { release } = await import('./release.js');
    await release(config, target, wiring);
  });
}
