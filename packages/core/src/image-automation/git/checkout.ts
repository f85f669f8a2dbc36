/**
 * Flux image-automation-controller's git behaviour with its default feature gates (docs/image-automation.md): shallow
 * clone of the checkout branch; if the push branch differs and exists remotely, work on top of its tip, else branch
 * from the checkout HEAD; no change → no commit, no push; then the optional refspec; push options on both pushes.
 *
 * Unlike Flux's force push, the branch push is a lease on the tip the update was built on
 * (`--force-with-lease=refs/heads/<branch>:<base>`, an empty base for a branch that did not exist): when anyone
 * else moved the branch meanwhile, nothing is overwritten and commitAndPush throws PushBranchMovedError, so the
 * caller can rebuild the update on the new tip (switchToPushBranch again) — see docs/image-automation.md
 * "Concurrent runs".
 */
import { Git, type CommitAuthor, type CommitSigner, type GitOptions } from '../../git/index.js';
import { D2Error } from '../../errors.js';
import { redactUrl } from '../../util/index.js';
import { cloneAtRef, type CheckoutRef } from './ref.js';

export interface GitTarget {
  /** Clone URL (https://…, http://…, file://… or a path). */
  url: string;
  /** `checkout.ref.branch` (or the GitRepository's ref); undefined = the remote's default branch. */
  checkoutBranch?: string;
  /** A tag, semver range, commit or reference name to check out instead of the branch (see ref.ts); needs pushBranch. */
  checkoutRef?: CheckoutRef;
  /** `push.branch`; default the checkout branch. */
  pushBranch?: string;
  /** `push.refspec`, pushed after the branch. */
  refspec?: string;
  /** `push.options` as `key=value` strings. */
  pushOptions?: string[];
}

export interface PushedCommit {
  /** The commit the push put on the remote branch. */
  sha: string;
  branch: string;
  /** Whether the push branch existed before (the commit is on top of its tip). */
  onExistingBranch: boolean;
  /** With a RemoteCommitWriter: whether the forge marked the commit Verified (it signed it). */
  verified?: boolean;
}

/**
 * Writes a commit through a forge's API instead of `git push` (commit-via: api): the same change on the same parent,
 * then the branch moved only while it is at `expected`. Implemented by github/git-data.ts.
 */
export interface RemoteCommitWriter {
  readonly description: string;
  write(o: {
    branch: string;
    expected: string | undefined;
    parent: string;
    parentTree: string;
    tree: string;
    files: Array<{ path: string; mode: string; content?: Buffer }>;
    message: string;
    author: { name: string; email: string; date: Date };
  }): Promise<{ ok: true; sha: string; verified: boolean } | { ok: false; reason: string }>;
}

const orNone = (sha: string | undefined) => sha ?? '(deleted)';

/**
 * The push branch moved between the fetch the update was built on and the push (another run, or a person, pushed
 * to it): nothing was overwritten, and `built` is not on the remote branch.
 */
export class PushBranchMovedError extends D2Error {
  constructor(
    readonly branch: string,
    /** The tip the update was built on; undefined when the branch did not exist. */
    readonly base: string | undefined,
    /** The commit this run made (not pushed). */
    readonly built: string,
    /** Where the remote branch is now; undefined when it was deleted. */
    readonly remote: string | undefined,
    /** git's reason for the refusal. */
    readonly reason: string,
  ) {
    super(
      `${branch} moved while pushing: the remote branch is at ${orNone(remote)}, this run built ${built} on ${base ?? `a new ${branch} branch`} (${reason})`,
      { code: 'GIT_BRANCH_MOVED', hint: `another run or a person pushed to ${branch} at the same time; run again, and serialise the runs with a concurrency: group in the workflow` },
    );
    this.name = 'PushBranchMovedError';
  }
}

const BRANCH_RE = /^(?!\/|.*(?:\/\.|\/\/|\.\.|@\{|\\|\.lock$|\/$))[^\x00-\x20~^:?*[\x7f]+$/;

/** Whether `b` is a valid git branch name (git check-ref-format's rules for refs/heads/<b>). */
export function isValidBranchName(b: string): boolean {
  return BRANCH_RE.test(b);
}

function checkBranch(kind: string, b: string | undefined): void {
  if (b !== undefined && !BRANCH_RE.test(b)) throw new D2Error(`invalid ${kind} branch name '${b}'`, { code: 'INPUT_INVALID', hint: 'use a valid git branch name, e.g. image-updates' });
}

export class AutomationCheckout {
  private onExisting = false;
  /** The remote push-branch commit the work tree is built on; undefined while the branch does not exist. */
  private base: string | undefined;
  private switched = 0;

  private constructor(
    readonly git: Git,
    readonly target: GitTarget,
    readonly checkoutBranch: string,
    readonly pushBranch: string,
    /** The checkout branch's commit as cloned (a new push branch starts here). */
    private readonly checkoutHead: string,
  ) {
    if (!this.switchBranch) this.base = checkoutHead;
  }

  /**
   * The same clone, committing to another push branch (a change group's): the branch is created from the checkout
   * HEAD when it does not exist. The work tree is switched by force (the previous group's branch is committed).
   */
  forPushBranch(branch: string): AutomationCheckout {
    checkBranch('push', branch);
    if (branch === this.checkoutBranch) throw new D2Error(`the group branch '${branch}' is the checkout branch`, { code: 'INPUT_INVALID', hint: 'the branch template must render branches other than the checkout branch, e.g. image-updates/{{ .Group }}' });
    const c = new AutomationCheckout(this.git, { ...this.target, pushBranch: branch, refspec: undefined }, this.checkoutBranch, branch, this.checkoutHead);
    c.switched = 1;
    return c;
  }

  /** Whether commits go to a branch other than the checkout branch (Flux `switchBranch`, force push). */
  get switchBranch(): boolean {
    return this.pushBranch !== this.checkoutBranch;
  }

  get dir(): string {
    return this.git.dir;
  }

  /** Clones the checkout branch shallowly into `dir` (validating branch names before any git call). */
  static async clone(target: GitTarget, dir: string, opts: GitOptions = {}): Promise<AutomationCheckout> {
    checkBranch('checkout', target.checkoutBranch);
    checkBranch('push', target.pushBranch);
    if (target.checkoutRef && !target.pushBranch) throw new D2Error('a checkout by tag, semver, commit or reference name needs a push branch', { code: 'INPUT_INVALID', hint: 'set spec.git.push.branch' });
    const git = target.checkoutRef ? await cloneAtRef(target.url, dir, target.checkoutRef, target.checkoutBranch, opts) : await Git.clone(target.url, dir, { ...opts, branch: target.checkoutBranch, depth: 1 });
    // A tag or commit checkout has no branch: the push branch always differs (Flux compares it with ref.branch).
    const checkoutBranch = target.checkoutRef ? (target.checkoutBranch ?? '') : (target.checkoutBranch ?? (await git.currentBranch()) ?? '');
    if (!checkoutBranch && !target.checkoutRef) throw new D2Error(`cannot determine the checkout branch of ${redactUrl(target.url)}`, { code: 'GIT_FAILED', hint: 'set the checkout branch explicitly' });
    // ref.commit in ref.branch, pushed to that same branch: commit on a local branch at the checked-out commit.
    if (target.checkoutRef && checkoutBranch && checkoutBranch === target.pushBranch) await git.switchBranch(checkoutBranch, 'HEAD');
    return new AutomationCheckout(git, target, checkoutBranch, target.pushBranch || checkoutBranch, await git.revParse('HEAD'));
  }

  /**
   * Switches to the push branch: at the remote push-branch tip when it exists (updates are computed on, and
   * committed on top of, its content), else created from the checkout HEAD. Called again after a
   * PushBranchMovedError, it fetches the branch's new tip and resets the work tree to it (discarding the commit
   * that was not pushed), so the update can be rebuilt there.
   */
  async switchToPushBranch(): Promise<{ existed: boolean; base?: string }> {
    const again = this.switched++ > 0;
    if (!this.switchBranch) {
      // Pushing to the checkout branch: the clone is the base; after a lost race, its new tip.
      if (again) {
        if (!(await this.git.fetchBranch(this.pushBranch, { depth: 1 }))) throw new D2Error(`the branch ${this.pushBranch} no longer exists on the remote`, { code: 'GIT_FAILED', hint: 'check the checkout branch of the automation' });
        await this.git.switchBranch(this.pushBranch, `refs/remotes/origin/${this.pushBranch}`, { force: true });
        this.base = await this.git.revParse(`refs/remotes/origin/${this.pushBranch}`);
      } else this.base = this.checkoutHead;
      this.onExisting = true;
      return { existed: true, base: this.base };
    }
    const existed = await this.git.fetchBranch(this.pushBranch, { depth: 1 });
    const start = existed ? `refs/remotes/origin/${this.pushBranch}` : this.checkoutHead;
    await this.git.switchBranch(this.pushBranch, start, { force: again });
    this.base = existed ? await this.git.revParse(start) : undefined;
    this.onExisting = existed;
    return { existed, ...(this.base ? { base: this.base } : {}) };
  }

  /**
   * Commits `paths` with the message verbatim and pushes it with a lease on the tip it was built on. Returns
   * undefined when nothing is staged (no commit, no push). Throws PushBranchMovedError when the remote branch is no
   * longer at that tip (nothing was overwritten; call switchToPushBranch and rebuild).
   */
  async commitAndPush(o: { message: string; author: CommitAuthor; paths: string[]; date?: Date; signer?: CommitSigner; writer?: RemoteCommitWriter }): Promise<PushedCommit | undefined> {
    if (o.writer) return this.commitViaApi({ ...o, writer: o.writer });
    // A signing failure throws here, before any push: an unsigned commit never reaches the remote.
    const sha = await this.git.commit({ message: o.message, author: o.author, paths: o.paths, date: o.date, ...(o.signer ? { signer: o.signer } : {}) });
    if (!sha) return undefined;
    const pushOptions = this.target.pushOptions ?? [];
    const pushed = await this.git.pushWithLease(sha, this.pushBranch, this.base, { pushOptions });
    if (!pushed.ok) {
      const remote = await this.git.remoteBranchSha(this.pushBranch);
      if (remote === this.base) throw new D2Error(`git push to ${this.pushBranch} was refused: ${pushed.reason}`, { code: 'GIT_FAILED', hint: "check the branch protection rules and the token's permissions" });
      throw new PushBranchMovedError(this.pushBranch, this.base, sha, remote, pushed.reason);
    }
    if (this.target.refspec) await this.git.push(this.target.refspec, { pushOptions });
    return { sha, branch: this.pushBranch, onExistingBranch: this.onExisting };
  }

  /**
   * commit-via api: the commit is made locally (so git decides the tree), then written through the forge's API with
   * the same parent, files and message; the forge's tree must be git's. The branch moves only while it is at the tip
   * the update was built on (created only while it does not exist), else PushBranchMovedError as for a push.
   */
  private async commitViaApi(o: { message: string; author: CommitAuthor; paths: string[]; date?: Date; writer: RemoteCommitWriter }): Promise<PushedCommit | undefined> {
    const date = o.date ?? new Date();
    const local = await this.git.commit({ message: o.message, author: o.author, paths: o.paths, date });
    if (!local) return undefined;
    const parent = await this.git.revParse(`${local}~1`);
    const [parentTree, tree] = await Promise.all([this.git.run(['rev-parse', `${parent}^{tree}`]), this.git.run(['rev-parse', `${local}^{tree}`])]).then((r) => r.map((x) => x.stdout.trim()));
    const raw = (await this.git.run(['diff-tree', '-r', '-z', '--no-commit-id', '--no-renames', parent, local])).stdout.split('\0');
    const files: Array<{ path: string; mode: string; content?: Buffer }> = [];
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const m = /^:(\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(raw[i]);
      if (!m) continue;
      const path = raw[i + 1];
      if (m[5] === 'D') files.push({ path, mode: m[1] });
      else files.push({ path, mode: m[2], content: Buffer.from((await this.git.run(['cat-file', 'blob', m[4]])).stdout, 'utf8') });
    }
    const res = await o.writer.write({ branch: this.pushBranch, expected: this.base, parent, parentTree, tree, files, message: o.message, author: { name: o.author.name, email: o.author.email, date } });
    if (!res.ok) {
      const remote = await this.git.remoteBranchSha(this.pushBranch);
      if (remote === this.base) throw new D2Error(`${o.writer.description} refused to move ${this.pushBranch}: ${res.reason}`, { code: 'GIT_FAILED', hint: "check the branch protection rules and the token's permissions" });
      throw new PushBranchMovedError(this.pushBranch, this.base, local, remote, res.reason);
    }
    return { sha: res.sha, branch: this.pushBranch, onExistingBranch: this.onExisting, verified: res.verified };
  }
}
