/**
 * The commit-message templates of image-automation-controller's tests (internal/controller and internal/source), shared
 * by the peer tests (flux-peer/) and the template unit tests (template/).
 */

/** testCommitTemplate of imageupdateautomation_controller_test.go. */
export const TEST_COMMIT_TEMPLATE = `Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Changed.Objects -}}
{{ if eq $resource.Kind "Deployment" -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ else -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}
{{ end -}}

Images:
{{ range .Changed.Changes -}}
{{ if .Setter -}}
- {{.NewValue}} ({{.Setter}})
{{ end -}}
{{ end -}}
`;

/**
 * The ResultV2 loop over `.Changed.FileChanges`: one `- File:` per file, its objects, their changes. `withSetter` ends
 * each change with ` ({{ $change.Setter }})`, as the controller test's template does (source_test.go's does not).
 */
export const resultV2Changes = (withSetter: boolean) => `{{ range $filename, $objchange := .Changed.FileChanges -}}
- File: {{ $filename }}
{{- range $obj, $changes := $objchange }}
  - Object: {{ $obj.Kind }}/{{ $obj.Namespace }}/{{ $obj.Name }}
    Changes:
{{- range $_ , $change := $changes }}
    - {{ $change.OldValue }} -> {{ $change.NewValue }}${withSetter ? ' ({{ $change.Setter }})' : ''}
{{ end -}}
{{ end -}}
{{ end -}}
`;

/** testCommitTemplateResultV2: a summary line and the automation, then the ResultV2 loop. */
export const resultV2Template = (withSetter: boolean) => `Commit summary with ResultV2

Automation: {{ .AutomationObject }}

${resultV2Changes(withSetter)}`;

/** A template over the removed `.Updated` field (IAC refuses it: "template uses removed '.Updated' field"). */
export const REMOVED_UPDATED_TEMPLATE = `Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Updated.Files -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Updated.Objects -}}
{{ if eq $resource.Kind "Deployment" -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ else -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}
{{ end -}}

Images:
{{ range .Updated.Images -}}
- {{.}} ({{.Policy.Name}})
{{ end -}}
`;

/** A template over the removed `.Changed.ImageResult` field ("template uses removed '.Changed.ImageResult' field"). */
export const REMOVED_IMAGE_RESULT_TEMPLATE = `Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.ImageResult.Files -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Changed.ImageResult.Objects -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}

Images:
{{ range .Changed.ImageResult.Images -}}
- {{.}} ({{.Policy.Name}})
{{ end -}}
`;
