/**
 * Result data of a setters run, shaped like Flux's `update.Result` (IAC internal/update/result.go) so that commit
 * templates see the same fields: FileChanges (paths relative to update.path) → ObjectIdentifier → []Change.
 * docs/image-automation.md, "Setters" and "Commit messages".
 */

/** kyaml ResourceIdentifier as embedded in IAC's ObjectIdentifier: read from the document; empty when absent. */
export interface ObjectIdentifier {
  APIVersion: string;
  Kind: string;
  Name: string;
  Namespace: string;
}

/** One scalar rewrite: unquoted scalar text before and after, and the full setter name (e.g. `apps:podinfo:tag`). */
export interface Change {
  OldValue: string;
  NewValue: string;
  Setter: string;
}

export interface ObjectChanges {
  object: ObjectIdentifier;
  changes: Change[];
}

/** `status.latestRef` of an ImagePolicy: `name` is `spec.image` verbatim, never canonicalised. */
export interface LatestRef {
  name: string;
  tag: string;
  /** `sha256:…`, or empty/undefined without digest reflection. */
  digest?: string;
}

/** What the setters need from an elected ImagePolicy. */
export interface PolicySetterSource {
  namespace: string;
  name: string;
  latestRef?: LatestRef;
}

export function objectKey(o: ObjectIdentifier): string {
  return JSON.stringify([o.APIVersion, o.Kind, o.Name, o.Namespace]);
}

/** Go's sort order for ObjectIdentifier map keys (fmtsort: struct fields in order, strings by bytes). */
export function compareObjects(a: ObjectIdentifier, b: ObjectIdentifier): number {
  return (
    compareUtf8(a.APIVersion, b.APIVersion) ||
    compareUtf8(a.Kind, b.Kind) ||
    compareUtf8(a.Name, b.Name) ||
    compareUtf8(a.Namespace, b.Namespace)
  );
}

/** Byte-wise (UTF-8) string comparison, as Go's `<` on strings. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * The changes of one run. Discovery order is kept; the derived views (`changes()`, `objects()`) are deterministic
 * where Flux iterates Go maps at random: files sorted by path, objects by identifier, changes in discovery order.
 */
export class UpdateResult {
  private readonly files = new Map<string, Map<string, ObjectChanges>>();

  addChange(file: string, object: ObjectIdentifier, change: Change): void {
    let objs = this.files.get(file);
    if (!objs) this.files.set(file, (objs = new Map()));
    const key = objectKey(object);
    let entry = objs.get(key);
    if (!entry) objs.set(key, (entry = { object: { ...object }, changes: [] }));
    entry.changes.push({ ...change });
  }

  get empty(): boolean {
    return this.files.size === 0;
  }

  /** File path (relative to update.path, `/`-separated) → its objects, in discovery order. */
  get fileChanges(): Map<string, ObjectChanges[]> {
    const out = new Map<string, ObjectChanges[]>();
    for (const [f, objs] of this.files) out.set(f, [...objs.values()]);
    return out;
  }

  /** Files in sorted order (Go `range` order). */
  sortedFiles(): string[] {
    return [...this.files.keys()].sort(compareUtf8);
  }

  /** Objects merged across files (IAC `Result.Objects`), sorted by identifier; per object, files in path order. */
  objects(): ObjectChanges[] {
    const merged = new Map<string, ObjectChanges>();
    for (const f of this.sortedFiles()) {
      for (const oc of this.files.get(f)?.values() ?? []) {
        const key = objectKey(oc.object);
        const entry = merged.get(key);
        if (entry) entry.changes.push(...oc.changes);
        else merged.set(key, { object: { ...oc.object }, changes: [...oc.changes] });
      }
    }
    return [...merged.values()].sort((a, b) => compareObjects(a.object, b.object));
  }

  /** All changes without duplicate {Old, New, Setter} triples (IAC `Result.Changes`), in the order of `objects()` per file. */
  changes(): Change[] {
    const seen = new Set<string>();
    const out: Change[] = [];
    for (const f of this.sortedFiles()) {
      const objs = [...(this.files.get(f)?.values() ?? [])].sort((a, b) => compareObjects(a.object, b.object));
      for (const oc of objs) {
        for (const c of oc.changes) {
          const k = JSON.stringify([c.OldValue, c.NewValue, c.Setter]);
          if (seen.has(k)) continue;
          seen.add(k);
          out.push({ ...c });
        }
      }
    }
    return out;
  }

  /** Flat rows for outputs and summaries, in discovery order. */
  rows(): Array<{ file: string; object: ObjectIdentifier; change: Change }> {
    const out: Array<{ file: string; object: ObjectIdentifier; change: Change }> = [];
    for (const [file, objs] of this.files) {
      for (const oc of objs.values()) for (const change of oc.changes) out.push({ file, object: oc.object, change });
    }
    return out;
  }
}
