/**
 * Checking out a GitRepository reference other than a branch (docs/image-automation.md "Checkout by tag, semver,
 * commit or reference name"), as fluxcd/pkg `git/gogit` clones for source-controller and image-automation-controller:
 * `ref.commit` (with `ref.branch`: the commit must be in that branch), `ref.name` (any reference the remote
 * advertises, a tag peeled to its commit), `ref.semver` (the highest tag that fluxcd/pkg `version.ParseVersion` reads
 * and the range admits; equal versions are ordered by their commit time) and `ref.tag`. The work tree is left at
 * that commit with a detached HEAD; the update is then committed on top of it and pushed to the push branch, which
 * image-automation-controller requires for such a checkout.
 */
import { Git, type GitOptions } from '../../git/index.js';
import { D2Error, InputError } from '../../errors.js';
import { redactUrl } from '../../util/index.js';
import { compareVersions, SemverConstraints, SemverSyntaxError, tryParseTagVersion, type SemVersion } from '../policy/semver.js';

/** The non-branch fields of a GitRepositoryRef (`ref.branch` is GitTarget.checkoutBranch). */
export interface CheckoutRef {
  tag?: string;
  semver?: string;
  /** A full commit SHA. */
  commit?: string;
  /** A full reference name, e.g. `refs/tags/v1.0.0` or `refs/pull/42/head`. */
  name?: string;
}

/** Which field decides: source-controller's precedence is commit, name, semver, tag, then branch. */
export function checkoutRefKind(ref: CheckoutRef | undefined): 'commit' | 'name' | 'semver' | 'tag' | undefined {
  if (!ref) return undefined;
  return ref.commit ? 'commit' : ref.name ? 'name' : ref.semver ? 'semver' : ref.tag ? 'tag' : undefined;
}

const COMMIT_RE = /^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/;
// git check-ref-format: no control characters, space, ~ ^ : ? * [ \, no "..", "@{", "//", no component starting with
// "." or ending with ".lock", not ending with "/" or ".", not "@".
const REF_RE = /^(?!\/|.*(?:\/\.|\/\/|\.\.|@\{|\\|\.lock(?:\/|$)|\/$|\.$)|@$|\.)[^\x00-\x20~^:?*[\x7f]+$/;

/** Validates the fields before anything is cloned; InputErrors name the field. */
export function validateCheckoutRef(ref: CheckoutRef, where: string): void {
  if (ref.commit !== undefined && !COMMIT_RE.test(ref.commit)) {
    throw new InputError(`${where}: checkout ref.commit '${ref.commit}' is not a full commit SHA`, 'use the full 40-character SHA (abbreviated SHAs are not resolved, as in Flux)');
  }
  if (ref.name !== undefined && !REF_RE.test(ref.name)) {
    throw new InputError(`${where}: checkout ref.name '${ref.name}' is not a valid git reference`, 'e.g. refs/tags/v1.0.0 or refs/pull/42/head');
  }
  if (ref.tag !== undefined && !REF_RE.test(`refs/tags/${ref.tag}`)) throw new InputError(`${where}: checkout ref.tag '${ref.tag}' is not a valid tag name`);
  if (ref.semver !== undefined) {
    try {
      SemverConstraints.parse(ref.semver);
    } catch (err) {
      if (!(err instanceof SemverSyntaxError)) throw err;
      throw new InputError(`${where}: semver parse error: ${err.message}`, 'ref.semver is a Masterminds/semver range, e.g. ">=1.0.0" or "1.x"');
    }
  }
}

const described = new WeakMap<Git, string>();

/** What a clone made by cloneAtRef checked out, e.g. `tag v1.2.0 (3f1c2ab)`; undefined for a branch clone. */
export function describeCheckout(git: Git): string | undefined {
  return described.get(git);
}

interface RemoteRef {
  name: string;
  /** The commit (peeled for annotated tags). */
  sha: string;
}

/** `git ls-remote` output → refs, annotated tags peeled to their commit (the `^{}` lines). */
function parseLsRemote(out: string): RemoteRef[] {
  const direct = new Map<string, string>();
  const peeled = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [sha, name] = line.split('\t');
    if (!sha || !name) continue;
    if (name.endsWith('^{}')) peeled.set(name.slice(0, -3), sha);
    else direct.set(name, sha);
  }
  return [...direct].map(([name, sha]) => ({ name, sha: peeled.get(name) ?? sha }));
}

const short = (sha: string) => sha.slice(0, 7);

/**
 * Clones `url` at `ref` into `dir` (created), leaving a detached HEAD at the resolved commit. `branch` is
 * `ref.branch`, which only matters with `ref.commit` (the branch is fetched and must contain the commit).
 */
export async function cloneAtRef(url: string, dir: string, ref: CheckoutRef, branch: string | undefined, opts: GitOptions = {}): Promise<Git> {
  const kind = checkoutRefKind(ref);
  if (!kind) throw new InputError('cloneAtRef needs ref.commit, ref.name, ref.semver or ref.tag');
  validateCheckoutRef(ref, redactUrl(url));
  const git = await Git.init(url, dir, opts);
  const fail = (message: string, hint: string) => new D2Error(message, { code: 'GIT_FAILED', hint });
  let sha: string;
  let label: string;
  if (kind === 'commit') {
    sha = (ref.commit as string).toLowerCase();
    if (branch) {
      await git.run(['fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
      const inBranch = await git.run(['merge-base', '--is-ancestor', sha, `refs/remotes/origin/${branch}`], { allowFail: true });
      if (inBranch.code !== 0) throw fail(`unable to resolve commit object for '${sha}': not in branch ${branch}`, `ref.commit must be a commit of ref.branch (${branch})`);
    } else {
      // One shallow fetch of the commit where the server allows it (GitHub does), else every branch.
      const one = await git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', sha], { allowFail: true });
      if (one.code !== 0) await git.run(['fetch', '--quiet', '--no-tags', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
      const found = await git.run(['cat-file', '-e', `${sha}^{commit}`], { allowFail: true });
      if (found.code !== 0) throw fail(`unable to resolve commit object for '${sha}'`, 'ref.commit must be a commit of one of the repository\'s branches');
    }
    label = `commit ${short(sha)}`;
  } else if (kind === 'name') {
    const name = ref.name as string;
    const listed = parseLsRemote((await git.run(['ls-remote', 'origin', name])).stdout).find((r) => r.name === name);
    if (!listed) throw fail(`unable to resolve ref '${name}' to a specific commit`, 'ref.name must be a full reference name the remote has, e.g. refs/tags/v1.0.0');
    await git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', `+${name}:refs/d2/checkout`]);
    sha = (await git.run(['rev-parse', '--verify', 'refs/d2/checkout^{commit}'])).stdout.trim();
    label = `${name} (${short(sha)})`;
  } else {
    const tags = parseLsRemote((await git.run(['ls-remote', '--tags', 'origin'])).stdout)
      .filter((r) => r.name.startsWith('refs/tags/'))
      .map((r) => ({ tag: r.name.slice('refs/tags/'.length), sha: r.sha }));
    let tag: string;
    if (kind === 'semver') tag = await highestTag(git, tags, ref.semver as string);
    else {
      tag = ref.tag as string;
      if (!tags.some((t) => t.tag === tag)) throw fail(`unable to find tag '${tag}' in the remote`, 'check ref.tag; tags are matched exactly');
    }
    await git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', `+refs/tags/${tag}:refs/tags/${tag}`]);
    sha = (await git.run(['rev-parse', '--verify', `refs/tags/${tag}^{commit}`])).stdout.trim();
    label = `tag ${tag} (${short(sha)})${kind === 'semver' ? `, semver ${ref.semver}` : ''}`;
  }
  await git.run(['checkout', '--quiet', '--detach', sha]);
  described.set(git, label);
  return git;
}

/**
 * fluxcd/pkg `cloneSemVer`: every tag that `version.ParseVersion` reads and the range admits; the highest version
 * wins, and among equal versions (they differ in build metadata only) the one whose commit is newest.
 */
async function highestTag(git: Git, tags: Array<{ tag: string; sha: string }>, range: string): Promise<string> {
  const constraints = SemverConstraints.parse(range);
  const matched: Array<{ tag: string; sha: string; v: SemVersion }> = [];
  for (const t of tags) {
    const v = tryParseTagVersion(t.tag);
    if (v && constraints.check(v)) matched.push({ ...t, v });
  }
  if (matched.length === 0) throw new D2Error(`no match found for semver: ${range}`, { code: 'GIT_FAILED', hint: 'no tag of the repository is in the range of ref.semver' });
  matched.sort((a, b) => compareVersions(b.v, a.v) || (a.tag < b.tag ? 1 : a.tag > b.tag ? -1 : 0));
  const top = matched.filter((m) => compareVersions(m.v, matched[0].v) === 0);
  if (top.length === 1) return top[0].tag;
  // Ties: fetch those commits and order them by committer time (the latest wins, as in Flux).
  await git.run(['fetch', '--quiet', '--no-tags', '--depth', '1', 'origin', ...top.map((t) => `+refs/tags/${t.tag}:refs/tags/${t.tag}`)]);
  let best = top[0];
  let bestTime = -Infinity;
  for (const t of top) {
    const time = Number((await git.run(['log', '-1', '--format=%ct', `refs/tags/${t.tag}^{commit}`])).stdout.trim());
    if (time > bestTime) [best, bestTime] = [t, time];
  }
  return best.tag;
}
