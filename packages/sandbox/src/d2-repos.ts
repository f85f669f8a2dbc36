/**
 * D2-shaped repositories written for this project (not copied from the ControlPlane repositories): a fleet with
 * clusters/{staging,production,update} and tenants/, an infra repository with two components and update policies,
 * and an apps repository with two components whose image references carry Flux setter markers in kyaml form.
 * Used by `d2 demo` and by the end-to-end tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { GITHUB_ACTIONS_ISSUER } from '@d2/core/base';
import { D2_COMMIT_TEMPLATE, fluxInstance, semverImagePolicy, updateAutomation } from '@d2/core/fleet';
import { dirname, join } from 'node:path';

export interface D2RepoOptions {
  /** GitHub-like owner of the three repositories, e.g. `d2-demo`. */
  owner: string;
  /** Registry host (with port) where artifacts and images live, e.g. `127.0.0.1:5001`. */
  registry: string;
  /** Git URLs of the apps and infra repositories (for the update cluster's ResourceSet inputs). */
  appsGitUrl: string;
  infraGitUrl: string;
  /** Branch the image update automation pushes to. */
  pushBranch?: string;
}

export type FileTree = Record<string, string>;

export function writeTree(dir: string, files: FileTree): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** The commit message template of the D2 update cluster (docs/image-automation.md, "Commit messages"). */
export const D2_MESSAGE_TEMPLATE = D2_COMMIT_TEMPLATE;

function escapeRegex(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** The matchOIDCIdentity issuer of a D2 cluster: GitHub Actions. */
function issuerRegex(): string {
  return `^${escapeRegex(GITHUB_ACTIONS_ISSUER)}$`;
}

/** The matchOIDCIdentity subject of `workflow` (file name) of `owner/repo` at `gitRefRegex` (a regex fragment). */
function subjectRegex(owner: string, repo: string, workflow: string, gitRefRegex: string): string {
  return `^${escapeRegex(`https://github.com/${owner}/${repo}/.github/workflows/${workflow}`)}@${gitRefRegex}$`;
}

export function fleetRepo(o: D2RepoOptions): FileTree {
  const pushBranch = o.pushBranch ?? 'image-updates';
  const instance = (cluster: string, tag: string, workflow: string, gitRef: string) =>
    fluxInstance({
      components: ['source-controller', 'kustomize-controller', 'helm-controller', 'notification-controller'],
      clusterExtra: '',
      url: `oci://${o.registry}/${o.owner}/d2-fleet`,
      tag,
      path: `clusters/${cluster}`,
      pullSecret: 'registry-auth',
      issuer: issuerRegex(),
      subject: subjectRegex(o.owner, 'd2-fleet', workflow, gitRef),
      verifyIndent: 16,
    });
  // ARTIFACT_SUBJECT_GIT_REF is a regex fragment (e.g. refs/tags/.* in production): the tenants quote only the fixed part.
  const runtimeInfo = (env: string, tag: string, workflow: string, gitRef: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: flux-runtime-info
  namespace: flux-system
data:
  ENVIRONMENT: "${env}"
  CLUSTER_DOMAIN: "${env}.example.com"
  ARTIFACT_TAG: "${tag}"
  ARTIFACT_SUBJECT_WORKFLOW: "${workflow}"
  ARTIFACT_SUBJECT_GIT_REF: "${gitRef}"
  REGISTRY: "${o.registry}"
`;
  const tenant = (repo: string, tenants: string[]) => `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: ${repo.replace('d2-', '')}
  namespace: flux-system
spec:
  inputs:
${tenants.map((t) => `    - tenant: "${t}"
      tag: "\${ARTIFACT_TAG}"
      environment: "\${ENVIRONMENT}"
      artifactSubjectWorkflow: "\${ARTIFACT_SUBJECT_WORKFLOW}"
      artifactSubjectGitRef: "\${ARTIFACT_SUBJECT_GIT_REF}"`).join('\n')}
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata:
        name: << inputs.tenant >>
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: OCIRepository
      metadata:
        name: ${repo.replace('d2-', '')}
        namespace: << inputs.tenant >>
      spec:
        interval: 5m
        url: "oci://${o.registry}/${o.owner}/${repo}/<< inputs.tenant >>"
        ref:
          tag: << inputs.tag >>
        verify:
          provider: cosign
          matchOIDCIdentity:
            - issuer: ^<< "https://token.actions.githubusercontent.com" | regexQuoteMeta >>$
              subject: ^<< printf "https://github.com/${o.owner}/${repo}/.github/workflows/%s.yaml@" inputs.artifactSubjectWorkflow | regexQuoteMeta >><< inputs.artifactSubjectGitRef >>$
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: ${repo.replace('d2-', '')}
        namespace: << inputs.tenant >>
      spec:
        targetNamespace: << inputs.tenant >>
        interval: 30m
        sourceRef:
          kind: OCIRepository
          name: ${repo.replace('d2-', '')}
        path: "./<< inputs.environment >>"
        prune: true
        postBuild:
          substituteFrom:
            - kind: ConfigMap
              name: flux-runtime-info
`;
  const automation = updateAutomation({
    inputsNote: '',
    repositories: [
      { namespace: 'apps', url: o.appsGitUrl, pushBranch },
      { namespace: 'infra', url: o.infraGitUrl, pushBranch },
    ],
    gitSecret: 'github-auth',
    author: { email: 'd2-demo-bot@users.noreply.github.com', name: 'd2-demo-bot' },
  });
  return {
    'README.md': `# d2-fleet (demo)\n\nFleet definition for the D2 Actions demo: clusters and tenants.\n`,
    'clusters/staging/flux-system/flux-instance.yaml': instance('staging', 'latest', 'push-artifact.yaml', 'refs/heads/main'),
    'clusters/staging/flux-system/runtime-info.yaml': runtimeInfo('staging', 'latest', 'push-artifact', 'refs/heads/main'),
    'clusters/staging/tenants.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../tenants\n',
    'clusters/production/flux-system/flux-instance.yaml': instance('production', 'latest-stable', 'release-artifact.yaml', 'refs/tags/.*'),
    'clusters/production/flux-system/runtime-info.yaml': runtimeInfo('production', 'latest-stable', 'release-artifact', 'refs/tags/.*'),
    'clusters/production/tenants.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../tenants\n',
    'clusters/update/automation.yaml': automation,
    'clusters/update/flux-system/runtime-info.yaml': runtimeInfo('update', 'latest', 'push-artifact', 'refs/heads/main'),
    'tenants/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - apps.yaml\n  - infra.yaml\n',
    'tenants/apps.yaml': tenant('d2-apps', ['frontend', 'backend']),
    'tenants/infra.yaml': tenant('d2-infra', ['cert-manager', 'monitoring']),
  };
}

/** Initial image versions in the demo (the registry is seeded with these and newer ones). */
export const DEMO_IMAGES = {
  podinfo: { repository: 'charts/podinfo', initial: '6.8.0', newer: ['6.8.1', '6.9.0', '7.0.0-rc.1'], range: '6.x' },
  redis: { repository: 'images/redis', initial: '7.4.1', newer: ['7.4.2', '8.0.0'], range: '~7.4' },
  certManager: { repository: 'charts/cert-manager', initial: 'v1.16.1', newer: ['v1.16.2', 'v1.17.0'], range: '1.x' },
  prometheus: { repository: 'charts/kube-prometheus-stack', initial: '75.0.0', newer: ['75.1.0', '76.0.0'], range: '>=75.0.0 <76.0.0' },
} as const;

function imagePolicy(name: string, image: string, range: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${name}
spec:
  image: ${image}
  interval: 6h
  insecure: true
---
${semverImagePolicy(name, range)}`;
}

export function appsRepo(o: D2RepoOptions): FileTree {
  const reg = '${REGISTRY}';
  const img = DEMO_IMAGES;
  const overlay = (env: string, component: string) => `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../base
labels:
  - pairs:
      environment: ${env}
      app.kubernetes.io/part-of: ${component}
`;
  return {
    'README.md': '# d2-apps (demo)\n\nApplication components delivered as Flux OCI artifacts.\n',
    'components/frontend/base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - podinfo.yaml\n',
    'components/frontend/base/podinfo.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: podinfo-chart
spec:
  interval: 1h
  url: oci://${o.registry}/${img.podinfo.repository}
  ref:
    semver: ${img.podinfo.initial} # {"$imagepolicy": "apps:frontend-podinfo:tag"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  releaseName: podinfo
  chartRef:
    kind: OCIRepository
    name: podinfo-chart
  interval: 50m
  # Default values
  values:
    ingress:
      enabled: true
      hosts:
        - host: podinfo.\${CLUSTER_DOMAIN}
`,
    'components/frontend/staging/kustomization.yaml': overlay('staging', 'frontend'),
    'components/frontend/production/kustomization.yaml': overlay('production', 'frontend'),
    'components/backend/base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - redis.yaml\n',
    'components/backend/base/redis.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: redis
spec:
  replicas: 1
  selector:
    matchLabels:
      app: redis
  template:
    metadata:
      labels:
        app: redis
    spec:
      containers:
        - name: redis
          image: ${o.registry}/${img.redis.repository}:${img.redis.initial} # {"$imagepolicy": "apps:backend-redis"}
          ports:
            - containerPort: 6379
`,
    'components/backend/staging/kustomization.yaml': overlay('staging', 'backend'),
    'components/backend/production/kustomization.yaml': overlay('production', 'backend'),
    'update-policies/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - frontend-podinfo.yaml\n  - backend-redis.yaml\n',
    'update-policies/frontend-podinfo.yaml': imagePolicy('frontend-podinfo', `${reg}/${img.podinfo.repository}`, img.podinfo.range),
    'update-policies/backend-redis.yaml': imagePolicy('backend-redis', `${reg}/${img.redis.repository}`, img.redis.range),
  };
}

export function infraRepo(o: D2RepoOptions): FileTree {
  const reg = '${REGISTRY}';
  const img = DEMO_IMAGES;
  const helm = (name: string, chart: string, version: string, marker: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: ${name}
spec:
  interval: 24h
  url: oci://${o.registry}/${chart}
  ref:
    semver: "${version}" # {"$imagepolicy": "${marker}"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${name}
spec:
  interval: 12h
  chartRef:
    kind: OCIRepository
    name: ${name}
`;
  return {
    'README.md': '# d2-infra (demo)\n\nCluster add-ons delivered as Flux OCI artifacts.\n',
    'components/cert-manager/controllers/base/cert-manager.yaml': helm('cert-manager', img.certManager.repository, img.certManager.initial, 'infra:cert-manager:tag'),
    'components/cert-manager/staging/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../controllers/base/cert-manager.yaml\n',
    'components/monitoring/controllers/base/kube-prometheus-stack.yaml': helm('kube-prometheus-stack', img.prometheus.repository, img.prometheus.initial, 'infra:kube-prometheus-stack:tag'),
    'components/monitoring/staging/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../controllers/base/kube-prometheus-stack.yaml\n',
    'update-policies/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cert-manager.yaml\n  - kube-prometheus-stack.yaml\n',
    'update-policies/cert-manager.yaml': imagePolicy('cert-manager', `${reg}/${img.certManager.repository}`, img.certManager.range),
    'update-policies/kube-prometheus-stack.yaml': imagePolicy('kube-prometheus-stack', `${reg}/${img.prometheus.repository}`, img.prometheus.range),
  };
}

/** The workflows a D2 repository would run (documentation of what the demo executes, validated by the tests). */
export function appsWorkflows(owner: string): FileTree {
  void owner;
  return {
    '.github/workflows/push-artifact.yaml': `name: push-artifact
on:
  push:
    branches: [main]
  workflow_dispatch:
jobs:
  push:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
      id-token: write
    steps:
      - uses: actions/checkout@v5
      - uses: your-org/d2-actions/actions/push-artifact@v1
        with:
          components: '*'
          diff-tag: latest
`,
    '.github/workflows/release-artifact.yaml': `name: release-artifact
on:
  push:
    tags: ['**']
jobs:
  release:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
      id-token: write
    steps:
      - uses: actions/checkout@v5
      - uses: your-org/d2-actions/actions/release-artifact@v1
`,
    '.github/workflows/image-updates.yaml': `name: image-updates
on:
  create:
  push:
    branches: [image-updates]
  workflow_dispatch:
jobs:
  pr:
    if: github.event_name == 'workflow_dispatch' || github.ref_name == 'image-updates'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pull-requests: write
    steps:
      - uses: your-org/d2-actions/actions/image-updates-pr@v1
`,
  };
}
