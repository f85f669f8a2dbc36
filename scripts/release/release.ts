#!/usr/bin/env node
/**
 * The release logic of D2 Actions, called by .github/workflows/release.yml (RELEASING.md). Runs on Node >= 22.18
 * (type stripping, no build step, no dependencies):
 *
 *   node scripts/release/release.ts check vX.Y.Z          the tag, package.json files and CHANGELOG.md agree
 *   node scripts/release/release.ts notes vX.Y.Z [FILE]   the release notes: the version's CHANGELOG.md section
 *   node scripts/release/release.ts move-tags vX.Y.Z SHA  move vX and vX.Y to SHA (GitHub REST API; GITHUB_TOKEN,
 *                                                          GITHUB_REPOSITORY, GITHUB_API_URL from the environment)
 *
 * Invariants: a version is released only when the tag, the root and CLI package.json and a dated CHANGELOG.md section
 * all name it; vX and vX.Y move only to the commit the release tag points to, and only forward: a patch release of an
 * older line (v1.1.4 after v1.2.0) leaves v1 where it is; every move is read back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A release problem, with the fix. */
export class ReleaseError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'ReleaseError';
    this.hint = hint;
  }
}

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** X.Y.Z */
  version: string;
  /** vX.Y.Z */
  tag: string;
}

const RELEASE_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** The version a release tag names; only `vX.Y.Z` (no pre-release, no build metadata) is a release. */
export function parseReleaseTag(tag: string): Version {
  const m = RELEASE_TAG.exec(tag);
  if (!m) {
    throw new ReleaseError(
      `${JSON.stringify(tag.slice(0, 100))} is not a release tag`,
      'release tags are vMAJOR.MINOR.PATCH, e.g. v1.2.3 (RELEASING.md); the workflow runs only on such tags',
    );
  }
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { major, minor, patch, version: `${major}.${minor}.${patch}`, tag };
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export interface ChangelogSection {
  version: string;
  /** YYYY-MM-DD */
  date: string;
  /** The section's text, without its heading, trimmed. */
  body: string;
}

/**
 * The `## [X.Y.Z] - YYYY-MM-DD` sections of a Keep a Changelog file, in file order (`## [Unreleased]` is not a
 * release and is left out; link reference definitions at the end are not part of the last section).
 */
export function changelogSections(changelog: string): ChangelogSection[] {
  const lines = changelog.replace(/\r\n/g, '\n').split('\n');
  const sections: ChangelogSection[] = [];
  let current: { version: string; date: string; lines: string[] } | undefined;
  const close = () => {
    if (current) sections.push({ version: current.version, date: current.date, body: current.lines.join('\n').trim() });
    current = undefined;
  };
  for (const line of lines) {
    if (/^## /.test(line)) {
      close();
      const m = /^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})\s*$/.exec(line);
      if (m) current = { version: m[1], date: m[2], lines: [] };
      continue;
    }
    if (/^\[[^\]]+\]:\s*\S+/.test(line)) {
      close();
      continue;
    }
    current?.lines.push(line);
  }
  close();
  return sections;
}

/** The release notes of `version`: its CHANGELOG.md section, which must exist, be dated and say something. */
export function releaseNotes(changelog: string, version: string): string {
  const section = changelogSections(changelog).find((s) => s.version === version);
  if (!section) {
    throw new ReleaseError(
      `CHANGELOG.md has no section for ${version}`,
      `rename "## [Unreleased]" to "## [${version}] - YYYY-MM-DD" (Keep a Changelog), add a new empty Unreleased section, commit, and tag again`,
    );
  }
  if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(section.date)) {
    throw new ReleaseError(`CHANGELOG.md dates ${version} ${section.date}, which is not a date`, 'write the release date as YYYY-MM-DD');
  }
  if (!/^### (Added|Changed|Deprecated|Removed|Fixed|Security)\s*$/m.test(section.body)) {
    throw new ReleaseError(
      `the CHANGELOG.md section of ${version} lists no change`,
      'list the changes under ### Added, Changed, Deprecated, Removed, Fixed or Security (Keep a Changelog)',
    );
  }
  return `${section.body}\n`;
}

export interface ReleaseInputs {
  tag: string;
  /** package.json files (path for messages → content) whose `version` must be the tag's. */
  packageJsons: Record<string, string>;
  changelog: string;
}

/** Checks that everything names the tag's version; every disagreement is reported at once. */
export function checkRelease(inputs: ReleaseInputs): Version {
  const v = parseReleaseTag(inputs.tag);
  const problems: string[] = [];
  for (const [path, text] of Object.entries(inputs.packageJsons)) {
    let version: unknown;
    try {
      version = (JSON.parse(text) as { version?: unknown }).version;
    } catch {
      problems.push(`${path} is not valid JSON`);
      continue;
    }
    if (version !== v.version) problems.push(`${path} has version ${JSON.stringify(version)}, the tag ${v.tag} says ${v.version}`);
  }
  try {
    releaseNotes(inputs.changelog, v.version);
  } catch (err) {
    if (!(err instanceof ReleaseError)) throw err;
    problems.push(`${err.message} (${err.hint})`);
  }
  if (problems.length > 0) {
    throw new ReleaseError(
      `${v.tag} cannot be released:\n  - ${problems.join('\n  - ')}`,
      `set "version": "${v.version}" in every listed package.json and date the CHANGELOG.md section, commit, then move the tag (git tag -f ${v.tag} && git push -f origin ${v.tag})`,
    );
  }
  return v;
}

/** The moving tags of a release (vX, vX.Y) and whether this release may take them, given the repository's tags. */
export function floatingTags(release: Version, existingTags: string[]): Array<{ tag: string; move: boolean; newest: string }> {
  const releases = existingTags.filter((t) => RELEASE_TAG.test(t)).map(parseReleaseTag);
  const newestOf = (same: (v: Version) => boolean): Version => [release, ...releases.filter(same)].sort(compare).at(-1) as Version;
  const major = newestOf((v) => v.major === release.major);
  const minor = newestOf((v) => v.major === release.major && v.minor === release.minor);
  return [
    { tag: `v${release.major}`, move: compare(release, major) === 0, newest: major.tag },
    { tag: `v${release.major}.${release.minor}`, move: compare(release, minor) === 0, newest: minor.tag },
  ];
}

// ---- GitHub REST ------------------------------------------------------------------------------------------------

export interface GitHubRepo {
  /** GITHUB_API_URL, e.g. https://api.github.com */
  apiUrl: string;
  /** owner/name */
  repository: string;
  token: string;
  /** Deadline of each request (default 30 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

interface Answer {
  status: number;
  body: unknown;
  link: string | null;
}

async function api(gh: GitHubRepo, method: string, path: string, body?: unknown): Promise<Answer> {
  const url = path.startsWith('http') ? path : `${gh.apiUrl.replace(/\/+$/, '')}/repos/${gh.repository}${path}`;
  const timeoutMs = gh.timeoutMs ?? 30_000;
  let res: Response;
  try {
    res = await (gh.fetch ?? fetch)(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${gh.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'd2-actions-release',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : String(err instanceof Error ? err.message : err);
    throw new ReleaseError(`${method} ${path}: ${why}`, 're-run the job: the release tag and the GitHub release are in place, moving the tags again is safe');
  }
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, link: res.headers.get('link') };
}

function failure(method: string, path: string, a: Answer): ReleaseError {
  const message = a.body && typeof a.body === 'object' && typeof (a.body as { message?: unknown }).message === 'string' ? (a.body as { message: string }).message : `HTTP ${a.status}`;
  const hint =
    a.status === 401 || a.status === 403 || a.status === 404
      ? 'the job needs `permissions: contents: write` and a token for this repository (GITHUB_TOKEN)'
      : 're-run the job: moving the tags again is safe';
  return new ReleaseError(`${method} ${path} failed (${a.status}): ${message.slice(0, 300)}`, hint);
}

/** Every tag of the repository, with the commit it points to (GET /tags, all pages). */
export async function listTags(gh: GitHubRepo): Promise<Map<string, string>> {
  const tags = new Map<string, string>();
  let path = '/tags?per_page=100';
  for (let page = 0; page < 1000; page++) {
    const a = await api(gh, 'GET', path);
    if (a.status !== 200 || !Array.isArray(a.body)) throw failure('GET', path, a);
    for (const t of a.body as Array<{ name: string; commit: { sha: string } }>) tags.set(t.name, t.commit.sha);
    const next = /<([^>]+)>;\s*rel="next"/.exec(a.link ?? '');
    if (!next) return tags;
    path = next[1];
  }
  throw new ReleaseError('GET /tags: more than 1000 pages', 'the repository has an unexpected number of tags; move vX and vX.Y by hand (RELEASING.md)');
}

async function refSha(gh: GitHubRepo, tag: string): Promise<string | undefined> {
  const path = `/git/ref/tags/${encodeURIComponent(tag)}`;
  const a = await api(gh, 'GET', path);
  if (a.status === 404) return undefined;
  if (a.status !== 200) throw failure('GET', path, a);
  return (a.body as { object: { sha: string } }).object.sha;
}

export interface TagMove {
  tag: string;
  action: 'created' | 'moved' | 'unchanged' | 'kept';
  /** Where the tag points afterwards. */
  sha?: string;
  /** For `kept`: the newer release that holds the tag. */
  newest?: string;
}

/**
 * Points vX and vX.Y at `sha`, the commit of the release tag. Refuses when the release tag is missing or points
 * elsewhere (nothing is moved then); keeps a tag that a newer release of its line holds; reads every move back.
 */
export async function moveFloatingTags(gh: GitHubRepo, releaseTag: string, sha: string): Promise<TagMove[]> {
  const release = parseReleaseTag(releaseTag);
  if (!/^[0-9a-f]{40}$/.test(sha)) throw new ReleaseError(`${JSON.stringify(sha.slice(0, 80))} is not a commit SHA`, 'pass the full 40-character SHA of the release commit (GITHUB_SHA)');
  const tags = await listTags(gh);
  const at = tags.get(release.tag);
  if (at === undefined) throw new ReleaseError(`the tag ${release.tag} does not exist in ${gh.repository}`, `push the release tag first (git push origin ${release.tag})`);
  if (at !== sha) {
    throw new ReleaseError(
      `the tag ${release.tag} points to ${at}, not to the built commit ${sha}; no tag was moved`,
      'the tag was moved while the release ran: re-run the release workflow for the tag as it is now',
    );
  }
  const moves: TagMove[] = [];
  for (const t of floatingTags(release, [...tags.keys()])) {
    if (!t.move) {
      moves.push({ tag: t.tag, action: 'kept', sha: tags.get(t.tag), newest: t.newest });
      continue;
    }
    const current = await refSha(gh, t.tag);
    if (current === sha) {
      moves.push({ tag: t.tag, action: 'unchanged', sha });
      continue;
    }
    if (current === undefined) {
      const a = await api(gh, 'POST', '/git/refs', { ref: `refs/tags/${t.tag}`, sha });
      if (a.status !== 201) throw failure('POST', '/git/refs', a);
    } else {
      const path = `/git/refs/tags/${encodeURIComponent(t.tag)}`;
      const a = await api(gh, 'PATCH', path, { sha, force: true });
      if (a.status !== 200) throw failure('PATCH', path, a);
    }
    const after = await refSha(gh, t.tag);
    if (after !== sha) {
      throw new ReleaseError(`${t.tag} points to ${after ?? 'nothing'} after the move to ${sha}`, 'another job moved it at the same time: re-run the release workflow of the newest release');
    }
    moves.push({ tag: t.tag, action: current === undefined ? 'created' : 'moved', sha });
  }
  return moves;
}

// ---- command line -------------------------------------------------------------------------------------------------

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGE_JSONS = ['package.json', 'packages/cli/package.json'];

function readInputs(tag: string): ReleaseInputs {
  return {
    tag,
    packageJsons: Object.fromEntries(PACKAGE_JSONS.map((p) => [p, readFileSync(join(repoRoot, p), 'utf8')])),
    changelog: readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8'),
  };
}

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new ReleaseError(`${name} is not set`, `set ${name} (the release workflow passes GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL)`);
  return v;
}

export async function main(argv: string[], out: (s: string) => void): Promise<void> {
  const [cmd, tag, arg] = argv;
  const usage = 'usage: release.ts check vX.Y.Z | notes vX.Y.Z [FILE] | move-tags vX.Y.Z SHA';
  if (!tag) throw new ReleaseError(`missing the release tag`, usage);
  parseReleaseTag(tag);
  if (cmd === 'check') {
    const v = checkRelease(readInputs(tag));
    out(`${v.tag}: package.json files and CHANGELOG.md agree on ${v.version}\n`);
  } else if (cmd === 'notes') {
    const notes = releaseNotes(readInputs(tag).changelog, parseReleaseTag(tag).version);
    if (arg) writeFileSync(arg, notes);
    else out(notes);
  } else if (cmd === 'move-tags') {
    if (!arg) throw new ReleaseError('missing the commit SHA', usage);
    const gh: GitHubRepo = { apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com', repository: env('GITHUB_REPOSITORY'), token: env('GITHUB_TOKEN') };
    for (const m of await moveFloatingTags(gh, tag, arg)) {
      out(m.action === 'kept' ? `${m.tag}: kept (the newer release ${m.newest} holds it)\n` : `${m.tag}: ${m.action} → ${m.sha}\n`);
    }
  } else {
    throw new ReleaseError(`unknown command ${JSON.stringify(String(cmd).slice(0, 40))}`, usage);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2), (s) => process.stdout.write(s)).catch((err: unknown) => {
    // One workflow command: its data escaped as the runner expects (%, CR, LF), so no text can start another command.
    const data = (t: string) => t.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
    if (err instanceof ReleaseError) process.stderr.write(`::error::${data(`release: ${err.message}\nhint: ${err.hint}`)}\n`);
    else process.stderr.write(`release: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
