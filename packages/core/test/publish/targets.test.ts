/**
 * Target resolution (src/publish/targets.ts): every target is validated before anything is built or sent, and each
 * refusal names the input and the fix: a missing component lists the components that exist, a path outside the
 * workspace, an upper-case or tagged repository, an invalid tag, an empty component.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { listComponents, resolveTargets, validateRepositoryInput, validateTags, type TargetSpec } from '../../src/publish/index.js';
import { rejectedAs } from '../support/failures.js';

let root: string;
let ws: string;

function files(base: string, tree: Record<string, string>): void {
  for (const [p, content] of Object.entries(tree)) {
    mkdirSync(dirname(join(base, p)), { recursive: true });
    writeFileSync(join(base, p), content);
  }
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'd2-targets-'));
  ws = join(root, 'ws');
  files(ws, {
    'components/backend/deploy.yaml': 'kind: Deployment\n',
    'components/frontend/deploy.yaml': 'kind: Deployment\n',
    'components/.hidden/deploy.yaml': 'kind: Secret\n',
    'components/README.md': 'not a component\n',
    'single/deploy.yaml': 'kind: ConfigMap\n',
  });
  files(root, { 'outside/deploy.yaml': 'kind: ConfigMap\n' });
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function spec(o: Partial<TargetSpec>): TargetSpec {
  return { workspace: ws, components: [], repository: 'registry.test/fleet/{component}', path: 'components/{component}', build: {}, ...o };
}

const refusal = (p: Promise<unknown>): Promise<InputError> => rejectedAs(InputError, p);

describe('resolveTargets', () => {
  it('a glob picks the component directories (sorted, dot-directories and files left out) and fills both templates', async () => {
    const t = await resolveTargets(spec({ components: ['*'] }));
    expect(t).toEqual([
      { component: 'backend', repository: 'registry.test/fleet/backend', path: join(ws, 'components/backend'), displayPath: 'components/backend' },
      { component: 'frontend', repository: 'registry.test/fleet/frontend', path: join(ws, 'components/frontend'), displayPath: 'components/frontend' },
    ]);
  });

  it('names and globs are merged without duplicates; oci:// is dropped from the repository', async () => {
    const t = await resolveTargets(spec({ components: ['frontend', 'f*', 'backend'], repository: 'oci://registry.test/fleet/{component}' }));
    expect(t.map((x) => [x.component, x.repository])).toEqual([
      ['backend', 'registry.test/fleet/backend'],
      ['frontend', 'registry.test/fleet/frontend'],
    ]);
  });

  it('without components: one target from repository and path', async () => {
    const t = await resolveTargets(spec({ repository: 'registry.test/fleet/single', path: 'single' }));
    expect(t).toEqual([{ component: undefined, repository: 'registry.test/fleet/single', path: join(ws, 'single'), displayPath: 'single' }]);
  });

  it('a missing component is refused and the hint lists the components that exist', async () => {
    const err = await refusal(resolveTargets(spec({ components: ['frontend', 'api'] })));
    expect(err.message).toBe("component 'api' does not exist (no components/api)");
    expect(err.hint).toBe('components found: backend, frontend');
  });

  it('a glob that matches nothing is refused with the components found', async () => {
    const err = await refusal(resolveTargets(spec({ components: ['db*'] })));
    expect(err.message).toBe("component pattern 'db*' matches no directory in 'components'");
    expect(err.hint).toBe('components found: backend, frontend');
  });

  it('a missing path without components says so and points at the path input', async () => {
    const err = await refusal(resolveTargets(spec({ repository: 'registry.test/fleet/x', path: 'nope' })));
    expect(err.message).toBe("path 'nope' does not exist");
    expect(err.hint).toContain('relative to the workspace');
  });

  it('a path outside the workspace is refused, directly or through a symlinked component', async () => {
    const direct = await refusal(resolveTargets(spec({ repository: 'registry.test/fleet/x', path: '../outside' })));
    expect(direct.message).toMatch(/^path '\.\.\/outside' is outside the workspace/);
    symlinkSync(join(root, 'outside'), join(ws, 'components/escape'));
    const viaLink = await refusal(resolveTargets(spec({ components: ['escape'] })));
    expect(viaLink.message).toMatch(/^path 'components\/escape' is outside the workspace/);
  });

  it('an upper-case repository is refused with the lower-cased name as the fix', async () => {
    const err = await refusal(resolveTargets(spec({ components: ['backend'], repository: 'registry.test/MyOrg/{component}' })));
    expect(err.message).toBe("repository 'registry.test/MyOrg/backend' contains upper-case letters; OCI repository names must be lowercase");
    expect(err.hint).toContain("use 'registry.test/myorg/backend'");
  });

  it('a repository with a tag or digest is refused', async () => {
    const err = await refusal(resolveTargets(spec({ repository: 'registry.test/fleet/x:v1', path: 'single' })));
    expect(err.message).toBe("repository 'registry.test/fleet/x:v1' must not include a tag or digest");
    expect(err.hint).toContain("remove ':v1'");
  });

  it('an empty component is refused, and so is the whole run: nothing is returned for the good ones', async () => {
    mkdirSync(join(ws, 'components/empty'));
    const err = await refusal(resolveTargets(spec({ components: ['*'] })));
    expect(err.message).toBe("component 'empty' is empty: components/empty contains no files");
  });

  it('a component directory whose files are all ignored is empty too', async () => {
    files(ws, { 'components/ignored/notes.md': 'x\n' });
    const err = await refusal(resolveTargets(spec({ components: ['ignored'], build: { ignorePaths: ['*.md'] } })));
    expect(err.message).toMatch(/^component 'ignored' is empty: the only file in components\/ignored is excluded by ignore rules/);
  });

  it('component names that are not directory names, and templates that do not fit the components, are refused', async () => {
    expect((await refusal(resolveTargets(spec({ components: ['../single'] })))).message).toBe("component '../single' is not a directory name");
    expect((await refusal(resolveTargets(spec({ components: ['..'] })))).message).toBe("component '..' is not a directory name");
    expect((await refusal(resolveTargets(spec({ components: [] })))).message).toBe("'{component}' is used in repository or path but no components are given");
    expect((await refusal(resolveTargets(spec({ components: ['backend'], path: 'single' })))).message).toBe("path 'single' must contain {component} when components are given");
  });
});

describe('validateRepositoryInput / validateTags / listComponents', () => {
  it('an empty repository names the input', () => {
    expect(() => validateRepositoryInput('  ', 'input repository')).toThrow('input repository is empty');
  });

  it('a repository with credentials is refused', () => {
    expect(() => validateRepositoryInput('user:secret@registry.test/fleet/x')).toThrow(InputError);
  });

  it('invalid tags are refused with the reason', () => {
    expect(() => validateTags(['v1', 'feature/x'])).toThrow("tag 'feature/x' contains '/'");
    expect(() => validateTags(['v1.0.0+build'])).toThrow("tag 'v1.0.0+build' contains '+'");
    expect(() => validateTags(['.hidden'])).toThrow("tag '.hidden' starts with '.'");
    expect(() => validateTags(['x'.repeat(129)])).toThrow('is 129 characters long');
    expect(() => validateTags([''])).toThrow('tag is empty');
    expect(() => validateTags(['v1', 'latest', 'sha-0123abc', '_x'])).not.toThrow();
  });

  it('lists the component directories beside {component}', () => {
    expect(listComponents(ws, 'components/{component}')).toEqual({ parent: 'components', names: ['backend', 'frontend'] });
    expect(listComponents(ws, 'missing/{component}')).toEqual({ parent: 'missing', names: [] });
  });
});
