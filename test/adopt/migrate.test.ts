/**
 * `d2 migrate` on copies of the real D2 reference repositories (../shared/vectors/d2-reference-repos, copied to a
 * temporary directory; docs/adopt.md "d2 migrate"): the migrated workflows pass GitHub's workflow parser, keep every
 * trigger, permission, job name and secret, call or install no flux, cosign or gh, use only inputs the actions
 * declare, and keep the signing identity (file name and ref) that the fleet's matchOIDCIdentity accepts. validate.yaml
 * and the Kind e2e-staging/e2e-production jobs are left byte for byte and reported. Bad input changes nothing.
 */
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planMigration, type Migration } from '../../packages/cli/src/adopt/index.js';
import { d2, referenceRepos, renderResourceSet, scratchDir, signingRefs, substitute, undeclaredInputs, workflowErrors, type Workflow } from './helpers.js';

const REPOS = ['d2-fleet', 'd2-apps', 'd2-infra'] as const;
const OWNER = 'controlplaneio-fluxcd';
const scratch = scratchDir('d2-migrate-test-');

let copies = 0;
function copy(repo: string): string {
  const dir = join(scratch, `${repo}-${copies++}`);
  cpSync(join(referenceRepos, repo), dir, { recursive: true });
  return dir;
}

function workflowsOf(dir: string): Record<string, string> {
  const wf = join(dir, '.github', 'workflows');
  return Object.fromEntries(readdirSync(wf).sort().map((f) => [f, readFileSync(join(wf, f), 'utf8')]));
}

const secrets = (text: string) => new Set([...text.matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
const TOOLS = /cosign-installer|distribution\/actions\/(setup|push)|fluxcd\/flux2\/action|docker\/login-action|(^|[\s;&|(`$])(flux|cosign|gh)\s/m;

const before: Record<string, Record<string, string>> = {};
const after: Record<string, Record<string, string>> = {};
const migrations: Record<string, Migration> = {};
const output: Record<string, { code: number; out: string; err: string }> = {};

beforeAll(async () => {
  for (const repo of REPOS) {
    const dir = copy(repo);
    before[repo] = workflowsOf(dir);
    migrations[repo] = await planMigration(dir);
    output[repo] = await d2(['migrate', '--dir', dir, '--write']);
    after[repo] = workflowsOf(dir);
  }
});

/** The workflows the migration rewrites (the others must be untouched). */
const MIGRATED: Record<(typeof REPOS)[number], string[]> = {
  'd2-fleet': ['e2e-update.yaml', 'push-artifact.yaml'],
  'd2-apps': ['image-updates.yaml', 'push-artifact.yaml', 'release-artifact.yaml'],
  'd2-infra': ['image-updates.yaml', 'push-artifact.yaml', 'release-artifact.yaml'],
};

describe('d2 migrate on the D2 reference repositories', () => {
  for (const repo of REPOS) {
    it(`${repo}: --write exits 0, rewrites exactly the D2 jobs' workflows, and every workflow still parses`, () => {
      expect(output[repo].code, output[repo].err).toBe(0);
      const changed = Object.keys(before[repo]).filter((f) => before[repo][f] !== after[repo][f]);
      expect(changed).toEqual(MIGRATED[repo]);
      for (const [f, text] of Object.entries(after[repo])) expect(workflowErrors(f, text), `${repo}/${f}`).toEqual([]);
    });

    it(`${repo}: every trigger, permission, job name and secret is kept`, () => {
      for (const f of Object.keys(before[repo])) {
        const a = parseYaml(before[repo][f]) as Workflow;
        const b = parseYaml(after[repo][f]) as Workflow;
        expect(b.on, `${f} triggers`).toEqual(a.on);
        expect(b.permissions, `${f} permissions`).toEqual(a.permissions);
        expect(Object.keys(b.jobs), `${f} jobs`).toEqual(Object.keys(a.jobs));
        for (const job of Object.keys(a.jobs)) {
          expect(b.jobs[job].permissions, `${f} ${job} permissions`).toEqual(a.jobs[job].permissions);
          expect(b.jobs[job].if, `${f} ${job} if`).toEqual(a.jobs[job].if);
          expect(b.jobs[job]['runs-on']).toEqual(a.jobs[job]['runs-on']);
        }
        // GITHUB_TOKEN is the actions' default token; every other secret is still passed.
        const lost = [...secrets(before[repo][f])].filter((s) => s !== 'GITHUB_TOKEN' && !secrets(after[repo][f]).has(s));
        expect(lost, `${f} secrets`).toEqual([]);
      }
    });

    it(`${repo}: the migrated workflows install and call no flux, cosign or gh, and use only declared inputs`, () => {
      for (const f of MIGRATED[repo]) {
        expect(after[repo][f], `${repo}/${f}`).not.toMatch(TOOLS);
        expect(before[repo][f], `${repo}/${f} before (so the check can fail)`).toMatch(TOOLS);
        expect(undeclaredInputs(f, parseYaml(after[repo][f]) as Workflow)).toEqual([]);
        expect(after[repo][f]).toMatch(/uses: your-org\/d2-actions\/actions\/(push-artifact|release-artifact|e2e-update|image-updates-pr)@v1/);
      }
    });

    it(`${repo}: validate.yaml and the Kind e2e-staging/e2e-production jobs are left byte for byte and reported`, () => {
      for (const f of ['validate.yaml', 'e2e-staging.yaml', 'e2e-production.yaml'].filter((x) => x in before[repo])) {
        expect(after[repo][f]).toBe(before[repo][f]);
        expect(migrations[repo].notes.some((n) => n.file.endsWith(f) && n.kind === 'left-as-is')).toBe(true);
        expect(output[repo].err).toContain(`.github/workflows/${f}`);
      }
    });
  }

  it('d2-apps: the matrix push becomes one push-artifact step over the same components, repository and path', () => {
    const wf = parseYaml(after['d2-apps']['push-artifact.yaml']) as Workflow;
    const job = wf.jobs['flux-push'];
    expect(job.strategy).toBeUndefined();
    const steps = job.steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['actions/checkout@v4', 'your-org/d2-actions/actions/push-artifact@v1']);
    expect(steps[1].with).toEqual({ repository: 'ghcr.io/${{ github.repository }}/{component}', path: './components/{component}', 'diff-tag': 'latest', components: 'backend,frontend' });
    expect(steps[1].id).toBe('push');
    // The comments on the permissions are kept.
    expect(after['d2-apps']['push-artifact.yaml']).toContain('packages: write # for pushing');
  });

  it('d2-apps: the release job is one release-artifact step (component and version come from the tag)', () => {
    const wf = parseYaml(after['d2-apps']['release-artifact.yaml']) as Workflow;
    const steps = wf.jobs['flux-push-component'].steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['actions/checkout@v4', 'your-org/d2-actions/actions/release-artifact@v1']);
    expect(steps[1].with).toBeUndefined();
    expect(after['d2-apps']['release-artifact.yaml']).not.toMatch(/cut -d/);
  });

  it('d2-apps: gh pr create becomes image-updates-pr from image-updates to main', () => {
    const wf = parseYaml(after['d2-apps']['image-updates.yaml']) as Workflow;
    const step = (wf.jobs['pull-request'].steps ?? []).find((s) => s.uses?.includes('image-updates-pr'));
    expect(step).toMatchObject({ name: 'Create Pull Request', uses: 'your-org/d2-actions/actions/image-updates-pr@v1', with: { base: 'main' } });
    expect(step?.run).toBeUndefined();
  });

  it('d2-fleet: the Kind e2e-update job becomes e2e-update with automation: clusters/update and the update token', () => {
    const wf = parseYaml(after['d2-fleet']['e2e-update.yaml']) as Workflow;
    const steps = wf.jobs['image-update'].steps ?? [];
    expect(steps.map((s) => s.uses)).toEqual(['actions/checkout@v4', 'your-org/d2-actions/actions/e2e-update@v1']);
    expect(steps[1].with).toEqual({ automation: 'clusters/update', token: '${{ secrets.GH_UPDATE_TOKEN }}' });
    expect(after['d2-fleet']['e2e-update.yaml']).not.toMatch(/kind-action|kubectl|make bootstrap/);
    // The bootstrap's GITHUB_TOKEN (GHCR access) has no place in e2e-update's inputs: reported, with the fix.
    expect(migrations['d2-fleet'].notes).toContainEqual(expect.objectContaining({ file: '.github/workflows/e2e-update.yaml', kind: 'warning', message: expect.stringContaining('registry-credentials') }));
    // Only the rewritten lines change: the rest keeps its layout (flush sequences, aligned comments).
    expect(after['d2-fleet']['e2e-update.yaml']).toContain('  schedule:\n    - cron: 0 8 * * 1\n');
  });

  it('d2-fleet: a step it does not recognise (Prepare tags) is kept and reported, and the push still reads its outputs', () => {
    const wf = parseYaml(after['d2-fleet']['push-artifact.yaml']) as Workflow;
    const steps = wf.jobs['flux-push'].steps ?? [];
    expect(steps.map((s) => s.name)).toEqual(['Checkout', 'Prepare tags', 'Push artifact']);
    expect(steps[2].with).toMatchObject({ 'diff-tag': '${{ steps.prep.outputs.tag }}', tags: '${{ steps.prep.outputs.version }}' });
    expect(migrations['d2-fleet'].notes).toContainEqual(expect.objectContaining({ file: '.github/workflows/push-artifact.yaml', job: 'flux-push', kind: 'kept', message: expect.stringContaining("'Prepare tags'") }));
  });

  it("the signing identity is unchanged: the fleet's matchOIDCIdentity still accepts every migrated signing workflow", () => {
    const fleet = join(referenceRepos, 'd2-fleet');
    const runtime = (c: string) => (parseYaml(readFileSync(join(fleet, 'clusters', c, 'flux-system', 'runtime-info.yaml'), 'utf8')) as { data: Record<string, string> }).data;
    const tenantSubject = (c: string, set: string) => {
      const rs = parseYaml(substitute(readFileSync(join(fleet, 'tenants', `${set}.yaml`), 'utf8'), runtime(c))) as Parameters<typeof renderResourceSet>[0];
      const oci = renderResourceSet(rs).find((r) => r.kind === 'OCIRepository') as { spec: { verify: { matchOIDCIdentity: Array<{ subject: string }> } } };
      return new RegExp(oci.spec.verify.matchOIDCIdentity[0].subject);
    };
    const fleetSubject = (c: string) => {
      const text = readFileSync(join(fleet, 'clusters', c, 'flux-system', 'flux-instance.yaml'), 'utf8');
      return new RegExp(/subject: (\S+)/.exec(text)?.[1] ?? 'x^');
    };
    /** The workflow files that sign after migration, with the refs they run on. */
    const signers = (repo: string, action: string, sampleTag: string) =>
      Object.entries(after[repo])
        .filter(([, text]) => text.includes(`/actions/${action}@`))
        .flatMap(([f, text]) => signingRefs((parseYaml(text) as Workflow).on, sampleTag).map((ref) => ({ f, ref, id: `https://github.com/${OWNER}/${repo}/.github/workflows/${f}@${ref}` })));
    let checked = 0;
    for (const [repo, set, component] of [['d2-apps', 'apps', 'frontend'], ['d2-infra', 'infra', 'cert-manager']] as const) {
      const push = signers(repo, 'push-artifact', 'unused');
      const release = signers(repo, 'release-artifact', `${component}/v1.2.3`);
      expect(push.map((p) => `${p.f}@${p.ref}`)).toEqual(['push-artifact.yaml@refs/heads/main']);
      expect(release.map((p) => `${p.f}@${p.ref}`)).toEqual([`release-artifact.yaml@refs/tags/${component}/v1.2.3`]);
      for (const p of push) expect(tenantSubject('staging', set).test(p.id), p.id).toBe(true);
      for (const p of release) for (const c of ['prod-eu', 'prod-us']) expect(tenantSubject(c, set).test(p.id), p.id).toBe(true);
      checked += push.length + release.length;
    }
    const fleetPush = signers('d2-fleet', 'push-artifact', 'v1.2.3');
    expect(fleetPush.map((p) => p.ref)).toEqual(['refs/heads/main', 'refs/tags/v1.2.3']);
    expect(fleetSubject('staging').test(fleetPush[0].id)).toBe(true);
    for (const c of ['prod-eu', 'prod-us']) expect(fleetSubject(c).test(fleetPush[1].id)).toBe(true);
    expect(checked).toBe(4);
  });

  it('without --write: prints a unified diff of the changes and writes nothing', async () => {
    const dir = copy('d2-apps');
    const r = await d2(['migrate', '--dir', dir]);
    expect(r.code, r.err).toBe(0);
    expect(workflowsOf(dir)).toEqual(before['d2-apps']);
    expect(r.out).toMatch(/^--- a\/\.github\/workflows\/image-updates\.yaml\n\+\+\+ b\/\.github\/workflows\/image-updates\.yaml\n@@ /m);
    expect(r.out).toContain('-        uses: controlplaneio-fluxcd/distribution/actions/push@main\n+        uses: your-org/d2-actions/actions/push-artifact@v1\n');
    expect(r.out).not.toContain('validate.yaml');
    // Running it again on migrated workflows changes nothing.
    await d2(['migrate', '--dir', dir, '--write']);
    const again = await d2(['migrate', '--dir', dir]);
    expect(again.code).toBe(0);
    expect(again.out.trim()).toBe('nothing to migrate');
  });
});

describe('d2 migrate: what it cannot carry over is reported', () => {
  it('a release that moves several stable tags, and a push with a cloud provider, are migrated with a warning', async () => {
    const dir = copy('d2-apps');
    const wf = join(dir, '.github', 'workflows');
    writeFileSync(join(wf, 'release-artifact.yaml'), readFileSync(join(wf, 'release-artifact.yaml'), 'utf8').replace('tags: latest-stable', 'tags: stable,latest-stable'));
    writeFileSync(join(wf, 'push-artifact.yaml'), readFileSync(join(wf, 'push-artifact.yaml'), 'utf8').replace('diff-tag: latest', 'diff-tag: latest\n          provider: aws'));
    const m = await planMigration(dir);
    const warnings = m.notes.filter((n) => n.kind === 'warning').map((n) => `${n.file}: ${n.message}`);
    expect(warnings).toEqual([
      expect.stringMatching(/push-artifact\.yaml: provider: aws: push-artifact logs in with registry-username/),
      expect.stringMatching(/release-artifact\.yaml: tags lists 2 tags \(stable, latest-stable\): .*stable-tag: stable/),
    ]);
    const release = parseYaml(m.files.find((f) => f.path.endsWith('release-artifact.yaml'))?.after ?? '') as Workflow;
    expect(release.jobs['flux-push-component'].steps?.[1].with).toEqual({ 'stable-tag': 'stable' });
  });
});

describe('d2 migrate: bad input is refused before anything is written', () => {
  it('no .github/workflows: exit 2 with a hint', async () => {
    const dir = join(scratch, 'empty');
    cpSync(join(referenceRepos, 'd2-apps', 'components'), join(dir, 'components'), { recursive: true });
    const r = await d2(['migrate', '--dir', dir, '--write']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/has no \.github\/workflows directory\n\s+hint: run d2 migrate in the root of a D2 repository/);
    expect(existsSync(join(dir, '.github'))).toBe(false);
  });

  it('one unparsable workflow: exit 2 naming it, and no workflow is changed', async () => {
    const dir = copy('d2-apps');
    writeFileSync(join(dir, '.github', 'workflows', 'zz-broken.yaml'), 'jobs:\n  a: [unclosed\n');
    const was = workflowsOf(dir);
    const r = await d2(['migrate', '--dir', dir, '--write']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.github\/workflows\/zz-broken\.yaml is not valid YAML[\s\S]*hint: /);
    expect(workflowsOf(dir)).toEqual(was);
    expect(readdirSync(join(dir, '.github', 'workflows')).some((f) => f.endsWith('.tmp'))).toBe(false);
  });
});
