/**
 * `d2 init fleet|apps|infra` (docs/adopt.md "d2 init"): the generated workflows pass GitHub's workflow parser and use
 * only inputs the actions declare; every Flux and Flux Operator object (including the ones a ResourceSet renders)
 * validates against the real CRD schemas (test/adopt/crd-schemas.ts); the identities the clusters verify are exactly
 * the ones the generated workflows sign with; the fleet's update cluster drives the generated apps and infra
 * repositories; existing files are never overwritten without --force.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readFleetConfig } from '@d2/core/image-automation';
import { writeTree } from '@d2/sandbox/d2-repos';
import { initFiles, initPlan, type FileTree, type RepoKind } from '../../packages/cli/src/adopt/index.js';
import { crdErrors, crdSkipReason, loadCrdSchemas, type CrdSchemas } from './crd-schemas.js';
import { d2, expectTargetElectsItsMarker, itValidatesEveryObject, listFiles, renderResourceSet, scratchDir, signingRefs, substitute, undeclaredInputs, workflowErrors, type Workflow } from './helpers.js';

const OWNER = 'Acme-Labs';
const kinds: RepoKind[] = ['fleet', 'apps', 'infra'];
const trees = Object.fromEntries(kinds.map((k) => [k, initFiles(initPlan(k, OWNER, 'github'))])) as Record<RepoKind, FileTree>;

const scratch = scratchDir('d2-init-test-');

describe('d2 init: workflows', () => {
  for (const kind of kinds) {
    const workflows = Object.entries(trees[kind]).filter(([f]) => f.startsWith('.github/workflows/'));
    it(`${kind}: writes workflows`, () => expect(workflows.map(([f]) => f).sort()).toEqual(
      kind === 'fleet'
        ? ['.github/workflows/e2e-update.yaml', '.github/workflows/push-artifact.yaml', '.github/workflows/release-artifact.yaml']
        : ['.github/workflows/image-updates.yaml', '.github/workflows/push-artifact.yaml', '.github/workflows/release-artifact.yaml'],
    ));
    for (const [file, text] of workflows) {
      it(`${kind} ${file} passes the workflow parser and uses only declared inputs`, () => {
        expect(workflowErrors(file, text)).toEqual([]);
        const wf = parseYaml(text) as Workflow;
        expect(undeclaredInputs(file, wf)).toEqual([]);
        const uses = Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses ?? ''));
        expect(uses.some((u) => /\/actions\/(push-artifact|release-artifact|e2e-update|image-updates-pr)@v1$/.test(u))).toBe(true);
        // No binary to install, no shell call of flux, cosign or gh.
        expect(text).not.toMatch(/cosign-installer|distribution\/actions|docker\/login-action|\brun:/);
      });
    }
  }

  it('the checks can fail: a workflow with an undeclared input is reported', () => {
    const wf = parseYaml(trees.apps['.github/workflows/push-artifact.yaml']) as Workflow;
    const step = Object.values(wf.jobs)[0].steps?.find((s) => s.uses?.includes('push-artifact'));
    (step as { with: Record<string, unknown> }).with['diff-tags'] = 'latest';
    expect(undeclaredInputs('x', wf)).toEqual(['x push: push-artifact diff-tags']);
    expect(workflowErrors('bad.yaml', 'on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n').length).toBeGreaterThan(0);
  });
});

describe.skipIf(crdSkipReason() !== undefined)('d2 init: objects validate against the Flux and Flux Operator CRDs', () => {
  let schemas: CrdSchemas;
  beforeAll(() => {
    schemas = loadCrdSchemas();
  }, 600_000);

  it('the validator rejects an unknown field, a wrong type and a missing required field (so the checks can fail)', () => {
    const base = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', metadata: { name: 'x' } };
    expect(crdErrors(schemas, { ...base, spec: { url: 'oci://ghcr.io/a/b', interval: '5m' } })).toEqual([]);
    expect(crdErrors(schemas, { ...base, spec: { url: 'oci://ghcr.io/a/b', interval: '5m', verfy: {} } })?.join()).toMatch(/verfy/);
    expect(crdErrors(schemas, { ...base, spec: { url: 'oci://ghcr.io/a/b', interval: 5 } })?.length).toBeGreaterThan(0);
    expect(crdErrors(schemas, { ...base, spec: { interval: '5m' } })?.join()).toMatch(/url/);
    expect(crdErrors(schemas, { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'NoSuchKind' })).toEqual(['no CRD for fluxcd.controlplane.io/v1 NoSuchKind']);
  });

  itValidatesEveryObject(kinds, trees, () => schemas);
});

describe('d2 init: the clusters accept exactly what the workflows sign', () => {
  const issuer = 'https://token.actions.githubusercontent.com';
  const fleet = trees.fleet;
  const runtime = (cluster: string) => (parseYaml(fleet[`clusters/${cluster}/flux-system/runtime-info.yaml`]) as { data: Record<string, string> }).data;
  /** The identity of `repo`'s workflow file at `ref` (the certificate SAN of a GitHub Actions signature). */
  const identity = (repo: string, file: string, ref: string) => `https://github.com/${OWNER}/${repo}/.github/workflows/${file}@${ref}`;
  /** matchOIDCIdentity of the OCIRepository the tenants ResourceSet renders for a cluster. */
  const tenantIdentity = (cluster: string, set: 'apps' | 'infra') => {
    const rs = parseYaml(substitute(fleet[`tenants/${set}.yaml`], runtime(cluster))) as Parameters<typeof renderResourceSet>[0];
    const oci = renderResourceSet(rs).find((r) => r.kind === 'OCIRepository') as { spec: { ref: { tag: string }; verify: { matchOIDCIdentity: Array<{ issuer: string; subject: string }> } } };
    return { tag: oci.spec.ref.tag, ...oci.spec.verify.matchOIDCIdentity[0] };
  };
  const signs = (tree: FileTree, file: string, action: string) => {
    const wf = parseYaml(tree[`.github/workflows/${file}`]) as Workflow;
    return Object.values(wf.jobs).some((j) => (j.steps ?? []).some((s) => s.uses?.includes(`/actions/${action}@`)));
  };

  for (const set of ['apps', 'infra'] as const) {
    it(`${set}: staging accepts push-artifact.yaml on main and production release-artifact.yaml on a component tag, and not the other way round`, () => {
      const tree = trees[set];
      const repo = `d2-${set}`;
      expect(signs(tree, 'push-artifact.yaml', 'push-artifact')).toBe(true);
      expect(signs(tree, 'release-artifact.yaml', 'release-artifact')).toBe(true);
      const pushRefs = signingRefs((parseYaml(tree['.github/workflows/push-artifact.yaml']) as Workflow).on, 'unused');
      const releaseRefs = signingRefs((parseYaml(tree['.github/workflows/release-artifact.yaml']) as Workflow).on, 'frontend/v1.2.3');
      expect(pushRefs).toEqual(['refs/heads/main']);
      expect(releaseRefs).toEqual(['refs/tags/frontend/v1.2.3']);
      const staging = tenantIdentity('staging', set);
      const production = tenantIdentity('production', set);
      expect(staging.tag).toBe('latest');
      expect(production.tag).toBe('latest-stable');
      for (const id of [staging, production]) expect(new RegExp(id.issuer).test(issuer)).toBe(true);
      for (const ref of pushRefs) {
        expect(new RegExp(staging.subject).test(identity(repo, 'push-artifact.yaml', ref))).toBe(true);
        expect(new RegExp(production.subject).test(identity(repo, 'push-artifact.yaml', ref))).toBe(false);
      }
      for (const ref of releaseRefs) {
        expect(new RegExp(production.subject).test(identity(repo, 'release-artifact.yaml', ref))).toBe(true);
        expect(new RegExp(staging.subject).test(identity(repo, 'release-artifact.yaml', ref))).toBe(false);
      }
      // Another repository's workflow is not accepted.
      expect(new RegExp(staging.subject).test(identity('d2-other', 'push-artifact.yaml', 'refs/heads/main'))).toBe(false);
    });
  }

  it('fleet: each cluster accepts its own fleet artifact from the fleet workflows only', () => {
    const subject = (cluster: string) => {
      const fi = parseYaml(fleet[`clusters/${cluster}/flux-system/flux-instance.yaml`]) as { spec: { sync: { ref: string }; kustomize: { patches: Array<{ patch: string }> } } };
      const patch = parseYaml(fi.spec.kustomize.patches[0].patch) as Array<{ value: { matchOIDCIdentity: Array<{ subject: string }> } }>;
      return { tag: fi.spec.sync.ref, subject: new RegExp(patch[0].value.matchOIDCIdentity[0].subject) };
    };
    const pushRefs = signingRefs((parseYaml(fleet['.github/workflows/push-artifact.yaml']) as Workflow).on, 'unused');
    const releaseRefs = signingRefs((parseYaml(fleet['.github/workflows/release-artifact.yaml']) as Workflow).on, 'v1.2.3');
    expect(signs(fleet, 'push-artifact.yaml', 'push-artifact') && signs(fleet, 'release-artifact.yaml', 'release-artifact')).toBe(true);
    for (const cluster of ['staging', 'update']) {
      const s = subject(cluster);
      expect(s.tag).toBe('latest');
      for (const ref of pushRefs) expect(s.subject.test(identity('d2-fleet', 'push-artifact.yaml', ref))).toBe(true);
      for (const ref of releaseRefs) expect(s.subject.test(identity('d2-fleet', 'release-artifact.yaml', ref))).toBe(false);
    }
    const p = subject('production');
    expect(p.tag).toBe('latest-stable');
    for (const ref of releaseRefs) expect(p.subject.test(identity('d2-fleet', 'release-artifact.yaml', ref))).toBe(true);
    for (const ref of pushRefs) expect(p.subject.test(identity('d2-fleet', 'push-artifact.yaml', ref))).toBe(false);
  });

  it('the fleet publishes what the clusters sync (OCI repository of the workflows = FluxInstance sync URL)', () => {
    const wf = parseYaml(fleet['.github/workflows/push-artifact.yaml']) as Workflow;
    const repo = Object.values(wf.jobs)[0].steps?.find((s) => s.uses?.includes('push-artifact'))?.with?.repository;
    const fi = parseYaml(fleet['clusters/staging/flux-system/flux-instance.yaml']) as { spec: { sync: { url: string } } };
    expect(fi.spec.sync.url).toBe(`oci://${String(repo)}`);
    expect(repo).toBe('ghcr.io/acme-labs/d2-fleet');
  });
});

describe("d2 init: the fleet's update cluster drives the apps and infra repositories", () => {
  it('e2e-update reads clusters/update: one target per repository, whose policies and setter markers exist', () => {
    const dir = join(scratch, 'update');
    writeTree(join(dir, 'fleet'), trees.fleet);
    writeTree(join(dir, 'apps'), trees.apps);
    writeTree(join(dir, 'infra'), trees.infra);
    const targets = readFleetConfig(join(dir, 'fleet'), 'clusters/update');
    expect(targets.map((t) => t.repository).sort()).toEqual([`https://github.com/${OWNER}/d2-apps.git`, `https://github.com/${OWNER}/d2-infra.git`]);
    for (const t of targets) {
      expectTargetElectsItsMarker(t, dir, trees);
    }
  });
});

describe('d2 init: the command', () => {
  it('writes the repository and the README says what to create on GitHub', async () => {
    const dir = join(scratch, 'cmd-apps');
    const r = await d2(['init', 'apps', '--owner', 'acme', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(listFiles(dir).sort()).toEqual(Object.keys(initFiles(initPlan('apps', 'acme', undefined))).sort());
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    for (const want of ['Branch protection', 'Tag protection', 'Environment `production`', 'GH_UPDATE_TOKEN', 'id-token: write']) expect(readme).toContain(want);
    const fleetReadme = initFiles(initPlan('fleet', 'acme', undefined))['README.md'];
    expect(fleetReadme).toMatch(/Secret `GH_UPDATE_TOKEN`/);
  });

  it('refuses to overwrite: one existing file means nothing is written (exit 2); --force overwrites', async () => {
    const dir = join(scratch, 'cmd-existing');
    writeTree(dir, { '.github/workflows/push-artifact.yaml': 'mine\n' });
    const r = await d2(['init', 'fleet', '--owner', 'acme', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/push-artifact\.yaml.*nothing was written[\s\S]*hint: .*--force/);
    expect(listFiles(dir)).toEqual(['.github/workflows/push-artifact.yaml']);
    expect(readFileSync(join(dir, '.github/workflows/push-artifact.yaml'), 'utf8')).toBe('mine\n');
    const f = await d2(['init', 'fleet', '--owner', 'acme', '--dir', dir, '--force', '-o', 'json']);
    expect(f.code, f.err).toBe(0);
    expect((JSON.parse(f.out) as { overwritten: string[] }).overwritten).toEqual(['.github/workflows/push-artifact.yaml']);
    expect(readFileSync(join(dir, '.github/workflows/push-artifact.yaml'), 'utf8')).toBe(initFiles(initPlan('fleet', 'acme', undefined))['.github/workflows/push-artifact.yaml']);
  });

  it('a bad kind, owner or forge is a usage error; nothing is written', async () => {
    const dir = join(scratch, 'cmd-bad');
    const cases: Array<[string[], RegExp]> = [
      [['init', 'fleet', '--owner', 'acme/-x', '--forge', 'gitlab', '--dir', dir], /is not a GitLab group path[\s\S]*hint:.*acme\/platform/],
      [['init', 'fleet', '--owner', 'acme', '--forge', 'bitbucket', '--dir', dir], /--forge must be github or gitlab/],
      [['init', 'cluster', '--owner', 'acme', '--dir', dir], /unknown repository kind 'cluster'[\s\S]*hint: d2 init fleet\|apps\|infra/],
      [['init', 'apps', '--dir', dir], /--owner is required/],
      [['init', 'apps', '--owner=-acme', '--dir', dir], /is not a GitHub account name/],
      [['init', 'apps', '--owner', 'a/b', '--dir', dir], /is not a GitHub account name/],
    ];
    for (const [args, want] of cases) {
      const r = await d2(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(want);
    }
    expect(existsSync(dir)).toBe(false);
  });

  it('init and migrate are in the help', async () => {
    const r = await d2(['--help']);
    expect(r.out).toMatch(/\n {2}init +Write a new D2 repository/);
    expect(r.out).toMatch(/\n {2}migrate +Rewrite an existing D2 repository/);
    writeFileSync(join(scratch, 'marker'), '');
  });
});
