/**
 * Shared by the adopt tests: the d2 CLI run in process and a scratch directory per test file; checks with GitHub's
 * workflow parser, the inputs the suite's actions declare, and the Kubernetes objects of a generated tree (kustomize
 * patches applied, ResourceSets rendered) validated against the Flux CRDs.
 */
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadPolicies, type AutomationTarget } from '@d2/core/image-automation';
import { repoRoot } from '@d2/sandbox/paths';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import type { FileTree, RepoKind } from '../../packages/cli/src/adopt/index.js';
import { SUITE_REPOSITORY } from '../../packages/cli/src/adopt/suite.js';
import { crdErrors, type CrdSchemas } from './crd-schemas.js';

export const root = repoRoot();
/** The D2 reference repositories (third-party data, read in place). */
export const referenceRepos = join(root, '..', 'shared', 'vectors', 'd2-reference-repos');

/** A temporary directory `<prefix>…` for the calling test file, removed after its tests. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The d2 CLI in this process (its commands through runCli), with PATH only: exit code, stdout and stderr. */
export async function d2(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => void (out += s), stderr: (s) => void (err += s), env: { PATH: process.env.PATH } };
  const code = await runCli(commands, args, '0.0.0-test', io);
  return { code, out, err };
}

export function workflowErrors(name: string, content: string): string[] {
  const r = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return r.context.errors.getErrors().map((e) => e.message);
}

/** Inputs each action of the suite declares in its action.yml. */
export function declaredInputs(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const name of readdirSync(join(root, 'actions'))) {
    const doc = parseYaml(readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8')) as { inputs?: Record<string, unknown> };
    out.set(name, new Set(Object.keys(doc.inputs ?? {})));
  }
  return out;
}

export interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Workflow {
  on: unknown;
  permissions?: unknown;
  jobs: Record<string, { steps?: Step[]; permissions?: unknown; [k: string]: unknown }>;
}

/** Every use of a suite action whose inputs the action does not declare, as `file job: action input`. */
export function undeclaredInputs(file: string, wf: Workflow, inputs = declaredInputs()): string[] {
  const bad: string[] = [];
  for (const [job, j] of Object.entries(wf.jobs)) {
    for (const s of j.steps ?? []) {
      if (!s.uses?.startsWith(`${SUITE_REPOSITORY}/actions/`)) continue;
      const action = s.uses.slice(`${SUITE_REPOSITORY}/actions/`.length).split('@')[0];
      const declared = inputs.get(action);
      if (!declared) {
        bad.push(`${file} ${job}: no action ${action}`);
        continue;
      }
      for (const k of Object.keys(s.with ?? {})) if (!declared.has(k)) bad.push(`${file} ${job}: ${action} ${k}`);
    }
  }
  return bad;
}

/** The git refs a workflow signs from, from its push trigger: a sample ref per branch and tag pattern. */
export function signingRefs(on: unknown, sampleTag: string): string[] {
  const o = (typeof on === 'object' && on !== null ? on : {}) as Record<string, unknown>;
  const push = (o.push ?? {}) as { branches?: string[]; tags?: string[] };
  return [...(push.branches ?? []).map((b) => `refs/heads/${b}`), ...((push.tags ?? []).length ? [`refs/tags/${sampleTag}`] : [])];
}

/** `${VAR}` substitution as Flux's postBuild does it (the variables the tests need). */
export function substitute(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, k: string) => vars[k] ?? m);
}

/** A ResourceSet's resources rendered for each of its inputs (`<< inputs.x >>` only, the form D2 uses). */
export function renderResourceSet(rs: { spec?: { inputs?: Array<Record<string, string>>; resources?: unknown[] } }): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const input of rs.spec?.inputs ?? []) {
    for (const r of rs.spec?.resources ?? []) {
      const text = JSON.stringify(r).replace(/<<\s*inputs\.(\w+)\s*>>/g, (m, k: string) => (k in input ? JSON.stringify(input[k]).slice(1, -1) : m));
      out.push(JSON.parse(text) as Record<string, unknown>);
    }
  }
  return out;
}

export function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? listFiles(join(dir, f), `${prefix}${f}/`) : [`${prefix}${f}`]));
}

/** Files a kustomization.yaml applies as patches (partial objects, merged over the base: not objects of their own). */
export function patchFiles(tree: FileTree): Set<string> {
  const out = new Set<string>();
  for (const [file, text] of Object.entries(tree)) {
    if (!file.endsWith('kustomization.yaml')) continue;
    const k = parseYaml(text) as { kind?: string; patches?: Array<{ path?: string }> };
    if (k.kind !== 'Kustomization' || !k.patches) continue;
    for (const p of k.patches) if (p.path) out.add(join(file, '..', p.path));
  }
  return out;
}

/** Every YAML document of a tree that is a Kubernetes object (kustomize patches excepted), with its file. */
export function objects(tree: FileTree): Array<{ file: string; object: Record<string, unknown> }> {
  const patches = patchFiles(tree);
  return Object.entries(tree)
    .filter(([f]) => /\.ya?ml$/.test(f) && !f.startsWith('.github/') && !patches.has(f))
    .flatMap(([file, text]) => parseAllDocuments(text).map((d) => ({ file, object: d.toJSON() as Record<string, unknown> })))
    .filter((o) => o.object && typeof o.object.kind === 'string');
}

/** A strategic-merge patch over its target, for maps (what the values patches use): maps merge, anything else replaces. */
export function merge(base: unknown, patch: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = k in out ? merge(out[k], v) : v;
  return out;
}

/** Each kustomize patch applied to the object it targets (same kind and name, in the component's other files). */
export function patched(tree: FileTree): Array<{ file: string; object: Record<string, unknown> }> {
  const all = objects(tree);
  return [...patchFiles(tree)].flatMap((file) =>
    parseAllDocuments(tree[file]).map((d) => {
      const patch = d.toJSON() as { kind: string; metadata: { name: string } };
      const component = file.split('/').slice(0, 2).join('/');
      const target = all.find((o) => o.file.startsWith(`${component}/`) && o.object.kind === patch.kind && (o.object.metadata as { name?: string }).name === patch.metadata.name);
      if (!target) throw new Error(`${file}: no ${patch.kind} ${patch.metadata.name} to patch`);
      return { file: `${file} over ${target.file}`, object: merge(target.object, patch) as Record<string, unknown> };
    }),
  );
}

/**
 * One test per kind: every Flux object of its tree, every object its ResourceSets render and every patched object is
 * valid for the CRDs (`schemas()`, loaded by the caller's beforeAll); at least 20 checked in the fleet, 4 elsewhere, and
 * the apps and infra trees carry patches.
 */
export function itValidatesEveryObject(kinds: readonly RepoKind[], trees: Record<RepoKind, FileTree>, schemas: () => CrdSchemas): void {
  for (const kind of kinds) {
    it(`${kind}: every Flux object, every object its ResourceSets render and every patched object is valid`, () => {
      const all = objects(trees[kind]);
      const rendered = all.filter((o) => o.object.kind === 'ResourceSet').flatMap((o) => renderResourceSet(o.object).map((r) => ({ file: `${o.file} (rendered)`, object: r })));
      let checked = 0;
      const errors: string[] = [];
      for (const { file, object } of [...all, ...rendered, ...patched(trees[kind])]) {
        const e = crdErrors(schemas(), object);
        if (e === undefined) continue;
        checked++;
        for (const m of e) errors.push(`${file} ${String(object.kind)}: ${m}`);
      }
      expect(errors).toEqual([]);
      expect(checked).toBeGreaterThanOrEqual(kind === 'fleet' ? 20 : 4);
      if (kind !== 'fleet') expect(patchFiles(trees[kind]).size).toBeGreaterThan(0);
    });
  }
}

/**
 * An update target of the fleet written by d2 init (its apps or infra tree written at `dir`/apps or `dir`/infra) elects
 * exactly one policy, the one marker in its update path names it, and it pushes to image-updates.
 */
export function expectTargetElectsItsMarker(t: AutomationTarget, dir: string, trees: Record<RepoKind, FileTree>): void {
  const kind = t.repository.includes('d2-apps') ? 'apps' : 'infra';
  const policies = loadPolicies(join(dir, kind), t);
  expect(policies.policies.length).toBe(1);
  const names = policies.policies.map((p) => `${p.namespace}:${p.name}`);
  // Every marker in the update path names a policy the automation elects.
  const markers = Object.entries(trees[kind])
    .filter(([f]) => f.startsWith(t.update.path.replace(/^\.\//, '')))
    .flatMap(([, text]) => [...text.matchAll(/\{"\$imagepolicy": "([^:"]+):([^:"]+)(?::\w+)?"\}/g)].map((m) => `${m[1]}:${m[2]}`));
  expect(markers.length).toBe(1);
  for (const m of markers) expect(names).toContain(m);
  expect(t.git.pushBranch).toBe('image-updates');
}
