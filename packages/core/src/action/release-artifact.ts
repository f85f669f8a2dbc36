/**
 * The GitHub Actions adapter of release-artifact, its inputs (actions/release-artifact/README.md): the inputs → a
 * ReleaseArtifactConfig (the release planned from the ref, with the common publishing inputs of publish.ts and the
 * Receivers of receivers.ts). The outputs, Receiver notifications and job summary after the release are
 * release-artifact-run.ts, which the action imports once its inputs are valid and its clients wired.
 */
import { InputError } from '../errors.js';
import type { ReceiverTarget } from '../notify/index.js';
import {
  ANNOTATION_VERSION,
  DEFAULT_STABLE_TAG,
  DEFAULT_VERSION_TAG,
  defaultTagPattern,
  planRelease,
  type ReleaseMode,
  type ReleasePlan,
} from '../publish/index.js';
import type { Inputs } from './inputs.js';
import { readCommonInputs, type CommonPublishInputs } from './publish.js';
import { readReceiverInputs } from './receivers.js';

type Env = Record<string, string | undefined>;

export interface ReleaseArtifactConfig {
  mode: ReleaseMode;
  /** The release of the ref, its version tag and stable tag. */
  plan: ReleasePlan;
  allowDowngrade: boolean;
  overwriteVersion: boolean;
  /** `host/path`, with `{component}` in component mode. */
  repository: string;
  path: string;
  /** The common publishing inputs; the build annotations carry the release's version. */
  common: CommonPublishInputs;
  receivers: ReceiverTarget[];
}

/** Reads and validates the inputs of release-artifact; nothing has been built or sent yet. */
export function readReleaseArtifactInputs(inputs: Inputs, env: Env = process.env): ReleaseArtifactConfig {
  const mode = inputs.oneOf('mode', ['component', 'fleet'] as const, 'component');
  const tagPattern = inputs.string('tag-pattern') || defaultTagPattern(mode);
  const ref = inputs.string('ref') || env.GITHUB_REF || '';
  if (!ref) throw new InputError('no ref to release: GITHUB_REF is not set', "set the 'ref' input, e.g. refs/tags/frontend/v1.0.0");
  const plan = planRelease({ ref, mode, tagPattern, versionTag: inputs.string('version-tag', DEFAULT_VERSION_TAG), stableTag: inputs.string('stable-tag', DEFAULT_STABLE_TAG) });
  const allowDowngrade = inputs.boolean('allow-downgrade', false);
  const overwriteVersion = inputs.boolean('overwrite-version', false);
  const owner = (env.GITHUB_REPOSITORY ?? '').toLowerCase();
  let repository = inputs.string('repository');
  if (!repository) {
    if (!owner) throw new InputError("input 'repository' is required outside GitHub Actions (GITHUB_REPOSITORY is not set)");
    repository = mode === 'fleet' ? `ghcr.io/${owner}` : `ghcr.io/${owner}/{component}`;
  }
  const path = inputs.string('path') || plan.defaultPath;
  const common = readCommonInputs(inputs, env);
  const receivers = readReceiverInputs(inputs, env);
  common.build.annotations = { ...common.build.annotations, [ANNOTATION_VERSION]: plan.release.version };
  return { mode, plan, allowDowngrade, overwriteVersion, repository, path, common, receivers };
}
