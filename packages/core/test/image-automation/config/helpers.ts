/**
 * What the fleet-config tests share: scratch trees removed after each test, and the team/repo fleet's three objects
 * (GitRepository, Kustomization `policies`, ImageUpdateAutomation `auto`) up to the part each test varies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { writeTree } from '@d2/sandbox/d2-repos';

/** A `tree(files)` that writes `files` into a fresh temp directory (named `prefix…`), removed after each test. */
export function scratchTrees(prefix: string): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  afterEach(() => {
    while (dirs.length) rmSync(dirs.pop() as string, { recursive: true, force: true });
  });
  return (files) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    writeTree(d, files);
    return d;
  };
}

/** The GitRepository team/repo of https://git.example.com/team/repo.git; `rest` continues its spec (the ref). */
export const gitRepositoryYaml = (rest: string) => `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: repo
  namespace: team
spec:
  url: https://git.example.com/team/repo.git
${rest}`;

/** The Kustomization team/policies (./flux/policies of repo); `rest` continues its spec (postBuild). */
export const kustomizationYaml = (rest = '') => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: policies
  namespace: team
spec:
  path: ./flux/policies
  sourceRef:
    kind: GitRepository
    name: repo
${rest}`;

/** The ImageUpdateAutomation team/auto of repo, committing as bot@example.com; `rest` continues spec.git.commit. */
export const automationYaml = (rest: string) => `apiVersion: image.toolkit.fluxcd.io/v1
kind: ImageUpdateAutomation
metadata:
  name: auto
  namespace: team
spec:
  sourceRef:
    kind: GitRepository
    name: repo
  git:
    commit:
      author:
        email: bot@example.com
${rest}`;
