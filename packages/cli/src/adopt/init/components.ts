/**
 * The example component and its update policy that `d2 init apps` and `d2 init infra` write: a Helm chart from an
 * OCI repository whose version carries a Flux setter marker ({"$imagepolicy": "<namespace>:<policy>:tag"}); the
 * namespace is the one the fleet's clusters/update ResourceSet gives the repository (apps or infra), so the fleet's
 * e2e-update workflow updates it. Overlays per environment (staging, production) as the fleet's tenants expect.
 */
import { semverImagePolicy } from '@d2/core/fleet';
import type { InitPlan } from './plan.js';

export type FileTree = Record<string, string>;

/** The chart each example component installs: its OCI repository, the version written and the update policy's range. */
export const EXAMPLE_CHARTS = {
  podinfo: { repository: 'ghcr.io/stefanprodan/charts/podinfo', version: '6.14.0', range: '>=6.0.0' },
  certManager: { repository: 'quay.io/jetstack/charts/cert-manager', version: 'v1.20.2', range: '>=1.0.0' },
} as const;

const kustomization = (resources: string[], patches?: string) =>
  `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${resources.map((r) => `  - ${r}`).join('\n')}
${patches ?? ''}`;

function policy(name: string, image: string, range: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata:
  name: ${name}
spec:
  image: "${image}"
  interval: 12h
  provider: generic
---
${semverImagePolicy(name, range)}`;
}

function valuesPatch(release: string, values: string): string {
  return `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: ${release}
spec:
  values:
${values}
`;
}

const helmPatch = (file: string) => `patches:
  - path: ${file}
    target:
      kind: HelmRelease
`;

/**
 * The OCIRepository of an example component's chart: its Helm layer, at the version behind the setter marker of
 * `marker` (`<namespace>:<policy>:tag`), which `comment` (indented lines) explains.
 */
function chartSource(name: string, chart: { repository: string; version: string }, comment: string, marker: string): string {
  return `apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata:
  name: ${name}
spec:
  interval: 1h
  url: oci://${chart.repository}
  layerSelector:
    mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
    operation: copy
  ref:
${comment}
    tag: ${chart.version} # {"$imagepolicy": "${marker}"}
`;
}

/** The HelmReleases' install and upgrade strategy: a failed attempt is retried, with no remediation (rollback, uninstall). */
const RETRY_ON_FAILURE = `  install:
    strategy:
      name: RetryOnFailure
  upgrade:
    strategy:
      name: RetryOnFailure
`;

/** How the comments name the update run and its proposal on each forge. */
const words = (plan: InitPlan) => (plan.forge === 'gitlab' ? { job: 'job', pr: 'merge request' } : { job: 'workflow', pr: 'pull request' });

/** d2-apps: components/frontend (podinfo) and update-policies/frontend-podinfo.yaml. */
export function appsFiles(plan: InitPlan): FileTree {
  const { job, pr } = words(plan);
  const chart = EXAMPLE_CHARTS.podinfo;
  return {
    'components/frontend/base/kustomization.yaml': kustomization(['podinfo.yaml']),
    'components/frontend/base/podinfo.yaml': `${chartSource(
      'podinfo-chart',
      chart,
      `    # The setter marker: the fleet's e2e-update ${job} writes the version ImagePolicy apps/frontend-podinfo
    # elects (update-policies/frontend-podinfo.yaml) and opens a ${pr}.`,
      'apps:frontend-podinfo:tag',
    )}---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
spec:
  releaseName: podinfo
  chartRef:
    kind: OCIRepository
    name: podinfo-chart
  interval: 1h
  timeout: 10m
  driftDetection:
    mode: enabled
${RETRY_ON_FAILURE}  values:
    ingress:
      enabled: true
      hosts:
        - host: podinfo.\${CLUSTER_DOMAIN}
          paths:
            - path: /
              pathType: ImplementationSpecific
`,
    'components/frontend/staging/kustomization.yaml': kustomization(['../base'], helmPatch('podinfo-values.yaml')),
    'components/frontend/staging/podinfo-values.yaml': valuesPatch('podinfo', '    replicaCount: 1'),
    'components/frontend/production/kustomization.yaml': kustomization(['../base'], helmPatch('podinfo-values.yaml')),
    'components/frontend/production/podinfo-values.yaml': valuesPatch('podinfo', '    replicaCount: 2'),
    'update-policies/frontend-podinfo.yaml': policy('frontend-podinfo', chart.repository, chart.range),
  };
}

/** d2-infra: components/cert-manager (controllers per environment) and update-policies/cert-manager.yaml. */
export function infraFiles(plan: InitPlan): FileTree {
  const { job, pr } = words(plan);
  const chart = EXAMPLE_CHARTS.certManager;
  return {
    'components/cert-manager/controllers/base/kustomization.yaml': kustomization(['cert-manager.yaml']),
    'components/cert-manager/controllers/base/cert-manager.yaml': `${chartSource(
      'cert-manager-chart',
      chart,
      `    # The setter marker: the fleet's e2e-update ${job} writes the version ImagePolicy infra/cert-manager elects
    # (update-policies/cert-manager.yaml) and opens a ${pr}.`,
      'infra:cert-manager:tag',
    )}---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: cert-manager
spec:
  interval: 1h
  releaseName: cert-manager
  chartRef:
    kind: OCIRepository
    name: cert-manager-chart
${RETRY_ON_FAILURE}  values:
    crds:
      enabled: true
      keep: false
`,
    'components/cert-manager/controllers/staging/kustomization.yaml': kustomization(['../base']),
    'components/cert-manager/controllers/production/kustomization.yaml': kustomization(['../base'], helmPatch('cert-manager-values.yaml')),
    'components/cert-manager/controllers/production/cert-manager-values.yaml': valuesPatch('cert-manager', '    replicaCount: 2'),
    'update-policies/cert-manager.yaml': policy('cert-manager', chart.repository, chart.range),
  };
}
