/**
 * The `.gitlab-ci.yml` `d2 init --forge gitlab` writes (docs/adopt.md "d2 init on GitLab"): the GitLab counterpart of
 * workflows.ts, one pipeline per project that includes this suite's CI/CD components (templates/). On gitlab.com every
 * job of a project signs as `https://gitlab.com/<group>/<project>//.gitlab-ci.yml@<ref>` (Fulcio's identity from the
 * ID token's ci_config_ref_uri claim), so the jobs' `rules:` are the identity: push-artifact runs (and signs) only in
 * pipelines of main (staging, tag `latest`), release-artifact only in tag pipelines (production, `latest-stable`).
 * fleet.ts writes the matching matchOIDCIdentity expressions. Only inputs the components' `spec: inputs:` declare.
 */
import { componentOf, type Suite } from '../suite.js';
import type { InitPlan } from './plan.js';

const header = (plan: InitPlan, releases: string) => {
  const name = plan.repos[plan.kind];
  const width = Math.max('refs/heads/main'.length, releases.length) + 2;
  return `# The pipeline of ${plan.owner}/${name}, written by \`d2 init ${plan.kind} --forge gitlab\`: it includes the CI/CD
# components of the D2 Actions suite. Its jobs sign keylessly with the pipeline's ID token, as
#   https://gitlab.com/${plan.owner}/${name}//.gitlab-ci.yml@<git ref of the pipeline>
# and the fleet's clusters accept (clusters/*/flux-system/runtime-info.yaml in the fleet repository):
#   ${'refs/heads/main'.padEnd(width)}staging clusters, tag latest (push-artifact)
#   ${releases.padEnd(width)}production clusters, tag latest-stable (release-artifact)
# Keep this file's path and these rules: another path, or a job that signs on another ref, is another identity.
`;
};

// Pipelines of main started by a push or by hand ("Run pipeline"); not scheduled ones (the fleet's e2e-update).
const ON_MAIN = `$CI_COMMIT_BRANCH == "main" && ($CI_PIPELINE_SOURCE == "push" || $CI_PIPELINE_SOURCE == "web")`;

const releaseJob = (tagRule: string) => `release-artifact:
  # Protect the environment (Settings > CI/CD > Protected environments) to require an approval before a release.
  environment: production
  rules:
    - if: ${tagRule}
`;

/** .gitlab-ci.yml of d2-apps / d2-infra: push on main, release on `<component>/<version>` tags, the image-updates MR. */
export function componentsPipeline(suite: Suite, plan: InitPlan): string {
  return `${header(plan, 'refs/tags/<component>/<version>')}include:
  # Every component on each pipeline of main: pushed as :latest when its content changed, signed (staging).
  - component: ${componentOf(suite, 'push-artifact')}
    inputs:
      components: '*'
      diff-tag: latest
      tags: latest
  # A <component>/<version> tag (e.g. ${plan.kind === 'apps' ? 'frontend' : 'cert-manager'}/v1.0.0): :<version> and :latest-stable, signed (production).
  - component: ${componentOf(suite, 'release-artifact')}
  # Opens, refreshes or closes the merge request from image-updates (written by the fleet's e2e-update) to main.
  - component: ${componentOf(suite, 'image-updates-mr')}

push-artifact:
  rules:
    - if: ${ON_MAIN}

${releaseJob('$CI_COMMIT_TAG')}
image-updates-mr:
  rules:
    - if: $CI_COMMIT_BRANCH == "image-updates"
`;
}

/** .gitlab-ci.yml of d2-fleet: the whole repository on main and on `v<version>` tags, and the scheduled e2e-update. */
export function fleetPipeline(suite: Suite, plan: InitPlan): string {
  return `${header(plan, 'refs/tags/v<version>')}include:
  # The whole repository on each pipeline of main, as :latest when it changed, signed (staging and update clusters).
  - component: ${componentOf(suite, 'push-artifact')}
    inputs:
      repository: $CI_REGISTRY_IMAGE
      path: '.'
      diff-tag: latest
      tags: latest
  # A v<version> tag: :<version> and :latest-stable, signed (production clusters).
  - component: ${componentOf(suite, 'release-artifact')}
    inputs:
      mode: fleet
      repository: $CI_REGISTRY_IMAGE
  # The image update automation of clusters/update (its ResourceSet lists the apps and infra projects): commits new
  # versions to their image-updates branch with the GITLAB_TOKEN variable; their image-updates-mr job opens the MR.
  - component: ${componentOf(suite, 'e2e-update')}
    inputs:
      automation: clusters/update

push-artifact:
  rules:
    - if: ${ON_MAIN}

${releaseJob('$CI_COMMIT_TAG =~ /^v/')}
e2e-update:
  # A pipeline schedule on main (Build > Pipeline schedules; "Run" starts one by hand).
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
`;
}
