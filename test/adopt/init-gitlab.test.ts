/**
 * `d2 init fleet|apps|infra --forge gitlab` (docs/adopt.md "d2 init on GitLab"): every generated .gitlab-ci.yml is
 * accepted by the real gitlab-ci-local (its `include: component:` resolved against this suite's templates/, the expanded
 * pipeline validated against GitLab's CI JSON schema) and passes only inputs the components declare; its rules run the
 * signing jobs only on main (push-artifact) and on tags (release-artifact); every Flux object validates against the CRD
 * schemas; the subjects the clusters verify match the identities the sandbox Fulcio gives those pipelines (from the ID
 * token's ci_config_ref_uri) and reject each other's; the update cluster targets the generated GitLab projects.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { readFleetConfig } from '@d2/core/image-automation';
import { writeTree } from '@d2/sandbox/d2-repos';
import { startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { gitUsernameFor } from '../../packages/cli/src/commands/update.js';
import { DEFAULT_SUITE, initFiles, initPlan, isGitLabGroupPath, SUITE_GITLAB_PROJECT, type FileTree, type RepoKind, type Suite } from '../../packages/cli/src/adopt/index.js';
import { crdSkipReason, loadCrdSchemas, type CrdSchemas } from './crd-schemas.js';
import { d2, expectTargetElectsItsMarker, itValidatesEveryObject, listFiles, renderResourceSet, root, scratchDir, substitute } from './helpers.js';

const execFileAsync = promisify(execFile);
// Mixed case, a subgroup and a dot: the identities keep GitLab's spelling, the registry paths are lower case.
const GROUP = 'Acme-Labs/Platform.Team';
const kinds: RepoKind[] = ['fleet', 'apps', 'infra'];
const treesFor = (suite: Suite = DEFAULT_SUITE) => Object.fromEntries(kinds.map((k) => [k, initFiles(initPlan(k, GROUP, 'gitlab', suite))])) as Record<RepoKind, FileTree>;
const trees = treesFor();
const project = (kind: RepoKind) => `${GROUP}/d2-${kind}`;

const scratch = scratchDir('d2-init-gitlab-test-');

interface Include {
  component: string;
  inputs?: Record<string, unknown>;
}
const pipeline = (kind: RepoKind) => parseYaml(trees[kind]['.gitlab-ci.yml']) as { include: Include[] } & Record<string, { rules?: Array<{ if: string }> }>;

/** Inputs each component of templates/ declares in its `spec: inputs:` (the first YAML document). */
function declaredComponentInputs(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const name of readdirSync(join(root, 'templates'))) {
    const file = join(root, 'templates', name, 'template.yml');
    if (!existsSync(file)) continue;
    const spec = parseAllDocuments(readFileSync(file, 'utf8'))[0].toJSON() as { spec?: { inputs?: Record<string, unknown> } };
    out.set(name, new Set(Object.keys(spec.spec?.inputs ?? {})));
  }
  return out;
}

/** Every include of a suite component with an input its template does not declare, as `file: component input`. */
function undeclaredComponentInputs(file: string, includes: Include[], suite: Suite = DEFAULT_SUITE): string[] {
  const declared = declaredComponentInputs();
  const prefix = `$CI_SERVER_FQDN/${suite.gitlabProject}/`;
  const bad: string[] = [];
  for (const inc of includes) {
    if (!inc.component.startsWith(prefix) || !inc.component.endsWith(`@${suite.ref}`)) {
      bad.push(`${file}: not a component of the suite: ${inc.component}`);
      continue;
    }
    const name = inc.component.slice(prefix.length).split('@')[0];
    const inputs = declared.get(name);
    if (!inputs) {
      bad.push(`${file}: no component ${name}`);
      continue;
    }
    for (const k of Object.keys(inc.inputs ?? {})) if (!inputs.has(k)) bad.push(`${file}: ${name} ${k}`);
  }
  return bad;
}

/**
 * The pipelines each project runs, and the jobs the generated rules must start in them (checked by gitlab-ci-local
 * below): the signing jobs run only on main (push-artifact) and on release tags (release-artifact).
 */
interface Scenario {
  what: string;
  ref: string;
  source?: string;
  jobs: string[];
}
const scenarios: Record<RepoKind, Scenario[]> = {
  fleet: [
    { what: 'a push to main', ref: 'refs/heads/main', jobs: ['push-artifact'] },
    { what: 'a pipeline run by hand on main', ref: 'refs/heads/main', source: 'web', jobs: ['push-artifact'] },
    { what: 'the schedule on main', ref: 'refs/heads/main', source: 'schedule', jobs: ['e2e-update'] },
    { what: 'a v1.2.3 tag', ref: 'refs/tags/v1.2.3', jobs: ['release-artifact'] },
    { what: 'a tag not starting with v', ref: 'refs/tags/release-1', jobs: [] },
    { what: 'a push to another branch', ref: 'refs/heads/feature', jobs: [] },
  ],
  apps: [
    { what: 'a push to main', ref: 'refs/heads/main', jobs: ['push-artifact'] },
    { what: 'a schedule on main', ref: 'refs/heads/main', source: 'schedule', jobs: [] },
    { what: 'a frontend/v1.0.0 tag', ref: 'refs/tags/frontend/v1.0.0', jobs: ['release-artifact'] },
    { what: 'a push to image-updates', ref: 'refs/heads/image-updates', jobs: ['image-updates-mr'] },
    { what: 'a push to another branch', ref: 'refs/heads/feature', jobs: [] },
  ],
  infra: [
    { what: 'a push to main', ref: 'refs/heads/main', jobs: ['push-artifact'] },
    { what: 'a cert-manager/v1.20.2 tag', ref: 'refs/tags/cert-manager/v1.20.2', jobs: ['release-artifact'] },
    { what: 'a push to image-updates', ref: 'refs/heads/image-updates', jobs: ['image-updates-mr'] },
    { what: 'a push to another branch', ref: 'refs/heads/feature', jobs: [] },
  ],
};

describe('d2 init --forge gitlab: the pipelines', () => {
  for (const kind of kinds) {
    it(`${kind}: one .gitlab-ci.yml, no GitHub workflow, only components of the suite with declared inputs`, () => {
      const files = Object.keys(trees[kind]);
      expect(files).toContain('.gitlab-ci.yml');
      expect(files.filter((f) => f.startsWith('.github/'))).toEqual([]);
      const p = pipeline(kind);
      expect(undeclaredComponentInputs(kind, p.include)).toEqual([]);
      const names = p.include.map((i) => i.component.replace(/^.*\/([^/@]+)@.*$/, '$1')).sort();
      expect(names).toEqual(kind === 'fleet' ? ['e2e-update', 'push-artifact', 'release-artifact'] : ['image-updates-mr', 'push-artifact', 'release-artifact']);
      expect(p.include[0].component).toBe(`$CI_SERVER_FQDN/${SUITE_GITLAB_PROJECT}/push-artifact@v1`);
      // Every included job gets rules: none runs in every pipeline.
      for (const job of names) expect(p[job]?.rules?.length, job).toBeGreaterThan(0);
      // No shell of its own: the components run d2.
      expect(trees[kind]['.gitlab-ci.yml']).not.toMatch(/\bscript:|cosign|flux push/);
    });
  }

  it('the checks can fail: an undeclared input or a foreign component is reported', () => {
    const p = pipeline('apps');
    p.include[0].inputs = { ...p.include[0].inputs, 'diff-tags': 'latest' };
    p.include.push({ component: '$CI_SERVER_FQDN/other/project/push-artifact@v1' }, { component: `$CI_SERVER_FQDN/${SUITE_GITLAB_PROJECT}/push-artifacts@v1` });
    expect(undeclaredComponentInputs('x', p.include)).toEqual(['x: push-artifact diff-tags', 'x: not a component of the suite: $CI_SERVER_FQDN/other/project/push-artifact@v1', 'x: no component push-artifacts']);
  });
});

const rsync = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v rsync'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
})();
const gcl = join(root, 'node_modules', 'gitlab-ci-local', 'dist', 'index.js');

function runGcl(cwd: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    // gitlab-ci-local needs Node 22 or later: the test's own Node.
    const child = spawn(process.execPath, [gcl, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, GCL_HOME: join(cwd, '.gcl-home') } });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}

describe.skipIf(!rsync)('d2 init --forge gitlab: the pipelines under gitlab-ci-local (needs rsync)', () => {
  const dirs = {} as Record<RepoKind, string>;
  const suites = {} as Record<RepoKind, Suite>;

  beforeAll(async () => {
    // gitlab-ci-local resolves `component: <host>/<project>/<name>@<sha>` from the working copy when the project is the
    // origin's and the sha its HEAD: each generated repository sits in a copy of the suite's project (templates/).
    for (const kind of kinds) {
      const dir = mkdtempSync(join(scratch, `gcl-${kind}-`));
      cpSync(join(root, 'templates'), join(dir, 'templates'), { recursive: true });
      const g = (...a: string[]) => execFileAsync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: dir });
      await g('init', '-q', '-b', 'main');
      await g('add', '-A');
      await g('commit', '-qm', 'the suite');
      await g('remote', 'add', 'origin', `https://gitlab.com/${SUITE_GITLAB_PROJECT}.git`);
      const sha = (await g('rev-parse', 'HEAD')).stdout.trim();
      suites[kind] = { ...DEFAULT_SUITE, ref: sha };
      writeTree(dir, initFiles(initPlan(kind, GROUP, 'gitlab', suites[kind])));
      dirs[kind] = dir;
    }
  }, 60_000);

  const quiet = ['--ignore-predefined-vars', 'CI_COMMIT_BRANCH,CI_COMMIT_TAG,CI_COMMIT_REF_NAME,CI_PIPELINE_SOURCE'];
  /** The variables of a pipeline at `ref`: branch pipelines have CI_COMMIT_BRANCH, tag pipelines CI_COMMIT_TAG only. */
  const pipelineVars = (s: Scenario): string[] => {
    const name = s.ref.replace(/^refs\/(heads|tags)\//, '');
    const vars = s.ref.startsWith('refs/tags/') ? ['--unset-variable', 'CI_COMMIT_BRANCH', '--variable', `CI_COMMIT_TAG=${name}`] : ['--variable', `CI_COMMIT_BRANCH=${name}`];
    return [...vars, '--variable', `CI_COMMIT_REF_NAME=${name}`, '--variable', `CI_PIPELINE_SOURCE=${s.source ?? 'push'}`];
  };

  for (const kind of kinds) {
    it(`${kind}: the components resolve, the pipeline passes GitLab's CI schema, and each pipeline starts exactly the expected jobs`, async () => {
      expect(undeclaredComponentInputs(kind, (parseYaml(readFileSync(join(dirs[kind], '.gitlab-ci.yml'), 'utf8')) as { include: Include[] }).include, suites[kind])).toEqual([]);
      const listed = await runGcl(dirs[kind], [...quiet, '--list']);
      expect(listed.code, listed.out + listed.err).toBe(0);
      expect(listed.out + listed.err).toContain('json schema validated');
      for (const s of scenarios[kind]) {
        const r = await runGcl(dirs[kind], [...quiet, ...pipelineVars(s), '--list-json']);
        expect(r.code, `${s.what}: ${r.err}`).toBe(0);
        const jobs = (JSON.parse(r.out) as Array<{ name: string; when: string }>).filter((j) => j.when !== 'never').map((j) => j.name);
        expect(jobs, s.what).toEqual(s.jobs);
      }
    });

    it(`${kind}: the expanded jobs carry the inputs and the signing jobs their ID token`, async () => {
      const r = await runGcl(dirs[kind], [...quiet, '--preview']);
      expect(r.code, r.err).toBe(0);
      const expanded = parseAllDocuments(r.out).map((d) => d.toJSON() as Record<string, { id_tokens?: Record<string, { aud: string }>; variables?: Record<string, string>; environment?: unknown }>).find((d) => d && 'push-artifact' in d);
      expect(expanded).toBeDefined();
      const jobs = expanded as NonNullable<typeof expanded>;
      for (const job of ['push-artifact', 'release-artifact']) expect(jobs[job].id_tokens?.SIGSTORE_ID_TOKEN?.aud, job).toBe('sigstore');
      expect(jobs['release-artifact'].environment).toBeDefined();
      expect(jobs['push-artifact'].variables).toMatchObject({ D2_IN_DIFF_TAG: 'latest', D2_IN_TAGS: 'latest' });
      if (kind === 'fleet') {
        expect(jobs['push-artifact'].variables).toMatchObject({ D2_IN_REPOSITORY: '$CI_REGISTRY_IMAGE', D2_IN_PATH: '.' });
        expect(jobs['release-artifact'].variables).toMatchObject({ D2_IN_MODE: 'fleet', D2_IN_REPOSITORY: '$CI_REGISTRY_IMAGE' });
        expect(jobs['e2e-update'].variables).toMatchObject({ D2_IN_AUTOMATION: 'clusters/update', D2_IN_TOKEN: '$GITLAB_TOKEN' });
      } else {
        expect(jobs['push-artifact'].variables).toMatchObject({ D2_IN_COMPONENTS: '*', D2_IN_REPOSITORY: '' });
        expect(jobs['image-updates-mr'].variables).toMatchObject({ D2_IN_HEAD: 'image-updates', D2_IN_TOKEN: '$GITLAB_TOKEN' });
      }
    });
  }

  it('the checks can fail: a pipeline GitLab would reject is rejected', async () => {
    const dir = dirs.apps;
    const good = readFileSync(join(dir, '.gitlab-ci.yml'), 'utf8');
    try {
      writeFileSync(join(dir, '.gitlab-ci.yml'), good.replace('    - if: $CI_COMMIT_TAG\n', '    - iff: $CI_COMMIT_TAG\n'));
      const r = await runGcl(dir, [...quiet, '--list']);
      expect(r.code).not.toBe(0);
      expect(r.out + r.err).toMatch(/'iff' property is not expected/);
    } finally {
      writeFileSync(join(dir, '.gitlab-ci.yml'), good);
    }
  });
});

describe.skipIf(crdSkipReason() !== undefined)('d2 init --forge gitlab: objects validate against the Flux and Flux Operator CRDs', () => {
  let schemas: CrdSchemas;
  beforeAll(() => {
    schemas = loadCrdSchemas();
  }, 600_000);

  itValidatesEveryObject(kinds, trees, () => schemas);
});

describe('d2 init --forge gitlab: the clusters accept exactly what the pipelines sign', () => {
  let oidc: SandboxOidc;
  beforeAll(async () => {
    oidc = await startOidc();
  });
  afterAll(async () => {
    await oidc?.stop();
  });

  /**
   * The certificate identity and issuer of a signature made in a pipeline of `project` at `ref`: the sandbox issuer's
   * GitLab ID token, and its SAN as Fulcio (and the sandbox Fulcio) derives it, `https://` + ci_config_ref_uri.
   */
  const signer = (projectPath: string, ref: string, configPath?: string) => {
    const token = oidc.issueGitLabToken({ project: projectPath, ref, ...(configPath ? { configPath } : {}) });
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { ci_config_ref_uri: string; iss: string };
    return { subject: `https://${claims.ci_config_ref_uri}`, issuer: claims.iss };
  };
  const fleet = trees.fleet;
  const runtime = (cluster: string) => (parseYaml(fleet[`clusters/${cluster}/flux-system/runtime-info.yaml`]) as { data: Record<string, string> }).data;
  type Verify = { tag: string; issuer: RegExp; subject: RegExp };
  const tenantVerify = (cluster: string, set: 'apps' | 'infra'): Verify & { url: string } => {
    const rs = parseYaml(substitute(fleet[`tenants/${set}.yaml`], runtime(cluster))) as Parameters<typeof renderResourceSet>[0];
    const oci = renderResourceSet(rs).find((r) => r.kind === 'OCIRepository') as { spec: { url: string; ref: { tag: string }; verify: { matchOIDCIdentity: Array<{ issuer: string; subject: string }> } } };
    const m = oci.spec.verify.matchOIDCIdentity[0];
    return { url: oci.spec.url, tag: oci.spec.ref.tag, issuer: new RegExp(m.issuer), subject: new RegExp(m.subject) };
  };
  const fleetVerify = (cluster: string): Verify & { url: string } => {
    const fi = parseYaml(fleet[`clusters/${cluster}/flux-system/flux-instance.yaml`]) as { spec: { sync: { url: string; ref: string }; kustomize: { patches: Array<{ patch: string }> } } };
    const patch = parseYaml(fi.spec.kustomize.patches[0].patch) as Array<{ value: { matchOIDCIdentity: Array<{ issuer: string; subject: string }> } }>;
    const m = patch[0].value.matchOIDCIdentity[0];
    return { url: fi.spec.sync.url, tag: fi.spec.sync.ref, issuer: new RegExp(m.issuer), subject: new RegExp(m.subject) };
  };
  const accepts = (v: Verify, s: { subject: string; issuer: string }) => v.issuer.test(s.issuer) && v.subject.test(s.subject);
  /** The cluster whose tag the signing job of a pipeline moves: push-artifact → staging, release-artifact → production. */
  const clusterOf = (jobs: string[]) => (jobs.includes('push-artifact') ? 'staging' : jobs.includes('release-artifact') ? 'production' : undefined);
  /**
   * The identity of each pipeline that signs is accepted by its cluster and rejected by the other; the identity of a
   * ref on which no pipeline signs is rejected by both. Returns how many of each were checked.
   */
  const forEachIdentity = (list: Scenario[], projectPath: string, v: { staging: Verify; production: Verify }) => {
    const signingRefs = new Set(list.filter((s) => clusterOf(s.jobs)).map((s) => s.ref));
    const counts = { signing: 0, other: 0 };
    for (const s of list) {
      const cluster = clusterOf(s.jobs);
      if (!cluster && signingRefs.has(s.ref)) continue;
      const id = signer(projectPath, s.ref);
      expect(accepts(v.staging, id), `staging, ${s.what}: ${id.subject}`).toBe(cluster === 'staging');
      expect(accepts(v.production, id), `production, ${s.what}: ${id.subject}`).toBe(cluster === 'production');
      counts[cluster ? 'signing' : 'other']++;
    }
    return counts;
  };

  for (const set of ['apps', 'infra'] as const) {
    it(`${set}: staging accepts the main pipeline's signature, production the tag pipelines'; nothing else`, () => {
      const staging = tenantVerify('staging', set);
      const production = tenantVerify('production', set);
      expect([staging.tag, production.tag]).toEqual(['latest', 'latest-stable']);
      expect(runtime('staging').ARTIFACT_SUBJECT_WORKFLOW).toBeUndefined();
      const checked = forEachIdentity(scenarios[set], project(set), { staging, production });
      expect(checked).toEqual({ signing: 2, other: 2 });
      // Another project, another pipeline file, another issuer: rejected.
      expect(accepts(staging, signer(`${GROUP}/d2-other`, 'refs/heads/main'))).toBe(false);
      expect(accepts(staging, signer(`acme-labs/platform.team/d2-${set}`, 'refs/heads/main'))).toBe(false);
      expect(accepts(staging, signer('Acme-Labs/PlatformxTeam/d2-' + set, 'refs/heads/main'))).toBe(false);
      expect(accepts(staging, signer(project(set), 'refs/heads/main', 'ci/other.yml'))).toBe(false);
      expect(accepts(staging, { ...signer(project(set), 'refs/heads/main'), issuer: 'https://token.actions.githubusercontent.com' })).toBe(false);
      expect(accepts(production, signer(project(set), 'refs/heads/frontend/v1.0.0'))).toBe(false);
      // The artifacts the clusters pull are where the components push by default: $CI_REGISTRY_IMAGE/<component>.
      expect(staging.url).toBe(`oci://registry.gitlab.com/${project(set).toLowerCase()}/${set === 'apps' ? 'frontend' : 'cert-manager'}`);
    });
  }

  it("fleet: each cluster accepts its own fleet artifact from the fleet's pipelines only, pulled from $CI_REGISTRY_IMAGE", () => {
    const clusters = { staging: fleetVerify('staging'), update: fleetVerify('update'), production: fleetVerify('production') };
    expect([clusters.staging.tag, clusters.update.tag, clusters.production.tag]).toEqual(['latest', 'latest', 'latest-stable']);
    expect(forEachIdentity(scenarios.fleet, project('fleet'), { staging: clusters.staging, production: clusters.production })).toEqual({ signing: 3, other: 2 });
    expect(forEachIdentity(scenarios.fleet, project('fleet'), { staging: clusters.update, production: clusters.production })).toEqual({ signing: 3, other: 2 });
    expect(accepts(clusters.production, signer(project('apps'), 'refs/tags/v1.2.3'))).toBe(false);
    // GitLab's CI_REGISTRY_IMAGE: registry.gitlab.com/<project path, lower case>.
    for (const c of Object.values(clusters)) expect(c.url).toBe(`oci://registry.gitlab.com/${project('fleet').toLowerCase()}`);
    for (const c of ['staging', 'production', 'update']) expect(fleet[`clusters/${c}/flux-system/flux-instance.yaml`]).toContain('pullSecret: "gitlab-registry-auth"');
  });
});

describe("d2 init --forge gitlab: the fleet's update cluster drives the GitLab apps and infra projects", () => {
  it('e2e-update reads clusters/update: one target per project on gitlab.com (token sent as oauth2), whose policies and setter markers exist', () => {
    const dir = join(scratch, 'update');
    for (const kind of kinds) writeTree(join(dir, kind), trees[kind]);
    const targets = readFleetConfig(join(dir, 'fleet'), 'clusters/update');
    expect(targets.map((t) => t.repository).sort()).toEqual([`https://gitlab.com/${GROUP}/d2-apps.git`, `https://gitlab.com/${GROUP}/d2-infra.git`]);
    for (const t of targets) {
      expect(gitUsernameFor({})(t.repository)).toBe('oauth2');
      expect(t.secretRef).toBe('gitlab-auth');
      expectTargetElectsItsMarker(t, dir, trees);
    }
  });
});

describe('d2 init --forge gitlab: the command', () => {
  it('writes the repository and the README says what to create on GitLab', async () => {
    for (const kind of kinds) {
      const dir = join(scratch, `cmd-${kind}`);
      const r = await d2(['init', kind, '--owner', 'acme/platform', '--forge', 'gitlab', '--dir', dir]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain('"On GitLab, before the first run"');
      expect(listFiles(dir).sort()).toEqual(Object.keys(initFiles(initPlan(kind, 'acme/platform', 'gitlab'))).sort());
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      for (const want of ['## On GitLab, before the first run', 'Protected branch `main`', 'Protected tags', 'GITLAB_TOKEN', 'masked and protected', 'write_repository', '`api`', '//.gitlab-ci.yml@refs/heads/main', 'registry.gitlab.com/acme/platform/']) {
        expect(readme, `${kind}: ${want}`).toContain(want);
      }
      if (kind === 'fleet') for (const want of ['Pipeline schedule', 'read_registry', 'gitlab-registry-auth', 'refs/tags/v<version>']) expect(readme, want).toContain(want);
      else expect(readme).toContain('Protected branch `image-updates`');
      expect(readme).not.toMatch(/GitHub|\.github\/|GH_UPDATE_TOKEN/);
    }
  });

  it('a bad group path is an input error and nothing is written', async () => {
    const dir = join(scratch, 'cmd-bad');
    for (const owner of ['-acme', 'acme-', 'acme/', '/acme', 'acme//x', 'acme/.x', 'acme/x.', 'a b', 'acme/x.git', 'ac$me', 'ü']) {
      const r = await d2(['init', 'apps', `--owner=${owner}`, '--forge', 'gitlab', '--dir', dir]);
      expect(r.code, owner).toBe(2);
      expect(r.err, owner).toMatch(/is not a GitLab group path[\s\S]*hint: letters, digits/);
    }
    const none = await d2(['init', 'apps', '--forge', 'gitlab', '--dir', dir]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/--owner is required[\s\S]*GitLab group/);
    expect(existsSync(dir)).toBe(false);
    for (const good of ['acme', 'Acme_Labs', '_acme', 'a', 'acme/platform/team-1', 'my.group/sub_group']) expect(isGitLabGroupPath(good), good).toBe(true);
  });

  it('the GitHub layout is untouched by the GitLab one (no GitLab text in it)', () => {
    for (const kind of kinds) {
      const github = initFiles(initPlan(kind, 'acme', 'github'));
      expect(Object.keys(github)).not.toContain('.gitlab-ci.yml');
      expect(Object.values(github).join('\n')).not.toMatch(/gitlab/i);
    }
  });
});
