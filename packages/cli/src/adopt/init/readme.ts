/**
 * The README.md `d2 init` writes: what the repository holds and what to create on GitHub (or GitLab, with
 * --forge gitlab) before the first run.
 */
import type { InitPlan } from './plan.js';

export function readme(plan: InitPlan): string {
  if (plan.forge === 'gitlab') return gitlabReadme(plan);
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

/** The README of a GitLab repository: the project settings, tokens and schedule the pipeline needs, the identities. */
function gitlabReadme(plan: InitPlan): string {
  const { owner, registry, repos } = plan;
  const name = repos[plan.kind];
  const fleet = plan.kind === 'fleet';
  const releaseTags = fleet ? '`v*`' : '`*` (the tags are `<component>/<version>`)';
  const identities = `## The identities

Fulcio gives every job of a gitlab.com pipeline the certificate identity
\`https://gitlab.com/<group>/<project>//.gitlab-ci.yml@<git ref>\` (issuer \`https://gitlab.com\`): the project, this
pipeline file and the ref, not the job. The fleet's clusters accept (\`clusters/*/flux-system/runtime-info.yaml\`):

| cluster | tag | signed by |
|---|---|---|
| staging (and the update cluster) | \`latest\` | \`https://gitlab.com/${owner}/<project>//.gitlab-ci.yml@refs/heads/main\` |
| production, components | \`latest-stable\` | \`https://gitlab.com/${owner}/${repos.apps}//.gitlab-ci.yml@refs/tags/<component>/<version>\` (and ${repos.infra}) |
| production, fleet | \`latest-stable\` | \`https://gitlab.com/${owner}/${repos.fleet}//.gitlab-ci.yml@refs/tags/v<version>\` |

So whoever can run a pipeline on \`main\` or create a tag decides what the clusters run: the protections below are the
security boundary. Keep \`.gitlab-ci.yml\` at the root (Settings > CI/CD > General pipelines, "CI/CD configuration
file") and the jobs' \`rules:\`: another file or another ref is another identity, which the clusters reject.
`;
  const common = `## On GitLab, before the first run

- Create the project \`${owner}/${name}\` (gitlab.com; the group path is part of the identities, spelled as GitLab
  spells it) and push this directory to its \`main\` branch, the default branch; then protect it.
- **Protected branch \`main\`** (Settings > Repository > Protected branches): allowed to push "No one", allowed to merge
  Maintainers; merge request approvals if your plan has them. Every pipeline of \`main\` signs what the staging clusters
  run.
- **Protected tags** (Settings > Repository > Protected tags): ${releaseTags}, allowed to create Maintainers. A
  tag pipeline signs what the production clusters run.
- **Environment \`production\`**: the release job deploys to it. Protect it (Settings > CI/CD > Protected
  environments) to require an approval before a release (GitLab Premium). The identity does not depend on it.
- **Container registry**: keep it enabled (Settings > General > Visibility). The jobs push to
  \`oci://${registry}/${name}${fleet ? '' : '/<component>'}\` (\`$CI_REGISTRY_IMAGE\`) with the job token: nothing to
  create.
- **Keyless signing**: the components declare the ID token \`SIGSTORE_ID_TOKEN\` (\`aud: sigstore\`): no key to keep.
  The public Sigstore accepts gitlab.com only (self-managed instances: a private Sigstore, see the suite's
  docs/gitlab.md).
- **CI/CD variable \`GITLAB_TOKEN\`**, masked and protected: a group access token of \`${owner}\` (Settings > Access
  tokens; role Developer, scopes \`write_repository\` and \`api\`), sent as user \`oauth2\`. The job token cannot push
  commits nor open merge requests. Simplest as one group variable (group \`${owner}\`, Settings > CI/CD > Variables) for
  the three projects: the fleet's e2e-update pushes with it to the \`image-updates\` branch of ${repos.apps} and
  ${repos.infra} (\`write_repository\`), their image-updates-mr job opens the merge request with it (\`api\`).
`;
  if (fleet) {
    return `# ${name}

The fleet of the D2 gitless-GitOps architecture for the GitLab group \`${owner}\`, written by
\`d2 init fleet --forge gitlab\`: which clusters exist, which Flux they run and which tenants (the components of
\`${repos.apps}\` and \`${repos.infra}\`) they get. Clusters reconcile it from a signed OCI artifact,
\`oci://${registry}/${name}\`, not from git.

| path | what |
|---|---|
| \`clusters/staging/\` | follows the \`latest\` tags, signed by the pipelines of \`main\` |
| \`clusters/production/\` | follows \`latest-stable\`, signed by tag pipelines |
| \`clusters/*/flux-system/runtime-info.yaml\` | the tag and the git ref of the signing pipeline each cluster accepts |
| \`clusters/update/\` | the image update automation the \`e2e-update\` job runs (no cluster needed) |
| \`tenants/\` | one ResourceSet per project: a namespace, an OCIRepository (verified) and a Kustomization per component |
| \`.gitlab-ci.yml\` | \`push-artifact\` on \`main\` (\`:latest\`), \`release-artifact\` on a \`v<version>\` tag (\`:<version>\`, \`:latest-stable\`), \`e2e-update\` when scheduled |

${identities}
${common}- **Pipeline schedule** on \`main\` (Build > Pipeline schedules), e.g. \`0 8 * * 1\`: it runs \`e2e-update\`, which
  commits new image and chart versions to the \`image-updates\` branch of ${repos.apps} and ${repos.infra}.

## Bootstrap a cluster

Install the Flux Operator (Helm chart \`oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator\`), create the pull
secret \`gitlab-registry-auth\` in \`flux-system\` (a \`docker-registry\` secret for \`registry.gitlab.com\` with a
group deploy token of \`${owner}\` with the scope \`read_registry\`, Settings > Repository > Deploy tokens), then apply
\`clusters/<cluster>/flux-system/flux-instance.yaml\`. From then on the cluster manages itself from
\`oci://${registry}/${name}\`. (Running \`clusters/update\` in a cluster instead of the e2e-update job needs the secret
\`gitlab-auth\` in the apps and infra namespaces: username \`oauth2\`, password a token with \`write_repository\`.)

## Day to day

- A component change merged in ${repos.apps} or ${repos.infra} reaches staging (\`latest\`).
- \`git tag <component>/v1.2.3 && git push --tags\` there releases it to production (\`latest-stable\`).
- A change here: merge to \`main\` (staging), then \`git tag v1.2.3 && git push --tags\` (production).
- New tenant: add a component in ${repos.apps}/${repos.infra}, then its name to \`tenants/apps.yaml\` or
  \`tenants/infra.yaml\` here.
`;
  }
  const example = plan.kind === 'apps' ? 'frontend' : 'cert-manager';
  const layout = plan.kind === 'apps' ? '`base/`, `staging/`, `production/`' : '`controllers/base/`, `controllers/staging/`, `controllers/production/`';
  return `# ${name}

${plan.kind === 'apps' ? 'Applications' : 'Cluster add-ons'} of the D2 gitless-GitOps architecture for the GitLab group \`${owner}\`, written by
\`d2 init ${plan.kind} --forge gitlab\`. Each directory under \`components/\` is a component, published as the signed OCI
artifact \`oci://${registry}/${name}/<component>\` and delivered by the fleet (\`${owner}/${repos.fleet}\`,
\`tenants/${plan.kind}.yaml\`).

| path | what |
|---|---|
| \`components/${example}/\` | the example component: ${layout} (one overlay per environment) |
| \`update-policies/\` | ImageRepository + ImagePolicy per updated image; the \`$imagepolicy\` setter markers in \`components/\` name them |
| \`.gitlab-ci.yml\` | \`push-artifact\` on \`main\`: every component as \`:latest\`, signed (staging); \`release-artifact\` on a \`<component>/<version>\` tag: \`:<version>\` and \`:latest-stable\`, signed (production); \`image-updates-mr\` on the \`image-updates\` branch |

${identities}
${common}- **Protected branch \`image-updates\`**: allowed to push Developers + Maintainers (the fleet's token pushes it), so
  that the protected \`GITLAB_TOKEN\` reaches its pipelines, whose \`image-updates-mr\` job opens, refreshes or closes
  the merge request to \`main\`.

## Day to day

- Change a component and merge: staging gets it.
- \`git tag ${example}/v1.0.0 && git push --tags\`: production gets it.
- A new component: \`components/<name>/\` with the same overlays, and its name in the fleet's \`tenants/${plan.kind}.yaml\`.
`;
}
