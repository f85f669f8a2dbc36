/**
 * `d2 demo`: the whole D2 loop on the local real stack, driving the four actions THROUGH THEIR COMMITTED BUNDLES
 * (runActionBundle runs actions/<name>/dist/index.cjs as the GitHub runner does) in the order D2's workflows run them:
 *   1. push-artifact on main for every component of d2-apps and d2-infra and for d2-fleet, signed with the
 *      push-artifact workflow identity; then again with no change (nothing pushed);
 *   2. release-artifact for frontend/v1.0.0 (latest-stable moves; release workflow identity);
 *   3. newer image tags appear in the registry; e2e-update runs from the fleet's clusters/update and commits on
 *      image-updates in d2-apps and d2-infra;
 *   4. image-updates-pr opens the PR in the GitHub API emulator; it is merged (emulator merge endpoint) and
 *      push-artifact runs again on main (new digests for the changed components);
 *   5. every artifact is verified as a D2 cluster would (`d2 verify` with the staging identity for latest, the
 *      production identity for latest-stable, from the fleet's runtime-info), and wrong identities are rejected.
 * Spec references: flux-artifact.md, cosign-signatures.md §3.4 (SAN = https://github.com/ + job_workflow_ref),
 * github-actions.md §3 (OIDC claims) and §4 (PR flow), image-automation.md §4 (D2 update cluster).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { RegistryClient } from '@d2/core/oci';
import { appsRepo, appsWorkflows, fleetRepo, infraRepo, type FileTree } from '@d2/sandbox/d2-repos';
import { runActionBundle, type ActionRun, type RunActionOptions } from '@d2/sandbox/runner';
import { runCli, type Io } from '../cli.js';
import { verifyCommand } from '../commands/verify.js';
import { changedPaths, checkout, commitsAhead, pushTag, remoteBranchSha, seedRepository, tempDir } from './git.js';
import { seedImages } from './images.js';
import type {
  ActionRunReport,
  DemoReport,
  IdentitiesFile,
  PullRequestReport,
  StepReport,
} from './report.js';
import { startStack, type DemoStack } from './stack.js';

export const DEMO_OWNER = 'd2-demo';
export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';
const RELEASE_TAG = 'frontend/v1.0.0';
/** The fleet is released as a whole (release-artifact mode: fleet): production clusters sync d2-fleet:latest-stable. */
const FLEET_TAG = 'v1.0.0';

export interface DemoOptions {
  /** HOST:PORT of an anonymous loopback registry to use instead of starting one. */
  registry?: string;
  /** Where report.json, trusted_root.json and identities.json go (created if missing). */
  out: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

export interface DemoResult {
  ok: boolean;
  report: DemoReport;
  stack: DemoStack;
  /** Temp workspaces (removed by cleanup()). */
  cleanup(): Promise<void>;
}

/** Go's regexp.QuoteMeta: escapes every RE2 metacharacter (what Flux users and the D2 fleet use). */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

interface ArtifactAction {
  /** owner/name of the git repository. */
  repo: string;
  inputs: Record<string, string>;
}

interface ActionArtifact {
  component: string;
  repository: string;
  pushed: boolean;
  digest: string;
  tags: string[];
  signature: string;
}

class StepFailure extends Error {}

function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/** The runtime-info ConfigMap data of a fleet cluster (ARTIFACT_TAG, ARTIFACT_SUBJECT_WORKFLOW, ARTIFACT_SUBJECT_GIT_REF). */
function runtimeInfo(fleet: FileTree, cluster: string): Record<string, string> {
  const text = fleet[`clusters/${cluster}/flux-system/runtime-info.yaml`];
  if (!text) throw new Error(`the fleet has no clusters/${cluster}/flux-system/runtime-info.yaml`);
  const doc = parseYaml(text) as { data?: Record<string, string> };
  return doc.data ?? {};
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const log = opts.log;
  await mkdir(opts.out, { recursive: true });
  const work = await tempDir('d2-demo-work-');
  const stack = await startStack({ registry: opts.registry });
  const reg = stack.registry;
  // A registry given with --registry may hold an earlier run's artifacts: a fresh owner keeps every run independent.
  const owner = opts.registry ? `${DEMO_OWNER}-${randomBytes(3).toString('hex')}` : DEMO_OWNER;
  const fleetName = `${owner}/d2-fleet`;
  const appsName = `${owner}/d2-apps`;
  const infraName = `${owner}/d2-infra`;
  const authUrl = (full: string): string => stack.git.authUrl(full);
  const client = new RegistryClient({ credentials: { get: async () => undefined } });
  const trustedRoot = join(opts.out, 'trusted_root.json');
  await writeFile(trustedRoot, JSON.stringify(stack.sigstore.trustedRoot, null, 2) + '\n');

  const report: DemoReport = {
    version: 1,
    ok: false,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    owner,
    registry: reg,
    sandbox: {
      registry: `http://${reg}`,
      git: stack.git.url,
      githubApi: stack.github.url,
      sigstore: stack.sigstore.url,
      fulcio: stack.sigstore.fulcioURL,
      rekor: stack.sigstore.rekorURL,
      oidc: stack.oidc.url,
    },
    steps: [],
    runs: [],
    pushes: [],
    artifacts: [],
    commits: [],
    pullRequests: [],
    merges: [],
    verifications: [],
  };

  log(`d2 demo — the D2 loop on a local real stack (owner ${owner})`);
  log(`  registry    http://${reg}${stack.ownRegistry ? ' (CNCF distribution, anonymous)' : ' (--registry)'}`);
  log(`  git         ${stack.git.url} (smart HTTP, git http-backend)`);
  log(`  GitHub API  ${stack.github.url} (emulator, validated against @octokit/openapi)`);
  log(`  Sigstore    ${stack.sigstore.url} (Fulcio + CT log, Rekor v1) · OIDC ${stack.oidc.url}`);

  // ---- the D2 repositories -------------------------------------------------------------------------------------
  const repoOpts = {
    owner,
    registry: reg,
    appsGitUrl: `${stack.git.url}/${appsName}.git`,
    infraGitUrl: `${stack.git.url}/${infraName}.git`,
  };
  const fleetFiles = fleetRepo(repoOpts);
  const trees: Record<string, FileTree> = {
    [fleetName]: fleetFiles,
    [appsName]: { ...appsRepo(repoOpts), ...appsWorkflows(owner) },
    [infraName]: { ...infraRepo(repoOpts), ...appsWorkflows(owner) },
  };
  for (const [name, files] of Object.entries(trees)) {
    await stack.github.addRepo(name, { defaultBranch: 'main', requiredChecks: false });
    const sha = await seedRepository(authUrl(name), files, `Initial ${name.split('/')[1]} layout`, work);
    report.commits.push({ repository: name, branch: 'main', sha, kind: 'initial', subject: `Initial ${name.split('/')[1]} layout` });
  }
  log(`  repos       ${Object.keys(trees).join(', ')} pushed to the git server`);
  await seedImages(client, reg, 'initial');

  // ---- the identities a D2 cluster verifies with (from the fleet's runtime-info) -----------------------------------
  const staging = runtimeInfo(fleetFiles, 'staging');
  const production = runtimeInfo(fleetFiles, 'production');
  const issuerRegExp = `^${quoteMeta(GITHUB_ISSUER)}$`;
  const subjectFor = (repo: string, workflow: string, gitRefRegex: string): string =>
    `^${quoteMeta(`https://github.com/${owner}/${repo}/.github/workflows/${workflow}.yaml`)}@${gitRefRegex}$`;

  const steps: { title: string; run: (s: StepReport) => Promise<void> }[] = [];
  const latestBefore = new Map<string, string>();
  let e2eChanges = '';

  const runAction = async (step: number, action: string, repo: string, o: RunActionOptions & { ref: string; sha: string }): Promise<ActionRun> => {
    const run = await runActionBundle(action, { ...o, repository: repo, timeoutMs: 120_000 });
    const r: ActionRunReport = {
      step,
      action,
      repository: repo,
      ref: o.ref,
      sha: o.sha,
      exitCode: run.exitCode,
      durationMs: Math.round(run.durationMs),
      outputs: run.outputs,
      errors: run.errors,
    };
    report.runs.push(r);
    if (run.exitCode !== 0) {
      const why = run.errors.join('; ') || run.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${run.exitCode}`;
      throw new StepFailure(`${action} in ${repo} failed: ${why}`);
    }
    return run;
  };

  const sigstoreInputs = {
    'fulcio-url': stack.sigstore.fulcioURL,
    'rekor-url': stack.sigstore.rekorURL,
    'trusted-root': trustedRoot,
  };
  const pushActions: ArtifactAction[] = [
    { repo: appsName, inputs: { components: '*', repository: `${reg}/${appsName}/{component}`, path: 'components/{component}', 'diff-tag': 'latest' } },
    // d2-infra signs in both formats (cosign .sig + cosign v3 DSSE bundle referrer): its artifacts verify on the bundle path.
    { repo: infraName, inputs: { components: '*', repository: `${reg}/${infraName}/{component}`, path: 'components/{component}', 'diff-tag': 'latest', 'signature-format': 'both' } },
    { repo: fleetName, inputs: { repository: `${reg}/${fleetName}`, path: '.', 'diff-tag': 'latest' } },
  ];

  /** push-artifact on main of `a.repo`, as the push-artifact.yaml workflow would run it. */
  const pushArtifact = async (step: number, pass: string, a: ArtifactAction, s: StepReport): Promise<ActionArtifact[]> => {
    const { dir, sha } = await checkout(authUrl(a.repo), 'main', work);
    const ctx = { repository: a.repo, workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main', sha };
    const run = await runAction(step, 'push-artifact', a.repo, {
      workspace: dir,
      ref: ctx.ref,
      sha,
      inputs: { ...a.inputs, ...sigstoreInputs },
      env: { ...stack.oidc.envFor(ctx) },
    });
    const artifacts = JSON.parse(run.outputs.artifacts ?? '[]') as ActionArtifact[];
    for (const x of artifacts) {
      report.pushes.push({ step, pass, repository: x.repository, component: x.component, pushed: x.pushed, digest: x.digest, tags: x.tags, signature: x.signature });
    }
    s.details.push(
      `${a.repo.split('/')[1]}@${sha.slice(0, 7)}: ${artifacts.map((x) => `${x.component || 'fleet'} ${x.pushed ? 'pushed' : 'unchanged'} ${short(x.digest)}${x.signature ? ' signed' : ''}`).join(', ')} (${ms(run.durationMs)})`,
    );
    return artifacts;
  };

  // ---- 1. push-artifact on main, twice ----------------------------------------------------------------------------
  steps.push({
    title: 'push-artifact on main for every component (signed), then again with no change',
    run: async (s) => {
      for (const a of pushActions) {
        const artifacts = await pushArtifact(1, 'first', a, s);
        for (const x of artifacts) {
          latestBefore.set(x.repository, x.digest);
          if (!x.signature && x.pushed) throw new StepFailure(`${x.repository}@${x.digest} was pushed without a signature`);
        }
      }
      for (const a of pushActions) {
        const artifacts = await pushArtifact(1, 'unchanged', a, s);
        const pushed = artifacts.filter((x) => x.pushed);
        if (pushed.length) throw new StepFailure(`the second run pushed ${pushed.map((x) => x.repository).join(', ')} although nothing changed`);
        for (const x of artifacts) {
          if (x.digest !== latestBefore.get(x.repository)) throw new StepFailure(`${x.repository}: the unchanged run reports ${x.digest}, not ${latestBefore.get(x.repository)}`);
        }
      }
      s.details.push(`second run: nothing pushed, ${latestBefore.size} artifacts unchanged`);
    },
  });

  // ---- 2. release-artifact for frontend/v1.0.0 --------------------------------------------------------------------
  steps.push({
    title: `release-artifact for ${RELEASE_TAG} (latest-stable moves, release workflow identity)`,
    run: async (s) => {
      const sha = await pushTag(authUrl(appsName), RELEASE_TAG, work);
      report.commits.push({ repository: appsName, branch: `refs/tags/${RELEASE_TAG}`, sha, kind: 'release-tag', tag: RELEASE_TAG });
      const repository = `${reg}/${appsName}/frontend`;
      const repo = { registry: reg, repository: `${appsName}/frontend` };
      const before = (await client.headManifest(repo, 'latest-stable'))?.digest ?? null;
      const { dir } = await checkout(authUrl(appsName), RELEASE_TAG, work);
      const ref = `refs/tags/${RELEASE_TAG}`;
      const ctx = { repository: appsName, workflow: '.github/workflows/release-artifact.yaml', ref, sha };
      const run = await runAction(2, 'release-artifact', appsName, {
        workspace: dir,
        ref,
        sha,
        inputs: { repository: `${reg}/${appsName}/{component}`, path: 'components/{component}', ...sigstoreInputs },
        env: { ...stack.oidc.envFor(ctx) },
      });
      const after = (await client.headManifest(repo, 'latest-stable'))?.digest ?? null;
      const version = (await client.headManifest(repo, 'v1.0.0'))?.digest ?? null;
      const digest = run.outputs.digest ?? '';
      report.release = {
        repository,
        component: run.outputs.component ?? '',
        version: run.outputs.version ?? '',
        tag: RELEASE_TAG,
        digest,
        stableBefore: before,
        stableAfter: after,
        moved: after !== null && after !== before && after === digest,
        signature: run.outputs.signature ?? '',
        certificateIdentity: run.outputs['certificate-identity'] ?? '',
      };
      report.pushes.push({ step: 2, pass: 'release', repository, component: 'frontend', pushed: true, digest, tags: (run.outputs.tags ?? '').split(',').filter(Boolean), signature: run.outputs.signature ?? '' });
      s.details.push(`frontend ${run.outputs.version} → ${short(digest)}; latest-stable ${before ? short(before) : '(none)'} → ${after ? short(after) : '(none)'} (${ms(run.durationMs)})`);
      s.details.push(`signed by ${run.outputs['certificate-identity'] ?? '?'}`);
      if (!report.release.moved) throw new StepFailure(`latest-stable did not move to ${digest} (it is ${after ?? 'missing'})`);
      if (version !== digest) throw new StepFailure(`the version tag v1.0.0 points at ${version ?? 'nothing'}, not ${digest}`);
      if (!report.release.signature) throw new StepFailure('the release was not signed');

      // The fleet repository: production clusters sync d2-fleet:latest-stable, released from a plain version tag.
      const fleetSha = await pushTag(authUrl(fleetName), FLEET_TAG, work);
      report.commits.push({ repository: fleetName, branch: `refs/tags/${FLEET_TAG}`, sha: fleetSha, kind: 'release-tag', tag: FLEET_TAG });
      const { dir: fleetDir } = await checkout(authUrl(fleetName), FLEET_TAG, work);
      const fleetRef = `refs/tags/${FLEET_TAG}`;
      const fleetRun = await runAction(2, 'release-artifact', fleetName, {
        workspace: fleetDir,
        ref: fleetRef,
        sha: fleetSha,
        inputs: { mode: 'fleet', repository: `${reg}/${fleetName}`, path: '.', ...sigstoreInputs },
        env: { ...stack.oidc.envFor({ repository: fleetName, workflow: '.github/workflows/release-artifact.yaml', ref: fleetRef, sha: fleetSha }) },
      });
      const fleetRepoRef = { registry: reg, repository: fleetName };
      const fleetStable = (await client.headManifest(fleetRepoRef, 'latest-stable'))?.digest ?? null;
      const fleetDigest = fleetRun.outputs.digest ?? '';
      report.pushes.push({ step: 2, pass: 'release', repository: `${reg}/${fleetName}`, component: '', pushed: true, digest: fleetDigest, tags: (fleetRun.outputs.tags ?? '').split(',').filter(Boolean), signature: fleetRun.outputs.signature ?? '' });
      s.details.push(`d2-fleet ${FLEET_TAG} (mode: fleet) → ${short(fleetDigest)}; latest-stable → ${fleetStable ? short(fleetStable) : '(none)'} (${ms(fleetRun.durationMs)})`);
      if (!fleetDigest || fleetStable !== fleetDigest) throw new StepFailure(`d2-fleet latest-stable is ${fleetStable ?? 'missing'}, not the fleet release ${fleetDigest || '(none)'}`);
      if (!fleetRun.outputs.signature) throw new StepFailure('the fleet release was not signed');
    },
  });

  // ---- 3. newer image tags, e2e-update from clusters/update ------------------------------------------------------
  steps.push({
    title: 'newer image tags in the registry; e2e-update from the fleet (commits on image-updates)',
    run: async (s) => {
      const seeded = await seedImages(client, reg, 'newer');
      s.details.push(`seeded ${seeded.map((t) => `${t.repository.slice(reg.length + 1)}:${t.tag}`).join(', ')}`);
      const { dir, sha } = await checkout(authUrl(fleetName), 'main', work);
      const run = await runAction(3, 'e2e-update', fleetName, {
        workspace: dir,
        ref: 'refs/heads/main',
        sha,
        eventName: 'schedule',
        inputs: { automation: 'clusters/update', token: stack.git.token },
      });
      e2eChanges = run.outputs.changes ?? '';
      const changes = JSON.parse(e2eChanges || '[]') as { repository?: string; file?: string; old?: string; new?: string }[];
      const commits = JSON.parse(run.outputs.commits || '[]') as { repository?: string; branch?: string; sha?: string }[];
      for (const name of [appsName, infraName]) {
        const ahead = await commitsAhead(authUrl(name), 'main', 'image-updates', work).catch(() => []);
        for (const c of ahead) report.commits.push({ repository: name, branch: 'image-updates', sha: c.sha, kind: 'image-update', subject: c.subject });
        s.details.push(`${name.split('/')[1]}: ${ahead.length} commit(s) on image-updates${ahead[0] ? ` (${ahead[0].sha.slice(0, 7)} "${ahead[0].subject}")` : ''}`);
      }
      s.details.push(`${changes.length} setter change(s): ${changes.map((c) => `${c.old} → ${c.new}`).join(', ')} (${ms(run.durationMs)})`);
      if (run.outputs.changed !== 'true' || commits.length === 0) throw new StepFailure('e2e-update made no commit although newer tags exist');
    },
  });

  // ---- 4. image-updates-pr, merge, push-artifact again --------------------------------------------------------------
  steps.push({
    title: 'image-updates-pr opens the PR; merge it; push-artifact again (new digests)',
    run: async (s) => {
      for (const name of [appsName, infraName]) {
        const head = await remoteBranchSha(authUrl(name), 'image-updates');
        if (!head) {
          s.details.push(`${name.split('/')[1]}: no image-updates branch, nothing to propose`);
          continue;
        }
        const event = {
          ref: 'image-updates',
          ref_type: 'branch',
          master_branch: 'main',
          repository: { full_name: name, name: name.split('/')[1], owner: { login: owner }, default_branch: 'main', private: false },
        };
        const run = await runAction(4, 'image-updates-pr', name, {
          ref: 'refs/heads/image-updates',
          sha: head,
          eventName: 'create',
          event,
          inputs: { token: stack.git.token, changes: e2eChanges },
          env: { GITHUB_API_URL: stack.github.url, GITHUB_GRAPHQL_URL: stack.github.graphqlUrl, GITHUB_SERVER_URL: stack.github.serverUrl },
        });
        const number = Number(run.outputs['pull-request-number']);
        if (run.outputs.operation !== 'created' || !Number.isInteger(number)) {
          throw new StepFailure(`image-updates-pr in ${name} did not create a pull request (operation '${run.outputs.operation ?? ''}')`);
        }
        const pr: PullRequestReport = { repository: name, number, url: run.outputs['pull-request-url'] ?? '', operation: run.outputs.operation, headSha: run.outputs['head-sha'] ?? head, merged: false };
        report.pullRequests.push(pr);
        const res = await fetch(`${stack.github.url}/repos/${name}/pulls/${number}/merge`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${stack.git.token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
          body: JSON.stringify({ merge_method: 'merge', sha: pr.headSha }),
        });
        const body = (await res.json()) as { merged?: boolean; sha?: string; message?: string };
        if (!res.ok || body.merged !== true) throw new StepFailure(`merging ${name}#${number} failed: ${res.status} ${body.message ?? ''}`);
        pr.merged = true;
        pr.mergeCommitSha = body.sha;
        report.commits.push({ repository: name, branch: 'main', sha: body.sha ?? '', kind: 'merge', subject: `Merge pull request #${number} from ${owner}/image-updates` });
        s.details.push(`${name.split('/')[1]}: PR #${number} created (${pr.url}) and merged → main ${body.sha?.slice(0, 7)} (${ms(run.durationMs)})`);
        const a = pushActions.find((p) => p.repo === name);
        if (!a) continue;
        // The components the merge changed, from git itself: they, and only they, must get a new digest.
        const initial = report.commits.find((c) => c.repository === name && c.kind === 'initial')?.sha ?? 'main';
        const touched = new Set((await changedPaths(authUrl(name), initial, body.sha ?? 'main', work)).map((f) => /^components\/([^/]+)\//.exec(f)?.[1]).filter(Boolean));
        const artifacts = await pushArtifact(4, 'after-merge', a, s);
        for (const x of artifacts) {
          const before = latestBefore.get(x.repository) ?? '';
          report.merges.push({ repository: x.repository, component: x.component, before, after: x.digest, changed: before !== x.digest, expectedChange: touched.has(x.component) });
        }
      }
      if (report.pullRequests.length === 0) throw new StepFailure('no pull request was created');
      const missed = report.merges.filter((m) => m.expectedChange !== m.changed);
      if (missed.length) {
        throw new StepFailure(`after the merge, the digest changes do not follow the content changes for ${missed.map((m) => `${m.repository} (${m.changed ? 'new digest, content unchanged' : 'content changed, same digest'})`).join(', ')}`);
      }
      if (!report.merges.some((m) => m.changed)) throw new StepFailure('no artifact changed after the merge');
    },
  });

  // ---- 5. verify as a D2 cluster would ----------------------------------------------------------------------------
  const identities: IdentitiesFile = { issuerRegExp, identities: [] };
  steps.push({
    title: 'verify every artifact as a D2 cluster would (staging: latest, production: latest-stable); wrong identities rejected',
    run: async (s) => {
      const sources = [appsName, infraName, fleetName];
      const artifactRepos: { repository: string; source: string; component: string }[] = [];
      for (const a of pushActions) {
        const names = new Set(report.pushes.filter((p) => p.repository.startsWith(`${reg}/${a.repo}`)).map((p) => `${p.repository}\u0000${p.component}`));
        for (const n of names) {
          const [repository, component] = n.split('\u0000');
          artifactRepos.push({ repository, source: a.repo, component });
        }
      }
      // The final registry state: every tagged digest of every artifact repository.
      for (const ar of artifactRepos) {
        const repo = { registry: reg, repository: ar.repository.slice(reg.length + 1) };
        const tags = (await client.listTags(repo)).filter((t) => !/^sha256-[0-9a-f]{64}/.test(t));
        const byDigest = new Map<string, string[]>();
        for (const t of tags) {
          const d = (await client.headManifest(repo, t))?.digest;
          if (d) byDigest.set(d, [...(byDigest.get(d) ?? []), t]);
        }
        for (const [digest, ts] of byDigest) {
          const sigTag = `sha256-${digest.slice(7)}.sig`;
          const sig = (await client.headManifest(repo, sigTag)) ? `${ar.repository}:${sigTag}` : null;
          report.artifacts.push({ repository: ar.repository, source: ar.source, component: ar.component, digest, tags: ts.sort(), signature: sig, verifiedAs: [] });
        }
      }
      const plan: { name: string; tag: string; sources: string[]; subject: (repo: string) => string; expected: 'verified' | 'rejected' }[] = [
        {
          name: 'staging',
          tag: staging.ARTIFACT_TAG ?? 'latest',
          sources,
          subject: (repo) => subjectFor(repo, staging.ARTIFACT_SUBJECT_WORKFLOW ?? 'push-artifact', staging.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/heads/main'),
          expected: 'verified',
        },
        {
          name: 'production',
          tag: production.ARTIFACT_TAG ?? 'latest-stable',
          sources,
          subject: (repo) => subjectFor(repo, production.ARTIFACT_SUBJECT_WORKFLOW ?? 'release-artifact', production.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/tags/.*'),
          expected: 'verified',
        },
        // latest-stable was signed by the release workflow: the push workflow's identity must not pass for it.
        {
          name: 'wrong-workflow',
          tag: production.ARTIFACT_TAG ?? 'latest-stable',
          sources,
          subject: (repo) => subjectFor(repo, staging.ARTIFACT_SUBJECT_WORKFLOW ?? 'push-artifact', staging.ARTIFACT_SUBJECT_GIT_REF ?? 'refs/heads/main'),
          expected: 'rejected',
        },
        // Another repository's workflow must not pass for d2-apps' artifacts.
        { name: 'wrong-repository', tag: 'latest', sources: [appsName], subject: () => subjectFor('d2-infra', 'push-artifact', 'refs/heads/main'), expected: 'rejected' },
      ];
      const isolated = await tempDir('d2-demo-docker-', work);
      for (const p of plan) {
        const used = new Set<string>();
        for (const art of report.artifacts.filter((x) => p.sources.includes(x.source) && x.tags.includes(p.tag))) {
          const subjectRegExp = p.subject(art.source.split('/')[1]);
          used.add(art.source);
          const reference = `oci://${art.repository}:${p.tag}`;
          const v = await dVerify(reference, subjectRegExp, issuerRegExp, trustedRoot, { DOCKER_CONFIG: isolated });
          const ok = v.result === p.expected;
          if (v.result === 'verified') art.verifiedAs.push(p.name);
          report.verifications.push({ repository: art.repository, reference, digest: art.digest, identity: p.name, subjectRegExp, issuerRegExp, expected: p.expected, result: v.result, ok, message: v.message });
          s.details.push(`${ok ? '✓' : '✗'} ${p.name.padEnd(16)} ${art.repository.slice(reg.length + 1)}:${p.tag} ${v.result}${v.result === 'verified' ? ` (${v.message.split(' ')[0]})` : `: ${v.message.split('\n')[0].slice(0, 110)}`}`);
        }
        if (used.size) {
          identities.identities.push({
            name: p.name,
            tag: p.tag,
            expected: p.expected,
            issuerRegExp,
            subjects: [...used].map((repository) => ({ repository, subjectRegExp: p.subject(repository.split('/')[1]) })),
          });
        }
      }
      const bad = report.verifications.filter((v) => !v.ok);
      if (bad.length) throw new StepFailure(`${bad.length} verification(s) did not give the expected result: ${bad.map((b) => `${b.identity} ${b.reference}`).join(', ')}`);
      if (!report.verifications.some((v) => v.identity === 'production' && v.result === 'verified')) throw new StepFailure('no latest-stable artifact was verified with the production identity');
      if (!report.verifications.some((v) => v.expected === 'rejected')) throw new StepFailure('no wrong identity was tried');
      const unsigned = report.artifacts.filter((a) => !a.signature);
      if (unsigned.length) throw new StepFailure(`unsigned artifacts: ${unsigned.map((a) => `${a.repository}@${short(a.digest)}`).join(', ')}`);
    },
  });

  // ---- run the steps --------------------------------------------------------------------------------------------
  for (const [i, step] of steps.entries()) {
    const s: StepReport = { id: i + 1, title: step.title, ok: false, durationMs: 0, details: [] };
    report.steps.push(s);
    log(`\n[${s.id}/${steps.length}] ${step.title}`);
    const t0 = performance.now();
    try {
      await step.run(s);
      s.ok = true;
    } catch (err) {
      s.error = err instanceof Error ? err.message : String(err);
    }
    s.durationMs = Math.round(performance.now() - t0);
    for (const d of s.details) log(`    ${d}`);
    log(s.ok ? `  ✓ step ${s.id} passed (${ms(s.durationMs)})` : `  ✗ step ${s.id} failed (${ms(s.durationMs)}): ${s.error}`);
  }

  report.ok = report.steps.every((s) => s.ok);
  report.durationMs = Math.round(performance.now() - started);
  await writeFile(join(opts.out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  await writeFile(join(opts.out, 'identities.json'), JSON.stringify(identities, null, 2) + '\n');
  client.close();
  log(`\n${report.ok ? '✓ every step and verification passed' : `✗ ${report.steps.filter((s) => !s.ok).length} of ${report.steps.length} steps failed`} in ${ms(report.durationMs)}`);
  log(`  ${join(opts.out, 'report.json')}\n  ${join(opts.out, 'trusted_root.json')}\n  ${join(opts.out, 'identities.json')}`);
  return {
    ok: report.ok,
    report,
    stack,
    cleanup: async () => {
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** `d2 verify` in-process (the same command users run), with its JSON result or its error. */
async function dVerify(
  reference: string,
  subjectRegExp: string,
  issuerRegExp: string,
  trustedRoot: string,
  env: Record<string, string>,
): Promise<{ result: 'verified' | 'rejected' | 'error'; message: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } };
  const code = await runCli(
    [verifyCommand],
    ['verify', reference, '--certificate-identity-regexp', subjectRegExp, '--certificate-oidc-issuer-regexp', issuerRegExp, '--trusted-root', trustedRoot, '-o', 'json'],
    'demo',
    io,
  );
  if (code === 0) {
    const r = JSON.parse(out) as { identity?: string; logIndex?: number; format?: string };
    return { result: 'verified', message: `${r.format ?? '?'} signature of ${r.identity ?? ''} (Rekor ${r.logIndex ?? '?'})` };
  }
  const message = err.replace(/^✗ d2 verify: /, '').trim();
  return { result: /signature verification failed/.test(message) ? 'rejected' : 'error', message };
}
