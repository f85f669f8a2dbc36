/**
 * docker's own credential lookup: the strict `DOCKER_AUTH_CONFIG` overlay, then config.json (`DOCKER_CONFIG` or
 * ~/.docker; `credHelpers` before `credsStore` before `auths`; `auth`, `identitytoken`, `registrytoken`), with docker
 * credential helpers (`docker-credential-<name> get`).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { D2Error, InputError } from '../../errors.js';
import { DOCKER_HUB_CREDENTIALS_KEY, DOCKER_HUB_HOST, isDockerHub, type CredentialProvider, type Credentials } from '../../base/index.js';
import { convertToHostname, credentialKey, decodeAuth, empty, sameRegistry } from './shared/common.js';

type Env = Record<string, string | undefined>;

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/**
 * Parses DOCKER_AUTH_CONFIG strictly (docker CLI ≥ v28.3.0): `{"auths":{"<host>":{"auth":"<b64>"}}}` and nothing
 * else. Returns credentials per key.
 */
export function parseDockerAuthConfig(value: string): Record<string, Credentials> {
  const fail = (why: string): never => {
    throw new InputError(`DOCKER_AUTH_CONFIG is invalid: ${why}`, 'it must be JSON of the form {"auths":{"<registry>":{"auth":"<base64 of user:password>"}}} with no other fields');
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return fail('not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('not a JSON object');
  const extra = Object.keys(parsed).filter((k) => k !== 'auths');
  if (extra.length) fail(`unknown field(s) ${extra.map((k) => `'${k}'`).join(', ')}`);
  const auths = (parsed as { auths?: unknown }).auths;
  if (!auths || typeof auths !== 'object' || Array.isArray(auths)) return fail("missing 'auths' object");
  const out: Record<string, Credentials> = {};
  for (const [key, entry] of Object.entries(auths as Record<string, unknown>)) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry)) fail(`auths['${key}'] is not an object`);
    const fields = Object.keys(entry as object);
    const unknown = fields.filter((f) => f !== 'auth');
    if (unknown.length) fail(`auths['${key}'] has unknown field(s) ${unknown.map((k) => `'${k}'`).join(', ')}`);
    const auth = (entry as { auth?: unknown }).auth;
    if (typeof auth !== 'string' || auth === '') fail(`auths['${key}'] has no 'auth'`);
    out[key] = decodeAuth(auth as string, `DOCKER_AUTH_CONFIG auths['${key}']`);
  }
  return out;
}

export interface DockerConfigCredentialsOptions {
  /** Environment (DOCKER_CONFIG, DOCKER_AUTH_CONFIG, PATH, HOME). Default process.env. */
  env?: Env;
  /** Directory holding config.json; default $DOCKER_CONFIG or ~/.docker. */
  configDir?: string;
  /** Credential helper timeout (default 30 s). */
  helperTimeoutMs?: number;
}

/** A docker credential helper: `docker-credential-<name> get`, server URL on stdin, JSON on stdout. */
export function runCredentialHelper(name: string, serverUrl: string, env: Env, timeoutMs = 30_000): Promise<Credentials | undefined> {
  const bin = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['get'], { env: env as NodeJS.ProcessEnv, timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout) => {
      if (error) {
        if (/credentials not found/i.test(stdout)) return resolve(undefined);
        const e = error as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') {
          return reject(new D2Error(`docker credential helper '${bin}' is not installed (configured in docker config.json)`, { code: 'CREDENTIALS_HELPER', hint: `install ${bin} or remove it from credHelpers/credsStore in config.json` }));
        }
        // stdout/stderr may echo the request; never include a helper's output in the message.
        return reject(new D2Error(`docker credential helper '${bin}' failed for ${serverUrl} (exit ${String(e.code ?? 'unknown')})`, { code: 'CREDENTIALS_HELPER', hint: `run 'echo ${serverUrl} | ${bin} get' to see why` }));
      }
      try {
        const out = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!out.Secret) return resolve(undefined);
        if (out.Username === '<token>') return resolve({ identityToken: out.Secret });
        resolve({ username: out.Username ?? '', password: out.Secret });
      } catch {
        reject(new D2Error(`docker credential helper '${bin}' returned invalid JSON for ${serverUrl}`, { code: 'CREDENTIALS_HELPER' }));
      }
    });
    // A helper may exit without reading stdin (or not exist): ignore EPIPE, the exit status tells the story.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(serverUrl);
  });
}

/** docker's own credential lookup: DOCKER_AUTH_CONFIG overlay, then config.json helpers, then `auths`. */
export class DockerConfigCredentials implements CredentialProvider {
  private readonly env: Env;
  private readonly configDir: string;
  private readonly helperTimeoutMs: number;
  private config?: Promise<DockerConfigFile | undefined>;
  private overlay?: Record<string, Credentials>;

  constructor(opts: DockerConfigCredentialsOptions = {}) {
    this.env = opts.env ?? process.env;
    this.configDir = opts.configDir ?? this.env.DOCKER_CONFIG ?? join(this.env.HOME ?? homedir(), '.docker');
    this.helperTimeoutMs = opts.helperTimeoutMs ?? 30_000;
  }

  /** The config.json path this provider reads. */
  get path(): string {
    return join(this.configDir, 'config.json');
  }

  private load(): Promise<DockerConfigFile | undefined> {
    this.config ??= readFile(this.path, 'utf8').then(
      (text) => {
        try {
          return JSON.parse(text) as DockerConfigFile;
        } catch {
          throw new InputError(`docker config ${this.path} is not valid JSON`, 'fix or delete the file, or point DOCKER_CONFIG at another directory');
        }
      },
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return undefined;
        throw err;
      },
    );
    return this.config;
  }

  async get(registry: string): Promise<Credentials | undefined> {
    const raw = this.env.DOCKER_AUTH_CONFIG;
    if (raw) {
      this.overlay ??= parseDockerAuthConfig(raw);
      const hit = Object.entries(this.overlay).find(([k]) => sameRegistry(k, registry));
      if (hit) return { ...hit[1] };
    }
    const cfg = await this.load();
    if (!cfg) return undefined;
    const host = isDockerHub(registry) ? convertToHostname(DOCKER_HUB_CREDENTIALS_KEY) : registry.toLowerCase();
    const helper = Object.entries(cfg.credHelpers ?? {}).find(([k]) => sameRegistry(k, host))?.[1] ?? cfg.credsStore;
    if (helper) return runCredentialHelper(helper, credentialKey(registry), this.env, this.helperTimeoutMs);
    const entries = Object.entries(cfg.auths ?? {});
    const exact = entries.find(([k]) => k === registry || k === credentialKey(registry));
    const hit = exact ?? entries.find(([k]) => sameRegistry(k, registry === DOCKER_HUB_HOST ? DOCKER_HUB_CREDENTIALS_KEY : registry));
    if (!hit) return undefined;
    const [key, e] = hit;
    const creds: Credentials = {};
    if (e.auth) Object.assign(creds, decodeAuth(e.auth, `${this.path} auths['${key}']`));
    else if (e.username) Object.assign(creds, { username: e.username, password: e.password ?? '' });
    if (e.identitytoken) creds.identityToken = e.identitytoken;
    if (e.registrytoken) creds.registryToken = e.registrytoken;
    return empty(creds) ? undefined : creds;
  }
}
