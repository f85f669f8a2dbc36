import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { D2Error, InputError } from '@d2/core';
import { createOctokit, githubApiUrlFor, githubRefLister } from '@d2/core/github';
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
} from '@d2/core/image-automation';
import { ChainCredentials, DockerConfigCredentials, RegistryClient } from '@d2/core/oci';
import { makeTempDir, redactUrl } from '@d2/core/util';
import { EXIT_FAILED, EXIT_OK, str, type Command, type CommandContext } from '../cli.js';
import { TIMEOUT_HELP, cliLogger, timeBudget, timeoutOption } from '../wiring.js';

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
  --token T                   git token with write access (default $GIT_TOKEN, then $GITHUB_TOKEN); a PAT or App token
                              lets the push trigger the image-updates PR workflow. Git URLs must not contain credentials
                              (refused; URLs are printed as https://***@host/…)
  --tokens LINES              a token per repository, one <repository>=<token> per line (URL, host/owner/name, or
                              owner/name on $GITHUB_SERVER_URL); others use --token; with --tokens, a repository with
                              neither is an error before anything is cloned
  --substitute-secrets LINES  fleet mode: postBuild.substituteFrom Secret keys from environment variables, one
                              <namespace>/<secret-name>.<key>=<ENV_VAR> per line (values are never printed)
  --dry-run                   compute the changes and print the unified diff (stdout); nothing is committed or pushed
  --fail-on-policy-error      exit 1 when any ImagePolicy cannot be elected (the others are still applied)
${TIMEOUT_HELP}
  Registry credentials come from the docker config (DOCKER_AUTH_CONFIG, DOCKER_CONFIG/config.json, helpers).

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
    'dry-run': { type: 'boolean' },
    'fail-on-policy-error': { type: 'boolean' },
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
    const token = str(ctx, 'token') ?? ctx.env.GIT_TOKEN ?? ctx.env.GITHUB_TOKEN;
    const tokens = parseTokenMap(str(ctx, 'tokens') ?? '', { fallback: token, serverUrl: ctx.env.GITHUB_SERVER_URL, input: '--tokens' });
    const secrets = parseSubstituteSecrets(str(ctx, 'substitute-secrets') ?? '', ctx.env, '--substitute-secrets');
    const redact = secretRedactor([...secrets.values, ...tokens.values(), token ?? '']);
    const base = cliLogger(ctx);
    const logger = { debug: (m: string) => base.debug(redact(m)), info: (m: string) => base.info(redact(m)), warn: (m: string) => base.warn(redact(m)) };
    const budget = timeBudget(ctx);
    const registry = new RegistryClient({ credentials: new ChainCredentials([new DockerConfigCredentials({ env: ctx.env })]), logger, budget });
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
      ctx.log(`→ ${dryRun ? 'dry run: ' : ''}image update automation for ${targets.map((t) => redactUrl(t.repository)).join(', ')}`);
      result = await runImageUpdate(
        { targets, dryRun },
        {
          registry,
          gitOptions: (t) => {
            const tok = tokens.tokenFor(t.repository);
            return { signal: budget.signal, ...(tok ? { auth: { token: tok } } : {}) };
          },
          log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
        },
      );
    } catch (err) {
      if (err instanceof D2Error) throw new D2Error(redact(err.message), { code: err.code, ...(err.hint ? { hint: redact(err.hint) } : {}) });
      throw err instanceof Error ? new Error(redact(err.message)) : err;
    } finally {
      registry.close();
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
