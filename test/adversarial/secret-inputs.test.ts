/**
 * The values of `substitute-secrets` and `tokens` never reach a log line, an error, the step summary or an output, and
 * a token is never used for a host it is not mapped to (docs/image-automation.md "postBuild.substituteFrom Secrets",
 * "A token per repository"). The e2e-update action runs through its committed bundle against the sandbox git server and
 * registry; every byte each run wrote (but the runner's own ::add-mask:: commands) is searched for the secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsRepo, DEMO_IMAGES, fleetRepo, writeTree, type FileTree } from '@d2/sandbox/d2-repos';
import { startGitServer, type SandboxGitServer } from '@d2/sandbox/git-server';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import type { ActionRun } from '@d2/sandbox/runner';
import { commitAndPush, d2RepoOptions, runFleetUpdate, scratchDirs, seedTags } from '../support/update-stack.js';

/** Everything a run left behind, without the ::add-mask:: commands (which must carry the value for the runner). */
const everything = (r: ActionRun) =>
  [r.stdout, r.stderr, r.summary, JSON.stringify(r.outputs), JSON.stringify(r.exportedEnv)]
    .join('\n')
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

describe('secret inputs never leak (adversarial)', () => {
  let reg: SandboxRegistry;
  let server: SandboxGitServer;
  let emptyDockerConfig: string;
  const tmp = scratchDirs('d2-adv-secrets-');

  async function createRepo(fullName: string, files: FileTree): Promise<void> {
    await server.createRepo(fullName);
    await commitAndPush(tmp(), files, server.authUrl(fullName));
  }

  beforeAll(async () => {
    reg = await startRegistry({ auth: 'anonymous' });
    server = await startGitServer();
    emptyDockerConfig = tmp();
    await seedTags(reg, DEMO_IMAGES.podinfo.repository, ['6.8.0', '6.9.0']);
    // The podinfo policy's image path comes from a Secret.
    const files = appsRepo(d2RepoOptions(reg, server));
    files['update-policies/frontend-podinfo.yaml'] = files['update-policies/frontend-podinfo.yaml'].replace(`\${REGISTRY}/${DEMO_IMAGES.podinfo.repository}`, '${REGISTRY}/${CHART_PATH}');
    await createRepo('acme/d2-apps', files);
  });
  afterAll(async () => {
    await server?.stop();
    await reg?.stop();
    tmp.cleanup();
  });

  /** D2's update cluster for apps only, whose Kustomization also substitutes from the Secret apps/paths. */
  function fleet(): string {
    const dir = tmp();
    const files = fleetRepo(d2RepoOptions(reg, server));
    files['clusters/update/automation.yaml'] = files['clusters/update/automation.yaml']
      .replace(/ {4}- namespace: "infra"\n.*\n.*\n/, '')
      .replace('              name: flux-runtime-info\n', '              name: flux-runtime-info\n            - kind: Secret\n              name: paths\n');
    writeTree(dir, files);
    return dir;
  }

  const run = (inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runFleetUpdate(fleet(), server.token, emptyDockerConfig, inputs, env);

  it('a Secret value that breaks the image reference fails the step without showing the value anywhere', async () => {
    // Upper case is not allowed in a repository path: the ImageRepository is refused, quoting spec.image.
    const SECRET = 'Charts/Podinfo-S3cretPathValue';
    const r = await run({ 'substitute-secrets': 'apps/paths.CHART_PATH=CHART_PATH_SECRET' }, { CHART_PATH_SECRET: SECRET });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain(`::add-mask::${SECRET}`);
    expect(r.errors.join('\n')).toContain('***');
    expect(everything(r)).not.toContain(SECRET);
    expect(everything(r)).not.toContain('S3cretPathValue');
  });

  it('a Secret value naming a missing repository is a policy error that shows *** in the summary', async () => {
    const SECRET = 'charts/not-there-7c1e5a';
    const r = await run({ 'substitute-secrets': 'apps/paths.CHART_PATH=CHART_PATH_SECRET' }, { CHART_PATH_SECRET: SECRET });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.summary).toMatch(/\| apps\/frontend-podinfo \| .*\*\*\*/);
    expect(everything(r)).not.toContain('not-there-7c1e5a');
  });

  it('a token mapped by owner/name is for the run\'s GitHub server only, never for the git server of the same path', async () => {
    const before = server.stats.requests;
    const r = await run({ token: '', tokens: `acme/d2-apps=${server.token}`, 'substitute-secrets': 'apps/paths.CHART_PATH=P' }, { GITHUB_SERVER_URL: 'https://github.com', P: DEMO_IMAGES.podinfo.repository });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain(`no token for ${server.url.replace('http://', '')}/acme/d2-apps`);
    expect(server.stats.requests).toBe(before);
    expect(everything(r)).not.toContain(server.token);
  });

  it('a malformed tokens line never echoes what could be a token', async () => {
    const r = await run({ tokens: 'ghp_LeakyTokenWithoutRepository0123' });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain("input 'tokens', line 1: expected <repository>=<token>");
    expect(everything(r)).not.toContain('ghp_LeakyTokenWithoutRepository0123');
  });
});
