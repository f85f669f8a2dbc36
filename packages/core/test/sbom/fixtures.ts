/**
 * A component written for these tests that uses every way a manifest can name what it deploys (docs/sbom.md, "What is
 * listed"), the reference repositories' location, and the two schema validators.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { repoRoot } from '@d2/sandbox/paths';
import { spdx23Schema } from './spdx-schema.js';

export const DIGEST_A = `sha256:${'a'.repeat(64)}`;
export const DIGEST_B = `sha256:${'b'.repeat(64)}`;
export const DIGEST_C = `sha256:${'c'.repeat(64)}`;
export const DIGEST_D = `sha256:${'d'.repeat(64)}`;

/** ControlPlane's D2 repositories (third-party data, read in place: ../shared next to the repository). */
export const REFERENCE_REPOS = join(repoRoot(), '..', 'shared', 'vectors', 'd2-reference-repos');

export const KITCHEN_SINK: Record<string, string> = {
  'kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [apps.yaml, sources.yaml]
images:
  - name: busybox
    newTag: 1.37.0
  - name: ghcr.io/acme/web
    newName: ghcr.io/acme/web-hardened
    digest: ${DIGEST_C}
`,
  'apps.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: busybox:1.36.1
      containers:
        - name: app
          image: ghcr.io/acme/web:2.3.4@${DIGEST_A}
        - name: sidecar
          image: "registry.example.com:5000/tools/proxy:\${PROXY_VERSION}"
        - name: unset
          image: ~
        - name: unset-too
          image: null
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: backup
              image: docker.io/library/redis:7.4.1
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: debug}
    spec:
      containers:
        - name: debug
          image: quay.io/prometheus/busybox@${DIGEST_B}
`,
  'sources.yaml': `apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: charts}
spec: {type: oci, url: "oci://ghcr.io/stefanprodan/charts"}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: stable}
spec: {url: "https://charts.example.com/stable"}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  chart:
    spec: {chart: podinfo, version: 6.5.0, sourceRef: {kind: HelmRepository, name: charts}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: nginx}
spec:
  chart:
    spec: {chart: nginx, version: "15.0.2", sourceRef: {kind: HelmRepository, name: stable}}
  values:
    image: {registry: docker.io, repository: bitnami/nginx, tag: 1.25.3}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmChart
metadata: {name: certs}
spec: {chart: cert-manager, version: v1.14.0, sourceRef: {kind: HelmRepository, name: charts}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: app-manifests}
spec: {url: "oci://ghcr.io/acme/manifests/app", ref: {digest: "${DIGEST_D}"}}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: api-chart}
spec: {url: "oci://ghcr.io/acme/charts/api", ref: {tag: "1.0.0"}}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: api}
spec:
  chartRef: {kind: OCIRepository, name: api-chart}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: OCIRepository
metadata: {name: ranged}
spec: {url: "oci://ghcr.io/acme/manifests/ranged", ref: {semver: ">=1.0.0"}}
---
apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageRepository
metadata: {name: scanned-not-deployed}
spec: {image: ghcr.io/acme/should-not-appear}
`,
  'chart/templates/deployment.yaml': `{{- if .Values.enabled }}
kind: Deployment
{{- end }}
`,
  'README.md': '# not a manifest\n',
};

export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** CycloneDX 1.6 JSON schema validation, by the library's own validator (its bundled schemas, ajv). */
export async function cyclonedxErrors(doc: unknown): Promise<unknown> {
  const { Validation, Spec } = await import('@cyclonedx/cyclonedx-library');
  return new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(JSON.stringify(doc));
}

let spdxValidate: ((doc: unknown) => boolean) & { errors?: unknown } | undefined;

/** SPDX 2.3 JSON schema validation (the schema from spdx-schema.ts). Returns null when valid. */
export function spdxErrors(doc: unknown): unknown {
  if (!spdxValidate) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    spdxValidate = ajv.compile(spdx23Schema());
  }
  return spdxValidate(doc) ? null : spdxValidate.errors;
}
