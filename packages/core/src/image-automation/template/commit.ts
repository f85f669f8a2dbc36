/**
 * Flux's commit message: Go text/template + hermetic sprig over IAC's TemplateData (docs/image-automation.md,
 * "Commit messages"). The rendered text is the commit message verbatim (git strips nothing).
 */
import type { Change, ObjectIdentifier, UpdateResult } from '../setters/types.js';
import { TemplateError } from './errors.js';
import { Template } from './exec.js';
import { sprigFuncs } from './sprig.js';
import { GO_FORMAT, GO_STRING, GO_TYPE } from './values.js';

/** IAC's default `messageTemplate` (no trailing newline). */
export const DEFAULT_COMMIT_TEMPLATE = 'Update from image update automation';

export interface CommitTemplateInput {
  /** The ImageUpdateAutomation (types.NamespacedName). */
  automation: { namespace: string; name: string };
  /** `spec.git.commit.messageTemplateValues`. */
  values?: Record<string, string>;
  result: UpdateResult;
}

/** IAC ObjectIdentifier{yaml.ResourceIdentifier{TypeMeta{APIVersion, Kind}, NameMeta{Name, Namespace}}}. */
function objectIdentifier(o: ObjectIdentifier): Record<string | symbol, unknown> {
  const v: Record<string | symbol, unknown> = { APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace };
  Object.defineProperty(v, GO_FORMAT, { value: () => `{{{${o.APIVersion} ${o.Kind}} {${o.Name} ${o.Namespace}}}}`, enumerable: false });
  Object.defineProperty(v, GO_TYPE, { value: 'update.ObjectIdentifier', enumerable: false });
  return v;
}

function change(c: Change): Record<string | symbol, unknown> {
  const v: Record<string | symbol, unknown> = { OldValue: c.OldValue, NewValue: c.NewValue, Setter: c.Setter };
  Object.defineProperty(v, GO_TYPE, { value: 'update.Change', enumerable: false });
  return v;
}

/**
 * The template data. Where Flux iterates Go maps at random (the order of an object's changes across files in
 * `.Changed.Objects`, the order of `.Changed.Changes`), the order is files by path, then objects by identifier,
 * then discovery order (Flux iterates Go maps at random; docs/image-automation.md).
 */
export function commitTemplateData(input: CommitTemplateInput): Record<string, unknown> {
  const { result } = input;
  const automation: Record<string | symbol, unknown> = { Namespace: input.automation.namespace, Name: input.automation.name };
  Object.defineProperty(automation, GO_STRING, { value: () => `${input.automation.namespace}/${input.automation.name}`, enumerable: false });
  Object.defineProperty(automation, GO_TYPE, { value: 'types.NamespacedName', enumerable: false });

  const fileChanges = new Map<string, Map<unknown, unknown>>();
  for (const [file, objs] of result.fileChanges) {
    fileChanges.set(file, new Map(objs.map((oc) => [objectIdentifier(oc.object), oc.changes.map(change)])));
  }
  const changed: Record<string | symbol, unknown> = {
    FileChanges: fileChanges,
    Changes: () => result.changes().map(change),
    Objects: () => new Map(result.objects().map((oc) => [objectIdentifier(oc.object), oc.changes.map(change)])),
  };
  // Go type names as IAC declares them, so that evaluation errors read like Flux's (`... in type update.Result`).
  Object.defineProperty(changed, GO_TYPE, { value: 'update.Result', enumerable: false });
  const data: Record<string | symbol, unknown> = {
    AutomationObject: automation,
    Changed: changed,
    Values: new Map(Object.entries(input.values ?? {})),
  };
  Object.defineProperty(data, GO_TYPE, { value: 'source.TemplateData', enumerable: false });
  return data as Record<string, unknown>;
}

/**
 * Fields image-automation-controller removed from the template data. A template that still evaluates one fails with
 * Flux's own message; like IAC, the evaluation error is recognised by its text (field and receiver type).
 */
const REMOVED_FIELDS: ReadonlyArray<{ evaluation: string; message: string }> = [
  {
    evaluation: "can't evaluate field Updated in type source.TemplateData",
    message: "template uses removed '.Updated' field. Please use '.Changed' instead.",
  },
  {
    evaluation: "can't evaluate field ImageResult in type update.Result",
    message: "template uses removed '.Changed.ImageResult' field. Please use '.Changed.FileChanges' or '.Changed.Objects' instead.",
  },
];

/**
 * Renders `template` (default Flux's) with hermetic sprig over the automation's data. A removed field fails with
 * TemplateError code `TEMPLATE_REMOVED_FIELD` and Flux's message; any other error is the Go-style parse/exec error.
 */
export function renderCommitMessage(template: string | undefined, input: CommitTemplateInput): string {
  const t = new Template(template === undefined || template === '' ? DEFAULT_COMMIT_TEMPLATE : template, sprigFuncs());
  try {
    return t.execute(commitTemplateData(input));
  } catch (err) {
    const removed = err instanceof TemplateError ? REMOVED_FIELDS.find((r) => err.message.includes(r.evaluation)) : undefined;
    if (removed) {
      throw new TemplateError(
        `${removed.message} (${(err as TemplateError).message})`,
        'rewrite spec.git.commit.messageTemplate with .Changed.FileChanges, .Changed.Objects or .Changed.Changes (docs/image-automation.md, "Commit messages")',
        'TEMPLATE_REMOVED_FIELD',
      );
    }
    throw err;
  }
}
