/**
 * The shared context of the demo's steps: the running stack, the names of the D2 repositories, the registry client,
 * the report every step writes into, and what one step leaves for the next (the digests before the update, the
 * e2e-update changes). Built by {@link createDemoContext}: starts the stack, creates and seeds the D2 repositories
 * and the initial images — everything that happens before step 1.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RegistryClient } from '@d2/core/oci';
import { appsRepo, appsWorkflows, fleetRepo, infraRepo, type FileTree } from '@d2/sandbox/d2-repos';
import { seedRepository, tempDir } from './git.js';
import { initRepos } from './init-repos.js';
import { DEMO_OWNER, GITHUB_ISSUER, quoteMeta, runtimeInfo, subjectRegExp } from './identities.js';
import { seedImages } from './images.js';
import type { DemoReport, IdentitiesFile, StepReport } from './report.js';
import { startStack, type DemoStack } from './stack.js';

export interface DemoOptions {
  /** HOST:PORT of an anonymous loopback registry to use instead of starting one. */
  registry?: string;
  /** Where report.json, trusted_root.json and identities.json go (created if missing). */
  out: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Seed the repositories with what `d2 init` writes (init-repos.ts) instead of the built-in D2-shaped ones. */
  fromInit?: boolean;
  /** Which layout --from-init seeds: `d2 init`'s GitHub repositories (default) or its GitLab ones (`--forge gitlab`). */
  initForge?: 'github' | 'gitlab';
}

/** One push-artifact configuration (the inputs of a repository's push-artifact.yaml workflow). */
export interface ArtifactAction {
  /** owner/name of the git repository. */
  repo: string;
  inputs: Record<string, string>;
}

export interface DemoContext {
  opts: DemoOptions;
  log: (line: string) => void;
  /** Temp directory for clones and workspaces (removed by the demo's cleanup). */
  work: string;
  stack: DemoStack;
  /** HOST:PORT of the registry. */
  reg: string;
  owner: string;
  fleetName: string;
  appsName: string;
  infraName: string;
  /** The git URL of `owner/name` with the sandbox credentials. */
  authUrl(full: string): string;
  client: RegistryClient;
  /** Path of the stand-in's trusted_root.json in the output directory. */
  trustedRoot: string;
  report: DemoReport;
  identities: IdentitiesFile;
  /** runtime-info of the fleet's staging and production clusters. */
  staging: Record<string, string>;
  production: Record<string, string>;
  issuerRegExp: string;
  /** The certificate subject regexp of a workflow of one of the owner's repositories. */
  subjectFor(repo: string, workflow: string, gitRefRegex: string): string;
  /** The Sigstore inputs every signing action gets (the stand-in). */
  sigstoreInputs: Record<string, string>;
  /** push-artifact on main, per repository. */
  pushActions: ArtifactAction[];
  /** Digest per artifact repository after step 1 (step 4 compares with it). */
  latestBefore: Map<string, string>;
  /** e2e-update's `changes` output (step 3), handed to image-updates-pr (step 4). */
  e2eChanges: string;
}

/** One step of the demo: its title (in the report) and what it does; a thrown error fails the step. */
export interface DemoStep {
  title: string;
  run(ctx: DemoContext, s: StepReport): Promise<void>;
}

/** A step's check failed: the message goes into the step's report. */
export class StepFailure extends Error {}

export function short(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

export function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/**
 * Runs `steps` in order: each gets a StepReport in `reports`, is logged as `[id/n] title`, then its details and ✓ or ✗
 * with its duration. A step that throws fails with the error's message; the next step still runs.
 */
export async function runSteps<S extends { title: string }>(
  steps: readonly S[],
  reports: StepReport[],
  log: (line: string) => void,
  run: (step: S, s: StepReport) => Promise<void>,
): Promise<void> {
  for (const [i, step] of steps.entries()) {
    const s: StepReport = { id: i + 1, title: step.title, ok: false, durationMs: 0, details: [] };
    reports.push(s);
    log(`\n[${s.id}/${steps.length}] ${step.title}`);
    const t0 = performance.now();
    try {
      await run(step, s);
      s.ok = true;
    } catch (err) {
      s.error = err instanceof Error ? err.message : String(err);
    }
    s.durationMs = Math.round(performance.now() - t0);
    for (const d of s.details) log(`    ${d}`);
    log(s.ok ? `  ✓ step ${s.id} passed (${ms(s.durationMs)})` : `  ✗ step ${s.id} failed (${ms(s.durationMs)}): ${s.error}`);
  }
}

/** Sets the report's verdict (every step passed) and duration since `started`, and writes it to `out`/report.json. */
export async function writeReport(report: { ok: boolean; durationMs: number; steps: StepReport[] }, started: number, out: string): Promise<void> {
  report.ok = report.steps.every((s) => s.ok);
  report.durationMs = Math.round(performance.now() - started);
  await writeFile(join(out, 'report.json'), JSON.stringify(report, null, 2) + '\n');
}

export async function createDemoContext(opts: DemoOptions): Promise<DemoContext> {
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
    groupedUpdates: [],
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
  const init = opts.fromInit ? initRepos({ ...repoOpts, gitUrl: stack.git.url, forge: opts.initForge }) : undefined;
  const fleetFiles = init ? init.fleet : fleetRepo(repoOpts);
  const trees: Record<string, FileTree> = {
    [fleetName]: fleetFiles,
    [appsName]: init ? init.apps : { ...appsRepo(repoOpts), ...appsWorkflows(owner) },
    [infraName]: init ? init.infra : { ...infraRepo(repoOpts), ...appsWorkflows(owner) },
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

  return {
    opts,
    log,
    work,
    stack,
    reg,
    owner,
    fleetName,
    appsName,
    infraName,
    authUrl,
    client,
    trustedRoot,
    report,
    identities: { issuerRegExp, identities: [] },
    staging,
    production,
    issuerRegExp,
    subjectFor: (repo, workflow, gitRefRegex) => subjectRegExp(owner, repo, workflow, gitRefRegex),
    sigstoreInputs: {
      'fulcio-url': stack.sigstore.fulcioURL,
      'rekor-url': stack.sigstore.rekorURL,
      'trusted-root': trustedRoot,
    },
    pushActions: [
      { repo: appsName, inputs: { components: '*', repository: `${reg}/${appsName}/{component}`, path: 'components/{component}', 'diff-tag': 'latest' } },
      // d2-infra signs in both formats (cosign .sig + cosign v3 DSSE bundle referrer): its artifacts verify on the bundle path.
      { repo: infraName, inputs: { components: '*', repository: `${reg}/${infraName}/{component}`, path: 'components/{component}', 'diff-tag': 'latest', 'signature-format': 'both' } },
      { repo: fleetName, inputs: { repository: `${reg}/${fleetName}`, path: '.', 'diff-tag': 'latest' } },
    ],
    latestBefore: new Map<string, string>(),
    e2eChanges: '',
  };
}
