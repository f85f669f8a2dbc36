/**
 * The GitHub Actions adapter of publishing (push-artifact, release-artifact): the common inputs → a PublishConfig and
 * build options, the @actions/core logger, the wiring through the composition root (publish/wire.ts), and the
 * signature outputs. Entry points stay thin (actions/<name>/src/main.ts).
 */
import * as core from '@actions/core';
import { InputError } from '../errors.js';
import { parseAnnotations, type BuildOptions } from '../flux/index.js';
import { credentialChain, type CredentialProvider, type Logger } from '../oci/index.js';
import { missingIdTokenError, resolveIdentityProvider } from '../oidc/index.js';
import {
  ciRevision,
  ciSource,
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
import { actionLog } from './log.js';

type Env = Record<string, string | undefined>;

export interface CommonPublishInputs {
  build: BuildOptions;
  config: PublishConfig;
  username?: string;
  password?: string;
  /** The `timeout` input: the time limit of the whole run (every registry request and retry). */
  budget: TimeBudget;
}

export const actionsLogger: Logger = {
  debug: (m) => actionLog.debug(m),
  info: (m) => actionLog.info(m),
  warn: (m) => actionLog.warning(m),
};

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
  const password = inputs.string('registry-password');
  if (password) core.setSecret(password);
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
    config: enabled ? { signing: { format, verifyAfterSign, fulcioURL, rekorURL, tsaURL, trustedRoot } } : {},
    username: inputs.string('registry-username') || undefined,
    password: password || undefined,
    budget,
  };
}

/**
 * Credentials (oci/credentials/registry.ts): explicit registry-username/password for the target registries; a
 * registry-password alone is the workflow token, for ghcr.io only; otherwise the Docker config (DOCKER_CONFIG,
 * credential helpers).
 */
export function actionCredentials(registries: string[], common: CommonPublishInputs, env: Env = process.env): CredentialProvider {
  if (common.username && !common.password) {
    throw new InputError('registry-username is set but registry-password is empty', 'pass the token or password in registry-password (a secret)');
  }
  return credentialChain({ registries, env, username: common.username, password: common.password });
}

/** The client, signer and verifier of an action, through the one composition root (publish/wire.ts). */
export async function wireActionPublish(registries: string[], common: CommonPublishInputs, env: Env = process.env, logger: Logger = actionsLogger): Promise<PublishWiring> {
  // A missing id-token permission is reported before a credentials mistake.
  const identity = common.config.signing ? resolveIdentityProvider(env) : undefined;
  if (common.config.signing && !identity) throw missingIdTokenError();
  const credentials = actionCredentials(registries, common, env);
  return wirePublish(common.config, { env, logger, credentials, budget: common.budget, identity, missingIdentity: missingIdTokenError });
}

/** The signature outputs shared by push-artifact (single target) and release-artifact. */
export function setSignatureOutputs(signature: SignResult | undefined): void {
  if (!signature) return;
  core.setOutput('signature', signature.signature);
  core.setOutput('rekor-log-index', String(signature.rekorLogIndex));
  core.setOutput('certificate-identity', signature.certificateIdentity);
  core.setOutput('certificate-oidc-issuer', signature.certificateOidcIssuer);
}
