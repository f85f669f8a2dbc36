/** Shared checks of the adopt tests: GitHub's workflow parser and the inputs the suite's actions declare. */
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@d2/sandbox/paths';
import { SUITE_REPOSITORY } from '../../packages/cli/src/adopt/suite.js';

export const root = repoRoot();
/** The D2 reference repositories (third-party data, read in place). */
export const referenceRepos = join(root, '..', 'shared', 'vectors', 'd2-reference-repos');

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
