/**
 * The d2-fleet repository `d2 init fleet` writes: clusters/{staging,production,update} and tenants/ (the layout of
 * D2's reference fleet, docs/adopt.md "What d2 init writes"). The signature each cluster accepts follows from the
 * workflows in workflows.ts:
 *   staging     tag latest,        push-artifact.yaml    at refs/heads/main
 *   production  tag latest-stable, release-artifact.yaml at refs/tags/… (components: <component>/<version>; fleet: v<version>)
 * runtime-info.yaml carries the workflow name and ref (ARTIFACT_SUBJECT_WORKFLOW, ARTIFACT_SUBJECT_GIT_REF, a regular
 * expression) into the tenants' ResourceSets, which build each OCIRepository's matchOIDCIdentity from them.
 * On GitLab (--forge gitlab) every job of a project signs as its .gitlab-ci.yml at the pipeline's ref
 * (`https://gitlab.com/<group>/<project>//.gitlab-ci.yml@<ref>`, pipelines.ts): the same refs tell staging from
 * production, runtime-info carries ARTIFACT_SUBJECT_GIT_REF only, the artifacts live in registry.gitlab.com and the update
 * cluster's GitRepositories are the gitlab.com projects.
 */
import { fluxInstance, updateAutomation } from '@d2/core/fleet';
import { GITHUB_ISSUER_REGEXP, GITLAB_ISSUER_REGEXP, quoteMeta } from '../suite.js';
import type { InitPlan } from './plan.js';

export type FileTree = Record<string, string>;

interface Cluster {
  name: 'staging' | 'production';
  tag: string;
  workflow: string;
  /** Regular expression of the git refs whose signatures the cluster accepts, for the components. */
  componentRefs: string;
  /** The same for the fleet artifact itself. */
  fleetRefs: string;
}

const CLUSTERS: Cluster[] = [
  { name: 'staging', tag: 'latest', workflow: 'push-artifact', componentRefs: 'refs/heads/main', fleetRefs: 'refs/heads/main' },
  { name: 'production', tag: 'latest-stable', workflow: 'release-artifact', componentRefs: 'refs/tags/.*', fleetRefs: 'refs/tags/v.*' },
];

/** The matchOIDCIdentity subject of `repo`'s `workflow` (file name without .yaml) at refs matching `refsRegexp`. */
export function subjectRegexp(owner: string, repo: string, workflow: string, refsRegexp: string): string {
  return `^${quoteMeta(`https://github.com/${owner}/${repo}/.github/workflows/${workflow}.yaml`)}@${refsRegexp}$`;
}

/** The matchOIDCIdentity subject of the pipelines of gitlab.com project `<group>/<repo>` at refs matching `refsRegexp`. */
export function gitlabSubjectRegexp(group: string, repo: string, refsRegexp: string): string {
  return `^${quoteMeta(`https://gitlab.com/${group}/${repo}//.gitlab-ci.yml`)}@${refsRegexp}$`;
}

/** What differs between the GitHub and the GitLab fleet: issuer, subjects, secrets, git URLs. */
interface Flavour {
  issuer: string;
  /** Subject of the fleet's own artifact for a cluster. */
  fleetSubject(c: Cluster): string;
  /** runtime-info data that names the signer of the components a cluster accepts. */
  subjectData(c: Cluster): Record<string, string>;
  /** The tenants' OCIRepository subject, from the ResourceSet's inputs. */
  tenantSubject(repo: string): string;
  /** ResourceSet inputs per tenant that carry the subject (from runtime-info). */
  tenantInputs: string;
  pullSecret: string;
  pullSecretNote: string;
  signerNote: string;
  gitUrl(repo: string): string;
  gitSecret: string;
  botEmail: string;
}

function flavour(plan: InitPlan): Flavour {
  if (plan.forge === 'gitlab') {
    return {
      issuer: GITLAB_ISSUER_REGEXP,
      fleetSubject: (c) => gitlabSubjectRegexp(plan.owner, plan.repos.fleet, c.fleetRefs),
      subjectData: (c) => ({ ARTIFACT_SUBJECT_GIT_REF: c.componentRefs }),
      tenantSubject: (repo) => `^${quoteMeta(`https://gitlab.com/${plan.owner}/${repo}//.gitlab-ci.yml`)}@<< inputs.artifactSubjectGitRef >>$`,
      tenantInputs: `      artifactSubjectGitRef: "\${ARTIFACT_SUBJECT_GIT_REF}"`,
      pullSecret: 'gitlab-registry-auth',
      pullSecretNote: 'a GitLab deploy token with read_registry',
      signerNote: "the fleet's own pipeline (keyless, GitLab CI ID token)",
      gitUrl: (repo) => `https://gitlab.com/${plan.owner}/${repo}.git`,
      gitSecret: 'gitlab-auth',
      botEmail: 'd2-bot@users.noreply.gitlab.com',
    };
  }
  return {
    issuer: GITHUB_ISSUER_REGEXP,
    fleetSubject: (c) => subjectRegexp(plan.owner, plan.repos.fleet, c.workflow, c.fleetRefs),
    subjectData: (c) => ({ ARTIFACT_SUBJECT_WORKFLOW: c.workflow, ARTIFACT_SUBJECT_GIT_REF: c.componentRefs }),
    tenantSubject: (repo) => `^${quoteMeta(`https://github.com/${plan.owner}/${repo}/.github/workflows/`)}<< inputs.artifactSubjectWorkflow >>\\.yaml@<< inputs.artifactSubjectGitRef >>$`,
    tenantInputs: `      artifactSubjectWorkflow: "\${ARTIFACT_SUBJECT_WORKFLOW}"
      artifactSubjectGitRef: "\${ARTIFACT_SUBJECT_GIT_REF}"`,
    pullSecret: 'ghcr-auth',
    pullSecretNote: 'a registry token with read access to the packages',
    signerNote: "the fleet's own workflow (keyless, GitHub Actions OIDC)",
    gitUrl: (repo) => `https://github.com/${plan.owner}/${repo}.git`,
    gitSecret: 'github-auth',
    botEmail: 'd2-bot@users.noreply.github.com',
  };
}

function clusterInstance(plan: InitPlan, cluster: string, tag: string, subject: string, components: string[]): string {
  const f = flavour(plan);
  return fluxInstance({
    components,
    clusterExtra: '    networkPolicy: true\n    domain: "cluster.local"\n',
    url: `oci://${plan.registry}/${plan.repos.fleet}`,
    tag,
    path: `clusters/${cluster}`,
    pullSecret: f.pullSecret,
    pullSecretNote: `Created at bootstrap: ${f.pullSecretNote} (README.md, "Bootstrap a cluster").`,
    verifyNote: `The cluster applies only artifacts signed by ${f.signerNote}.`,
    issuer: f.issuer,
    subject,
  });
}

const fluxOperator = `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: flux-operator
  namespace: flux-system
spec:
  # After bootstrap, Flux manages the Flux Operator's own Helm release.
  dependsOn:
    - apiVersion: apiextensions.k8s.io/v1
      kind: CustomResourceDefinition
      name: helmreleases.helm.toolkit.fluxcd.io
  resources:
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: flux-operator
        namespace: flux-system
      spec:
        interval: 10m
        url: oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator
        ref:
          semver: "*"
        verify:
          provider: cosign
          matchOIDCIdentity:
            - issuer: ${GITHUB_ISSUER_REGEXP}
              subject: ^https://github\\.com/controlplaneio-fluxcd/charts/\\.github/workflows/release\\.yml@refs/tags/v\\d+\\.\\d+\\.\\d+$
    - apiVersion: helm.toolkit.fluxcd.io/v2
      kind: HelmRelease
      metadata:
        name: flux-operator
        namespace: flux-system
      spec:
        interval: 30m
        releaseName: flux-operator
        serviceAccountName: flux-operator
        chartRef:
          kind: OCIRepository
          name: flux-operator
        values:
          multitenancy:
            enabled: true
            defaultServiceAccount: flux-operator
`;

function runtimeInfo(data: Record<string, string>): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: flux-runtime-info
  namespace: flux-system
  labels:
    toolkit.fluxcd.io/runtime: "true"
    reconcile.fluxcd.io/watch: Enabled
  annotations:
    kustomize.toolkit.fluxcd.io/ssa: "Merge"
data:
${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}
`;
}

const tenantsKustomization = `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: tenants
  namespace: flux-system
spec:
  serviceAccountName: flux-operator
  interval: 12h
  retryInterval: 3m
  path: ./tenants
  prune: true
  sourceRef:
    kind: OCIRepository
    name: flux-system
  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: flux-runtime-info
`;

interface TenantRepo {
  name: string;
  repo: string;
  tenants: string[];
  /** Kustomizations per tenant: name and path inside the component's artifact. */
  kustomizations: Array<{ name: string; path: string; dependsOn?: string }>;
  /** ClusterRole bound to the tenant's service account (infra installs cluster-wide add-ons). */
  role: 'admin' | 'cluster-admin';
}

function tenantResourceSet(plan: InitPlan, t: TenantRepo): string {
  const f = flavour(plan);
  const subject = f.tenantSubject(t.repo);
  const binding =
    t.role === 'admin'
      ? `    - apiVersion: rbac.authorization.k8s.io/v1
      kind: RoleBinding
      metadata:
        name: flux
        namespace: << inputs.tenant >>
      roleRef:
        apiGroup: rbac.authorization.k8s.io
        kind: ClusterRole
        name: admin
      subjects:
        - kind: ServiceAccount
          name: flux
          namespace: << inputs.tenant >>`
      : `    - apiVersion: rbac.authorization.k8s.io/v1
      kind: ClusterRoleBinding
      metadata:
        name: flux-${t.name}-<< inputs.tenant >>
      roleRef:
        apiGroup: rbac.authorization.k8s.io
        kind: ClusterRole
        name: cluster-admin
      subjects:
        - kind: ServiceAccount
          name: flux
          namespace: << inputs.tenant >>`;
  const kustomizations = t.kustomizations
    .map(
      (k) => `    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: ${k.name}
        namespace: << inputs.tenant >>
      spec:${k.dependsOn ? `\n        dependsOn:\n          - name: ${k.dependsOn}` : ''}
        targetNamespace: << inputs.tenant >>
        serviceAccountName: flux
        interval: 30m
        retryInterval: 5m
        wait: true
        timeout: 5m
        sourceRef:
          kind: OCIRepository
          name: ${t.name}
        path: "${k.path}"
        prune: true
        postBuild:
          substituteFrom:
            - kind: ConfigMap
              name: flux-runtime-info`,
    )
    .join('\n');
  return `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: ${t.name}
  namespace: flux-system
  annotations:
    fluxcd.controlplane.io/reconcileEvery: "5m"
spec:
  # One input per component of ${t.repo} (components/<name>/, published as oci://${plan.registry}/${t.repo}/<name>):
  # add one here when you add a component there.
  inputs:
${t.tenants
  .map(
    (name) => `    - tenant: "${name}"
      tag: "\${ARTIFACT_TAG}"
      environment: "\${ENVIRONMENT}"
${f.tenantInputs}`,
  )
  .join('\n')}
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata:
        name: << inputs.tenant >>
        labels:
          toolkit.fluxcd.io/role: "tenant"
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: flux-runtime-info
        namespace: << inputs.tenant >>
        annotations:
          fluxcd.controlplane.io/copyFrom: "flux-system/flux-runtime-info"
        labels:
          reconcile.fluxcd.io/watch: Enabled
    - apiVersion: v1
      kind: Secret
      metadata:
        name: ${f.pullSecret}
        namespace: << inputs.tenant >>
        annotations:
          fluxcd.controlplane.io/copyFrom: "flux-system/${f.pullSecret}"
      type: kubernetes.io/dockerconfigjson
    - apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: flux
        namespace: << inputs.tenant >>
      imagePullSecrets:
        - name: ${f.pullSecret}
${binding}
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: ${t.name}
        namespace: << inputs.tenant >>
      spec:
        interval: 5m
        serviceAccountName: flux
        url: "oci://${plan.registry}/${t.repo}/<< inputs.tenant >>"
        ref:
          tag: << inputs.tag >>
        verify:
          provider: cosign
          matchOIDCIdentity:
            - issuer: ${f.issuer}
              subject: ${subject}
${kustomizations}
`;
}

function automation(plan: InitPlan): string {
  const f = flavour(plan);
  return updateAutomation({
    inputsNote: `  # The repositories whose update-policies/ and $imagepolicy markers the e2e-update workflow applies; the new
  # versions are committed to pushBranch, and the repository's image-updates workflow opens the pull request.
`,
    repositories: [
      { namespace: 'apps', url: f.gitUrl(plan.repos.apps), pushBranch: 'image-updates' },
      { namespace: 'infra', url: f.gitUrl(plan.repos.infra), pushBranch: 'image-updates' },
    ],
    gitSecret: f.gitSecret,
    author: { email: f.botEmail, name: 'd2-bot' },
  });
}

export function fleetFiles(plan: InitPlan): FileTree {
  const f = flavour(plan);
  const files: FileTree = {};
  const controllers = ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'];
  for (const c of CLUSTERS) {
    const dir = `clusters/${c.name}`;
    files[`${dir}/flux-system/flux-instance.yaml`] = clusterInstance(plan, c.name, c.tag, f.fleetSubject(c), controllers);
    files[`${dir}/flux-system/flux-operator.yaml`] = fluxOperator;
    files[`${dir}/flux-system/runtime-info.yaml`] = runtimeInfo({
      ARTIFACT_TAG: c.tag,
      ENVIRONMENT: c.name,
      CLUSTER_NAME: `${c.name}-1`,
      CLUSTER_DOMAIN: `${c.name}.example.com`,
      ...f.subjectData(c),
    });
    files[`${dir}/tenants.yaml`] = tenantsKustomization;
  }
  const staging = CLUSTERS[0];
  files['clusters/update/flux-system/flux-instance.yaml'] = clusterInstance(
    plan,
    'update',
    staging.tag,
    f.fleetSubject(staging),
    ['source-controller', 'kustomize-controller', 'image-reflector-controller', 'image-automation-controller'],
  );
  files['clusters/update/flux-system/runtime-info.yaml'] = runtimeInfo({ ARTIFACT_TAG: staging.tag, ENVIRONMENT: 'staging', CLUSTER_NAME: 'update-1' });
  files['clusters/update/automation.yaml'] = automation(plan);
  files['tenants/apps.yaml'] = tenantResourceSet(plan, {
    name: 'apps',
    repo: plan.repos.apps,
    tenants: ['frontend'],
    kustomizations: [{ name: 'apps', path: './<< inputs.environment >>' }],
    role: 'admin',
  });
  files['tenants/infra.yaml'] = tenantResourceSet(plan, {
    name: 'infra',
    repo: plan.repos.infra,
    tenants: ['cert-manager'],
    kustomizations: [{ name: 'infra-controllers', path: './controllers/<< inputs.environment >>' }],
    role: 'cluster-admin',
  });
  return files;
}
