/**
 * The action layer shared by push-artifact and release-artifact: reading the common inputs (registry credentials,
 * build options, signing options), wiring the registry client, signer and verifier, and rendering the job summary.
 * Entry points stay thin (actions/<name>/src/main.ts).
 */
import * as core from '@actions/core';
import { actionLog, timeoutInput, type Inputs } from '../action/index.js';
import type { Logger } from '../base/index.js';
import { InputError } from '../errors.js';
import { parseAnnotations, type BuildOptions } from '../flux/index.js';
import { ChainCredentials, DockerConfigCredentials, GitHubTokenCredentials, RegistryClient, StaticCredentials, type CredentialProvider } from '../oci/index.js';
import { assertIdTokenAvailable } from '../oidc/index.js';
import { ArtifactSigner, exactRegExp, fluxVerifyBlock, generalisedIdentityRegExp, type SignatureFormat, type SignResult } from '../sign/index.js';
import { mdCode, mdFence, mdText, type TimeBudget } from '../util/index.js';
import { verifyArtifact } from '../verify/index.js';
import { errorHint } from './publish.js';
import type { DigestSigner, DigestVerifier, PublishResult } from './types.js';

type Env = Record<string, string | undefined>;

export interface SigningInputs {
  enabled: boolean;
  format: SignatureFormat;
  verifyAfterSign: boolean;
  fulcioURL: string;
  rekorURL: string;
  tsaURL?: string;
  trustedRoot?: string;
}

export interface CommonPublishInputs {
  build: BuildOptions;
  signing: SigningInputs;
  username?: string;
  password?: string;
  /** The `timeout` input: the time limit of the whole run (every registry request and retry). */
  budget: TimeBudget;
}

/** The GitHub repository URL used as `org.opencontainers.image.source` (the distribution action's rule). */
export function defaultSource(env: Env): string | undefined {
  if (!env.GITHUB_REPOSITORY) return undefined;
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  return `${server}/${env.GITHUB_REPOSITORY}`;
}

export function defaultRevision(env: Env): string | undefined {
  if (!env.GITHUB_REF || !env.GITHUB_SHA) return undefined;
  return `${env.GITHUB_REF}@sha1:${env.GITHUB_SHA}`;
}

export function readCommonInputs(inputs: Inputs, env: Env = process.env): CommonPublishInputs {
  const budget = timeoutInput(inputs);
  const annotations = parseAnnotations(inputs.lines('annotations'));
  const ignore = inputs.list('ignore-paths');
  const signing: SigningInputs = {
    enabled: inputs.boolean('sign', true),
    format: inputs.oneOf('signature-format', ['legacy', 'bundle', 'both'] as const, 'legacy'),
    verifyAfterSign: inputs.boolean('verify-after-sign', true),
    fulcioURL: inputs.string('fulcio-url', 'https://fulcio.sigstore.dev'),
    rekorURL: inputs.string('rekor-url', 'https://rekor.sigstore.dev'),
    tsaURL: inputs.string('tsa-url') || undefined,
    trustedRoot: inputs.string('trusted-root') || undefined,
  };
  const password = inputs.string('registry-password');
  if (password) core.setSecret(password);
  return {
    build: {
      ignorePaths: ignore.length ? ignore : undefined,
      sourceignore: inputs.boolean('sourceignore', false),
      compressor: inputs.oneOf('compressor', ['go-flate', 'zlib'] as const, 'go-flate'),
      reproducible: inputs.boolean('reproducible', true),
      source: inputs.string('source') || defaultSource(env),
      revision: inputs.string('revision') || defaultRevision(env),
      annotations,
    },
    signing,
    username: inputs.string('registry-username') || undefined,
    password: password || undefined,
    budget,
  };
}

/**
 * Credentials: explicit registry-username/password for the target registries; for ghcr.io the workflow's actor and
 * token by default (docs/security.md, "Identities and permissions"); otherwise the Docker config (DOCKER_CONFIG, credential helpers).
 */
export function credentialsFor(registries: string[], common: CommonPublishInputs, env: Env = process.env): CredentialProvider {
  if (common.username && !common.password) {
    throw new InputError('registry-username is set but registry-password is empty', 'pass the token or password in registry-password (a secret)');
  }
  const explicit =
    common.username && common.password
      ? new StaticCredentials(Object.fromEntries([...new Set(registries)].map((r) => [r, { username: common.username, password: common.password }])))
      : undefined;
  // Without a username the password is the workflow token: used for ghcr.io only, never sent to another registry.
  const ghcr = !common.username && common.password ? new GitHubTokenCredentials({ token: common.password, actor: env.GITHUB_ACTOR }) : undefined;
  return new ChainCredentials([explicit, ghcr, new DockerConfigCredentials({ env })]);
}

export const actionsLogger: Logger = {
  debug: (m) => actionLog.debug(m),
  info: (m) => actionLog.info(m),
  warn: (m) => actionLog.warning(m),
};

export interface PublishWiring {
  client: RegistryClient;
  signer?: DigestSigner;
  verifier?: DigestVerifier;
}

/** Creates the client, and the signer + verifier when signing is on (failing before anything is pushed without id-token). */
export function wirePublish(registries: string[], common: CommonPublishInputs, env: Env = process.env, logger: Logger = actionsLogger): PublishWiring {
  if (common.signing.enabled) assertIdTokenAvailable(env);
  const client = new RegistryClient({ credentials: credentialsFor(registries, common, env), logger, budget: common.budget });
  if (!common.signing.enabled) return { client };
  const signer = new ArtifactSigner({
    registry: client,
    fulcioURL: common.signing.fulcioURL,
    rekorURL: common.signing.rekorURL,
    tsaURL: common.signing.tsaURL,
    format: common.signing.format,
    logger,
  });
  const verifier: DigestVerifier | undefined = common.signing.verifyAfterSign
    ? async (repo, digest, signed) => {
        await verifyArtifact({
          registry: client,
          repo,
          digest,
          identity: { subjectRegExp: exactRegExp(signed.certificateIdentity), issuerRegExp: exactRegExp(signed.certificateOidcIssuer) },
          trustedRoot: common.signing.trustedRoot,
        });
        logger.info(`verified the new signature of ${repo.registry}/${repo.repository}@${digest} as Flux would (identity ${signed.certificateIdentity})`);
      }
    : undefined;
  return { client, signer, verifier };
}

function kib(n: number): string {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * Markdown table of the published artifacts, and the Flux verify block for the signing identity. Names, paths, tags
 * and error messages are untrusted: they are escaped (util/markdown.ts) so they cannot add HTML or break the table.
 */
export function publishSummary(title: string, results: PublishResult[], failures: { component?: string; path: string; error: Error }[]): string {
  const cell = (s: string) => mdCode(s, { inTable: true });
  const rows = results.map((r) =>
    `| ${mdText(r.component ?? r.path)} | ${cell(r.repository)} | ${cell(`${r.digest.slice(0, 19)}…`)} | ${r.tags.map(cell).join(' ')} | ${r.pushed ? 'pushed' : 'unchanged'} | ${kib(r.size)} | ${r.signature ? `${cell(r.signature.signature)} (Rekor ${r.signature.rekorLogIndex})` : r.alreadySigned ? 'already signed' : '—'} |`,
  );
  const parts = [`## ${mdText(title)}`, '', '| component / path | repository | digest | tags | result | layer | signature |', '|---|---|---|---|---|---|---|', ...rows];
  if (failures.length) {
    parts.push(
      '',
      '### Failed',
      '',
      ...failures.map((f) => {
        const hint = errorHint(f.error);
        return `- **${mdText(f.component ?? f.path)}**: ${mdText(f.error.message.replace(/\s*\n\s*/g, ' '))}${hint ? `\n  - hint: ${mdText(hint.replace(/\s*\n\s*/g, ' '))}` : ''}`;
      }),
    );
  }
  const signed = results.find((r) => r.signature)?.signature;
  if (signed) parts.push('', verifySection(signed));
  return parts.join('\n') + '\n';
}

export function verifySection(signed: SignResult, subjectRegExp?: string): string {
  return [
    '### Flux verification',
    '',
    `Signed by ${mdCode(signed.certificateIdentity)} (issuer ${mdCode(signed.certificateOidcIssuer)}). Paste into the OCIRepository spec:`,
    '',
    mdFence(fluxVerifyBlock(signed.certificateIdentity, signed.certificateOidcIssuer, { subjectRegExp: subjectRegExp ?? generalisedIdentityRegExp(signed.certificateIdentity) }).trimEnd(), 'yaml'),
  ].join('\n');
}
