/**
 * The GitHub Actions adapters of push-artifact and release-artifact (action/push-artifact.ts, action/release-artifact.ts):
 * the inputs → a config, and every bad input an InputError before anything is built or sent.
 */
import { describe, expect, it } from 'vitest';
import { artifactOutput, readPushArtifactInputs, readReleaseArtifactInputs } from '../../src/action/index.js';
import { D2Error, InputError } from '../../src/errors.js';
import { ANNOTATION_VERSION, type PublishResult } from '../../src/publish/index.js';
import { expectNoRequests, inputs } from './helpers.js';
import { thrownBy } from '../support/failures.js';

const env = { GITHUB_REPOSITORY: 'Acme/Fleet', GITHUB_REF: 'refs/tags/frontend/v1.2.3', GITHUB_SHA: 'abc', DOCKER_CONFIG: '/nonexistent' };
const unsigned = { sign: 'false' };

expectNoRequests();

describe('readPushArtifactInputs', () => {
  it('components: the repository and path default to one per component, under the workflow’s owner, lowercase', () => {
    const config = readPushArtifactInputs(inputs({ ...unsigned, components: 'frontend, backend', tags: 'latest', 'diff-tag': 'main' }), env);
    expect(config).toMatchObject({ components: ['frontend', 'backend'], repository: 'ghcr.io/acme/fleet/{component}', path: 'components/{component}', diffTag: 'main', tags: ['latest'], receivers: [] });
    expect(config.concurrency).toBeGreaterThan(0);
    expect(config.workers).toBeGreaterThan(0);
  });

  it('one artifact: the repository and path as given, no diff tag', () => {
    const config = readPushArtifactInputs(inputs({ ...unsigned, repository: 'ghcr.io/acme/app', path: 'deploy', concurrency: '3', workers: '2' }), env);
    expect(config).toMatchObject({ components: [], repository: 'ghcr.io/acme/app', path: 'deploy', tags: [], concurrency: 3, workers: 2 });
    expect(config.diffTag).toBeUndefined();
  });

  it.each<[string, Record<string, string>, Record<string, string>, RegExp]>([
    ['no repository and no components', unsigned, env, /input 'repository' is required when 'components' is empty/],
    ['components outside GitHub Actions without repository', { ...unsigned, components: 'a' }, {}, /input 'repository' is required outside GitHub Actions/],
    ['an invalid tag', { ...unsigned, repository: 'ghcr.io/acme/app', tags: 'bad tag' }, env, /tag/],
    ['a concurrency out of range', { ...unsigned, repository: 'ghcr.io/acme/app', concurrency: '65' }, env, /input 'concurrency' must be between 1 and 64/],
    ['workers that are not a number', { ...unsigned, repository: 'ghcr.io/acme/app', workers: 'many' }, env, /input 'workers'/],
    ['an unknown compressor', { ...unsigned, repository: 'ghcr.io/acme/app', compressor: 'zstd' }, env, /input 'compressor' must be one of/],
  ])('refuses %s', (_what, values, environment, message) => {
    const err = thrownBy(() => readPushArtifactInputs(inputs(values), environment));
    expect(err).toBeInstanceOf(D2Error);
    expect((err as D2Error).code).toBe('INPUT_INVALID');
    expect((err as D2Error).message).toMatch(message);
  });

  it('artifactOutput: one entry of the artifacts output, empty component and signature when absent', () => {
    const r = { repository: 'ghcr.io/acme/app', path: '.', pushed: true, digest: 'sha256:1', digestUrl: 'u', tags: ['latest'], layerDigest: 'sha256:2', tarDigest: 'sha256:3' } as unknown as PublishResult;
    expect(artifactOutput(r)).toEqual({ component: '', repository: 'ghcr.io/acme/app', path: '.', pushed: true, digest: 'sha256:1', 'digest-url': 'u', tags: ['latest'], 'layer-digest': 'sha256:2', 'tar-digest': 'sha256:3', signature: '' });
  });
});

describe('readReleaseArtifactInputs', () => {
  it('component mode: the release of GITHUB_REF, its tags, the version annotation on the build', () => {
    const config = readReleaseArtifactInputs(inputs(unsigned), env);
    expect(config).toMatchObject({ mode: 'component', repository: 'ghcr.io/acme/fleet/{component}', path: 'components/{component}', allowDowngrade: false, overwriteVersion: false });
    expect(config.plan).toMatchObject({ release: { component: 'frontend', version: 'v1.2.3' }, stableTag: 'latest-stable' });
    expect(config.common.build.annotations?.[ANNOTATION_VERSION]).toBe('v1.2.3');
  });

  it('fleet mode: the whole repository from a version tag', () => {
    const config = readReleaseArtifactInputs(inputs({ ...unsigned, mode: 'fleet', ref: 'refs/tags/v2.0.0', 'allow-downgrade': 'true' }), env);
    expect(config).toMatchObject({ mode: 'fleet', repository: 'ghcr.io/acme/fleet', path: '.', allowDowngrade: true, plan: { release: { version: 'v2.0.0' } } });
  });

  it.each<[string, Record<string, string>, Record<string, string>, RegExp, RegExp | undefined]>([
    ['an unknown mode', { ...unsigned, mode: 'all' }, env, /input 'mode' must be one of component, fleet/, undefined],
    ['no ref', unsigned, { GITHUB_REPOSITORY: 'acme/fleet' }, /no ref to release: GITHUB_REF is not set/, /set the 'ref' input/],
    ['a ref that is not a release tag', { ...unsigned, ref: 'refs/heads/main' }, env, /refs\/heads\/main/, undefined],
    ['no repository outside GitHub Actions', unsigned, { GITHUB_REF: 'refs/tags/frontend/v1.2.3' }, /input 'repository' is required outside GitHub Actions/, undefined],
    ['allow-downgrade that is not a boolean', { ...unsigned, 'allow-downgrade': 'y' }, env, /input 'allow-downgrade' must be true or false/, undefined],
  ])('refuses %s', (_what, values, environment, message, hint) => {
    const err = thrownBy(() => readReleaseArtifactInputs(inputs(values), environment));
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(message);
    if (hint) expect((err as InputError).hint).toMatch(hint);
  });
});
