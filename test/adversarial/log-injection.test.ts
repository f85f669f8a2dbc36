/**
 * Untrusted text never becomes a workflow command. Directory names, paths, registry tags and registry error messages
 * that carry `::warning::`, `::set-output …::`, legacy `##[…]` commands, CR, LF and blanks the runner trims are fed
 * to the committed bundles; their raw stdout and stderr are read the way the runner reads them
 * (packages/sandbox/src/workflow-commands.ts) and every command it would act on must be one our code issued.
 * The job summary keeps its Markdown structure (no raw HTML, no broken table rows, no untrusted line starts).
 *
 * Guards: the runner log adapter (packages/core/src/action/log.ts: stop-commands around untrusted blocks, one-line
 * group titles) and the Markdown escaping of summaries (packages/core/src/util/markdown.ts). Routing a message
 * around the adapter (a plain `core.info`) or dropping the guard in `guardCommands` makes these tests fail.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  OpenApiValidator,
  runActionBundle,
  startFaultProxy,
  startGitHubEmulator,
  startGitServer,
  startRegistry,
  type ActionRun,
  type FaultProxy,
  type GitHubEmulator,
  type SandboxGitServer,
  type SandboxRegistry,
} from '@d2/sandbox';
import { groupTitles, imagePolicyYaml, seedGitRepo, summaryProblems, tempDir, unintendedCommands } from './helpers.js';

/** Names that try every way into the runner's command parser. */
const EVIL_NAMES = [
  'lf\n::warning::pwned-lf',
  'cr\r::set-output name=pwned::cr',
  'crlf\r\n::add-path::pwned-crlf',
  'nbsp\n\u00a0\t::error::pwned-blank',
  'legacy ##[warning]pwned-legacy',
  'html <img src=x> | `tick` *em* [link](javascript:alert(1)) &amp;',
];

const explain = (r: ActionRun) => `exit ${r.exitCode}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nsummary:\n${r.summary}`;

let registry: SandboxRegistry;
const cleanups: (() => void)[] = [];
beforeAll(async () => {
  registry = await startRegistry({ auth: 'anonymous' });
});
afterAll(async () => {
  await registry?.stop();
  for (const c of cleanups) c();
});

function workspace(dirs: string[]): string {
  const t = tempDir('d2-inject-ws-');
  cleanups.push(t.cleanup);
  for (const [i, d] of dirs.entries()) {
    mkdirSync(join(t.dir, 'components', d), { recursive: true });
    writeFileSync(join(t.dir, 'components', d, 'cm.yaml'), `kind: ConfigMap\nmetadata:\n  name: c${i}\n`);
  }
  return t.dir;
}

describe('push-artifact and release-artifact: names and paths', () => {
  it('component directories named with workflow commands are pushed; the log carries no command of theirs', async () => {
    const ws = workspace(EVIL_NAMES);
    const r = await runActionBundle('push-artifact', {
      workspace: ws,
      inputs: { components: '*', path: 'components/{component}', repository: `${registry.host}/acme/inject`, sign: 'false', concurrency: '1' },
    });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    // Every component got its group, closed again (no guard left open), with a one-line title.
    const titles = groupTitles(r);
    expect(titles).toHaveLength(EVIL_NAMES.length);
    expect(r.commands.filter((c) => c.command === 'endgroup')).toHaveLength(EVIL_NAMES.length);
    for (const t of titles) expect(t).not.toMatch(/[\r\n]/);
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
    expect(r.summary).toContain('&lt;img src=x&gt;');
    // The artifacts output is JSON: the names survive exactly.
    const artifacts = JSON.parse(r.outputs.artifacts) as { component: string }[];
    expect(artifacts.map((a) => a.component).sort()).toEqual([...EVIL_NAMES].sort());
    expect(Object.keys(r.outputs).sort()).toEqual(['artifacts', 'attestations', 'notified', 'pushed']);
  });

  it('a path input with a line break and a command (single target)', async () => {
    const ws = workspace(['x\n::warning::pwned-path\n##[set-output name=digest]pwned']);
    const r = await runActionBundle('push-artifact', {
      workspace: ws,
      inputs: { path: 'components/x\n::warning::pwned-path\n##[set-output name=digest]pwned', repository: `${registry.host}/acme/inject-path`, sign: 'false' },
    });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
  });

  it('release-artifact: a path input with commands', async () => {
    const ws = workspace(['rel\r\n::warning::pwned-release']);
    const r = await runActionBundle('release-artifact', {
      workspace: ws,
      ref: 'refs/tags/v1.0.0',
      inputs: { mode: 'fleet', path: 'components/rel\r\n::warning::pwned-release', repository: `${registry.host}/acme/inject-release`, sign: 'false' },
    });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
  });
});

describe('push-artifact: error messages from a registry', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it('a registry error message with commands on its own lines fails the component as one error annotation', async () => {
    const ws = workspace(['app']);
    const message = 'denied\n::error::pwned-registry\r\n::set-output name=pwned::x\n##[add-mask]pwned\n<img src=x>|';
    proxy.addFault({ method: 'POST', path: /\/blobs\/uploads\//, action: { status: 403, body: JSON.stringify({ errors: [{ code: 'DENIED', message }] }) } });
    const r = await runActionBundle('push-artifact', {
      workspace: ws,
      inputs: { components: 'app', path: 'components/{component}', repository: `${proxy.host}/acme/denied/{component}`, 'diff-tag': 'latest', sign: 'false' },
    });
    expect(r.exitCode, explain(r)).toBe(1);
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    // The registry's words are shown (inside an annotation), not dropped.
    expect(r.errors.join('\n')).toContain('pwned-registry');
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
  });
});

describe('e2e-update: tags and error messages from a registry', () => {
  let git: SandboxGitServer;
  let proxy: FaultProxy;
  const ns = 'apps';
  beforeAll(async () => {
    git = await startGitServer();
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.stop();
    await git?.stop();
  });

  it('tags with line breaks and commands, and a registry error with commands, reach no command', async () => {
    const image = `${proxy.host}/acme/evil`;
    const denied = `${proxy.host}/acme/denied`;
    await seedGitRepo(git, 'acme/apps', {
      'policies/evil.yaml': imagePolicyYaml('evil', image, 'alphabetical:\n  order: asc'),
      'policies/denied.yaml': imagePolicyYaml('denied', denied, 'alphabetical:\n  order: asc'),
      'components/app.yaml': `image: ${image}:1.0.0 # {"$imagepolicy": "${ns}:evil"}\nother: ${denied}:1.0.0 # {"$imagepolicy": "${ns}:denied"}\n`,
    });

    const tags = ['1.0.0', 'zz\n::warning::pwned-tag', 'zz\r::set-output name=pwned::tag', 'zzz ##[error]pwned-tag-legacy', 'zzzz\n  ::add-mask::pwned-tag'];
    proxy.addFault({ method: 'GET', path: /^\/v2\/acme\/evil\/tags\/list/, action: { status: 200, body: JSON.stringify({ name: 'acme/evil', tags }) } });
    const message = 'denied\n::error::pwned-registry\n##[set-output name=changed]pwned\n<img src=x>|';
    proxy.addFault({ method: 'GET', path: /^\/v2\/acme\/denied\/tags\/list/, action: { status: 403, body: JSON.stringify({ errors: [{ code: 'DENIED', message }] }) } });

    const docker = tempDir('d2-inject-docker-');
    cleanups.push(docker.cleanup);
    const r = await runActionBundle('e2e-update', {
      inputs: { repository: `${git.url}/acme/apps.git`, 'policies-path': 'policies', namespace: ns, 'update-path': 'components', token: git.token, 'dry-run': 'true' },
      env: { DOCKER_CONFIG: docker.dir },
    });
    // Both policies were read from the registry through the proxy.
    expect(proxy.log.some((l) => l.path.startsWith('/v2/acme/evil/tags/list'))).toBe(true);
    expect(proxy.log.some((l) => l.path.startsWith('/v2/acme/denied/tags/list'))).toBe(true);
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    for (const t of groupTitles(r)) expect(t).not.toMatch(/[\r\n]/);
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
    // The outputs are JSON and file commands: no injected output name appears.
    expect(Object.keys(r.outputs).sort()).toEqual(['changed', 'changes', 'commits']);
  });
});

describe('image-updates-pr: commit messages from the update branch', () => {
  let git: SandboxGitServer;
  let gh: GitHubEmulator;
  const token = 'ghs_log_injection_test';
  beforeAll(async () => {
    OpenApiValidator.warmUp();
    git = await startGitServer();
    gh = await startGitHubEmulator({ git, tokens: [token] });
  });
  afterAll(async () => {
    await gh?.stop();
    await git?.stop();
  });

  it('a PR title and change rows carrying HTML, links, pipes and commands: the log has none of their commands, the summary keeps its table', async () => {
    await gh.addRepo('acme/pr', { defaultBranch: 'main' });
    await seedGitRepo(git, 'acme/pr', { 'a|b.yaml': 'image: x:1.0\n' });
    const work = tempDir('d2-inject-pr-');
    cleanups.push(work.cleanup);
    const g = (...args: string[]) => promisify(execFile)('git', ['-c', 'user.name=bot', '-c', 'user.email=bot@example.com', ...args], { cwd: work.dir, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    await g('clone', '-q', git.authUrl('acme/pr'), '.');
    await g('checkout', '-q', '-b', 'image-updates');
    writeFileSync(join(work.dir, 'a|b.yaml'), 'image: x:2.0\n');
    // The D2 commit message format, with hostile values in every field the PR and the summary show.
    const message = [
      'Update <img src=x> | [click](javascript:alert(1)) ##[warning]pwned-title',
      '',
      'Files:',
      '- a|b.yaml',
      'Objects:',
      '- Deployment <script>x</script>|',
      '  Changes:',
      '    - 1.0 -> 2.0<b>|`',
      '',
    ].join('\n');
    await g('commit', '-q', '-a', '-m', message);
    await g('push', '-q', 'origin', 'image-updates');
    const r = await runActionBundle('image-updates-pr', {
      repository: 'acme/pr',
      inputs: { token },
      env: { GITHUB_API_URL: gh.url, GITHUB_GRAPHQL_URL: gh.graphqlUrl, GITHUB_SERVER_URL: gh.serverUrl },
    });
    expect(r.exitCode, explain(r)).toBe(0);
    expect(r.outputs.operation).toBe('created');
    expect(unintendedCommands(r), explain(r)).toEqual([]);
    expect(summaryProblems(r.summary), r.summary).toEqual([]);
    expect(r.summary).toContain('&lt;img src=x&gt;');
  });
});
