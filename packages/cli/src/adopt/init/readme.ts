/** The README.md `d2 init` writes: what the repository holds and what to create on GitHub before the first run. */
import type { InitPlan } from './plan.js';

export function readme(plan: InitPlan): string {
  const { owner, registry, repos } = plan;
  const name = repos[plan.kind];
  const common = `## On GitHub, before the first run

- Create the repository \`${owner}/${name}\` (private or public) and push this directory to its \`main\` branch.
- **Branch protection** (a ruleset on \`main\`): require a pull request and the workflows' checks. Everything on
  \`main\` is signed and reaches the staging clusters.
- **Tag protection** (a ruleset on tags): only maintainers may create or move release tags. A release tag is what the
  production clusters trust.
- **Environment \`production\`**: the release workflow runs in it. Add required reviewers and restrict it to
  tags, so a release waits for approval. The signing identity does not depend on the environment.
- **Packages**: the workflows push to \`oci://${registry}/…\` with the workflow token (\`packages: write\`). If a
  package existed before, grant this repository write access to it (package settings, "Manage Actions access").
- The workflows sign keylessly with GitHub's OIDC token (\`id-token: write\`): nothing to create, no key to keep.
`;
  if (plan.kind === 'fleet') {
    return `# ${name}

The fleet of the D2 gitless-GitOps architecture for \`${owner}\`, written by \`d2 init fleet\`: which clusters exist,
which Flux they run and which tenants (the components of \`${repos.apps}\` and \`${repos.infra}\`) they get. Clusters
reconcile it from a signed OCI artifact, \`oci://${registry}/${name}\`, not from git.

| path | what |
|---|---|
| \`clusters/staging/\` | follows the \`latest\` tags, signed by the \`push-artifact.yaml\` workflows at \`refs/heads/main\` |
| \`clusters/production/\` | follows \`latest-stable\`, signed by the \`release-artifact.yaml\` workflows at a release tag |
| \`clusters/*/flux-system/runtime-info.yaml\` | the tag and signing identity (workflow, git ref) each cluster accepts |
| \`clusters/update/\` | the image update automation the \`e2e-update\` workflow runs (no cluster needed) |
| \`tenants/\` | one ResourceSet per repository: a namespace, an OCIRepository (verified) and a Kustomization per component |
| \`.github/workflows/push-artifact.yaml\` | pushes this repository on \`main\` as \`:latest\`, signed |
| \`.github/workflows/release-artifact.yaml\` | a \`v<version>\` tag pushes \`:<version>\` and \`:latest-stable\`, signed |
| \`.github/workflows/e2e-update.yaml\` | weekly: new image and chart versions to the \`image-updates\` branch of ${repos.apps} and ${repos.infra} |

The identities are part of the contract: \`push-artifact.yaml\` and \`release-artifact.yaml\` are the file names, and
\`main\` / tags the refs, that the clusters' \`matchOIDCIdentity\` expressions accept. Rename a workflow and the clusters
stop accepting its artifacts.

${common}
- **Secret \`GH_UPDATE_TOKEN\`** (repository secret): a fine-grained token or GitHub App token with *contents: write*
  on \`${owner}/${repos.apps}\` and \`${owner}/${repos.infra}\`. Pushes made with \`GITHUB_TOKEN\` would not start
  their image-updates workflow.

## Bootstrap a cluster

Install the Flux Operator (Helm chart \`oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator\`), create the pull
secret \`ghcr-auth\` in \`flux-system\` (a \`docker-registry\` secret for \`ghcr.io\` with a token of a bot account that
has \`read:packages\`), then apply \`clusters/<cluster>/flux-system/flux-instance.yaml\`. From then on the cluster
manages itself from \`oci://${registry}/${name}\`.

## Day to day

- A component change merged in ${repos.apps} or ${repos.infra} reaches staging (\`latest\`).
- \`git tag <component>/v1.2.3 && git push --tags\` there releases it to production (\`latest-stable\`).
- A change here: merge to \`main\` (staging), then \`git tag v1.2.3\` (production).
- New tenant: add a component in ${repos.apps}/${repos.infra}, then its name to \`tenants/apps.yaml\` or
  \`tenants/infra.yaml\` here.
`;
  }
  const example = plan.kind === 'apps' ? 'frontend' : 'cert-manager';
  const layout = plan.kind === 'apps' ? '`base/`, `staging/`, `production/`' : '`controllers/base/`, `controllers/staging/`, `controllers/production/`';
  return `# ${name}

${plan.kind === 'apps' ? 'Applications' : 'Cluster add-ons'} of the D2 gitless-GitOps architecture for \`${owner}\`, written by \`d2 init ${plan.kind}\`.
Each directory under \`components/\` is a component, published as the signed OCI artifact
\`oci://${registry}/${name}/<component>\` and delivered by the fleet (\`${owner}/${repos.fleet}\`, \`tenants/${plan.kind}.yaml\`).

| path | what |
|---|---|
| \`components/${example}/\` | the example component: ${layout} (one overlay per environment) |
| \`update-policies/\` | ImageRepository + ImagePolicy per updated image; the \`$imagepolicy\` setter markers in \`components/\` name them |
| \`.github/workflows/push-artifact.yaml\` | on \`main\`: every component as \`:latest\`, signed (staging) |
| \`.github/workflows/release-artifact.yaml\` | a \`<component>/<version>\` tag: \`:<version>\` and \`:latest-stable\`, signed (production) |
| \`.github/workflows/image-updates.yaml\` | opens or refreshes the pull request from \`image-updates\` (written by the fleet's e2e-update) |

Keep the workflow file names and triggers: the fleet's clusters accept artifacts signed by \`push-artifact.yaml\` at
\`refs/heads/main\` (staging) and \`release-artifact.yaml\` at a tag (production).

${common}- Allow the fleet's \`GH_UPDATE_TOKEN\` to push the \`image-updates\` branch (exclude it from the \`main\` ruleset).
- Optional: a GitHub App token for the image-updates workflow (input \`token\`), so the checks of the pull request run
  without approval.

## Day to day

- Change a component and merge: staging gets it.
- \`git tag ${example}/v1.0.0 && git push --tags\`: production gets it.
- A new component: \`components/<name>/\` with the same overlays, and its name in the fleet's \`tenants/${plan.kind}.yaml\`.
`;
}
