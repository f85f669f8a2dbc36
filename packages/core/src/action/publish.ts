/**
 * The GitHub Actions adapter of publishing (push-artifact, release-artifact): the common inputs → a PublishConfig and
 * build options, the @actions/core logger, the wiring through the composition root (publish/wire.ts), and the
 * signature outputs. Entry points stay thin (actions/<name>/src/main.ts).
 */
import * as core from '@actions/core';
import { parseAttestationConfig, type AttestationResult } from '../attest/index.js';
import { InputError } from '../errors.js';
import { parseAnnotations, type BuildOptions } from '../flux/index.js';
import type { CloudCredentials, CredentialProvider, Logger } from '../oci/index.js';
import { missingIdTokenError, resolveIdentityProvider } from '../oidc/index.js';
import {
  ciRevision,
  ciSource,
  cloudConfig,
  wireCredentials,
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  DEFAULT_SIGNATURE_FORMAT,
  SIGNATURE_FORMATS,
  wirePublish,
  type PublishConfig,
  type PublishWiring,
} from '../publish/index.js';
import type { SignResult } from '../sign/index.js';
import type { TimeBudget } from '../util/index.js';
import { timeoutInput, type Inputs } from './inputs.js';
import { actionsLogger } from './log.js';

type Env = Record<string, string | undefined>;

export interface CommonPublishInputs {
  build: BuildOptions;
  /** `config.cloud`: the provider input and the provider inputs. */
  config: PublishConfig;
  username?: string;
  password?: string;
  /** The `timeout` input: the time limit of the whole run (every registry request and retry). */
  budget: TimeBudget;
}

export function readCommonInputs(inputs: Inputs, env: Env = process.env): CommonPublishInputs {
  const budget = timeoutInput(inputs);
  const annotations = parseAnnotations(inputs.lines('annotations'));
  const ignore = inputs.list('ignore-paths');
  const enabled = inputs.boolean('sign', true);
  const format = inputs.oneOf('signature-format', SIGNATURE_FORMATS, DEFAULT_SIGNATURE_FORMAT);
  const verifyAfterSign = inputs.boolean('verify-after-sign', true);
  const fulcioURL = inputs.string('fulcio-url', DEFAULT_FULCIO_URL);
  const rekorURL = inputs.string('rekor-url', DEFAULT_REKOR_URL);
  const tsaURL = inputs.string('tsa-url') || undefined;
  const trustedRoot = inputs.string('trusted-root') || undefined;
  const attestations = parseAttestationConfig({
    attestations: inputs.list('attestations'),
    sbomFormat: inputs.string('sbom-format') || undefined,
    vexPath: inputs.string('vex-path') || undefined,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    signing: enabled,
  });
  const password = inputs.string('registry-password');
  if (password) core.setSecret(password);
  const cloud = cloudConfig(inputs.string('provider', 'generic'), (n) => inputs.string(n), inputs.boolean('create-repository', false));
  return {
    build: {
      ignorePaths: ignore.length ? ignore : undefined,
      sourceignore: inputs.boolean('sourceignore', false),
      compressor: inputs.oneOf('compressor', ['go-flate', 'zlib'] as const, 'go-flate'),
      reproducible: inputs.boolean('reproducible', true),
      source: inputs.string('source') || ciSource(env),
      revision: inputs.string('revision') || ciRevision(env),
      annotations,
    },
    config: {
      ...(cloud.setting === 'generic' ? {} : { cloud }),
      ...(enabled ? { signing: { format, verifyAfterSign, fulcioURL, rekorURL, tsaURL, trustedRoot } } : {}),
      ...(attestations ? { attestations } : {}),
    },
    username: inputs.string('registry-username') || undefined,
    password: password || undefined,
    budget,
  };
}

/**
 * Credentials (publish/wire.ts wireCredentials): a cloud registry's from its provider (the `provider` input), else
 * explicit registry-username/password for the target registries; a registry-password alone is the workflow token, for
 * ghcr.io only; otherwise the Docker config (DOCKER_CONFIG, credential helpers). Every token obtained is masked.
 */
export function actionCredentials(
  registries: string[],
  common: CommonPublishInputs,
  env: Env = process.env,
  logger: Logger = actionsLogger,
): CredentialProvider & { cloud: CloudCredentials } {
  if (common.username && !common.password) {
    throw new InputError('registry-username is set but registry-password is empty', 'pass the token or password in registry-password (a secret)');
  }
  const { credentials, cloud } = wireCredentials({
    registries,
    env,
    username: common.username,
    password: common.password,
    cloud: common.config.cloud,
    mask: (s) => core.setSecret(s),
    budget: common.budget,
    logger,
  });
  return Object.assign(credentials, { cloud });
}

/**
 * The client, signer and verifier of an action, through the one composition root (publish/wire.ts). `repositories`
 * are the targets (`host/path`): a cloud provider checks them (ECR: they exist) before anything is pushed.
 */
export async function wireActionPublish(repositories: string[], common: CommonPublishInputs, env: Env = process.env, logger: Logger = actionsLogger): Promise<PublishWiring> {
  // A missing id-token permission is reported before a credentials mistake.
  const identity = common.config.signing ? resolveIdentityProvider(env) : undefined;
  if (common.config.signing && !identity) throw missingIdTokenError();
  const credentials = actionCredentials(repositories, common, env, logger);
  return wirePublish(common.config, { env, logger, credentials, budget: common.budget, identity, missingIdentity: missingIdTokenError, cloud: credentials.cloud, repositories });
}

/** The signature outputs shared by push-artifact (single target) and release-artifact. */
export function setSignatureOutputs(signature: SignResult | undefined): void {
  if (!signature) return;
  core.setOutput('signature', signature.signature);
  core.setOutput('rekor-log-index', String(signature.rekorLogIndex));
  core.setOutput('certificate-identity', signature.certificateIdentity);
  core.setOutput('certificate-oidc-issuer', signature.certificateOidcIssuer);
}

/** The `attestations` output: one entry per attestation of every published artifact (JSON array). */
export function attestationsOutput(results: { component?: string; repository: string; digest: string; attestations?: AttestationResult[] }[]): string {
  return JSON.stringify(
    results.flatMap((r) =>
      (r.attestations ?? []).map((a) => ({
        component: r.component ?? '',
        repository: r.repository,
        digest: r.digest,
        type: a.type,
        'predicate-type': a.predicateType,
        referrer: a.referrer,
        'referrer-digest': a.referrerDigest,
        'rekor-log-index': a.rekorLogIndex,
        'certificate-identity': a.certificateIdentity,
        'legacy-tag': a.legacyTag ?? '',
        existing: a.existing,
      })),
    ),
  );
}
