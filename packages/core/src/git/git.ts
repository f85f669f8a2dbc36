/**
 * A small wrapper around the git CLI (present on every GitHub runner): explicit argument arrays, never a shell.
 * Credentials travel in the environment as a per-origin `http.<origin>/.extraHeader` (GIT_CONFIG_COUNT/KEY/VALUE),
 * so a token never appears in argv, in the repository's config, in logs or in error messages; URLs with credentials
 * are refused, and every logged command line and every error (git's own stderr included) is passed through
 * redactUrls, so credentials that reach git another way (an insteadOf rewrite, a credential-bearing remote in the
 * user's config) are not printed either.
 * We use the CLI rather than isomorphic-git because it is faster on large repositories and supports shallow
 * fetches, push options and every auth/proxy setting users already have.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { D2Error } from '../errors.js';
import { hasUrlCredentials, redactUrl, redactUrls } from '../util/index.js';
import { signCommitObject, type CommitSigner } from './signing.js';

export interface GitAuth {
  /** Password or token (GitHub: a PAT, App installation token or GITHUB_TOKEN). */
  token: string;
  /** Basic-auth user; GitHub accepts `x-access-token` for every token kind. */
  username?: string;
}

export interface GitOptions {
  auth?: GitAuth;
  /** Extra environment for every git process. */
  env?: NodeJS.ProcessEnv;
  /** Receives each git command line (without secrets) for logging. */
  log?: (line: string) => void;
  /** Kill a git process after this many ms (default 5 minutes). */
  timeoutMs?: number;
  /** Kill a running git process when this aborts (the operation's time limit, TimeBudget.signal). */
  signal?: AbortSignal;
}

export interface CloneOptions extends GitOptions {
  /** Branch to check out; default the remote's default branch. */
  branch?: string;
  /** Shallow clone depth (Flux clones with depth 1). */
  depth?: number;
}

export interface CommitAuthor {
  name: string;
  email: string;
}

export interface CommitOptions {
  /** Used verbatim: `--cleanup=verbatim -F -`, so git strips no `#` lines or whitespace from a rendered template. */
  message: string;
  author: CommitAuthor;
  /** Commit time (UTC is written); default now. */
  date?: Date;
  /** Paths to stage first (relative to the work tree). */
  paths?: string[];
  /** Sign the commit (git's `gpgsig` header, docs/image-automation.md "Commit signing"); a signing failure leaves HEAD where it was. */
  signer?: CommitSigner;
}

export interface PushOptions {
  force?: boolean;
  /** `git push -o <option>` for each entry. */
  pushOptions?: string[];
  remote?: string;
}

/** The outcome of pushWithLease. */
export type LeasePushResult =
  | { ok: true }
  /** The lease was lost: the remote branch is no longer at the expected commit (or was created meanwhile). */
  | { ok: false; reason: string };

export class GitError extends D2Error {
  constructor(message: string, hint?: string) {
    super(message, { code: 'GIT_FAILED', hint });
    this.name = 'GitError';
  }
}

const TOKEN_HINT = 'the token cannot access this repository: use a PAT or GitHub App token with contents: write';

/**
 * git's reasons for refusing a ref update because the ref is not where the pusher expected: the lease check against
 * the advertisement (`stale info`), a non-fast-forward, and the server's own compare-and-swap when another push won
 * the race between advertisement and update (`cannot lock ref`, `failed to update ref`, `incorrect old value`).
 */
const LEASE_LOST = /stale info|fetch first|non-fast-forward|already exists|cannot lock ref|failed to update ref|incorrect old value|failed to lock/i;

interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** The origin (`scheme://host[:port]`) of an http(s) URL, or undefined for other transports. */
function httpOrigin(url: string): string | undefined {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? `${u.protocol}//${u.host}` : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses URLs that carry credentials: they would end up in .git/config and in logs. The error shows the URL redacted. */
function checkUrl(url: string): void {
  let userinfo = hasUrlCredentials(url);
  try {
    const u = new URL(url);
    userinfo ||= u.username !== '' || u.password !== '';
  } catch {
    // Not a WHATWG URL (a path, an scp-like remote): hasUrlCredentials decided.
  }
  if (userinfo) {
    throw new GitError(`the git URL ${redactUrl(url)} must not contain credentials`, 'remove the user and token from the URL and pass the token separately (the `token` input, --token or GIT_TOKEN)');
  }
}

export class Git {
  constructor(
    readonly dir: string,
    private readonly opts: GitOptions = {},
    private readonly remoteUrl?: string,
  ) {}

  /** Clones `url` into `dir` (created) and returns a Git for it. */
  static async clone(url: string, dir: string, opts: CloneOptions = {}): Promise<Git> {
    checkUrl(url);
    await mkdir(dir, { recursive: true });
    const git = new Git(dir, opts, url);
    const args = ['clone', '--no-tags', '--quiet'];
    if (opts.depth) args.push('--depth', String(opts.depth));
    if (opts.branch) args.push('--branch', opts.branch, '--single-branch');
    args.push('--', url, '.');
    await git.run(args);
    return git;
  }

  /** Creates an empty repository in `dir` (created) with `url` as `origin`, to fetch a tag, commit or other ref into. */
  static async init(url: string, dir: string, opts: GitOptions = {}): Promise<Git> {
    checkUrl(url);
    await mkdir(dir, { recursive: true });
    const git = new Git(dir, opts, url);
    await git.run(['init', '--quiet']);
    await git.run(['remote', 'add', 'origin', '--', url]);
    return git;
  }

  /** Environment with the auth header scoped to the remote's origin. */
  private env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.opts.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', LC_ALL: 'C' };
    const origin = this.remoteUrl ? httpOrigin(this.remoteUrl) : undefined;
    if (this.opts.auth?.token && origin) {
      const basic = Buffer.from(`${this.opts.auth.username ?? 'x-access-token'}:${this.opts.auth.token}`).toString('base64');
      const n = Number(env.GIT_CONFIG_COUNT ?? 0) || 0;
      env[`GIT_CONFIG_KEY_${n}`] = `http.${origin}/.extraHeader`;
      env[`GIT_CONFIG_VALUE_${n}`] = `Authorization: Basic ${basic}`;
      env.GIT_CONFIG_COUNT = String(n + 1);
    }
    return env;
  }

  /** The token, wherever it appears, and the userinfo of every URL. */
  private redact(s: string): string {
    const t = this.opts.auth?.token;
    return redactUrls(t ? s.split(t).join('***') : s);
  }

  /** Runs `git <args>` in the work tree. Throws GitError (stderr included, secrets redacted) unless allowFail. */
  async run(args: string[], o: { input?: string; allowFail?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
    this.opts.log?.(this.redact(`git ${args.join(' ')}`));
    const signal = this.opts.signal;
    const limitMs = this.opts.timeoutMs ?? 300_000;
    const child = spawn('git', args, { cwd: this.dir, env: { ...this.env(), ...o.env }, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitMs);
    if (child.stdin) {
      // git may exit before reading its input (e.g. on an auth error): ignore EPIPE, the exit code tells.
      child.stdin.on('error', () => {});
      child.stdin.end(o.input);
    }
    const code: number = await new Promise((resolve, reject) => {
      // An abort (time limit) also emits 'error'; the exit follows once the process is killed.
      child.on('error', (e) => (signal?.aborted ? undefined : reject(e)));
      child.on('close', (c) => resolve(c ?? 1));
      child.on('exit', (c) => {
        if (!timedOut && !signal?.aborted) return;
        // Killed: a remote helper it started (git-remote-http) may still hold the pipes open, so 'close' could wait
        // for the stalled server; stop reading instead.
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve(c ?? 1);
      });
    }).finally(() => clearTimeout(timer)) as number;
    if ((timedOut || signal?.aborted) && code !== 0) {
      const host = httpOrigin(this.remoteUrl ?? '')?.replace(/^https?:\/\//, '');
      const why = signal?.aborted ? (signal.reason instanceof Error ? signal.reason.message : 'the time limit is spent') : `no result within ${Math.round(limitMs / 1000)} s`;
      throw new GitError(`git ${args[0]}${host ? ` (${host})` : ''} ran out of time: ${why}`, 'the git server is too slow or stalls: check it, the network and the proxy, or raise the time limit (`timeout`, --timeout)');
    }
    if (code !== 0 && !o.allowFail) {
      const msg = this.redact(stderr.trim() || stdout.trim());
      const hint = /Authentication failed|403|401|could not read Username|terminal prompts disabled/i.test(stderr)
        ? TOKEN_HINT
        : /non-fast-forward|rejected/.test(stderr)
          ? 'the remote branch moved; run again'
          : undefined;
      throw new GitError(`git ${args[0]} failed (exit ${code}): ${msg}`, hint);
    }
    return { stdout, stderr, code };
  }

  /** Whether `refs/heads/<branch>` exists on the remote. */
  async remoteBranchExists(branch: string, remote = 'origin'): Promise<boolean> {
    return (await this.remoteBranchSha(branch, remote)) !== undefined;
  }

  /** The commit `refs/heads/<branch>` points at on the remote, or undefined when it does not exist. */
  async remoteBranchSha(branch: string, remote = 'origin'): Promise<string | undefined> {
    const r = await this.run(['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
    const line = r.stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
    return line ? line.split('\t')[0] : undefined;
  }

  /** Fetches `branch` into `refs/remotes/<remote>/<branch>`; false when it does not exist remotely. */
  async fetchBranch(branch: string, opts: { depth?: number; remote?: string } = {}): Promise<boolean> {
    const remote = opts.remote ?? 'origin';
    if (!(await this.remoteBranchExists(branch, remote))) return false;
    const args = ['fetch', '--no-tags', '--quiet'];
    if (opts.depth) args.push('--depth', String(opts.depth));
    args.push(remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`);
    await this.run(args);
    return true;
  }

  /** Creates or resets the local `branch` at `startPoint` and checks it out (`force`: discarding local changes). */
  async switchBranch(branch: string, startPoint = 'HEAD', o: { force?: boolean } = {}): Promise<void> {
    await this.run(['checkout', '--quiet', ...(o.force ? ['--force'] : []), '-B', branch, startPoint]);
  }

  async currentBranch(): Promise<string | undefined> {
    const r = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD'], { allowFail: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async revParse(ref: string): Promise<string> {
    return (await this.run(['rev-parse', '--verify', `${ref}^{commit}`])).stdout.trim();
  }

  /** `git status --porcelain` paths (changed, staged or untracked). */
  async status(): Promise<string[]> {
    const r = await this.run(['status', '--porcelain', '-z']);
    return r.stdout.split('\0').filter(Boolean).map((l) => l.slice(3));
  }

  /**
   * Stages `paths` (or everything) and commits with the message verbatim; author = committer, UTC time.
   * Returns the new commit's SHA, or undefined when nothing was staged (Flux's ErrNoStagedFiles no-op).
   */
  async commit(o: CommitOptions): Promise<string | undefined> {
    if (o.paths && o.paths.length > 0) await this.run(['add', '--', ...o.paths]);
    else await this.run(['add', '--all']);
    const staged = await this.run(['diff', '--cached', '--quiet'], { allowFail: true });
    if (staged.code === 0) return undefined;
    const when = `@${Math.floor((o.date ?? new Date()).getTime() / 1000)} +0000`;
    // git refuses an empty name; go-git does not. Fall back to the email so the commit can be made.
    const name = o.author.name || o.author.email;
    const env = {
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: o.author.email,
      GIT_AUTHOR_DATE: when,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: o.author.email,
      GIT_COMMITTER_DATE: when,
    };
    await this.run(['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify', '--allow-empty-message', '--cleanup=verbatim', '-F', '-'], { input: o.message, env });
    const unsigned = await this.revParse('HEAD');
    if (!o.signer) return unsigned;
    return this.signHead(unsigned, o.signer, o.date ?? new Date());
  }

  /**
   * Replaces the commit HEAD points at (`unsigned`) by the same object with `signer`'s signature in its `gpgsig`
   * header; the payload signed is git's own commit object, as `git verify-commit` reconstructs it. If signing fails,
   * HEAD is reset to the commit's parent so no unsigned commit is left to push.
   */
  private async signHead(unsigned: string, signer: CommitSigner, date: Date): Promise<string> {
    const raw = (await this.run(['cat-file', 'commit', unsigned])).stdout;
    let signature: string;
    try {
      signature = await signer.sign(Buffer.from(raw, 'utf8'), date);
    } catch (err) {
      await this.run(['reset', '--quiet', '--soft', 'HEAD~1'], { allowFail: true });
      throw err;
    }
    const signed = signCommitObject(Buffer.from(raw, 'utf8'), signature);
    const sha = (await this.run(['hash-object', '-t', 'commit', '-w', '--stdin'], { input: signed.toString('utf8') })).stdout.trim();
    await this.run(['update-ref', '-m', 'sign commit', 'HEAD', sha, unsigned]);
    return sha;
  }

  /** `git push [--force] [-o opt]… <remote> <refspec>`. */
  async push(refspec: string, o: PushOptions = {}): Promise<void> {
    const args = ['push', '--quiet', '--porcelain'];
    if (o.force) args.push('--force');
    for (const opt of o.pushOptions ?? []) args.push('-o', opt);
    args.push(o.remote ?? 'origin', refspec);
    await this.run(args);
  }

  /**
   * Pushes `source` (a local ref or SHA) to `refs/heads/<branch>` only while the remote branch is at `expected`
   * (`undefined`: only while it does not exist): `git push --force-with-lease=refs/heads/<branch>:<expected>`. git
   * checks the lease against the ref advertisement and the server updates the ref only if it is still at the
   * advertised value, so a commit pushed by anyone else meanwhile is never overwritten. A lost lease is returned
   * (`ok: false`); every other failure throws GitError.
   */
  async pushWithLease(source: string, branch: string, expected: string | undefined, o: Omit<PushOptions, 'force'> = {}): Promise<LeasePushResult> {
    const ref = `refs/heads/${branch}`;
    const args = ['push', '--porcelain', `--force-with-lease=${ref}:${expected ?? ''}`];
    for (const opt of o.pushOptions ?? []) args.push('-o', opt);
    args.push(o.remote ?? 'origin', `${source}:${ref}`);
    const r = await this.run(args, { allowFail: true });
    if (r.code === 0) return { ok: true };
    // --porcelain: `<flag>\t<from>:<to>\t<summary>`; `!` = rejected, with git's reason in the summary.
    const line = r.stdout.split('\n').find((l) => l.startsWith('!\t') && l.split('\t')[1]?.endsWith(`:${ref}`));
    const summary = line?.split('\t')[2]?.trim() ?? '';
    if (LEASE_LOST.test(summary) || LEASE_LOST.test(r.stderr)) return { ok: false, reason: this.redact(summary || r.stderr.trim()) };
    const msg = this.redact(r.stderr.trim() || r.stdout.trim());
    throw new GitError(`git push failed (exit ${r.code}): ${msg}`, /Authentication failed|403|401|could not read Username|terminal prompts disabled/i.test(r.stderr) ? TOKEN_HINT : undefined);
  }
}
