/**
 * `d2 init fleet|apps|infra`: the files of a working D2 repository (docs/adopt.md "d2 init"), and writing them with
 * all-or-nothing semantics: when any file exists (and --force is not given) nothing is written.
 */
import { lstat, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { clip, InputError } from '@d2/core';
import { appsFiles, infraFiles, type FileTree } from './components.js';
import { fleetFiles } from './fleet.js';
import type { InitPlan } from './plan.js';
import { componentsPipeline, fleetPipeline } from './pipelines.js';
import { readme } from './readme.js';
import { componentsPushWorkflow, componentsReleaseWorkflow, fleetPushWorkflow, fleetReleaseWorkflow, fleetUpdateWorkflow, imageUpdatesWorkflow } from './workflows.js';

export { initPlan, isGitLabGroupPath, REPO_KINDS, type Forge, type InitPlan, type RepoKind } from './plan.js';
export { gitlabSubjectRegexp, subjectRegexp } from './fleet.js';
export { EXAMPLE_CHARTS, type FileTree } from './components.js';

const GITIGNORE = '# Editors and OS files\n.DS_Store\n.idea/\n.vscode/\n';

/** Every file of the repository, path (relative, `/`-separated) → content, in a stable order. */
export function initFiles(plan: InitPlan): FileTree {
  const files: FileTree = { 'README.md': readme(plan), '.gitignore': GITIGNORE };
  if (plan.forge === 'gitlab') {
    // One pipeline per project: the jobs' rules, not file names, tell the identities apart (pipelines.ts).
    files['.gitlab-ci.yml'] = plan.kind === 'fleet' ? fleetPipeline(plan.suite, plan) : componentsPipeline(plan.suite, plan);
    Object.assign(files, plan.kind === 'fleet' ? fleetFiles(plan) : plan.kind === 'apps' ? appsFiles(plan) : infraFiles(plan));
  } else if (plan.kind === 'fleet') {
    files['.github/workflows/push-artifact.yaml'] = fleetPushWorkflow(plan.suite, plan);
    files['.github/workflows/release-artifact.yaml'] = fleetReleaseWorkflow(plan.suite, plan);
    files['.github/workflows/e2e-update.yaml'] = fleetUpdateWorkflow(plan.suite);
    Object.assign(files, fleetFiles(plan));
  } else {
    files['.github/workflows/push-artifact.yaml'] = componentsPushWorkflow(plan.suite, plan);
    files['.github/workflows/release-artifact.yaml'] = componentsReleaseWorkflow(plan.suite, plan);
    files['.github/workflows/image-updates.yaml'] = imageUpdatesWorkflow(plan.suite);
    Object.assign(files, plan.kind === 'apps' ? appsFiles(plan) : infraFiles(plan));
  }
  return files;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

export interface WriteResult {
  dir: string;
  written: string[];
  /** Files that existed and were replaced (--force). */
  overwritten: string[];
}

/**
 * Writes `files` under `dir`. Every path is checked first: when any exists and `force` is false, nothing is written
 * (the error lists them). A write that fails removes the files this call created, so no half repository is left.
 */
export async function writeInit(dir: string, files: FileTree, force: boolean): Promise<WriteResult> {
  const paths = Object.keys(files);
  const existing: string[] = [];
  for (const p of paths) if (await exists(join(dir, p))) existing.push(p);
  if (existing.length > 0 && !force) {
    const shown = existing.slice(0, 10).map((p) => clip(p, 128)).join(', ');
    throw new InputError(
      `${existing.length} of the files d2 init writes exist in ${clip(dir, 128)}: ${shown}${existing.length > 10 ? ', …' : ''}; nothing was written`,
      'run it in an empty directory (--dir), or pass --force to overwrite them',
    );
  }
  const created: string[] = [];
  try {
    for (const p of paths) {
      const full = join(dir, p);
      await mkdir(dirname(full), { recursive: true });
      const isNew = !existing.includes(p);
      await writeFile(full, files[p]);
      if (isNew) created.push(full);
    }
  } catch (err) {
    await Promise.all(created.map((f) => rm(f, { force: true })));
    throw err;
  }
  return { dir, written: paths, overwritten: existing };
}
