/**
 * Resolving what push-artifact / release-artifact publish: component names or globs → {component, repository, path}
 * targets, validated before anything is built or sent (issue 4 "Errors"): the path must exist (else the components
 * that do exist are listed), stay inside the workspace and contain files; the repository must be a lowercase OCI name
 * without tag or digest; every tag must be a valid OCI tag.
 */
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { goMatch } from '../flux/glob.js';
import { parseReference, refuseCredentials, validateTag } from '../oci/references.js';
import type { PublishTarget } from './types.js';

export const COMPONENT_PLACEHOLDER = '{component}';

export interface TargetSpec {
  /** GITHUB_WORKSPACE (paths are relative to it and must stay inside it). */
  workspace: string;
  /** Component names and/or globs (e.g. `*`, `front*`). Empty: one target from repository + path. */
  components: string[];
  /** Repository template (`{component}` allowed), without oci://, tag or digest. */
  repository: string;
  /** Path template (`{component}` allowed), relative to the workspace. */
  path: string;
}

const GLOB = /[*?[\\]/;

function fill(template: string, component: string | undefined): string {
  return component === undefined ? template : template.split(COMPONENT_PLACEHOLDER).join(component);
}

/** Directories that can be components: the entries of the folder before `{component}` in the path template. */
export function listComponents(workspace: string, pathTemplate: string): { parent: string; names: string[] } {
  const idx = pathTemplate.indexOf(COMPONENT_PLACEHOLDER);
  const parentRel = idx < 0 ? pathTemplate : pathTemplate.slice(0, idx).replace(/\/+$/, '') || '.';
  const parent = resolve(workspace, parentRel);
  if (!existsSync(parent) || !statSync(parent).isDirectory()) return { parent: parentRel, names: [] };
  const names = readdirSync(parent, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  return { parent: parentRel, names };
}

/** Validates a repository (no scheme, tag or digest; lowercase) and returns `host/repo`. */
export function validateRepositoryInput(repository: string, what = 'repository'): string {
  const raw = repository.trim().replace(/^oci:\/\//, '');
  if (raw === '') throw new InputError(`${what} is empty`, 'set it to e.g. ghcr.io/<owner>/<repo>');
  refuseCredentials(raw, what);
  if (/[A-Z]/.test(raw)) {
    throw new InputError(
      `${what} '${raw}' contains upper-case letters; OCI repository names must be lowercase`,
      `use '${raw.toLowerCase()}' (note that \${{ github.repository }} keeps the owner's capitals: lower-case it, or leave the input empty to get the lower-cased default)`,
    );
  }
  const ref = parseReference(raw);
  if (ref.tag || ref.digest) {
    throw new InputError(`${what} '${raw}' must not include a tag or digest`, `remove ':${ref.tag ?? ''}${ref.digest ? '@' + ref.digest : ''}' and use the tags / diff-tag inputs`);
  }
  return `${ref.registry}/${ref.repository}`;
}

export function validateTags(tags: string[], what = 'tag'): void {
  for (const t of tags) validateTag(t, what);
}

function assertInside(workspace: string, path: string, shown: string): void {
  const ws = realpathSync(workspace);
  const real = realpathSync(path);
  const rel = relative(ws, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(`path '${shown}' is outside the workspace (${ws})`, 'use a path inside the checked-out repository');
  }
}

function hasFiles(dir: string): boolean {
  const st = statSync(dir);
  if (st.isFile()) return true;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile()) return true;
    if (e.isDirectory() && hasFiles(join(dir, e.name))) return true;
  }
  return false;
}

export function resolveTargets(spec: TargetSpec): PublishTarget[] {
  const usesPlaceholder = spec.repository.includes(COMPONENT_PLACEHOLDER) || spec.path.includes(COMPONENT_PLACEHOLDER);
  if (spec.components.length === 0 && usesPlaceholder) {
    throw new InputError(`'${COMPONENT_PLACEHOLDER}' is used in repository or path but no components are given`, "set 'components' (e.g. '*' or a list of names)");
  }
  let names: (string | undefined)[] = [undefined];
  if (spec.components.length) {
    if (!spec.path.includes(COMPONENT_PLACEHOLDER)) throw new InputError(`path '${spec.path}' must contain ${COMPONENT_PLACEHOLDER} when components are given`, 'e.g. components/{component}');
    const available = listComponents(spec.workspace, spec.path);
    const picked = new Set<string>();
    for (const c of spec.components) {
      if (GLOB.test(c)) {
        const matched = available.names.filter((n) => goMatch(c, n));
        if (matched.length === 0) {
          throw new InputError(`component pattern '${c}' matches no directory in '${available.parent}'`, available.names.length ? `components found: ${available.names.join(', ')}` : `'${available.parent}' has no component directories`);
        }
        matched.forEach((m) => picked.add(m));
      } else {
        if (c.includes('/') || c === '.' || c === '..') throw new InputError(`component '${c}' is not a directory name`);
        picked.add(c);
      }
    }
    names = [...picked].sort();
  }
  const targets: PublishTarget[] = [];
  for (const component of names) {
    // The repository first: a bad name is the cheaper and more common mistake (no filesystem needed to see it).
    const repository = validateRepositoryInput(fill(spec.repository, component));
    const displayPath = fill(spec.path, component) || '.';
    const abs = resolve(spec.workspace, displayPath);
    if (!existsSync(abs)) {
      const available = component !== undefined ? listComponents(spec.workspace, spec.path).names : [];
      throw new InputError(
        component !== undefined ? `component '${component}' does not exist (no ${displayPath})` : `path '${displayPath}' does not exist`,
        available.length ? `components found: ${available.join(', ')}` : 'check the path input (it is relative to the workspace)',
      );
    }
    assertInside(spec.workspace, abs, displayPath);
    if (!hasFiles(abs)) throw new InputError(`${component !== undefined ? `component '${component}'` : `path '${displayPath}'`} is empty (no files under ${displayPath})`);
    targets.push({ component, repository, path: abs, displayPath });
  }
  return targets;
}
