/**
 * The GitHub Actions adapter of image-updates-pr (action/image-updates-pr.ts): the inputs → an ImageUpdatesPrConfig,
 * and every bad input an InputError raised before any request.
 */
import { describe, expect, it } from 'vitest';
import { headPrefix, readImageUpdatesPrInputs } from '../../src/action/index.js';
import { InputError } from '../../src/errors.js';
import { expectNoRequests, inputs } from './helpers.js';

const env = { GITHUB_REPOSITORY: 'acme/fleet' };
const token = { token: 'ghs_workflowtoken' };

expectNoRequests();

describe('readImageUpdatesPrInputs', () => {
  it('the defaults: head image-updates, the default branch as base, closed when empty, no auto-merge', () => {
    const config = readImageUpdatesPrInputs(inputs(token), env);
    expect(config).toMatchObject({
      token: 'ghs_workflowtoken',
      repository: 'acme/fleet',
      head: 'image-updates',
      title: '',
      body: '',
      labels: [],
      draft: false,
      autoMerge: false,
      closeWhenEmpty: true,
      deleteBranchWhenEmpty: false,
    });
    expect(config.base).toBeUndefined();
    expect(config.headPrefix).toBeUndefined();
    expect(config.changes).toBeUndefined();
    expect(config.budget.remainingMs()).toBeGreaterThan(9 * 60_000);
  });

  it('every input read: lists, merge method, refs/heads/ dropped, the changes of e2e-update', () => {
    const changes = [{ repository: 'r', file: 'f.yaml', object: 'Deployment/apps/podinfo', setter: 'apps:podinfo', old: '1', new: '2', branch: 'image-updates/a', extra: 1 }];
    const config = readImageUpdatesPrInputs(
      inputs({ ...token, head: 'refs/heads/updates', base: 'main', labels: 'a, b\nc', reviewers: 'octocat', 'auto-merge': 'squash', draft: 'true', timeout: '30s', changes: JSON.stringify(changes) }),
      env,
    );
    expect(config).toMatchObject({ head: 'updates', base: 'main', labels: ['a', 'b', 'c'], reviewers: ['octocat'], autoMerge: 'SQUASH', draft: true });
    expect(config.changes).toEqual([{ repository: 'r', file: 'f.yaml', object: 'Deployment/apps/podinfo', setter: 'apps:podinfo', old: '1', new: '2', branch: 'image-updates/a' }]);
    expect(config.budget.remainingMs()).toBeLessThanOrEqual(30_000);
  });

  it('head: <prefix>/* is one pull request per branch below the prefix', () => {
    expect(readImageUpdatesPrInputs(inputs({ ...token, head: 'image-updates/*' }), env)).toMatchObject({ head: 'image-updates/*', headPrefix: 'image-updates/' });
    expect(headPrefix('image-updates')).toBeUndefined();
  });

  it.each<[string, Record<string, string>, Record<string, string | undefined>, RegExp, RegExp | undefined]>([
    ['a GITHUB_REPOSITORY that is not owner/name', token, { GITHUB_REPOSITORY: 'acme' }, /GITHUB_REPOSITORY must be owner\/name/, /inside GitHub Actions/],
    ['no GITHUB_REPOSITORY', token, {}, /GITHUB_REPOSITORY must be owner\/name/, /set GITHUB_REPOSITORY/],
    ['an empty token', {}, env, /input 'token' is empty/, /secrets from forks are empty/],
    ['a timeout that is not a duration', { ...token, timeout: 'soon' }, env, /timeout/, undefined],
    ['an unknown auto-merge', { ...token, 'auto-merge': 'fast-forward' }, env, /input 'auto-merge' must be one of false, merge, squash, rebase/, undefined],
    ['a head that is not a branch name', { ...token, head: 'image updates' }, env, /input 'head' is not a valid branch name/, /plain branch name/],
    ['a head with .. in it', { ...token, head: 'a..b' }, env, /input 'head' is not a valid branch name/, /plain branch name/],
    ['a base ending in .lock', { ...token, base: 'main.lock' }, env, /input 'base' is not a valid branch name/, /plain branch name/],
    ['a head pattern with a second *', { ...token, head: 'image-*/*' }, env, /input 'head' (is not a valid branch name|may hold one '\*')/, /image-updates/],
    ['changes that are not JSON', { ...token, changes: '[{' }, env, /input 'changes' is not JSON/, /steps\.<id>\.outputs\.changes/],
    ['changes that are not an array of objects', { ...token, changes: '[1]' }, env, /input 'changes' must be a JSON array of objects/, undefined],
    ['a change field that is not a string', { ...token, changes: '[{"old":1}]' }, env, /input 'changes'\[0\]\.old must be a string/, undefined],
    ['draft that is not a boolean', { ...token, draft: 'maybe' }, env, /input 'draft' must be true or false/, undefined],
  ])('refuses %s', (_what, values, environment, message, hint) => {
    let err: unknown;
    try {
      readImageUpdatesPrInputs(inputs(values), environment);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    if (hint) expect((err as InputError).hint).toMatch(hint);
  });
});
