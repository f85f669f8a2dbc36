/**
 * Resolving what push-artifact / release-artifact publish: component names or globs → {component, repository, path}
 * targets, validated before anything is built or sent (docs/artifacts.md): the path must exist (else the components
 * that do exist are listed), stay inside the workspace and give an artifact with at least one file — decided by the
 * build's own walk and ignore rules, so a symlinked path or a directory whose files are all ignored is refused —; the
 * repository must be a lowercase OCI name without tag or digest; every tag must be a valid OCI tag. Every target is
 * checked before the first one is published.
 */
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { clip, InputError } from '../errors.js';
import { assertSourceHasFiles, fsCall, goMatch, type TarOptions } from '../flux/index.js';
import { parseReference, refuseCredentials, validateTag } from '../oci/index.js';
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
  /** The build's ignore options: a target must give an artifact with files under these rules. */
  build: TarOptions;
  /** How the path is shown in messages and reports without components (default: `path`). */
  displayPath?: string;
}

const GLOB = /[*?[\\]/;

/** The component directories found, for a hint (a long list is clipped). */
function found(names: string[]): string {
  return clip(names.join(', '), 1000);
}

function fill(template: string, component: string | undefined): string {
  return component === undefined ? template : template.split(COMPONENT_PLACEHOLDER).join(component);
}

/** stat, or undefined when the path does not exist; other errors (permissions) name the path and the fix. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return fsCall(path, 'entry', () => {
      throw err;
    });
  }
}

/** Directories that can be components: the entries of the folder before `{component}` in the path template. */
export function listComponents(workspace: string, pathTemplate: string): { parent: string; names: string[] } {
  const idx = pathTemplate.indexOf(COMPONENT_PLACEHOLDER);
  const parentRel = idx < 0 ? pathTemplate : pathTemplate.slice(0, idx).replace(/\/+$/, '') || '.';
  const parent = resolve(workspace, parentRel);
  if (!statOrUndefined(parent)?.isDirectory()) return { parent: parentRel, names: [] };
  const names = fsCall(parent, 'directory', () => readdirSync(parent, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  return { parent: parentRel, names };
}

/** Validates a repository (no scheme, tag or digest; lowercase) and returns `host/repo`. */
export function validateRepositoryInput(repository: string, what = 'repository'): string {
  const raw = repository.trim().replace(/^oci:\/\//, '');
  const shown = clip(raw);
  if (raw === '') throw new InputError(`${what} is empty`, 'set it to e.g. ghcr.io/<owner>/<repo>');
  refuseCredentials(raw, what);
  if (/[A-Z]/.test(raw)) {
    throw new InputError(
      `${what} '${shown}' contains upper-case letters; OCI repository names must be lowercase`,
      `use '${clip(raw.toLowerCase())}' (note that \${{ github.repository }} keeps the owner's capitals: lower-case it, or leave the input empty to get the lower-cased default)`,
    );
  }
  const ref = parseReference(raw);
  if (ref.tag || ref.digest) {
    throw new InputError(`${what} '${shown}' must not include a tag or digest`, `remove '${clip(`:${ref.tag ?? ''}${ref.digest ? '@' + ref.digest : ''}`)}' and use the tags / diff-tag inputs`);
  }
  return `${ref.registry}/${ref.repository}`;
}

export function validateTags(tags: string[], what = 'tag'): void {
  for (const t of tags) validateTag(t, what);
}

function assertInside(workspace: string, path: string, shown: string): void {
  const ws = fsCall(workspace, 'entry', () => realpathSync(workspace));
  const real = fsCall(path, 'entry', () => realpathSync(path));
  const rel = relative(ws, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new InputError(`path '${clip(shown)}' is outside the workspace (${ws})`, 'use a path inside the checked-out repository');
  }
}

export async function resolveTargets(spec: TargetSpec): Promise<PublishTarget[]> {
  const usesPlaceholder = spec.repository.includes(COMPONENT_PLACEHOLDER) || spec.path.includes(COMPONENT_PLACEHOLDER);
  if (spec.components.length === 0 && usesPlaceholder) {
    throw new InputError(`'${COMPONENT_PLACEHOLDER}' is used in repository or path but no components are given`, "set 'components' (e.g. '*' or a list of names)");
  }
  let names: (string | undefined)[] = [undefined];
  if (spec.components.length) {
    if (!spec.path.includes(COMPONENT_PLACEHOLDER)) throw new InputError(`path '${clip(spec.path)}' must contain ${COMPONENT_PLACEHOLDER} when components are given`, 'e.g. components/{component}');
    const available = listComponents(spec.workspace, spec.path);
    const picked = new Set<string>();
    for (const c of spec.components) {
      if (GLOB.test(c)) {
        const matched = available.names.filter((n) => goMatch(c, n));
        if (matched.length === 0) {
          throw new InputError(`component pattern '${clip(c)}' matches no directory in '${clip(available.parent)}'`, available.names.length ? `components found: ${found(available.names)}` : `'${clip(available.parent)}' has no component directories`);
        }
        matched.forEach((m) => picked.add(m));
      } else {
        if (c.includes('/') || c === '.' || c === '..') throw new InputError(`component '${clip(c)}' is not a directory name`, 'give the name of a directory in the components folder, or a glob such as *');
        picked.add(c);
      }
    }
    names = [...picked].sort();
  }
  const targets: PublishTarget[] = [];
  for (const component of names) {
    // The repository first: a bad name is the cheaper and more common mistake (no filesystem needed to see it).
    const repository = validateRepositoryInput(fill(spec.repository, component));
    const relPath = fill(spec.path, component) || '.';
    const displayPath = (component === undefined ? spec.displayPath : undefined) ?? relPath;
    const abs = resolve(spec.workspace, relPath);
    if (!statOrUndefined(abs)) {
      const available = component !== undefined ? listComponents(spec.workspace, spec.path).names : [];
      throw new InputError(
        component !== undefined ? `component '${clip(component)}' does not exist (no ${clip(displayPath)})` : `path '${clip(displayPath)}' does not exist`,
        available.length ? `components found: ${found(available)}` : 'check the path input (it is relative to the workspace)',
      );
    }
    assertInside(spec.workspace, abs, displayPath);
    await assertSourceHasFiles(abs, spec.build, component !== undefined ? `component '${clip(component)}'` : `path '${clip(displayPath)}'`, displayPath);
    targets.push({ component, repository, path: abs, displayPath });
  }
  return targets;
}
