/**
 * One Flux "run" without a cluster (docs/image-automation.md): per automation target, clone → read policies → scan →
 * elect → switch to the push branch → setters → render the message → commit → push. A failing policy is reported
 * and skipped (a stateless run has no stale latestRef to fall back on); the others are still applied.
 *
 * The push is a lease on the branch tip the update was built on. When another writer moved the branch meanwhile,
 * the update is rebuilt on the new tip (setters, message, commit) and pushed again, at most `pushAttempts` times;
 * then the target fails naming the commit it built and the branch's tip. Only a SHA that a successful push put on
 * the remote branch is reported as pushed. Repository URLs in reports, logs and errors are redacted (redactUrl).
 */
import { join, relative, sep } from 'node:path';
import { mapLimit, type Logger } from '../../base/index.js';
import { D2Error, formatError } from '../../errors.js';
import { makeTempDir, redactUrl, redactUrls } from '../../util/index.js';
import type { CommitSigner, GitOptions } from '../../git/index.js';
import type { AutomationTarget } from '../config/fleet.js';
import { loadPolicies } from '../config/policies.js';
import { AutomationCheckout, PushBranchMovedError, type RemoteCommitWriter } from '../git/checkout.js';
import { describeCheckout } from '../git/ref.js';
import { electLatestRef } from '../policy/select.js';
import type { ImagePolicy } from '../policy/types.js';
import { scanImageRepository } from '../reflector/scan.js';
import type { ImageRepository, ReflectorRegistry, ScanResult } from '../reflector/types.js';
import { applyPolicies, type FileUpdate } from '../setters/apply.js';
import type { ObjectIdentifier, PolicySetterSource } from '../setters/types.js';
import { renderCommitMessage } from '../template/commit.js';
import { groupBranch } from './branch.js';
import { componentOf, policyOf, type Grouping } from './groups.js';

/** What the engine logs: the one Logger's info and warn, and optionally a group per repository (a log group in the action). */
export type EngineLogger = Pick<Logger, 'info' | 'warn'> & {
  group?<T>(name: string, fn: () => Promise<T>): Promise<T>;
};

export interface EngineDeps {
  registry: ReflectorRegistry;
  /** Git options (auth) per target. */
  gitOptions?: (target: AutomationTarget) => GitOptions;
  /** Parent directory for clones (default the OS temp dir); clones are removed afterwards. */
  workDir?: string;
  log?: EngineLogger;
  /** Commit time (default now). */
  now?: () => Date;
  /** Parallel registry scans (default 8). */
  scanConcurrency?: number;
  /** Keep the clones (for debugging and tests). */
  keepClones?: boolean;
  /** Builds and pushes per target when the push branch keeps moving under the run (default 3). */
  pushAttempts?: number;
  /** commit-via api: the target's commit writer (docs/image-automation.md "Verified commits"); undefined = git push. */
  commitWriter?: (target: AutomationTarget) => RemoteCommitWriter | undefined;
  /** The commit signer of a target (docs/image-automation.md "Commit signing"); undefined = unsigned commits. */
  signer?: (target: AutomationTarget) => CommitSigner | undefined;
}

/** Default for EngineDeps.pushAttempts. */
export const DEFAULT_PUSH_ATTEMPTS = 3;

export interface EngineConfig {
  targets: AutomationTarget[];
  /** One branch per change group (group-by, branch-template); undefined = every change on the target's push branch. */
  grouping?: Grouping;
  /** Compute the changes and the message only: no commit, no push. */
  dryRun?: boolean;
}

/** One value the update changed: an item of e2e-update's `changes` output (read back by the PR flow as `E2eChange`). */
export interface AppliedChange {
  repository: string;
  file: string;
  /** `Kind/namespace/name` (empty parts kept), e.g. `OCIRepository//podinfo-chart`. */
  object: string;
  setter: string;
  old: string;
  new: string;
  /** With grouping: the change group and the branch it was committed to. */
  group?: string;
  branch?: string;
}

export interface PolicyErrorRow {
  repository: string;
  policy: string;
  message: string;
}

export interface TargetReport {
  automation: string;
  /** The target's git URL, credentials redacted. */
  repository: string;
  checkoutBranch: string;
  /** What was checked out when it is not a branch, e.g. `tag v1.2.0 (3f1c2ab)`. */
  checkoutRef?: string;
  pushBranch: string;
  /** Whether the push branch already existed (updates were computed on top of it). */
  pushBranchExisted: boolean;
  latestRefs: Array<{ policy: string; ref: string }>;
  files: FileUpdate[];
  problemFiles: Array<{ path: string; reason: string }>;
  skippedPolicies: Array<{ name: string; reason: string }>;
  message?: string;
  commit?: { sha: string; branch: string; verified?: boolean };
  error?: string;
  /** With grouping: this report's change group (pushBranch is its branch). */
  group?: string;
  /** With grouping, on the target's first report: every group found. */
  groups?: string[];
}

export interface EngineResult {
  changed: boolean;
  /** `verified` only for commit-via api: whether the forge signed the commit. */
  commits: Array<{ repository: string; branch: string; sha: string; verified?: boolean }>;
  changes: AppliedChange[];
  policyErrors: PolicyErrorRow[];
  targets: TargetReport[];
  /** Targets that failed as a whole (clone, template, push). */
  errors: Array<{ repository: string; message: string }>;
}

export function objectLabel(o: ObjectIdentifier): string {
  return `${o.Kind}/${o.Namespace}/${o.Name}`;
}

/** Scans each distinct ImageRepository once and elects every policy; failures become policy errors. */
export async function electPolicies(
  repositories: readonly ImageRepository[],
  policies: readonly ImagePolicy[],
  registry: ReflectorRegistry,
  concurrency = 8,
): Promise<{ sources: PolicySetterSource[]; errors: Array<{ policy: string; message: string }> }> {
  const scans = new Map<string, Promise<ScanResult>>();
  const scanOf = (repo: ImageRepository): Promise<ScanResult> => {
    const key = JSON.stringify([repo.namespace, repo.name]);
    let p = scans.get(key);
    if (!p) scans.set(key, (p = scanImageRepository(repo, registry)));
    return p;
  };
  const errors: Array<{ policy: string; message: string }> = [];
  const results = await mapLimit(policies, concurrency, async (p) => {
    const id = `${p.namespace}/${p.name}`;
    const refName = p.spec.imageRepositoryRef.name;
    const refNs = p.spec.imageRepositoryRef.namespace ?? p.namespace;
    const repo = repositories.find((r) => r.name === refName && r.namespace === refNs);
    try {
      if (!repo) throw new D2Error(`ImagePolicy ${id}: ImageRepository ${refNs}/${refName} not found`, { hint: 'add the ImageRepository next to the policy' });
      const scan = await scanOf(repo);
      const ref = await electLatestRef({ policy: p.spec, name: id, image: repo.spec.image, tags: scan.tags, presorted: true, registry });
      return { namespace: p.namespace ?? '', name: p.name, latestRef: ref } satisfies PolicySetterSource;
    } catch (err) {
      errors.push({ policy: id, message: formatError(err) });
      return undefined;
    }
  });
  return { sources: results.filter((r): r is NonNullable<typeof r> => r !== undefined), errors };
}

/** The engine's logger with URL credentials redacted from every message (groups are opened by runImageUpdate). */
function redactingLogger(log: EngineLogger | undefined): EngineLogger | undefined {
  return log && { info: (m) => log.info(redactUrls(m)), warn: (m) => log.warn(redactUrls(m)) };
}

/** What one build-and-push on one push branch needs and fills in. */
interface BranchBuild {
  checkout: AutomationCheckout;
  report: TargetReport;
  sources: PolicySetterSource[];
  /** Only these files (relative to the update path) are updated; default all. */
  include?: (path: string) => boolean;
  group?: string;
}

/**
 * Switches to the push branch, runs the setters, renders the message, commits and pushes with a lease; rebuilt on
 * the new tip when the branch moved (at most `pushAttempts` times). Returns the change rows of the last build.
 */
async function buildAndPush(target: AutomationTarget, b: BranchBuild, config: EngineConfig, deps: EngineDeps, out: EngineResult, repository: string): Promise<{ rows: AppliedChange[]; changed: boolean }> {
  const log = redactingLogger(deps.log);
  const { checkout, report } = b;
  const dir = checkout.dir;
  const attempts = Math.max(1, deps.pushAttempts ?? DEFAULT_PUSH_ATTEMPTS);
  let rows: AppliedChange[] = [];
  for (let attempt = 1; ; attempt++) {
    const { existed } = await checkout.switchToPushBranch();
    report.pushBranchExisted = existed;
    if (checkout.switchBranch) log?.info(existed ? `building on the existing ${checkout.pushBranch} branch` : `creating ${checkout.pushBranch} from ${report.checkoutRef ?? checkout.checkoutBranch}`);
    const run = await applyPolicies(dir, target.update, b.sources, { dryRun: config.dryRun, ...(b.include ? { include: b.include } : {}) });
    const updateRoot = run.root;
    report.files = run.files;
    report.problemFiles = run.problemFiles;
    if (attempt === 1) for (const p of run.problemFiles) log?.warn(`${p.path}: not readable as YAML, skipped (${p.reason})`);
    rows = run.result.rows().map((r) => ({ repository, file: r.file, object: objectLabel(r.object), setter: r.change.Setter, old: r.change.OldValue, new: r.change.NewValue, ...(b.group !== undefined ? { group: b.group, branch: checkout.pushBranch } : {}) }));
    report.message = undefined;
    if (run.result.empty) {
      log?.info(`no changes${b.group !== undefined ? ` for group ${b.group}` : ''}: nothing to commit`);
      return { rows, changed: false };
    }
    report.message = renderCommitMessage(target.commit.messageTemplate, { automation: target.automation, values: target.commit.values, result: run.result });
    if (config.dryRun) {
      log?.info(`dry run: ${run.files.length} file(s) would change`);
      return { rows, changed: true };
    }
    const rel = relative(dir, updateRoot);
    const paths = run.files.map((f) => (rel ? join(rel, ...f.path.split('/')) : join(...f.path.split('/'))).split(sep).join('/'));
    const signer = deps.signer?.(target);
    const writer = deps.commitWriter?.(target);
    let pushed;
    try {
      pushed = await checkout.commitAndPush({ message: report.message, author: target.commit.author, paths, date: deps.now?.(), ...(signer ? { signer } : {}), ...(writer ? { writer } : {}) });
    } catch (err) {
      if (!(err instanceof PushBranchMovedError)) throw err;
      if (attempt >= attempts) {
        const built = `this run last built ${err.built} on ${err.base ?? `a new ${err.branch} branch`}`;
        throw new D2Error(`could not push to ${err.branch} in ${attempts} attempt${attempts === 1 ? '' : 's'}: the branch moved every time; it is now at ${err.remote ?? '(deleted)'}, ${built} (${err.reason})`, { code: err.code, hint: err.hint, cause: err });
      }
      log?.info(`${err.branch} moved to ${err.remote ?? '(deleted)'} while pushing ${err.built} (${err.reason}; attempt ${attempt} of ${attempts}): rebuilding the update on it`);
      continue;
    }
    if (pushed) {
      const verified = pushed.verified !== undefined ? { verified: pushed.verified } : {};
      report.commit = { sha: pushed.sha, branch: pushed.branch, ...verified };
      out.commits.push({ repository, branch: pushed.branch, sha: pushed.sha, ...verified });
      const how = writer ? ` through ${writer.description}${pushed.verified ? ', Verified by the forge' : ', not verified by the forge'}` : signer ? ` (signed with ${signer.description})` : '';
      log?.info(`pushed ${pushed.sha} to ${pushed.branch}${how}`);
    }
    return { rows, changed: true };
  }
}

/** The change groups of a dry setters run on the checkout, sorted, each with its branch (all validated first). */
async function discoverGroups(dir: string, target: AutomationTarget, sources: PolicySetterSource[], grouping: Grouping): Promise<Array<{ group: string; branch: string }>> {
  const probe = await applyPolicies(dir, target.update, sources, { dryRun: true });
  const groups = new Set(probe.result.rows().map((r) => (grouping.by === 'component' ? componentOf(r.file) : policyOf(r.change.Setter))));
  // Every branch is rendered and checked before the first commit, so a bad group name commits nothing.
  return [...groups].sort().map((group) => ({ group, branch: groupBranch(grouping.branchTemplate, group) }));
}

/**
 * git keeps branches as paths: `image-updates/frontend` cannot exist next to a branch `image-updates` (and the other
 * way round). Checked against the remote before the first group commit, so a conflict commits nothing.
 */
async function checkRefConflicts(checkout: AutomationCheckout, branches: string[]): Promise<void> {
  const remote = (await checkout.git.run(['ls-remote', '--heads', 'origin'])).stdout
    .split('\n')
    .map((l) => l.split('\t')[1]?.replace(/^refs\/heads\//, ''))
    .filter((b): b is string => !!b);
  for (const b of branches) {
    const clash = remote.find((r) => b.startsWith(`${r}/`) || r.startsWith(`${b}/`));
    if (clash) {
      throw new D2Error(`the group branch ${b} cannot be created next to the existing branch ${clash} (git stores branches as paths)`, {
        code: 'GIT_FAILED',
        hint: `merge or close the pull request of ${clash} and delete that branch, or choose a branch-template whose branches do not nest under it`,
      });
    }
  }
}

async function runTarget(target: AutomationTarget, config: EngineConfig, deps: EngineDeps, out: EngineResult): Promise<void> {
  const log = redactingLogger(deps.log);
  const repository = redactUrl(target.repository);
  const report: TargetReport = {
    automation: `${target.automation.namespace}/${target.automation.name}`,
    repository,
    checkoutBranch: target.git.checkoutBranch ?? '',
    pushBranch: target.git.pushBranch ?? '',
    pushBranchExisted: false,
    latestRefs: [],
    files: [],
    problemFiles: [],
    skippedPolicies: [],
  };
  out.targets.push(report);
  // This target's change rows and whether it changed anything, from the last build (a rebuild replaces them).
  let rows: AppliedChange[] = [];
  let changed = false;
  const work = await makeTempDir('d2-update-', deps.workDir);
  const dir = work.path;
  try {
    const checkout = await AutomationCheckout.clone(target.git, dir, deps.gitOptions?.(target) ?? {});
    report.checkoutBranch = checkout.checkoutBranch;
    report.checkoutRef = describeCheckout(checkout.git);
    if (report.checkoutRef) log?.info(`checked out ${report.checkoutRef}`);
    report.pushBranch = checkout.pushBranch;
    const loaded = loadPolicies(dir, target);
    report.skippedPolicies = loaded.skipped;
    for (const s of loaded.skipped) log?.info(`skipping ImagePolicy ${s.name}: ${s.reason}`);
    const { sources, errors } = await electPolicies(loaded.repositories, loaded.policies, deps.registry, deps.scanConcurrency);
    for (const e of errors) {
      out.policyErrors.push({ repository, policy: e.policy, message: redactUrls(e.message) });
      log?.warn(e.message);
    }
    for (const s of sources) {
      const ref = s.latestRef ? `${s.latestRef.name}:${s.latestRef.tag}${s.latestRef.digest ? `@${s.latestRef.digest}` : ''}` : '';
      report.latestRefs.push({ policy: `${s.namespace}/${s.name}`, ref });
      log?.info(`ImagePolicy ${s.namespace}/${s.name}: latest ${ref}`);
    }
    const grouping = config.grouping;
    if (!grouping) {
      ({ rows, changed } = await buildAndPush(target, { checkout, report, sources }, config, deps, out, repository));
      return;
    }
    const groups = await discoverGroups(dir, target, sources, grouping);
    report.groups = groups.map((g) => g.group);
    if (!config.dryRun && groups.length > 0) await checkRefConflicts(checkout, groups.map((g) => g.branch));
    if (groups.length === 0) log?.info('no changes in any group: nothing to commit');
    // The first group fills the target's report; every other group gets its own (same repository and automation).
    for (const [i, g] of groups.entries()) {
      const groupReport: TargetReport = i === 0 ? report : { ...report, files: [], problemFiles: [], commit: undefined, message: undefined, error: undefined };
      if (i > 0) out.targets.push(groupReport);
      groupReport.group = g.group;
      groupReport.pushBranch = g.branch;
      const include = grouping.by === 'component' ? (file: string) => componentOf(file) === g.group : undefined;
      const groupSources = grouping.by === 'policy' ? sources.filter((s) => s.name === g.group) : sources;
      log?.info(`group ${g.group} → ${g.branch}`);
      const built = await buildAndPush(target, { checkout: checkout.forPushBranch(g.branch), report: groupReport, sources: groupSources, ...(include ? { include } : {}), group: g.group }, config, deps, out, repository);
      rows.push(...built.rows);
      changed ||= built.changed;
    }
  } catch (err) {
    report.error = redactUrls(formatError(err));
    out.errors.push({ repository, message: report.error });
    log?.warn(`${report.automation}: ${report.error}`);
  } finally {
    out.changes.push(...rows);
    if (changed) out.changed = true;
    if (deps.keepClones) work.keep();
    else await work.remove();
  }
}

/** Runs every target; see EngineResult. Never throws for per-target failures (they are in `errors`). */
export async function runImageUpdate(config: EngineConfig, deps: EngineDeps): Promise<EngineResult> {
  const out: EngineResult = { changed: false, commits: [], changes: [], policyErrors: [], targets: [], errors: [] };
  for (const target of config.targets) {
    const name = `${target.automation.namespace}/${target.automation.name} → ${redactUrl(target.repository)}`;
    const work = () => runTarget(target, config, deps, out);
    if (deps.log?.group) await deps.log.group(name, work);
    else await work();
  }
  return out;
}
