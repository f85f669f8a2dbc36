/**
 * The GitHub Actions adapter of e2e-update, its inputs (actions/e2e-update/README.md, docs/image-automation.md): the
 * inputs → an E2eUpdateConfig (every input read and validated, every secret masked, before any clone, scan or push;
 * in direct mode the target and its token too), and the runner log with the step's secrets redacted. The run itself
 * (registry, GitHub, targets, outputs) is action/e2e-update-run.ts, which the action imports once the inputs are valid.
 */
import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { D2Error, InputError } from '../errors.js';
import {
  checkTokensCover,
  directTarget,
  parseGrouping,
  parseSubstituteSecrets,
  parseTokenMap,
  secretRedactor,
  type AutomationTarget,
  type EngineLogger,
  type Grouping,
  type SubstituteSecrets,
  type TokenMap,
} from '../image-automation/index.js';
import type { Credentials, Logger } from '../oci/index.js';
import { cloudConfig, type CloudConfig } from '../publish/index.js';
import type { TimeBudget } from '../util/index.js';
import { timeoutInput, type Inputs } from './inputs.js';
import { actionLog } from './log.js';

type Env = Record<string, string | undefined>;

export interface E2eUpdateConfig {
  /** The `timeout` input: the time limit of the whole run, started when the inputs are read. */
  budget: TimeBudget;
  dryRun: boolean;
  /** `group-by` and `branch-template`; undefined for `group-by: none`. */
  grouping?: Grouping;
  commitVia: 'git' | 'api';
  failOnPolicyError: boolean;
  /** `token` and `tokens`: the token of each repository. */
  tokens: TokenMap;
  /** `substitute-secrets` (fleet mode). */
  secrets: SubstituteSecrets;
  signingKey: string;
  signingPassphrase: string;
  /** Replaces every secret value known to the step with `***` (errors, log, summary, outputs). */
  redact: (text: string) => string;
  /** `registry-credentials`, by registry host. */
  registryCredentials: Record<string, Credentials>;
  /** The `provider` input and the provider inputs, for the image scans. */
  cloud: CloudConfig;
  /** Fleet mode: the update cluster's path inside the workspace (`automation`). */
  automation?: string;
  /** Direct mode (no `automation`): the one target of the direct inputs. */
  direct?: AutomationTarget;
  workspace: string;
  /** RUNNER_TEMP: the parent directory of the clones. */
  workDir?: string;
  /** GITHUB_SERVER_URL: branches on this server are linked in the summary. */
  serverUrl?: string;
}

/**
 * Reads and validates every input of e2e-update before any clone, scan or push (the time limit starts now), and masks
 * every secret: tokens, substitute-secrets values, the signing key line by line (the runner masks single lines) and
 * its passphrase, registry passwords. In direct mode the target is known here, so its token is checked here too (fleet
 * mode's targets are read from the workspace: e2eUpdateTargets). Errors raised once the secrets are known carry them
 * redacted.
 */
export async function readE2eUpdateInputs(inputs: Inputs, env: Env = process.env): Promise<E2eUpdateConfig> {
  const budget = timeoutInput(inputs);
  const dryRun = inputs.boolean('dry-run', false);
  const grouping = await parseGrouping(inputs.string('group-by', 'none'), inputs.string('branch-template'));
  const commitVia = inputs.oneOf('commit-via', ['git', 'api'] as const, 'git');
  const failOnPolicyError = inputs.boolean('fail-on-policy-error', false);
  const token = inputs.string('token');
  if (token) core.setSecret(token);
  const tokens = parseTokenMap(inputs.string('tokens'), { fallback: token, serverUrl: env.GITHUB_SERVER_URL });
  for (const t of tokens.values()) core.setSecret(t);
  const secrets = parseSubstituteSecrets(inputs.string('substitute-secrets'), env);
  for (const v of secrets.values) core.setSecret(v);
  const signingKey = inputs.string('signing-key');
  const signingPassphrase = inputs.string('signing-passphrase');
  const keyLines = signingKey.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= 8 && !/^-----(BEGIN|END) /.test(l));
  for (const l of keyLines) core.setSecret(l);
  if (signingPassphrase) core.setSecret(signingPassphrase);
  const redact = secretRedactor([...secrets.values, ...tokens.values(), token, ...keyLines, signingPassphrase]);
  try {
    const registryCredentials = parseRegistryCredentials(inputs.string('registry-credentials'));
    // Cloud registries (provider input, ImageRepository spec.provider): their tokens are masked and never fall back.
    const cloud = cloudConfig(inputs.string('provider', 'generic'), (n) => inputs.string(n), false, undefined, true);
    const automation = inputs.string('automation');
    if (automation && (isAbsolute(automation) || automation.split(/[\\/]/).includes('..'))) {
      throw new InputError(`input 'automation' must be a path inside the workspace, got '${automation}'`, 'e.g. clusters/update');
    }
    if (!automation && secrets.values.length > 0) {
      throw new InputError("input 'substitute-secrets' applies to fleet mode only", "set 'automation', or remove substitute-secrets (direct mode has no Kustomization to substitute)");
    }
    const direct = automation ? undefined : directInputsTarget(inputs, env);
    if (direct) checkTokensCover([direct.repository], tokens);
    return {
      budget,
      dryRun,
      ...(grouping ? { grouping } : {}),
      commitVia,
      failOnPolicyError,
      tokens,
      secrets,
      signingKey,
      signingPassphrase,
      redact,
      registryCredentials,
      cloud,
      ...(direct ? { direct } : { automation }),
      workspace: resolve(env.GITHUB_WORKSPACE ?? process.cwd()),
      workDir: env.RUNNER_TEMP || undefined,
      serverUrl: env.GITHUB_SERVER_URL,
    };
  } catch (err) {
    throw redactError(err, redact);
  }
}

/** Direct mode: one target from the inputs; the repository defaults to the workflow's own. */
function directInputsTarget(inputs: Inputs, env: Env): AutomationTarget {
  return directTarget({
    repository: inputs.string('repository') || defaultRepository(env),
    policiesPath: inputs.required('policies-path'),
    namespace: inputs.required('namespace'),
    updatePath: inputs.string('update-path', '.'),
    checkoutBranch: inputs.string('checkout-branch'),
    pushBranch: inputs.string('push-branch', 'image-updates'),
    commitTemplate: inputs.string('commit-template'),
    authorName: inputs.string('author-name'),
    authorEmail: inputs.string('author-email', 'fluxcdbot@users.noreply.github.com'),
  });
}

function defaultRepository(env: Env): string {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = env.GITHUB_REPOSITORY;
  if (!repo) throw new InputError("input 'repository' is required outside GitHub Actions");
  return `${server}/${repo}.git`;
}

/**
 * `registry-credentials`: a Docker config (`{"auths":{"host":{"auth":"b64"}|{"username","password"}}}`) or a map
 * `{"host":{"username","password"}}`. Validated before anything runs; values are registered as secrets.
 */
export function parseRegistryCredentials(raw: string): Record<string, Credentials> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InputError("input 'registry-credentials' is not JSON", 'pass a Docker config ({"auths":{...}}) or {"<registry>":{"username":"…","password":"…"}}');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InputError("input 'registry-credentials' must be a JSON object");
  const obj = parsed as Record<string, unknown>;
  const entries = obj.auths && typeof obj.auths === 'object' ? (obj.auths as Record<string, unknown>) : obj;
  const out: Record<string, Credentials> = {};
  for (const [host, v] of Object.entries(entries)) {
    if (!v || typeof v !== 'object') throw new InputError(`registry-credentials: entry '${host}' must be an object`);
    const e = v as Record<string, unknown>;
    let username = typeof e.username === 'string' ? e.username : undefined;
    let password = typeof e.password === 'string' ? e.password : undefined;
    if (typeof e.auth === 'string') {
      const dec = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = dec.indexOf(':');
      if (i < 0) throw new InputError(`registry-credentials: auths['${host}'].auth is not base64 of user:password`);
      username = dec.slice(0, i);
      password = dec.slice(i + 1);
    }
    if (!username || password === undefined) throw new InputError(`registry-credentials: entry '${host}' needs username and password (or auth)`);
    core.setSecret(password);
    out[host] = { username, password };
  }
  return out;
}

/** `err` with every secret value replaced (message and hint), for the step's failure message. */
export function redactError(err: unknown, redact: (t: string) => string): unknown {
  if (err instanceof InputError) return new InputError(redact(err.message), err.hint ? redact(err.hint) : undefined);
  if (err instanceof D2Error) return new D2Error(redact(err.message), { code: err.code, ...(err.hint ? { hint: redact(err.hint) } : {}) });
  if (err instanceof Error) return new Error(redact(err.message));
  return redact(String(err));
}

/** Runs `fn`; what it throws is rethrown with the secrets redacted (redactError). */
export function redacting<T>(redact: (t: string) => string, fn: () => Promise<T>): Promise<T> {
  return fn().catch((err: unknown) => Promise.reject(redactError(err, redact)));
}

/** The runner log (action/log.ts) with the step's secrets redacted: for the registry client, the engine and GitHub. */
export function e2eUpdateLogger(redact: (t: string) => string): Logger & Required<EngineLogger> {
  return {
    debug: (m) => actionLog.debug(redact(m)),
    info: (m) => actionLog.info(redact(m)),
    warn: (m) => actionLog.warning(redact(m)),
    group: (name, fn) => actionLog.group(redact(name), fn),
  };
}

