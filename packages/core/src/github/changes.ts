/**
 * The change table of an image-updates PR: one row per changed value (file, object, old → new, policy).
 *
 * Sources, in order of preference:
 *  1. e2e-update's `changes` output (JSON array of {repository, file, object, setter, old, new});
 *  2. the commits' messages in the D2 template format (docs/image-automation.md, "Commit messages": "Files:\n- f\nObjects:\n- Kind name\n
 *     Changes:\n    - a -> b"), consecutive updates of one value collapsed (a → b, b → c gives a → c);
 *  3. the `$imagepolicy`-marked lines of the branch diff (compare API files[].patch; docs/image-automation.md, "Setters").
 * Rows from (2) take file and policy from (3) when the new value matches, since the message lists files and objects separately.
 */
import { mdCode, mdText } from '../util/index.js';

/** One row of the change table: what the PR flow knows of a changed value, from whichever source above had it. */
export interface ChangeTableRow {
  file?: string;
  /** "Kind name" as the D2 template prints it. */
  object?: string;
  old: string;
  new: string;
  /** The marker's setter name, e.g. apps:podinfo:tag. */
  policy?: string;
}

/** The shape of e2e-update's `changes` output items, read leniently (image-automation's `AppliedChange`). */
export interface E2eChange {
  repository?: string;
  file?: string;
  object?: string;
  setter?: string;
  old?: string;
  new?: string;
  /** With e2e-update's group-by: the change group and the branch it was committed to. */
  group?: string;
  branch?: string;
}

/** Parses one commit message in the D2 template format; [] when it is not one. */
export function parseFluxMessage(message: string): ChangeTableRow[] {
  const lines = message.replace(/\r\n/g, '\n').split('\n');
  let mode: 'none' | 'files' | 'objects' = 'none';
  const files: string[] = [];
  const rows: ChangeTableRow[] = [];
  let object: string | undefined;
  let sawObjects = false;
  for (const line of lines) {
    if (/^Files:\s*$/.test(line)) {
      mode = 'files';
      continue;
    }
    if (/^Objects:\s*$/.test(line)) {
      mode = 'objects';
      sawObjects = true;
      continue;
    }
    if (mode === 'files') {
      const f = /^- (.+?)\s*$/.exec(line);
      if (f) files.push(f[1]);
      else if (line.trim() !== '') mode = 'none';
      continue;
    }
    if (mode === 'objects') {
      const obj = /^-(?: (.*))?$/.exec(line);
      if (obj) {
        object = (obj[1] ?? '').trim();
        continue;
      }
      const change = /^\s+- (.*?) -> (.*?)\s*$/.exec(line);
      if (change) {
        rows.push({ ...(object ? { object } : {}), old: change[1], new: change[2] });
        continue;
      }
      if (/^\s+Changes:\s*$/.test(line) || line.trim() === '') continue;
      mode = 'none';
    }
  }
  if (!sawObjects) return [];
  // The template lists files apart from objects: a file is known only when there is one.
  if (files.length === 1) for (const r of rows) r.file = files[0];
  return rows;
}

interface Marked {
  policy: string;
  value: string;
}

/** The `$imagepolicy` marker and the scalar value on one YAML line, or undefined. */
export function parseMarkedLine(line: string): Marked | undefined {
  if (!line.includes('$imagepolicy')) return undefined;
  const hash = line.search(/\s#\s*\{/);
  if (hash < 0) return undefined;
  let setter: unknown;
  try {
    setter = (JSON.parse(line.slice(line.indexOf('#', hash) + 1).trim()) as Record<string, unknown>)['$imagepolicy'];
  } catch {
    return undefined;
  }
  if (typeof setter !== 'string') return undefined;
  const before = line.slice(0, hash).trim();
  const m = /^(?:-\s+)?(?:[^\s:][^:]*:\s+)?(.*)$/.exec(before.replace(/^-\s*$/, ''));
  let value = (m?.[1] ?? before).trim();
  if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
  return { policy: setter, value };
}

/** Rows from the `$imagepolicy`-marked lines of unified-diff hunks, pairing removed and added lines per policy. */
export function changesFromPatch(file: string, patch: string): ChangeTableRow[] {
  const rows: ChangeTableRow[] = [];
  const flush = (removed: Marked[], added: Marked[]): void => {
    for (const a of added) {
      const i = removed.findIndex((r) => r.policy === a.policy);
      const old = i >= 0 ? removed.splice(i, 1)[0].value : '';
      if (old !== a.value) rows.push({ file, old, new: a.value, policy: a.policy });
    }
  };
  let removed: Marked[] = [];
  let added: Marked[] = [];
  for (const line of patch.split('\n')) {
    if (line.startsWith('@@')) {
      flush(removed, added);
      removed = [];
      added = [];
      continue;
    }
    if (line.startsWith('-') && !line.startsWith('---')) {
      const m = parseMarkedLine(line.slice(1));
      if (m) removed.push(m);
    } else if (line.startsWith('+') && !line.startsWith('+++')) {
      const m = parseMarkedLine(line.slice(1));
      if (m) added.push(m);
    }
  }
  flush(removed, added);
  return rows;
}

/** Collapses chains (a → b then b → c for the same object/file/policy) into a → c, keeping first-seen order. */
export function collapseChains(rows: ChangeTableRow[]): ChangeTableRow[] {
  const out: ChangeTableRow[] = [];
  for (const r of rows) {
    const prev = out.find((o) => o.new === r.old && (o.object ?? '') === (r.object ?? '') && (!o.file || !r.file || o.file === r.file));
    if (prev) {
      prev.new = r.new;
      prev.file ??= r.file;
      prev.policy ??= r.policy;
    } else out.push({ ...r });
  }
  return out.filter((r) => r.old !== r.new);
}

function sameRepository(a: string, b: string): boolean {
  const norm = (s: string): string => s.toLowerCase().replace(/\.git$/, '').replace(/\/+$/, '').split('/').slice(-2).join('/');
  return norm(a) === norm(b);
}

/** Rows from e2e-update's `changes` output, keeping those for `repository` (or without one). */
export function changesFromE2e(items: E2eChange[], repository?: string): ChangeTableRow[] {
  return items
    .filter((c) => !repository || !c.repository || sameRepository(c.repository, repository))
    .map((c) => ({
      ...(c.file ? { file: c.file } : {}),
      ...(c.object ? { object: c.object } : {}),
      old: c.old ?? '',
      new: c.new ?? '',
      ...(c.setter ? { policy: c.setter } : {}),
    }));
}

/** The change rows for a branch: messages first (enriched from the diff), else the diff. */
export function buildChangeRows(messages: string[], files: { filename: string; patch?: string }[]): ChangeTableRow[] {
  const fromDiff = files.flatMap((f) => (f.patch ? changesFromPatch(f.filename, f.patch) : []));
  const fromMessages = collapseChains(messages.flatMap(parseFluxMessage));
  if (fromMessages.length === 0) return fromDiff;
  const used = new Set<number>();
  for (const r of fromMessages) {
    const i = fromDiff.findIndex((d, k) => !used.has(k) && d.new === r.new && (!r.file || d.file === r.file));
    if (i < 0) continue;
    used.add(i);
    r.file ??= fromDiff[i].file;
    r.policy ??= fromDiff[i].policy;
  }
  return fromMessages;
}

/** Values come from commit messages, diffs or e2e-update's output: shown literally, never as Markdown or HTML. */
function cell(s: string | undefined): string {
  return s ? mdCode(s, { inTable: true }) : '';
}

/** A Markdown table (file, object, old → new, policy); '' when there are no rows. */
export function renderChangeTable(rows: ChangeTableRow[], maxRows = 200): string {
  if (rows.length === 0) return '';
  const lines = ['| File | Object | Change | Policy |', '| --- | --- | --- | --- |'];
  for (const r of rows.slice(0, maxRows)) {
    const object = r.object ? mdText(r.object) : '';
    lines.push(`| ${cell(r.file)} | ${object} | ${r.old ? cell(r.old) : '_(none)_'} → ${cell(r.new)} | ${cell(r.policy)} |`);
  }
  if (rows.length > maxRows) lines.push(`\n_…and ${rows.length - maxRows} more changes._`);
  return lines.join('\n');
}
