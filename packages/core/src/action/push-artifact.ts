/**
 * The GitHub Actions adapter of push-artifact, its inputs (actions/push-artifact/README.md): the inputs → a
 * PushArtifactConfig (with the common publishing inputs of publish.ts and the Receivers of receivers.ts). The
 * per-component log groups and what follows the push are push-artifact-run.ts, which the action imports once its
 * inputs are valid and its clients wired.
 */
import { InputError } from '../errors.js';
import { parseWorkers } from '../flux/index.js';
import type { ReceiverTarget } from '../notify/index.js';
import { DEFAULT_CONCURRENCY, validateTags } from '../publish/index.js';
import type { Inputs } from './inputs.js';
import { readCommonInputs, type CommonPublishInputs } from './publish.js';
import { readReceiverInputs } from './receivers.js';

type Env = Record<string, string | undefined>;

export interface PushArtifactConfig {
  components: string[];
  /** `host/path`, with `{component}` when publishing components. */
  repository: string;
  path: string;
  diffTag?: string;
  tags: string[];
  common: CommonPublishInputs;
  concurrency: number;
  workers: number;
  receivers: ReceiverTarget[];
}

/** Reads and validates the inputs of push-artifact; nothing has been built or sent yet. */
export function readPushArtifactInputs(inputs: Inputs, env: Env = process.env): PushArtifactConfig {
  const components = inputs.list('components');
  let repository = inputs.string('repository');
  if (!repository) {
    if (components.length === 0) {
      throw new InputError("input 'repository' is required when 'components' is empty", 'set repository: ghcr.io/<owner>/<repo> (lowercase)');
    }
    if (!env.GITHUB_REPOSITORY) throw new InputError("input 'repository' is required outside GitHub Actions (GITHUB_REPOSITORY is not set)");
    repository = `ghcr.io/${env.GITHUB_REPOSITORY.toLowerCase()}/{component}`;
  }
  const path = inputs.string('path') || (components.length ? 'components/{component}' : '.');
  const diffTag = inputs.string('diff-tag') || undefined;
  const tags = inputs.list('tags');
  validateTags(diffTag ? [diffTag, ...tags] : tags);
  const common = readCommonInputs(inputs, env);
  const concurrency = inputs.integer('concurrency', DEFAULT_CONCURRENCY, 1, 64);
  const workers = parseWorkers(inputs.string('workers'), "input 'workers'");
  const receivers = readReceiverInputs(inputs, env);
  return { components, repository, path, ...(diffTag ? { diffTag } : {}), tags, common, concurrency, workers, receivers };
}
