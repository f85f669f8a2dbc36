/**
 * The GitHub workflows `d2 init` writes (docs/adopt.md "What d2 init writes"). Their file names and triggers are the
 * signing identities the fleet's clusters verify: push-artifact.yaml at refs/heads/main (staging, tag `latest`) and
 * release-artifact.yaml at a release tag (production, tag `latest-stable`). fleet.ts writes the matching
 * matchOIDCIdentity expressions and runtime-info.
 */
import { usesOf, type Suite } from '../suite.js';
import type { InitPlan } from './plan.js';

const identityNote = (plan: InitPlan, file: string, ref: string, clusters: string) =>
  `# Signs keylessly as
#   https://github.com/${plan.owner}/${plan.repos[plan.kind]}/.github/workflows/${file}@${ref}
# the identity the ${clusters} clusters verify (clusters/*/flux-system/runtime-info.yaml in the fleet repository).
# Renaming this file or changing its trigger changes the identity: update the fleet at the same time.`;

/** image-updates.yaml of d2-apps / d2-infra: opens, refreshes or closes the PR from image-updates to main. */
export function imageUpdatesWorkflow(suite: Suite): string {
  return `name: image-updates
# Opens, refreshes or closes the pull request from the image-updates branch (written by the fleet's e2e-update
# workflow) to main.
on:
  create:
  push:
    branches: [image-updates]
  workflow_dispatch:
permissions:
  contents: read
jobs:
  pr:
    if: github.event_name != 'create' || github.ref_name == 'image-updates'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: ${usesOf(suite, 'image-updates-pr')}
`;
}

/** The publishing job's permissions and first step: push to ghcr.io and sign keylessly as this workflow. */
const SIGNING_JOB = `    permissions:
      contents: read
      packages: write # push to ghcr.io with the workflow token
      id-token: write # keyless signature with this workflow's identity
    steps:
      - uses: actions/checkout@v5`;

/**
 * push-artifact.yaml: each commit to main is pushed with tag `latest` (staging); `inputs` are the action's `with:`
 * lines, the only part in which the components' and the fleet's workflows differ.
 */
function pushWorkflow(suite: Suite, plan: InitPlan, inputs: string): string {
  return `name: push-artifact
${identityNote(plan, 'push-artifact.yaml', 'refs/heads/main', 'staging')}
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
jobs:
  push:
    # A manual run on another branch would sign with that branch's identity, which staging rejects.
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
${SIGNING_JOB}
      - uses: ${usesOf(suite, 'push-artifact')}
        with:
${inputs}
`;
}

/**
 * release-artifact.yaml: a release tag matching `tags` (signed at `ref`, the identity production verifies) moves
 * `<version>` and `latest-stable`; `inputs` are the action's `with:` block, if any.
 */
function releaseWorkflow(suite: Suite, plan: InitPlan, ref: string, tags: string, inputs: string): string {
  return `name: release-artifact
${identityNote(plan, 'release-artifact.yaml', ref, 'production')}
on:
  push:
    tags: ['${tags}']
permissions:
  contents: read
concurrency:
  group: release-\${{ github.repository }}
  cancel-in-progress: false
jobs:
  release:
    runs-on: ubuntu-latest
    environment: production
${SIGNING_JOB}
      - uses: ${usesOf(suite, 'release-artifact')}
${inputs}`;
}

/** push-artifact.yaml of d2-apps / d2-infra: every component on each commit to main, tag `latest` (staging). */
export function componentsPushWorkflow(suite: Suite, plan: InitPlan): string {
  return pushWorkflow(suite, plan, `          components: '*'
          diff-tag: latest`);
}

/** release-artifact.yaml of d2-apps / d2-infra: a `<component>/<version>` tag moves `<version>` and `latest-stable`. */
export function componentsReleaseWorkflow(suite: Suite, plan: InitPlan): string {
  return releaseWorkflow(suite, plan, 'refs/tags/<component>/<version>', '**', '');
}

/** push-artifact.yaml of d2-fleet: the whole repository on each commit to main, tag `latest` (staging clusters). */
export function fleetPushWorkflow(suite: Suite, plan: InitPlan): string {
  return pushWorkflow(suite, plan, `          repository: ${plan.registry}/${plan.repos.fleet}
          path: '.'
          diff-tag: latest`);
}

/** release-artifact.yaml of d2-fleet: a `v<version>` tag moves `<version>` and `latest-stable` (production clusters). */
export function fleetReleaseWorkflow(suite: Suite, plan: InitPlan): string {
  return releaseWorkflow(suite, plan, 'refs/tags/v<version>', 'v*', `        with:
          mode: fleet
          repository: ${plan.registry}/${plan.repos.fleet}
`);
}

/** e2e-update.yaml of d2-fleet: the image update automation of clusters/update, committing to image-updates. */
export function fleetUpdateWorkflow(suite: Suite): string {
  return `name: e2e-update
# Runs the image update automation described by clusters/update (its ResourceSet lists the apps and infra
# repositories) and commits the new versions to their image-updates branch; their image-updates workflow opens the PR.
on:
  schedule:
    - cron: '0 8 * * 1'
  workflow_dispatch:
permissions:
  contents: read
jobs:
  image-update:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: actions/checkout@v5
      - uses: ${usesOf(suite, 'e2e-update')}
        with:
          automation: clusters/update
          # Contents write on the apps and infra repositories (a PAT or GitHub App token: pushes made with
          # GITHUB_TOKEN do not start their image-updates workflow).
          token: \${{ secrets.GH_UPDATE_TOKEN }}
`;
}
