/**
 * The GitHub Actions adapter of e2e-update (action/e2e-update.ts): the inputs → an E2eUpdateConfig, every bad input an
 * InputError raised before anything is sent (with the step's secrets redacted from it), and the targets checked
 * against the inputs before anything is cloned.
 */
import { describe, expect, it } from 'vitest';
import { e2eUpdateGitHub, e2eUpdateTargets, readE2eUpdateInputs, redacting, type E2eUpdateConfig } from '../../src/action/index.js';
import { D2Error, InputError } from '../../src/errors.js';
import { parseTokenMap, type InputProviderDeps } from '../../src/image-automation/index.js';
import { expectNoRequests, inputs } from './helpers.js';
import { rejectionOf } from '../support/failures.js';

const env = { GITHUB_REPOSITORY: 'acme/fleet', GITHUB_SERVER_URL: 'https://github.com', GITHUB_WORKSPACE: '/work/space', RUNNER_TEMP: '/runner/tmp' };
const direct = { 'policies-path': 'policies', namespace: 'apps' };

expectNoRequests();

describe('readE2eUpdateInputs', () => {
  it('direct mode: one target from the inputs, on the workflow’s own repository, with the defaults', async () => {
    const config = await readE2eUpdateInputs(inputs(direct), env);
    expect(config).toMatchObject({ dryRun: false, commitVia: 'git', failOnPolicyError: false, signingKey: '', workspace: '/work/space', workDir: '/runner/tmp', serverUrl: 'https://github.com' });
    expect(config.grouping).toBeUndefined();
    expect(config.automation).toBeUndefined();
    expect(config.direct).toMatchObject({
      repository: 'https://github.com/acme/fleet.git',
      git: { checkoutBranch: undefined, pushBranch: 'image-updates' },
      policies: { path: 'policies', namespace: 'apps' },
      commit: { author: { email: 'fluxcdbot@users.noreply.github.com' } },
    });
    expect(config.cloud.setting).toBe('generic');
    expect(config.registryCredentials).toEqual({});
    expect(config.budget.remainingMs()).toBeGreaterThan(9 * 60_000);
  });

  it('fleet mode: the automation path, no direct inputs needed; every other input read', async () => {
    const config = await readE2eUpdateInputs(
      inputs({
        automation: 'clusters/update',
        'dry-run': 'true',
        'group-by': 'component',
        'commit-via': 'api',
        'fail-on-policy-error': 'true',
        timeout: '90s',
        'registry-credentials': JSON.stringify({ auths: { 'registry.example': { auth: Buffer.from('me:pw').toString('base64') } } }),
      }),
      env,
    );
    expect(config).toMatchObject({ automation: 'clusters/update', dryRun: true, commitVia: 'api', failOnPolicyError: true, grouping: { by: 'component' } });
    expect(config.direct).toBeUndefined();
    expect(config.registryCredentials).toEqual({ 'registry.example': { username: 'me', password: 'pw' } });
    expect(config.budget.remainingMs()).toBeLessThanOrEqual(90_000);
  });

  it('the redactor knows the token, the tokens map and the substitute-secrets values', async () => {
    const config = await readE2eUpdateInputs(
      inputs({ automation: 'clusters/update', token: 'ghp_fallbacktoken', tokens: 'https://github.com/acme/apps=ghp_appstoken', 'substitute-secrets': 'apps/db.PASSWORD=DB_PW' }),
      { ...env, DB_PW: 's3cr3t-value' },
    );
    expect(config.redact('a ghp_fallbacktoken b ghp_appstoken c s3cr3t-value')).toBe('a *** b *** c ***');
    expect(config.secrets.data.get('apps/db')).toEqual({ PASSWORD: 's3cr3t-value' });
    expect(config.tokens.tokenFor('https://github.com/acme/apps.git')).toBe('ghp_appstoken');
  });

  it.each<[string, Record<string, string>, Record<string, string | undefined>, RegExp, RegExp | undefined]>([
    ['a timeout that is not a duration', { ...direct, timeout: 'forever' }, env, /timeout/, undefined],
    ['dry-run that is not a boolean', { ...direct, 'dry-run': 'yes' }, env, /input 'dry-run' must be true or false/, undefined],
    ['an unknown group-by', { ...direct, 'group-by': 'team' }, env, /input 'group-by' must be one of/, /group-by: component/],
    ['a branch template without the group', { ...direct, 'group-by': 'component', 'branch-template': 'updates' }, env, /renders the same branch/, /\.Group/],
    ['an unknown commit-via', { ...direct, 'commit-via': 'svn' }, env, /input 'commit-via' must be one of git, api/, undefined],
    ['an unset substitute-secrets variable', { automation: 'clusters/update', 'substitute-secrets': 'apps/db.PASSWORD=NOPE' }, env, /NOPE .* is not set/, /add env: NOPE/],
    ['registry-credentials that are not JSON', { ...direct, 'registry-credentials': '{' }, env, /input 'registry-credentials' is not JSON/, /Docker config/],
    ['registry-credentials without a password', { ...direct, 'registry-credentials': '{"registry.example":{"username":"me"}}' }, env, /'registry.example' needs username and password/, undefined],
    ['an unknown provider', { ...direct, provider: 'oracle' }, env, /provider/, undefined],
    ['an automation path outside the workspace', { automation: '../elsewhere' }, env, /input 'automation' must be a path inside the workspace/, /clusters\/update/],
    ['an absolute automation path', { automation: '/etc' }, env, /input 'automation' must be a path inside the workspace/, /clusters\/update/],
    ['substitute-secrets in direct mode', { ...direct, 'substitute-secrets': 'apps/db.PASSWORD=DB_PW' }, { ...env, DB_PW: 'x' }, /applies to fleet mode only/, /set 'automation'/],
    ['direct mode without policies-path', { namespace: 'apps' }, env, /input 'policies-path' is required/, /with: policies-path/],
    ['direct mode without namespace', { 'policies-path': 'policies' }, env, /input 'namespace' is required/, /with: namespace/],
    ['an invalid namespace', { ...direct, namespace: 'Apps_1' }, env, /not a valid Kubernetes namespace/, undefined],
    ['direct mode outside GitHub Actions without repository', direct, { GITHUB_WORKSPACE: '/w' }, /input 'repository' is required outside GitHub Actions/, undefined],
    ['direct mode on a repository the tokens map does not cover, without a fallback token', { ...direct, tokens: 'https://github.com/acme/other=ghp_othertoken' }, env, /no token for github.com\/acme\/fleet/, /add a line/],
  ])('refuses %s', async (_what, values, environment, message, hint) => {
    const err = await rejectionOf(readE2eUpdateInputs(inputs(values), environment));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    if (hint) expect((err as InputError).hint).toMatch(hint);
  });

  it('an input error raised once the secrets are known carries them redacted, and stays an InputError', async () => {
    const err = await rejectionOf(readE2eUpdateInputs(inputs({ ...direct, token: 'ghp_leakedtoken', 'registry-credentials': '{"ghp_leakedtoken":1}' }), env));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe("registry-credentials: entry '***' must be an object");
  });
});

describe('e2eUpdateGitHub', () => {
  it('a commit writer only for https://<host>/<owner>/<repo> URLs, named after its repository; no client until the first request', async () => {
    const config = await readE2eUpdateInputs(inputs({ automation: 'clusters/update', 'commit-via': 'api', token: 'ghp_fallbacktoken' }), env);
    const github = e2eUpdateGitHub(config, () => undefined);
    const target = (repository: string) => ({ repository }) as Parameters<typeof github.commitWriter>[0];
    expect(github.commitWriter(target('ssh://git@github.com/acme/apps.git'))).toBeUndefined();
    expect(github.commitWriter(target('https://gitlab.example/group/sub/apps.git'))).toBeUndefined();
    expect(github.commitWriter(target('https://github.com/acme/apps.git'))?.description).toBe('the GitHub API (acme/apps)');
    // Creating the listers and writers sends nothing (expectNoRequests): Octokit is made on the first call.
    const lister = github.refLister('https://github.com/acme/apps');
    expect(typeof lister.listTags).toBe('function');
  });
});

describe('redacting', () => {
  it('redacts the message and the hint of what the step throws, keeping the error code', async () => {
    const redact = (t: string) => t.replaceAll('s3cr3t', '***');
    const err = await redacting(redact, () => Promise.reject(new D2Error('push of s3cr3t failed', { code: 'POLICY_FAILED', hint: 'rotate s3cr3t' }))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(D2Error);
    expect(err).toMatchObject({ message: 'push of *** failed', hint: 'rotate ***', code: 'POLICY_FAILED' });
    const plain = await redacting(redact, () => Promise.reject(new Error('s3cr3t'))).catch((e: unknown) => e);
    expect((plain as Error).message).toBe('***');
  });
});

describe('e2eUpdateTargets', () => {
  const providers: InputProviderDeps = {
    registry: { listTags: () => Promise.reject(new Error('no scan in direct mode')) } as unknown as InputProviderDeps['registry'],
    github: () => {
      throw new Error('no forge in direct mode');
    },
  };
  const read = (values: Record<string, string>): Promise<E2eUpdateConfig> => readE2eUpdateInputs(inputs({ ...direct, ...values }), env);

  it('direct mode: the one target', async () => {
    const targets = await e2eUpdateTargets(await read({}), providers);
    expect(targets.map((t) => t.repository)).toEqual(['https://github.com/acme/fleet.git']);
  });

  it.each<[string, Record<string, string>, RegExp, RegExp]>([
    ['commit-via: api on a repository that is not on GitHub', { 'commit-via': 'api', repository: 'ssh://git@git.example/fleet.git' }, /commit-via: api needs a GitHub repository URL/, /commit-via: git/],
    ['commit-via: api with a signing key', { 'commit-via': 'api', 'signing-key': 'KEY' }, /does not combine with 'signing-key'/, /remove signing-key/],
  ])('refuses %s before anything is cloned', async (_what, values, message, hint) => {
    const err = await e2eUpdateTargets(await read(values), providers).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    expect((err as InputError).hint).toMatch(hint);
  });

  it('refuses a target the tokens map does not cover, without a fallback token (fleet mode reads its targets here)', async () => {
    const config = { ...(await read({})), tokens: parseTokenMap('https://github.com/acme/other=ghp_othertoken', { serverUrl: 'https://github.com' }) };
    const err = await e2eUpdateTargets(config, providers).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/no token for github.com\/acme\/fleet/);
  });
});
