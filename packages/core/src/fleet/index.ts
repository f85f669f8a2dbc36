/**
 * The Flux objects of a D2 fleet repository that `d2 init fleet` writes and the sandbox's demo fleet carries
 * (packages/sandbox/src/d2-repos.ts): the clusters' FluxInstance, the update cluster's ResourceSet and its commit
 * message template, and the ImagePolicy of an update policy. Text in, YAML text out; no imports, so the CLI's init
 * chunk and the sandbox both take it without loading anything else (docs/architecture.md "CLI start-up").
 */

/** Indents every non-empty line of `text` by `spaces` spaces (a block scalar's or a nested object's lines). */
export function indentLines(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text.split('\n').map((l) => (l === '' ? l : pad + l)).join('\n');
}

/** The commit message template of the D2 update cluster (docs/image-automation.md "Commit messages"). */
export const D2_COMMIT_TEMPLATE = `Automated image update

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $changes := .Changed.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
  Changes:
{{- range $_, $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}
{{ end -}}
{{ end -}}
`;

export interface FluxInstanceOptions {
  /** The Flux controllers the cluster runs. */
  components: readonly string[];
  /** Lines added under spec.cluster after tenantDefaultServiceAccount, indented by four spaces; '' for none. */
  clusterExtra: string;
  /** The fleet artifact the cluster syncs: `oci://` URL, tag and the cluster's path in it. */
  url: string;
  tag: string;
  path: string;
  pullSecret: string;
  /** Comment above pullSecret (how the secret comes to be), if any. */
  pullSecretNote?: string;
  /** Comment above the verify patch (who signs what the cluster applies), if any. */
  verifyNote?: string;
  /** matchOIDCIdentity of the fleet artifact: issuer and subject regular expressions. */
  issuer: string;
  subject: string;
  /** Indentation of the verify value in the patch's block scalar: 14 (default) or more, YAML reads either alike. */
  verifyIndent?: number;
}

/**
 * The FluxInstance of a cluster: multi-tenant, synced from the fleet's OCI artifact, whose OCIRepository is patched
 * to accept only the artifacts signed keylessly by `issuer` and `subject`.
 */
export function fluxInstance(o: FluxInstanceOptions): string {
  return `apiVersion: fluxcd.controlplane.io/v1
kind: FluxInstance
metadata:
  name: flux
  namespace: flux-system
spec:
  distribution:
    version: "2.x"
    registry: "ghcr.io/fluxcd"
  components:
${o.components.map((c) => `    - ${c}`).join('\n')}
  cluster:
    type: kubernetes
    multitenant: true
    tenantDefaultServiceAccount: flux
${o.clusterExtra}  sync:
    kind: OCIRepository
    url: "${o.url}"
    ref: "${o.tag}"
    path: "${o.path}"
${o.pullSecretNote === undefined ? '' : `    # ${o.pullSecretNote}\n`}    pullSecret: "${o.pullSecret}"
  kustomize:
    patches:
${o.verifyNote === undefined ? '' : `      # ${o.verifyNote}\n`}      - target:
          kind: OCIRepository
          name: flux-system
        patch: |
          - op: add
            path: /spec/verify
            value:
${indentLines(`provider: cosign\nmatchOIDCIdentity:\n  - issuer: ${o.issuer}\n    subject: ${o.subject}`, o.verifyIndent ?? 14)}
`;
}

export interface UpdateAutomationOptions {
  /** Comment lines before spec.inputs, indented by two spaces; '' for none. */
  inputsNote: string;
  /** One input per repository the automation updates: its namespace, git URL and the branch it pushes to. */
  repositories: ReadonlyArray<{ namespace: string; url: string; pushBranch: string }>;
  /** The Secret with the git credentials of the GitRepositories. */
  gitSecret: string;
  /** Commit author of the updates. */
  author: { email: string; name: string };
}

/**
 * The update cluster's ResourceSet: per repository a namespace with the runtime info, the GitRepository, the
 * Kustomization of its update-policies/ and the ImageUpdateAutomation (setters under ./components, committed with
 * {@link D2_COMMIT_TEMPLATE} and pushed to the input's pushBranch).
 */
export function updateAutomation(o: UpdateAutomationOptions): string {
  return `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: image-update-automation
  namespace: flux-system
spec:
${o.inputsNote}  inputs:
${o.repositories.map((r) => `    - namespace: "${r.namespace}"\n      repository: "${r.url}"\n      pushBranch: "${r.pushBranch}"`).join('\n')}
  resources:
    - apiVersion: v1
      kind: Namespace
      metadata:
        name: << inputs.namespace >>
    - apiVersion: v1
      kind: ConfigMap
      metadata:
        name: flux-runtime-info
        namespace: << inputs.namespace >>
        annotations:
          fluxcd.controlplane.io/copyFrom: "flux-system/flux-runtime-info"
    - apiVersion: source.toolkit.fluxcd.io/v1
      kind: GitRepository
      metadata:
        name: << inputs.namespace >>
        namespace: << inputs.namespace >>
      spec:
        interval: 10m
        ref:
          branch: main
        secretRef:
          name: ${o.gitSecret}
        url: << inputs.repository >>
    - apiVersion: kustomize.toolkit.fluxcd.io/v1
      kind: Kustomization
      metadata:
        name: << inputs.namespace >>
        namespace: << inputs.namespace >>
      spec:
        targetNamespace: << inputs.namespace >>
        interval: 30m
        sourceRef:
          kind: GitRepository
          name: << inputs.namespace >>
        path: "./update-policies"
        prune: true
        postBuild:
          substituteFrom:
            - kind: ConfigMap
              name: flux-runtime-info
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageUpdateAutomation
      metadata:
        name: << inputs.namespace >>
        namespace: << inputs.namespace >>
      spec:
        interval: 30m
        sourceRef:
          kind: GitRepository
          name: << inputs.namespace >>
        git:
          checkout:
            ref:
              branch: main
          commit:
            author:
              email: ${o.author.email}
              name: ${o.author.name}
            messageTemplate: |
${indentLines(D2_COMMIT_TEMPLATE, 14)}
          push:
            branch: << inputs.pushBranch >>
        update:
          path: "./components"
          strategy: Setters
`;
}

/** The ImagePolicy `name` of an update policy: the newest tag of ImageRepository `name` within the semver `range`. */
export function semverImagePolicy(name: string, range: string): string {
  return `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImagePolicy
metadata:
  name: ${name}
spec:
  imageRepositoryRef:
    name: ${name}
  policy:
    semver:
      range: "${range}"
`;
}
