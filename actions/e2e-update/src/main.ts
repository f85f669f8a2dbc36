import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { D2Error, InputError } from '@d2/core';
import { actionLog, Inputs, runAction, timeoutInput } from '@d2/core/action';
import { createOctokit, githubApiUrlFor, githubCommitWriter, githubRefLister } from '@d2/core/github';
import {
  checkTokensCover,
  directTarget,
  loadFleetConfig,
  parseSubstituteSecrets,
  parseGrouping,
  parseTokenMap,
  resolveCommitSigners,
  runImageUpdate,
  secretRedactor,
  type AutomationTarget,
  type EngineResult,
  type InputProviderDeps,
  type SubstituteSecrets,
} from '@d2/core/image-automation';
import { ChainCredentials, DockerConfigCredentials, RegistryClient, StaticCredentials, type Credentials } from '@d2/core/oci';
import { cloudConfig, wireCredentials, withScanProviders } from '@d2/core/publish';
import { mdCode, mdText } from '@d2/core/util';

/**
 * `registry-credentials`: a Docker config (`{"auths":{"host":{"auth":"b64"}|{"username","password"}}}`) or a map
 * `{"host":{"username","password"}}`. Validated before anything runs; values are registered as secrets.
 */
export function parseRegistryCredentials(raw: string): Record<string, Credentials> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InputError("input 'registry-credentials' is not JSON", 'pass a Docker config ({"auths":{...}}) or {"<registry>":{"username":"…","password":"…"}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError("input 'registry-credentials' must be a JSON object");
  const obj = parsed as Record<string, unknown>;
  const entries = obj.auths && typeof obj.auths === 'object' ? (obj.auths as Record<string, unknown>) : obj;
  const out: Record<string, Credentials> = {};
  for (const [host, v] of Object.entries(entries)) {
    if (!v || typeof v !== 'object') throw new InputError(`registry-credentials: entry '${host}' must be an object`);
    const e = v as Record<string, unknown>;
    let username = typeof e.username === 'string' ? e.username : undefined;
    let password = typeof e.password === 'string' ? e.password : undefined;
    if (typeof e.auth === 'string') {
      const dec = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i < 0) throw new InputError(`registry-credentials: auths['${host}'].auth is not base64 of user:password`);
      username = dec.slice(0, i);
      password = dec.slice(i + 1);
    }
    if (!username || password === undefined) throw new InputError(`registry-credentials: entry '${host}' needs username and password (or auth)`);
    core.setSecret(password);
    out[host] = { username, password };
  }
  return out;
}

function defaultRepository(): string {
  const server = process.env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = process.env.GITHUB_REPOSITORY;
  if (!repo) throw new InputError("input 'repository' is required outside GitHub Actions");
  return `${server}/${repo}.git`;
}

/**
 * The targets: fleet mode reads the update cluster (asking the registry and the forge for the ResourceSetInputProviders'
 * inputs, `providers`), direct mode builds one target from the inputs.
 */
export async function targetsFromInputs(inputs: Inputs, workspace: string, providers: InputProviderDeps, secrets: SubstituteSecrets): Promise<AutomationTarget[]> {
  const automation = inputs.string('automation');
  if (automation) {
    if (isAbsolute(automation) || automation.split(/[\\/]/).includes('..')) {
      throw new InputError(`input 'automation' must be a path inside the workspace, got '${automation}'`, 'e.g. clusters/update');
    }
    return loadFleetConfig(workspace, automation, providers, { secrets: secrets.data });
  }
  if (secrets.values.length > 0) throw new InputError("input 'substitute-secrets' applies to fleet mode only", "set 'automation', or remove substitute-secrets (direct mode has no Kustomization to substitute)");
  return [
    directTarget({
      repository: inputs.string('repository') || defaultRepository(),
      policiesPath: inputs.required('policies-path'),
      namespace: inputs.required('namespace'),
      updatePath: inputs.string('update-path', '.'),
      checkoutBranch: inputs.string('checkout-branch'),
      pushBranch: inputs.string('push-branch', 'image-updates'),
      commitTemplate: inputs.string('commit-template'),
      authorName: inputs.string('author-name'),
      authorEmail: inputs.string('author-email', 'fluxcdbot@users.noreply.github.com'),
    }),
  ];
}

/** `owner/repo` of a GitHub repository URL (`https://<host>/<owner>/<repo>[.git]`), or undefined. */
export function githubRepoOf(url: string): { owner: string; repo: string } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const m = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(u.pathname);
  return m ? { owner: decodeURIComponent(m[1]), repo: decodeURIComponent(m[2]) } : undefined;
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

/** `err` with every secret value replaced (message and hint), for the step's failure message. */
function redactError(err: unknown, redact: (t: string) => string): unknown {
  if (err instanceof D2Error) return new D2Error(redact(err.message), { code: err.code, ...(err.hint ? { hint: redact(err.hint) } : {}) });
  if (err instanceof Error) return new Error(redact(err.message));
  return redact(String(err));
}

export async function run(): Promise<void> {
  // Every secret value known to the step, replaced by *** wherever a message could carry it (errors, summary, outputs).
  let redact = (t: string) => t;
  await runAction(() => update((r) => (redact = r)).catch((err: unknown) => Promise.reject(redactError(err, redact))));
}

/** The step: inputs → targets → engine → outputs and summary. `setRedactor` receives the redactor once the secrets are known. */
async function update(setRedactor: (r: (t: string) => string) => void): Promise<void> {
  const inputs = new Inputs();
  // Validate everything before any clone, scan or push. The time limit starts now.
  const budget = timeoutInput(inputs);
  const dryRun = inputs.boolean('dry-run', false);
  const grouping = parseGrouping(inputs.string('group-by', 'none'), inputs.string('branch-template'));
  const commitVia = inputs.oneOf('commit-via', ['git', 'api'], 'git');
  const failOnPolicyError = inputs.boolean('fail-on-policy-error', false);
  const token = inputs.string('token');
  if (token) core.setSecret(token);
  const tokens = parseTokenMap(inputs.string('tokens'), { fallback: token, serverUrl: process.env.GITHUB_SERVER_URL });
  for (const t of tokens.values()) core.setSecret(t);
  const secrets = parseSubstituteSecrets(inputs.string('substitute-secrets'), process.env);
  for (const v of secrets.values) core.setSecret(v);
  // The signing key and its passphrase: masked line by line (the runner masks single lines), never printed.
  const signingKey = inputs.string('signing-key');
  const signingPassphrase = inputs.string('signing-passphrase');
  const keyLines = signingKey.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 8 && !/^-----(BEGIN|END) /.test(l));
  for (const l of keyLines) core.setSecret(l);
  if (signingPassphrase) core.setSecret(signingPassphrase);
  const redact = secretRedactor([...secrets.values, ...tokens.values(), token, ...keyLines, signingPassphrase]);
  setRedactor(redact);
  const creds = parseRegistryCredentials(inputs.string('registry-credentials'));
  const registryLog = { debug: (m: string) => actionLog.debug(redact(m)), info: (m: string) => actionLog.info(redact(m)), warn: (m: string) => actionLog.warning(redact(m)) };
  // Cloud registries (provider input, ImageRepository spec.provider): their tokens are masked and never fall back.
  const { cloud } = wireCredentials({
    registries: [],
    env: process.env,
    cloud: cloudConfig(inputs.string('provider', 'generic'), (n) => inputs.string(n), false, undefined, true),
    mask: (s) => core.setSecret(s),
    budget,
    logger: registryLog,
  });
  const workspace = resolve(process.env.GITHUB_WORKSPACE ?? process.cwd());

  const client = new RegistryClient({
    credentials: new ChainCredentials([cloud, new StaticCredentials(creds), new DockerConfigCredentials({})]),
    logger: registryLog,
    budget,
  });
  const registry = withScanProviders(client, cloud);
  let result: EngineResult;
  try {
    const github = (url: string) =>
      githubRefLister(createOctokit(tokens.tokenFor(url) ?? '', { baseUrl: githubApiUrlFor(url), budget, warn: (m) => actionLog.warning(redact(m)) }));
    const targets = await targetsFromInputs(inputs, workspace, { registry, github }, secrets);
    // A repository without a token is refused before anything is cloned.
    checkTokensCover(
      targets.map((t) => t.repository),
      tokens,
    );
    for (const unused of tokens.unused()) actionLog.warning(`input 'tokens' maps ${unused}, which no automation of this run uses`);
    if (grouping) {
      const withRefspec = targets.find((t) => t.git.refspec);
      if (withRefspec) throw new InputError(`group-by: ${grouping.by} does not combine with spec.git.push.refspec (ImageUpdateAutomation ${withRefspec.automation.namespace}/${withRefspec.automation.name})`, 'each group is pushed to its own branch: remove the refspec, or use group-by: none');
    }
    if (commitVia === 'api') {
      for (const t of targets) {
        const where = `ImageUpdateAutomation ${t.automation.namespace}/${t.automation.name}`;
        if (!githubRepoOf(t.repository)) throw new InputError(`commit-via: api needs a GitHub repository URL (https://<host>/<owner>/<repo>), ${where} uses ${t.repository}`, 'use commit-via: git for other servers');
        if (t.git.refspec) throw new InputError(`commit-via: api does not combine with spec.git.push.refspec (${where})`, 'remove the refspec, or use commit-via: git');
        if (t.commit.signingKey) throw new InputError(`commit-via: api does not combine with spec.git.commit.signingKey (${where}): GitHub signs the commits it writes`, 'remove signingKey, or use commit-via: git');
      }
      if (signingKey.trim() !== '') throw new InputError("commit-via: api does not combine with 'signing-key': GitHub signs the commits it writes", 'remove signing-key, or use commit-via: git');
    }
    const signing = await resolveCommitSigners(targets, { key: signingKey, passphrase: signingPassphrase, direct: !inputs.string('automation') });
    if (signing.unused) actionLog.warning("input 'signing-key' is set but no ImageUpdateAutomation has spec.git.commit.signingKey: commits are not signed");
    if (targets.length === 0) actionLog.info('every ImageUpdateAutomation is suspended: nothing to run');
    result = await runImageUpdate(
      { targets, dryRun, ...(grouping ? { grouping } : {}) },
      {
        registry,
        workDir: process.env.RUNNER_TEMP || undefined,
        gitOptions: (t) => {
          const tok = tokens.tokenFor(t.repository);
          return { signal: budget.signal, ...(tok ? { auth: { token: tok } } : {}) };
        },
        log: { info: (m) => actionLog.info(redact(m)), warn: (m) => actionLog.warning(redact(m)), group: (name, fn) => actionLog.group(redact(name), fn) },
        signer: signing.signerFor,
        ...(commitVia === 'api'
          ? {
              commitWriter: (t: AutomationTarget) => {
                const gh = githubRepoOf(t.repository);
                if (!gh) return undefined;
                const octokit = createOctokit(tokens.tokenFor(t.repository) ?? '', { baseUrl: githubApiUrlFor(t.repository), budget, warn: (m) => actionLog.warning(redact(m)) });
                return githubCommitWriter(octokit, gh.owner, gh.repo);
              },
            }
          : {}),
      },
    );
  } finally {
    client.close();
  }

  core.setOutput('changed', String(result.changed));
  core.setOutput('commits', redact(JSON.stringify(result.commits)));
  core.setOutput('changes', redact(JSON.stringify(result.changes)));
  await core.summary.addRaw(redact(summaryMarkdown(result, dryRun, process.env.GITHUB_SERVER_URL)), true).write();

  if (result.commits.some((c) => tokens.tokenFor(c.repository)?.startsWith('ghs_'))) {
    actionLog.warning(
      'Pushed with a GitHub-issued installation token. If this is the workflow GITHUB_TOKEN, the push to the push branch does not trigger ' +
        'other workflows (the image-updates PR workflow will not run): use a PAT or a GitHub App token for `token`.',
    );
  }
  if (result.errors.length > 0) {
    throw new D2Error(redact(`${result.errors.length} repositor${result.errors.length === 1 ? 'y' : 'ies'} failed: ${result.errors.map((e) => `${e.repository}: ${e.message}`).join('; ')}`));
  }
  if (failOnPolicyError && result.policyErrors.length > 0) {
    throw new D2Error(`${result.policyErrors.length} ImagePolicy error(s): ${result.policyErrors.map((e) => e.policy).join(', ')}`, {
      code: 'POLICY_FAILED',
      hint: 'see the job summary; set fail-on-policy-error: false to only report them',
    });
  }
}
