/**
 * The GitHub Actions adapter of e2e-update, its run (actions/e2e-update/README.md, docs/image-automation.md): the
 * registry client and the GitHub API with the step's secrets redacted, the targets of the run checked against the
 * inputs, and the outputs and job summary. The inputs are action/e2e-update.ts; the entry point
 * (actions/e2e-update/src/) only wires these to the engine.
 */
import * as core from '@actions/core';
import { D2Error, InputError } from '../errors.js';
import { githubCommitWriter, githubCommitWriterDescription, githubRefLister, githubRepoOf, type GitHubClient } from '../github/index.js';
import {
  checkTokensCover,
  loadFleetConfig,
  type AutomationTarget,
  type EngineDeps,
  type EngineResult,
  type ForgeClient,
  type InputProviderDeps,
  type RemoteCommitWriter,
} from '../image-automation/index.js';
import { ChainCredentials, DockerConfigCredentials, RegistryClient, StaticCredentials, type Logger } from '../oci/index.js';
import { wireCredentials, withScanProviders } from '../publish/index.js';
import { mdCode, mdText } from '../util/index.js';
import type { E2eUpdateConfig } from './e2e-update.js';
import { actionLog } from './log.js';

/**
 * The registry client of the image scans: cloud credentials (their tokens masked, never falling back), then
 * `registry-credentials`, then the Docker config; the scans apply each ImageRepository's `spec.provider`.
 */
export function e2eUpdateRegistry(config: E2eUpdateConfig, logger: Logger): { client: RegistryClient; registry: RegistryClient } {
  const { cloud } = wireCredentials({ registries: [], env: process.env, cloud: config.cloud, mask: (s) => core.setSecret(s), budget: config.budget, logger });
  const client = new RegistryClient({
    credentials: new ChainCredentials([cloud, new StaticCredentials(config.registryCredentials), new DockerConfigCredentials({})]),
    logger,
    budget: config.budget,
  });
  return { client, registry: withScanProviders(client, cloud) };
}

/**
 * The GitHub API of the run: ref listers for the ResourceSetInputProviders (GitHubTag, GitHubBranch) and commit writers
 * for `commit-via: api`, each with the token of its repository and the run's time limit. Octokit is created on the
 * first request, and imported then: the input checks, and a run that never calls the API, do not load it
 * (docs/architecture.md "Action start-up").
 */
export function e2eUpdateGitHub(
  config: E2eUpdateConfig,
  warn: (message: string) => void,
): { refLister(url: string): ForgeClient; commitWriter(target: AutomationTarget): RemoteCommitWriter | undefined } {
  const octokitFor = async (url: string): Promise<GitHubClient> => {
    const gh = await import('../github/index.js');
    return gh.createOctokit(config.tokens.tokenFor(url) ?? '', { baseUrl: gh.githubApiUrlFor(url), budget: config.budget, warn });
  };
  return {
    refLister(url) {
      let lister: Promise<ForgeClient> | undefined;
      const get = () => (lister ??= octokitFor(url).then(githubRefLister));
      return {
        listTags: async (owner, repo, page, perPage) => (await get()).listTags(owner, repo, page, perPage),
        listBranches: async (owner, repo, page, perPage) => (await get()).listBranches(owner, repo, page, perPage),
      };
    },
    commitWriter(target) {
      const gh = githubRepoOf(target.repository);
      if (!gh) return undefined;
      let writer: Promise<RemoteCommitWriter> | undefined;
      const get = () => (writer ??= octokitFor(target.repository).then((o) => githubCommitWriter(o, gh.owner, gh.repo)));
      return { description: githubCommitWriterDescription(gh.owner, gh.repo), write: async (o) => (await get()).write(o) };
    },
  };
}

/** Git options of a target: the run's time limit, and the token of its repository. */
export function e2eUpdateGitOptions(config: E2eUpdateConfig): NonNullable<EngineDeps['gitOptions']> {
  return (t) => {
    const tok = config.tokens.tokenFor(t.repository);
    return { signal: config.budget.signal, ...(tok ? { auth: { token: tok } } : {}) };
  };
}

/**
 * The targets of the run: the direct target, or the update cluster's ImageUpdateAutomations (fleet mode, asking the
 * registry and the forge for the ResourceSetInputProviders' inputs). Checked against the inputs before anything is
 * cloned: every repository has a token, group-by and commit-via api only where they apply.
 */
export async function e2eUpdateTargets(config: E2eUpdateConfig, providers: InputProviderDeps): Promise<AutomationTarget[]> {
  const targets = config.automation ? await loadFleetConfig(config.workspace, config.automation, providers, { secrets: config.secrets.data }) : config.direct ? [config.direct] : [];
  checkTokensCover(
    targets.map((t) => t.repository),
    config.tokens,
  );
  for (const unused of config.tokens.unused()) actionLog.warning(`input 'tokens' maps ${unused}, which no automation of this run uses`);
  if (config.grouping) {
    const withRefspec = targets.find((t) => t.git.refspec);
    if (withRefspec) throw new InputError(`group-by: ${config.grouping.by} does not combine with spec.git.push.refspec (ImageUpdateAutomation ${withRefspec.automation.namespace}/${withRefspec.automation.name})`, 'each group is pushed to its own branch: remove the refspec, or use group-by: none');
  }
  if (config.commitVia === 'api') {
    for (const t of targets) {
      const where = `ImageUpdateAutomation ${t.automation.namespace}/${t.automation.name}`;
      if (!githubRepoOf(t.repository)) throw new InputError(`commit-via: api needs a GitHub repository URL (https://<host>/<owner>/<repo>), ${where} uses ${t.repository}`, 'use commit-via: git for other servers');
      if (t.git.refspec) throw new InputError(`commit-via: api does not combine with spec.git.push.refspec (${where})`, 'remove the refspec, or use commit-via: git');
      if (t.commit.signingKey) throw new InputError(`commit-via: api does not combine with spec.git.commit.signingKey (${where}): GitHub signs the commits it writes`, 'remove signingKey, or use commit-via: git');
    }
    if (config.signingKey.trim() !== '') throw new InputError("commit-via: api does not combine with 'signing-key': GitHub signs the commits it writes", 'remove signing-key, or use commit-via: git');
  }
  return targets;
}

/**
 * The outputs (`changed`, `commits`, `changes`) and the job summary, secrets redacted; then the step's failure: a
 * repository that failed, or a policy error with `fail-on-policy-error`.
 */
export async function writeE2eUpdateOutputs(result: EngineResult, config: E2eUpdateConfig): Promise<void> {
  const { redact } = config;
  core.setOutput('changed', String(result.changed));
  core.setOutput('commits', redact(JSON.stringify(result.commits)));
  core.setOutput('changes', redact(JSON.stringify(result.changes)));
  await core.summary.addRaw(redact(summaryMarkdown(result, config.dryRun, config.serverUrl)), true).write();

  if (result.commits.some((c) => config.tokens.tokenFor(c.repository)?.startsWith('ghs_'))) {
    actionLog.warning(
      'Pushed with a GitHub-issued installation token. If this is the workflow GITHUB_TOKEN, the push to the push branch does not trigger ' +
        'other workflows (the image-updates PR workflow will not run): use a PAT or a GitHub App token for `token`.',
    );
  }
  if (result.errors.length > 0) {
    throw new D2Error(redact(`${result.errors.length} repositor${result.errors.length === 1 ? 'y' : 'ies'} failed: ${result.errors.map((e) => `${e.repository}: ${e.message}`).join('; ')}`));
  }
  if (config.failOnPolicyError && result.policyErrors.length > 0) {
    throw new D2Error(`${result.policyErrors.length} ImagePolicy error(s): ${result.policyErrors.map((e) => e.policy).join(', ')}`, {
      code: 'POLICY_FAILED',
      hint: 'see the job summary; set fail-on-policy-error: false to only report them',
    });
  }
}

/** Error text for one line of the summary: our own line breaks (before a hint) become spaces, then it is escaped. */
const message = (s: string) => mdText(s.replace(/\s*\n\s*/g, ' '));
const code = (s: string) => mdCode(s, { inTable: true });

/**
 * The `object` of a change (`Kind/namespace/name`, empty parts kept in the `changes` output) as the summary shows it:
 * without an empty namespace (`OCIRepository/podinfo-chart`), and empty for a document without identity.
 */
export function displayObject(label: string): string {
  const parts = label.split('/');
  if (parts.length !== 3) return label;
  return parts.filter((p) => p !== '').join('/');
}

/**
 * The web page of `branch` when the repository lives on the run's GitHub server (`GITHUB_SERVER_URL`, same origin,
 * `/<owner>/<repo>[.git]`); undefined for any other host. Credentials are never part of the link.
 */
export function branchWebUrl(repository: string, branch: string, serverUrl: string | undefined): string | undefined {
  if (!serverUrl) return undefined;
  let repo: URL;
  let server: URL;
  try {
    repo = new URL(repository);
    server = new URL(serverUrl);
  } catch {
    return undefined;
  }
  if (repo.origin !== server.origin || repo.username || repo.password) return undefined;
  const path = repo.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
  if (!/^\/[^/]+\/[^/]+$/.test(path)) return undefined;
  const segment = (x: string) => encodeURIComponent(x).replace(/[()']/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${server.origin}${path}/tree/${branch.split('/').map(segment).join('/')}`;
}

/** What a target without changes says: up to date, and where (linked when the branch is on this GitHub server). */
function upToDate(t: EngineResult['targets'][number], serverUrl: string | undefined): string {
  const branch = t.pushBranch || t.checkoutBranch;
  const url = branchWebUrl(t.repository, branch, serverUrl);
  const named = url ? `[${mdCode(branch)}](${url})` : mdCode(branch);
  if (t.pushBranch && t.pushBranch !== t.checkoutBranch) {
    return t.pushBranchExisted
      ? `No new changes: ${named} is up to date (it already carries the earlier updates).`
      : `No changes: ${mdCode(t.checkoutRef ?? t.checkoutBranch)} is up to date; no ${mdCode(t.pushBranch)} branch is needed.`;
  }
  return `No changes: ${named} is up to date.`;
}

/**
 * The job summary: one table per repository, then the policy errors. File names, object names, tags, git and
 * registry messages are untrusted: every value is escaped (util/markdown.ts). `serverUrl` is the run's
 * GITHUB_SERVER_URL.
 */
export function summaryMarkdown(r: EngineResult, dryRun: boolean, serverUrl?: string): string {
  const lines: string[] = [`## Image updates${dryRun ? ' (dry run)' : ''}`, ''];
  if (r.targets.length === 0) lines.push('No ImageUpdateAutomation to run: every one is suspended.', '');
  for (const t of r.targets) {
    lines.push(`### ${mdText(t.repository)}${t.group !== undefined ? ` · group ${mdText(t.group)}` : ''}`, '');
    lines.push(`Automation ${mdCode(t.automation)}, checkout ${mdCode(t.checkoutRef ?? t.checkoutBranch)}, push ${mdCode(t.pushBranch)}${t.pushBranchExisted ? ' (existing branch)' : ''}.`, '');
    if (t.error) lines.push(`**Failed:** ${message(t.error)}`, '');
    const rows = r.changes.filter((c) => c.repository === t.repository && c.group === t.group);
    if (t.groups && t.groups.length === 0 && !t.error) lines.push(`No changes in any group: ${mdCode(t.checkoutRef ?? t.checkoutBranch)} is up to date; no group branch is needed.`, '');
    else if (rows.length === 0 && !t.error) lines.push(upToDate(t, serverUrl), '');
    if (rows.length > 0) {
      lines.push('| File | Object | Setter | Old | New |', '| --- | --- | --- | --- | --- |');
      for (const c of rows) lines.push(`| ${mdText(c.file)} | ${mdText(displayObject(c.object))} | ${code(c.setter)} | ${code(c.old)} | ${code(c.new)} |`);
      lines.push('');
    }
    if (t.commit) lines.push(`Commit ${mdCode(t.commit.sha)} pushed to ${mdCode(t.commit.branch)}${t.commit.verified === true ? ' through the GitHub API, **Verified** (signed by GitHub)' : t.commit.verified === false ? ' through the GitHub API, not verified (GitHub signs only for a GitHub App or GITHUB_TOKEN)' : ''}.`, '');
    for (const p of t.problemFiles) lines.push(`- ⚠️ ${mdCode(p.path)} skipped: ${message(p.reason)}`);
  }
  if (r.policyErrors.length > 0) {
    lines.push('### Policy errors', '', '| Repository | Policy | Error |', '| --- | --- | --- |');
    for (const e of r.policyErrors) lines.push(`| ${mdText(e.repository)} | ${mdText(e.policy)} | ${message(e.message)} |`);
    lines.push('');
  }
  return lines.join('\n');
}
