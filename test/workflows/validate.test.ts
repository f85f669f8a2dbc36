/**
 * Every action.yml, every workflow under .github/workflows and every workflow example embedded in a README or doc
 * (```yaml blocks with `jobs:`) is validated with GitHub's own parser (@actions/workflow-parser, the parser behind
 * the VS Code extension), so a broken workflow or action metadata file fails `pnpm test`.
 */
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from '@d2/sandbox/paths';
import { appsWorkflows } from '@d2/sandbox/d2-repos';

const root = repoRoot();
const actionNames = readdirSync(join(root, 'actions')).filter((d) => existsSync(join(root, 'actions', d, 'action.yml'))).sort();

function actionErrors(name: string, content: string): string[] {
  const r = parseAction({ name, content }, new NoOperationTraceWriter());
  return r.context.errors.getErrors().map((e) => e.message);
}

function workflowErrors(name: string, content: string): string[] {
  const r = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  return r.context.errors.getErrors().map((e) => e.message);
}

function markdownFiles(): string[] {
  const files = ['README.md', ...actionNames.map((a) => join('actions', a, 'README.md'))];
  if (existsSync(join(root, 'docs'))) {
    for (const f of readdirSync(join(root, 'docs'))) if (f.endsWith('.md')) files.push(join('docs', f));
  }
  return files.filter((f) => existsSync(join(root, f)));
}

/** ```yaml blocks that are whole workflows (they have `jobs:` at the top level). */
function workflowExamples(md: string): string[] {
  const blocks: string[] = [];
  const re = /```ya?ml\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) if (/^jobs:/m.test(m[1])) blocks.push(m[1]);
  return blocks;
}

describe('action.yml files', () => {
  it('the validator rejects a broken action.yml (so the checks below can fail)', () => {
    expect(actionErrors('bad.yml', 'name: x\ndescription: y\nruns:\n  usin: node24\n').length).toBeGreaterThan(0);
  });

  for (const name of actionNames) {
    it(`actions/${name}/action.yml is valid, runs on node24, documents every input and output`, () => {
      const text = readFileSync(join(root, 'actions', name, 'action.yml'), 'utf8');
      expect(actionErrors(`actions/${name}/action.yml`, text)).toEqual([]);
      const doc = parseYaml(text) as {
        name: string; description: string; branding?: object;
        runs: { using: string; main: string };
        inputs: Record<string, { description?: string; default?: unknown }>;
        outputs: Record<string, { description?: string }>;
      };
      expect(doc.runs.using).toBe('node24');
      expect(doc.runs.main).toMatch(/^dist\/.+\.(cjs|mjs)$/);
      expect(existsSync(join(root, 'actions', name, doc.runs.main))).toBe(true);
      expect(doc.name && doc.description && doc.branding).toBeTruthy();
      for (const [k, v] of Object.entries(doc.inputs ?? {})) {
        expect(v.description, `input ${k}`).toBeTruthy();
        expect(v.default, `input ${k} has a documented default`).not.toBeUndefined();
      }
      for (const [k, v] of Object.entries(doc.outputs ?? {})) expect(v.description, `output ${k}`).toBeTruthy();
    });
  }
});

describe('workflow files and README examples', () => {
  it('the validator rejects a broken workflow (so the checks below can fail)', () => {
    expect(workflowErrors('bad.yml', 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n').length).toBeGreaterThan(0);
  });

  const dir = join(root, '.github', 'workflows');
  const workflows = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)) : [];
  it('the repository has workflows to check', () => expect(workflows.length).toBeGreaterThan(0));
  for (const f of workflows) {
    it(`.github/workflows/${f} is a valid workflow`, () => {
      expect(workflowErrors(f, readFileSync(join(dir, f), 'utf8'))).toEqual([]);
    });
  }

  for (const md of markdownFiles()) {
    const examples = workflowExamples(readFileSync(join(root, md), 'utf8'));
    examples.forEach((content, i) => {
      it(`${relative(root, join(root, md))} workflow example #${i + 1} is valid`, () => {
        expect(workflowErrors(`${md}#${i + 1}`, content)).toEqual([]);
      });
    });
  }

  // The workflows of the demo's D2 repositories (what those repositories would run on GitHub).
  for (const [path, content] of Object.entries(appsWorkflows('d2-demo'))) {
    it(`demo repository workflow ${path} is valid`, () => {
      expect(workflowErrors(path, content)).toEqual([]);
    });
  }
});
