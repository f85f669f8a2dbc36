/**
 * Flux image-automation-controller's git behaviour with its default feature gates (image-automation.md §5, traps
 * 15–17): shallow clone of the checkout branch; if the push branch differs and exists remotely, work on top of its
 * tip, else branch from the checkout HEAD; no change → no commit, no push; force-push the push branch when it
 * differs from the checkout branch; then the optional refspec; push options on both pushes.
 */
import { Git, type CommitAuthor, type GitOptions } from '../../git/index.js';
import { D2Error } from '../../errors.js';
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
  sha: string;
  branch: string;
  /** Whether the push branch existed before (the commit is on top of its tip). */
  onExistingBranch: boolean;
}

const BRANCH_RE = /^(?!\/|.*(?:\/\.|\/\/|\.\.|@\{|\\|\.lock$|\/$))[^\x00-\x20~^:?*[\x7f]+$/;

function checkBranch(kind: string, b: string | undefined): void {
  if (b !== undefined && !BRANCH_RE.test(b)) throw new D2Error(`invalid ${kind} branch name '${b}'`, { code: 'INPUT_INVALID', hint: 'use a valid git branch name, e.g. image-updates' });
}

export class AutomationCheckout {
  private onExisting = false;

  private constructor(
    readonly git: Git,
    readonly target: GitTarget,
    readonly checkoutBranch: string,
    readonly pushBranch: string,
  ) {}

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
    if (!checkoutBranch && !target.checkoutRef) throw new D2Error(`cannot determine the checkout branch of ${target.url}`, { code: 'GIT_FAILED', hint: 'set the checkout branch explicitly' });
    // ref.commit in ref.branch, pushed to that same branch: commit on a local branch at the checked-out commit.
    if (target.checkoutRef && checkoutBranch && checkoutBranch === target.pushBranch) await git.switchBranch(checkoutBranch, 'HEAD');
    return new AutomationCheckout(git, target, checkoutBranch, target.pushBranch || checkoutBranch);
  }

  /**
   * Switches to the push branch: at the remote push-branch tip when it exists (updates are computed on, and
   * committed on top of, its content), else created from the checkout HEAD.
   */
  async switchToPushBranch(): Promise<{ existed: boolean }> {
    if (!this.switchBranch) return { existed: true };
    const existed = await this.git.fetchBranch(this.pushBranch, { depth: 1 });
    await this.git.switchBranch(this.pushBranch, existed ? `refs/remotes/origin/${this.pushBranch}` : 'HEAD');
    this.onExisting = existed;
    return { existed };
  }

  /**
   * Commits `paths` with the message verbatim and pushes. Returns undefined when nothing is staged (no commit,
   * no push).
   */
  async commitAndPush(o: { message: string; author: CommitAuthor; paths: string[]; date?: Date }): Promise<PushedCommit | undefined> {
    const sha = await this.git.commit({ message: o.message, author: o.author, paths: o.paths, date: o.date });
    if (!sha) return undefined;
    const pushOptions = this.target.pushOptions ?? [];
    await this.git.push(`refs/heads/${this.pushBranch}:refs/heads/${this.pushBranch}`, { force: this.switchBranch, pushOptions });
    if (this.target.refspec) await this.git.push(this.target.refspec, { pushOptions });
    return { sha, branch: this.pushBranch, onExistingBranch: this.onExisting };
  }
}
