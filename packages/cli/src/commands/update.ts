import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { D2Error, InputError } from '@d2/core';
import { createOctokit, githubApiUrlFor, githubCommitWriter, githubRefLister } from '@d2/core/github';
import {
  checkTokensCover,
  directTarget,
  loadFleetConfig,
  parseSubstituteSecrets,
  parseTokenMap,
  runImageUpdate,
  secretRedactor,
  type AutomationTarget,
  type EngineResult,
  type InputProviderDeps,
  type SubstituteSecrets,
  parseGrouping,
  resolveCommitSigners,
} from '@d2/core/image-automation';
import { ChainCredentials, DockerConfigCredentials, RegistryClient } from '@d2/core/oci';
import { wireCredentials, withScanProviders } from '@d2/core/publish';
import { makeTempDir, redactUrl } from '@d2/core/util';
import { EXIT_FAILED, EXIT_OK, str, type Command, type CommandContext } from '../cli.js';
import { PROVIDER_HELP, TIMEOUT_HELP, cliLogger, cloudConfigFrom, providerOptions, timeBudget, timeoutOption } from '../wiring.js';

const execFileAsync = promisify(execFile);
const USAGE = 'd2 update --automation clusters/update [--fleet DIR] | --repository URL --policies-path P --namespace NS [--dry-run]';

/** A unified diff of each rewritten file, made by `git diff --no-index` (git's own diff, as users know it). */
export async function unifiedDiff(files: { path: string; before: string; after: string }[], label: string): Promise<string> {
  if (files.length === 0) return '';
  const work = await makeTempDir('d2-update-diff-');
  const dir = work.path;
  try {
    for (const f of files) {
      for (const [side, text] of [['a', f.before], ['b', f.after]] as const) {
        const p = join(dir, side, label, f.path);
        await mkdir(dirname(p), { recursive: true });
        await writeFile(p, text);
      }
    }
    try {
      const { stdout } = await execFileAsync('git', ['diff', '--no-index', '--no-color', '--no-prefix', 'a', 'b'], { cwd: dir, maxBuffer: 64 << 20 });
      return stdout;
    } catch (err) {
      // `git diff --no-index` exits 1 when the trees differ: that is the normal case here.
      const e = err as { code?: number; stdout?: string };
      if (e.code === 1 && typeof e.stdout === 'string') return e.stdout;
      throw err;
    }
  } finally {
    await work.remove();
  }
}

async function targetsOf(ctx: CommandContext, template: string | undefined, providers: InputProviderDeps, secrets: SubstituteSecrets): Promise<AutomationTarget[]> {
  const automation = str(ctx, 'automation');
  if (automation) {
    if (str(ctx, 'repository')) throw new InputError('--automation and --repository exclude each other', 'fleet mode reads the repositories from the update cluster');
    return loadFleetConfig(resolve(str(ctx, 'fleet') ?? '.'), automation, providers, { secrets: secrets.data });
  }
  if (secrets.values.length > 0) throw new InputError('--substitute-secrets applies to fleet mode only', 'use --automation, or drop --substitute-secrets');
  return [
    directTarget({
      repository: str(ctx, 'repository') ?? '',
      policiesPath: str(ctx, 'policies-path') ?? '',
      namespace: str(ctx, 'namespace') ?? '',
      updatePath: str(ctx, 'update-path') ?? '.',
      checkoutBranch: str(ctx, 'checkout-branch'),
      pushBranch: str(ctx, 'push-branch') ?? 'image-updates',
      commitTemplate: template,
      authorName: str(ctx, 'author-name') ?? 'fluxcdbot',
      authorEmail: str(ctx, 'author-email') ?? 'fluxcdbot@users.noreply.github.com',
    }),
  ];
}

export const updateCommand: Command = {
  name: 'update',
  summary: 'Run Flux image update automation without a cluster (scan, elect, set markers, commit, push)',
  usage: USAGE,
  help: `The e2e-update action as a command (docs/image-automation.md): for each target repository, clone, read the
ImageRepository/ImagePolicy manifests, scan the registries, elect every policy with Flux's semantics, rewrite the
$imagepolicy setter markers with minimal diffs, render the commit message from the automation's template, commit
and push the push branch (on top of it when it exists). No change → no commit. The push is a lease on the tip the
update was built on: when another writer moved the branch meanwhile, the update is rebuilt on the new tip and pushed
again (3 attempts), else the repository fails naming both commits; nothing anyone else pushed is overwritten.

Fleet mode (D2): the update cluster's manifests configure everything
  --automation PATH           e.g. clusters/update (ResourceSets, GitRepository, Kustomization, ImageUpdateAutomation)
  --fleet DIR                 the checked-out fleet repository (default: the current directory)
Direct mode:
  --repository URL --policies-path P --namespace NS [--update-path .] [--checkout-branch B]
  [--push-branch image-updates] [--commit-template TEXT | --commit-template-file FILE]
  [--author-name N] [--author-email E]
Common:
  --token T                   git token with write access (default $GIT_TOKEN, then $GITHUB_TOKEN, then $GITLAB_TOKEN);
                              a PAT or App token lets the push trigger the image-updates PR workflow. GitLab: a
                              project access token with write_repository, sent as user oauth2 to gitlab.com and to
                              $CI_SERVER_HOST (docs/gitlab.md). Git URLs must not contain credentials
                              (refused; URLs are printed as https://***@host/…)
  --tokens LINES              a token per repository, one <repository>=<token> per line (URL, host/owner/name, or
                              owner/name on $GITHUB_SERVER_URL); others use --token; with --tokens, a repository with
                              neither is an error before anything is cloned
  --substitute-secrets LINES  fleet mode: postBuild.substituteFrom Secret keys from environment variables, one
                              <namespace>/<secret-name>.<key>=<ENV_VAR> per line (values are never printed)
  --group-by none|component|policy
                              one branch per change group (default none; docs/image-automation.md "Change groups")
  --branch-template T         the group branch, a Go template with .Group (default image-updates/{{ .Group }})
  --commit-via git|api        api: commits through GitHub's Git Data API, Verified for an app token (default git)
  --signing-key FILE          sign the commits (spec.git.commit.signingKey; direct mode: every commit): an armored
                              OpenPGP key or an SSH private key; its passphrase from $D2_SIGNING_PASSPHRASE
  --dry-run                   compute the changes and print the unified diff (stdout); nothing is committed or pushed
  --fail-on-policy-error      exit 1 when any ImagePolicy cannot be elected (the others are still applied)
${TIMEOUT_HELP}
  Registry credentials come from the docker config (DOCKER_AUTH_CONFIG, DOCKER_CONFIG/config.json, helpers), or for
  a cloud registry (an ImageRepository's spec.provider, or --provider) from its provider:
${PROVIDER_HELP}

Prints {changed, commits, changes, policyErrors} (-o json), or the changes and commits (text; the diff with --dry-run).
Exit codes: 0 done (changed or not), 1 a repository failed (clone, template, push) or, with --fail-on-policy-error, a
policy failed; 2 usage or input error (bad fleet configuration, missing inputs).

Examples:
  d2 update --automation clusters/update --token "$GITHUB_PAT"
  d2 update --repository https://github.com/org/apps.git --policies-path update-policies --namespace apps --dry-run`,
  options: {
    automation: { type: 'string' },
    fleet: { type: 'string' },
    repository: { type: 'string' },
    'policies-path': { type: 'string' },
    namespace: { type: 'string' },
    'update-path': { type: 'string' },
    'checkout-branch': { type: 'string' },
    'push-branch': { type: 'string' },
    'commit-template': { type: 'string' },
    'commit-template-file': { type: 'string' },
    'author-name': { type: 'string' },
    'author-email': { type: 'string' },
    token: { type: 'string' },
    tokens: { type: 'string' },
    'substitute-secrets': { type: 'string' },
    'group-by': { type: 'string' },
    'branch-template': { type: 'string' },
    'commit-via': { type: 'string' },
    'signing-key': { type: 'string' },
    'dry-run': { type: 'boolean' },
    'fail-on-policy-error': { type: 'boolean' },
    ...providerOptions,
    ...timeoutOption,
  },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    let template = str(ctx, 'commit-template');
    const templateFile = str(ctx, 'commit-template-file');
    if (templateFile) {
      if (template !== undefined) throw new InputError('--commit-template and --commit-template-file exclude each other');
      try {
        template = await readFile(templateFile, 'utf8');
      } catch (err) {
        throw new InputError(`cannot read --commit-template-file ${templateFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const dryRun = ctx.values['dry-run'] === true;
    const token = str(ctx, 'token') ?? ctx.env.GIT_TOKEN ?? ctx.env.GITHUB_TOKEN ?? ctx.env.GITLAB_TOKEN;
    const tokens = parseTokenMap(str(ctx, 'tokens') ?? '', { fallback: token, serverUrl: ctx.env.GITHUB_SERVER_URL ?? ctx.env.CI_SERVER_URL, input: '--tokens' });
    const gitUser = gitUsernameFor(ctx.env);
    const grouping = await parseGrouping(str(ctx, 'group-by') ?? 'none', str(ctx, 'branch-template') ?? '');
    const commitVia = str(ctx, 'commit-via') ?? 'git';
    if (commitVia !== 'git' && commitVia !== 'api') throw new InputError(`--commit-via must be git or api, got '${commitVia}'`);
    const keyFile = str(ctx, 'signing-key');
    let signingKey = '';
    if (keyFile) {
      if (commitVia === 'api') throw new InputError('--commit-via api does not combine with --signing-key: GitHub signs the commits it writes');
      try {
        signingKey = await readFile(keyFile, 'utf8');
      } catch (err) {
        throw new InputError(`cannot read --signing-key ${keyFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    const secrets = parseSubstituteSecrets(str(ctx, 'substitute-secrets') ?? '', ctx.env, '--substitute-secrets');
    const passphrase = ctx.env.D2_SIGNING_PASSPHRASE ?? '';
    const redact = secretRedactor([...secrets.values, ...tokens.values(), token ?? '', passphrase, ...signingKey.split('\n').map((l) => l.trim()).filter((l) => l.length >= 8 && !l.startsWith('-----'))]);
    const base = cliLogger(ctx);
    const logger = { debug: (m: string) => base.debug(redact(m)), info: (m: string) => base.info(redact(m)), warn: (m: string) => base.warn(redact(m)) };
    const budget = timeBudget(ctx);
    // Cloud registries (--provider, ImageRepository spec.provider) first: a cloud host never falls back.
    const { cloud } = wireCredentials({ registries: [], env: ctx.env, cloud: cloudConfigFrom(ctx, true), mask: () => undefined, budget, logger });
    const client = new RegistryClient({ credentials: new ChainCredentials([cloud, new DockerConfigCredentials({ env: ctx.env })]), logger, budget });
    const registry = withScanProviders(client, cloud);
    let result: EngineResult;
    let targets: AutomationTarget[];
    try {
      const github = (url: string) => githubRefLister(createOctokit(tokens.tokenFor(url) ?? '', { baseUrl: githubApiUrlFor(url, ctx.env), budget, warn: (m) => logger.warn(m) }));
      targets = await targetsOf(ctx, template, { registry, github }, secrets);
      checkTokensCover(
        targets.map((t) => t.repository),
        tokens,
        '--tokens',
      );
      for (const unused of tokens.unused()) logger.warn(`--tokens maps ${unused}, which no automation of this run uses`);
      if (commitVia === 'api') {
        for (const t of targets) if (!/^https?:\/\/[^/]+\/[^/]+\/[^/]+?(\.git)?\/?$/.test(t.repository)) throw new InputError(`--commit-via api needs a GitHub repository URL (https://<host>/<owner>/<repo>), got ${redactUrl(t.repository)}`, 'use --commit-via git for other servers');
      }
      const signing = await resolveCommitSigners(targets, { key: signingKey, passphrase, direct: !str(ctx, 'automation') });
      if (signing.unused) logger.warn('--signing-key is given but no ImageUpdateAutomation has spec.git.commit.signingKey: commits are not signed');
      ctx.log(`→ ${dryRun ? 'dry run: ' : ''}image update automation for ${targets.map((t) => redactUrl(t.repository)).join(', ')}`);
      result = await runImageUpdate(
        { targets, dryRun, ...(grouping ? { grouping } : {}) },
        {
          registry,
          gitOptions: (t) => {
            const tok = tokens.tokenFor(t.repository);
            const username = gitUser(t.repository);
            return { signal: budget.signal, ...(tok ? { auth: { token: tok, ...(username ? { username } : {}) } } : {}) };
          },
          log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
          signer: signing.signerFor,
          ...(commitVia === 'api'
            ? {
                commitWriter: (t: AutomationTarget) => {
                  const m = /^https?:\/\/[^/]+\/([^/]+)\/([^/]+?)(?:\.git)?\/?$/.exec(t.repository);
                  if (!m) throw new InputError(`--commit-via api needs a GitHub repository URL, got ${redactUrl(t.repository)}`);
                  return githubCommitWriter(createOctokit(tokens.tokenFor(t.repository) ?? '', { baseUrl: githubApiUrlFor(t.repository, ctx.env), budget, warn: (w) => logger.warn(w) }), m[1], m[2]);
                },
              }
            : {}),
        },
      );
    } catch (err) {
      if (err instanceof D2Error) throw new D2Error(redact(err.message), { code: err.code, ...(err.hint ? { hint: redact(err.hint) } : {}) });
      throw err instanceof Error ? new Error(redact(err.message)) : err;
    } finally {
      client.close();
    }
    let diff = '';
    if (dryRun) {
      for (const [i, t] of result.targets.entries()) {
        // Paths as they are in the repository: the update path, then the file (relative to it). Reports are in the
        // order of the targets.
        const updatePath = targets[i]?.update.path ?? '.';
        const files = t.files.map((f) => ({ ...f, path: posix.join(updatePath, f.path) }));
        diff += await unifiedDiff(files, t.repository.replace(/^.*\//, '').replace(/\.git$/, '') || 'repo');
      }
    }
    result = JSON.parse(redact(JSON.stringify(result))) as EngineResult;
    const lines = [
      ...result.changes.map((c) => `${c.repository.replace(/^.*\//, '')}: ${c.file} ${c.object} ${c.old} -> ${c.new}`),
      ...result.commits.map((c) => `committed ${c.sha} to ${c.branch} of ${c.repository}`),
      ...result.policyErrors.map((e) => `policy error: ${e.policy}: ${e.message}`),
    ];
    ctx.result(
      { changed: result.changed, dryRun, commits: result.commits, changes: result.changes, policyErrors: result.policyErrors, errors: result.errors, ...(dryRun ? { diff } : {}) },
      dryRun ? diff.trimEnd() || 'no changes' : lines.join('\n') || 'no changes',
    );
    if (result.errors.length > 0) {
      throw new D2Error(`${result.errors.length} repositor${result.errors.length === 1 ? 'y' : 'ies'} failed: ${result.errors.map((e) => `${e.repository}: ${e.message}`).join('; ')}`);
    }
    if (ctx.values['fail-on-policy-error'] === true && result.policyErrors.length > 0) return EXIT_FAILED;
    return EXIT_OK;
  },
};

/**
 * The basic-auth user for a repository URL: `oauth2` for GitLab (gitlab.com, and the instance of the GitLab job,
 * CI_SERVER_HOST), where access tokens are sent with that user (docs/gitlab.md "Tokens"); undefined elsewhere (the git
 * client's GitHub default).
 */
export function gitUsernameFor(env: Record<string, string | undefined>): (url: string) => string | undefined {
  const hosts = new Set(['gitlab.com', ...(env.CI_SERVER_HOST ? [env.CI_SERVER_HOST.toLowerCase()] : [])]);
  return (url) => {
    try {
      return hosts.has(new URL(url).host.toLowerCase()) ? 'oauth2' : undefined;
    } catch {
      return undefined;
    }
  };
}
