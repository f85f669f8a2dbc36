/**
 * What several d2 commands share: registry credentials (flags, env, docker config — the same lookup as the actions),
 * the registry client, the keyless signer (OIDC from `SIGSTORE_ID_TOKEN`, `SIGSTORE_ID_TOKEN_FILE` or the GitHub Actions
 * token endpoint), the build options of a Flux artifact and `oci://` references.
 */
import { writeFile } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import { InputError } from '@d2/core';
import { parseAnnotations, type BuildOptions, type CompressorName } from '@d2/core/flux';
import {
  RegistryClient,
  parseReference,
  refuseCredentials,
  type CloudCredentials,
  type CredentialProvider,
  type Logger,
  type Reference,
  type Repository,
} from '@d2/core/oci';
import { parseAttestationConfig } from '@d2/core/attest';
import { assertPublicFulcioAcceptsGitLab, gitlabMissingIdTokenError, isGitLabCi, resolveIdentityProvider } from '@d2/core/oidc';
import {
  ciRevision,
  ciSource,
  cloudConfig,
  CLOUD_INPUT_NAMES,
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  parseSignatureFormat,
  publishSummary,
  verifySection,
  wireCredentials,
  wirePublish,
  type CloudConfig,
  type DigestSigner,
  type PublishResult,
  type PublishConfig,
  type PublishWiring,
} from '@d2/core/publish';
import { DEFAULT_TIMEOUT_MS, parseDuration, TimeBudget } from '@d2/core/util';
import { list, str, type CommandContext } from './cli.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const timeoutOption: Options = {
  timeout: { type: 'string' },
};

export const TIMEOUT_HELP = `  --timeout DURATION          time limit of the whole command, retries included (default 10m): 90s, 5m, 1h30m or
                              seconds; each request also has its own deadline (2m, plus 1s per MiB of body)`;

/** `--provider` and the provider flags (the action inputs of the same names; docs/cloud-registries.md). */
export const providerOptions: Options = {
  provider: { type: 'string' },
  ...Object.fromEntries(CLOUD_INPUT_NAMES.map((n) => [n, { type: 'string' as const }])),
  'create-repository': { type: 'boolean' },
};

export const PROVIDER_HELP = `Cloud registries (docs/cloud-registries.md): no registry secret, the OIDC token is exchanged with the cloud
  --provider generic|aws|gcp|azure|auto   default generic; auto picks by host (ECR, Artifact Registry, ACR)
  --aws-role-arn ARN --aws-region R --aws-session-name N   aws: the role assumed with the OIDC token (audience
                              sts.amazonaws.com); without a role, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
  --create-repository         aws: create a missing ECR repository
  --gcp-workload-identity-provider P --gcp-service-account SA   gcp
  --azure-client-id ID --azure-tenant-id T   azure
  The OIDC token: inside GitHub Actions ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (permissions: id-token: write), else
  SIGSTORE_ID_TOKEN minted for the cloud's audience. A cloud registry never falls back to --creds or the docker config.`;

export const registryOptions: Options = {
  creds: { type: 'string' },
  insecure: { type: 'boolean' },
  ...providerOptions,
  ...timeoutOption,
};

export const REGISTRY_HELP = `Registry credentials (first match wins):
  --creds USER:PASS           for the registries of this command (or D2_REGISTRY_USERNAME / D2_REGISTRY_PASSWORD)
  DOCKER_AUTH_CONFIG, DOCKER_CONFIG/config.json (credential helpers included), ~/.docker/config.json
  --insecure                  plain HTTP for a non-loopback registry (loopback registries always use HTTP)
${TIMEOUT_HELP}
${PROVIDER_HELP}`;

const budgets = new WeakMap<CommandContext, TimeBudget>();

/**
 * The command's time limit from `--timeout` (docs/cli.md "Time limit"; default 10m), one per command: every registry
 * and GitHub request and retry shares it. The clock starts at the first call, so commands call it first thing (which
 * also rejects a bad value before anything is done).
 */
export function timeBudget(ctx: CommandContext): TimeBudget {
  let budget = budgets.get(ctx);
  if (!budget) {
    const v = str(ctx, 'timeout');
    budget = new TimeBudget(v === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(v, '--timeout'), '--timeout');
    budgets.set(ctx, budget);
  }
  return budget;
}

export const buildOptions: Options = {
  'ignore-paths': { type: 'string', multiple: true },
  sourceignore: { type: 'boolean' },
  annotations: { type: 'string', short: 'a', multiple: true },
  source: { type: 'string' },
  revision: { type: 'string' },
  created: { type: 'string' },
  compressor: { type: 'string' },
};

export const BUILD_HELP = `Build flags (docs/artifacts.md; same meaning as the push-artifact inputs):
  --ignore-paths P[,P…]       gitignore patterns relative to the directory (repeatable); default: Flux's list
  --sourceignore              also honour .sourceignore files (as source-controller does)
  -a, --annotations K=V       extra manifest annotation (repeatable)
  --source URL                org.opencontainers.image.source (default: the CI repository URL, if known)
  --revision REV              org.opencontainers.image.revision (default: <ref>@sha1:<sha> from the CI env)
  --created RFC3339|now       org.opencontainers.image.created (default 1970-01-01T00:00:00Z: reproducible)
  --compressor go-flate|zlib  go-flate (default) writes Flux's exact layer bytes`;

export const signOptions: Options = {
  sign: { type: 'boolean' },
  'signature-format': { type: 'string' },
  'fulcio-url': { type: 'string' },
  'rekor-url': { type: 'string' },
  'tsa-url': { type: 'string' },
  'trusted-root': { type: 'string' },
  'skip-verify': { type: 'boolean' },
};

export const attestOptions: Options = {
  attestations: { type: 'string', multiple: true },
  'sbom-format': { type: 'string' },
  'vex-path': { type: 'string' },
};

export const ATTEST_HELP = `Attestations (docs/attestations.md; need --sign, signed with the signature's identity):
  --attestations LIST         provenance, sbom, vex (comma-separated or repeated): DSSE bundle referrers, and cosign's
                              .att tag too unless --signature-format bundle; attached before any tag moves
  --sbom-format cyclonedx|spdx   the sbom attestation's format (default cyclonedx)
  --vex-path FILE             the OpenVEX v0.2.0 document of the vex attestation, relative to the current directory
                              (validated before anything is sent)
  provenance needs a CI system it can describe (GitHub Actions); elsewhere it is refused.`;

export const SIGN_HELP = `Signing (docs/signing.md; keyless, cosign-compatible):
  --signature-format legacy|bundle|both   default legacy (the .sig tag every Flux version verifies)
  --fulcio-url URL --rekor-url URL --tsa-url URL   private Sigstore (default: the public-good instance)
  --trusted-root FILE         trusted_root.json for the verification right after signing (default: public-good TUF)
  --skip-verify               do not verify the new signature as Flux would
  The OIDC identity token comes from SIGSTORE_ID_TOKEN (GitLab CI: id_tokens with aud: sigstore), else from the file
  SIGSTORE_ID_TOKEN_FILE names (re-read for every request: a Kubernetes projected service account token with
  audience sigstore), else inside GitHub Actions from ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN (the job needs
  permissions: id-token: write).`;

/** Progress on stderr; debug lines only with D2_DEBUG=1. */
export function cliLogger(ctx: CommandContext): Logger {
  const debug = ctx.env.D2_DEBUG === '1' || ctx.env.RUNNER_DEBUG === '1';
  return {
    debug: (m) => (debug ? ctx.log(`  · ${m}`) : undefined),
    info: (m) => ctx.log(`  ${m}`),
    warn: (m) => ctx.log(`  ! ${m}`),
  };
}

/**
 * `oci://host/repo[:tag][@digest]` (the scheme is optional). Upper-case letters are refused (OCI names are lowercase).
 */
export function parseOci(input: string, what = 'reference'): Reference {
  refuseCredentials(input, what);
  let name = input.replace(/^oci:\/\//i, '').split('@')[0];
  if (name.lastIndexOf(':') > name.lastIndexOf('/')) name = name.slice(0, name.lastIndexOf(':'));
  if (/[A-Z]/.test(name.slice(name.indexOf('/') + 1))) {
    throw new InputError(`${what} '${input}' contains upper-case letters; OCI repository names must be lowercase`, `use '${input.replace(name, name.toLowerCase())}'`);
  }
  return parseReference(input, { what });
}

export function repoOf(ref: Reference, insecure = false): Repository {
  return { registry: ref.registry, repository: ref.repository, ...(insecure ? { insecure: true } : {}) };
}

/** The `--provider` flag and the provider flags. */
export function cloudConfigFrom(ctx: CommandContext, forScans = false): CloudConfig {
  return cloudConfig(str(ctx, 'provider'), (n) => str(ctx, n), ctx.values['create-repository'] === true, (n) => `--${n}`, forScans);
}

/**
 * A cloud registry's credentials from its provider (`--provider`), else `--creds user:pass`, else
 * D2_REGISTRY_USERNAME/PASSWORD, for `registries` (hosts or `host/path` repositories); then the docker config.
 */
export function credentialsFor(ctx: CommandContext, registries: string[]): CredentialProvider & { cloud: CloudCredentials } {
  let username: string | undefined;
  let password: string | undefined;
  const creds = str(ctx, 'creds');
  if (creds !== undefined) {
    const i = creds.indexOf(':');
    if (i <= 0) throw new InputError('--creds must be USER:PASSWORD', 'e.g. --creds "$REGISTRY_USER:$REGISTRY_TOKEN" (or set D2_REGISTRY_USERNAME / D2_REGISTRY_PASSWORD)');
    username = creds.slice(0, i);
    password = creds.slice(i + 1);
  } else if (ctx.env.D2_REGISTRY_USERNAME || ctx.env.D2_REGISTRY_PASSWORD) {
    username = ctx.env.D2_REGISTRY_USERNAME;
    password = ctx.env.D2_REGISTRY_PASSWORD;
    if (!username || !password) {
      throw new InputError('D2_REGISTRY_USERNAME and D2_REGISTRY_PASSWORD must be set together');
    }
  }
  // --creds always has a username, so the ghcr-token provider (a password alone) never applies here. The CLI prints
  // no token, so there is nothing to mask (mask is for the runner log of the actions).
  const { credentials, cloud } = wireCredentials({ registries, env: ctx.env, username, password, cloud: cloudConfigFrom(ctx), mask: () => undefined, budget: timeBudget(ctx), logger: cliLogger(ctx) });
  return Object.assign(credentials, { cloud });
}

export function registryClient(ctx: CommandContext, registries: string[]): RegistryClient {
  const insecure = ctx.values.insecure === true ? registries : undefined;
  return new RegistryClient({ credentials: credentialsFor(ctx, registries), logger: cliLogger(ctx), budget: timeBudget(ctx), ...(insecure ? { insecure } : {}) });
}

/** BuildOptions from the build flags; reproducible (`created` = 1970-01-01T00:00:00Z) unless `--created` says otherwise. */
export function buildOptionsFrom(ctx: CommandContext): BuildOptions {
  const compressor = str(ctx, 'compressor') ?? 'go-flate';
  if (compressor !== 'go-flate' && compressor !== 'zlib') throw new InputError(`--compressor must be go-flate or zlib, got '${compressor}'`);
  const created = str(ctx, 'created');
  const annotations = parseAnnotations((ctx.values.annotations as string[] | undefined) ?? []);
  const ignore = list(ctx, 'ignore-paths');
  return {
    ignorePaths: ignore.length ? ignore : undefined,
    sourceignore: ctx.values.sourceignore === true,
    compressor: compressor as CompressorName,
    ...(created === undefined ? { reproducible: true } : created === 'now' ? { reproducible: false } : { created }),
    source: str(ctx, 'source') ?? ciSource(ctx.env),
    revision: str(ctx, 'revision') ?? ciRevision(ctx.env),
    annotations,
  };
}

/** The error when --sign is given and no OIDC token can be had (in a GitLab job: the id_tokens lines to add). */
export function missingIdentityError(env: Record<string, string | undefined> = {}): InputError {
  if (isGitLabCi(env)) return gitlabMissingIdTokenError();
  return new InputError(
    'keyless signing needs an OIDC identity token, and none is available',
    'set SIGSTORE_ID_TOKEN (GitLab CI: `id_tokens: SIGSTORE_ID_TOKEN: {aud: sigstore}`) or SIGSTORE_ID_TOKEN_FILE (a file holding the token, e.g. a Kubernetes projected service account token), or run inside GitHub Actions with `permissions: id-token: write`; or drop --sign',
  );
}

/** The PublishConfig of the registry and signing flags (signing only with `sign`). */
export function publishConfigFrom(ctx: CommandContext, registries: string[], sign: boolean): PublishConfig {
  const insecure = ctx.values.insecure === true ? registries : undefined;
  const attestations = parseAttestationConfig({
    attestations: list(ctx, 'attestations'),
    sbomFormat: str(ctx, 'sbom-format'),
    vexPath: str(ctx, 'vex-path'),
    workspace: process.cwd(),
    signing: sign,
    names: { attestations: '--attestations', sbomFormat: '--sbom-format', vexPath: '--vex-path', sign: '--sign' },
  });
  if (!sign) return insecure ? { insecure } : {};
  const format = parseSignatureFormat(str(ctx, 'signature-format'), '--signature-format');
  return {
    ...(insecure ? { insecure } : {}),
    signing: {
      format,
      fulcioURL: str(ctx, 'fulcio-url') ?? ctx.env.D2_FULCIO_URL ?? DEFAULT_FULCIO_URL,
      rekorURL: str(ctx, 'rekor-url') ?? ctx.env.D2_REKOR_URL ?? DEFAULT_REKOR_URL,
      tsaURL: str(ctx, 'tsa-url') ?? ctx.env.D2_TSA_URL,
      trustedRoot: str(ctx, 'trusted-root') ?? ctx.env.D2_TRUSTED_ROOT,
      verifyAfterSign: ctx.values['skip-verify'] !== true,
    },
    ...(attestations ? { attestations } : {}),
  };
}

/**
 * The client, and with `sign` the signer and the post-sign verifier, through the one composition root
 * (core publish/wire.ts); a given trusted root is read now, before anything is pushed or signed. `registries` are the
 * target repositories (`host/path`; a bare host skips the cloud repository check).
 */
export function wireCommand(ctx: CommandContext, registries: string[], sign: boolean): Promise<PublishWiring> {
  // The order of the checks (credentials, identity, signing flags) decides which error a user sees first.
  const credentials = credentialsFor(ctx, registries);
  const identity = sign ? resolveIdentityProvider(ctx.env) : undefined;
  if (sign && !identity) throw missingIdentityError(ctx.env);
  const config = publishConfigFrom(ctx, [...new Set(registries.map((r) => r.split('/')[0]))], sign);
  // A self-managed GitLab's token would be refused by the public Fulcio only after the push: refuse it now.
  if (config.signing?.fulcioURL === DEFAULT_FULCIO_URL && ctx.env.SIGSTORE_ID_TOKEN) assertPublicFulcioAcceptsGitLab(ctx.env.SIGSTORE_ID_TOKEN);
  return wirePublish(config, {
    env: ctx.env,
    logger: cliLogger(ctx),
    credentials,
    budget: timeBudget(ctx),
    identity,
    missingIdentity: () => missingIdentityError(ctx.env),
    cloud: credentials.cloud,
    repositories: registries,
  });
}

/** wireCommand with signing on (`d2 sign`): wirePublish always returns a signer when the config has signing. */
export async function wireSigning(ctx: CommandContext, registries: string[]): Promise<PublishWiring & { signer: DigestSigner }> {
  return (await wireCommand(ctx, registries, true)) as PublishWiring & { signer: DigestSigner };
}

/** `1.2 s` / `350 ms` */
export function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

export const summaryOption: Options = { summary: { type: 'string' } };

export const SUMMARY_HELP = `  --summary FILE              write the job summary (Markdown: artifacts, failures, the Flux verify block) to FILE,
                              e.g. d2-summary.md as a GitLab job artifact; in a GitLab job the verify block is also
                              printed to the log`;

/**
 * The job summary of a publish: written to --summary FILE, and in a GitLab job the Flux verify block is printed to the
 * job log as well (GitLab has no step summary page; docs/gitlab.md "Job summaries").
 */
export async function writeSummary(ctx: CommandContext, title: string, results: PublishResult[], failures: { component?: string; path: string; error: Error }[]): Promise<void> {
  const file = str(ctx, 'summary');
  if (file) await writeFile(file, await publishSummary(title, results, failures));
  const signed = results.find((r) => r.signature)?.signature;
  if (signed && (file || ctx.env.GITLAB_CI === 'true')) ctx.log(`\n${await verifySection(signed)}\n`);
}
