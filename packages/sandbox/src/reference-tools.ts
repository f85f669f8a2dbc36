/**
 * The reference tools of the conformance suite (issue 11; docs/conformance.md): the real `flux`, `cosign` (3.x and
 * optionally 2.x) and `oras` CLIs, built from their upstream Go modules by scripts/reference-tools.sh into
 * `${D2_REFTOOLS_DIR:-~/.cache/d2-actions/reference-tools}/<name>-<version>/bin/<binary>` (outside the checkout).
 *
 * This module finds them (versions.json written by the script) and runs them against the sandbox only:
 *  - registry: plain HTTP on loopback (`flux … --insecure-registry`, `oras --plain-http`, `cosign --allow-http-registry
 *    --allow-insecure-registry`), credentials through DOCKER_CONFIG (`SandboxRegistry.dockerConfigDir()`), which all
 *    three read (ggcr's DefaultKeychain, oras-go's docker credential store);
 *  - Sigstore: the stand-in's Fulcio/Rekor URLs, its trusted_root.json (`--trusted-root` for cosign 3; the SIGSTORE_* PEM
 *    variables derived from the same root for cosign 2, cosign-signatures.md §5.3) and an identity token;
 *  - egress: every run gets a fresh HOME, TUF_ROOT, ORAS_CACHE and KUBECONFIG in a temp dir, and HTTP(S)_PROXY pointing at an
 *    {@link EgressGuard} on 127.0.0.1 that refuses and records any request for a non-loopback host, so a tool that tries to
 *    reach the internet (a TUF refresh, an update check) fails fast and visibly instead of hanging, and tests can assert
 *    that nothing tried. Loopback is exempt through NO_PROXY (Go never proxies loopback anyway).
 */
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names of the reference tools, as in versions.json. */
export type ReferenceToolName = 'flux' | 'cosign' | 'cosign2' | 'oras';

export interface ReferenceToolInfo {
  version: string;
  module: string;
  package: string;
  path: string;
  buildSeconds: number | null;
  go: string;
}

export interface ReferenceTools {
  /** Absolute path of each binary, undefined when not built. */
  flux?: string;
  cosign?: string;
  cosign2?: string;
  oras?: string;
  /** versions.json entries of the tools that are present. */
  versions: Partial<Record<ReferenceToolName, ReferenceToolInfo>>;
  /** The cache directory. */
  dir: string;
}

/** `${D2_REFTOOLS_DIR:-$HOME/.cache/d2-actions/reference-tools}` */
export function referenceToolsDir(): string {
  return process.env.D2_REFTOOLS_DIR || join(homedir(), '.cache', 'd2-actions', 'reference-tools');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The tools built by scripts/reference-tools.sh (read from versions.json; a listed binary that is gone counts as
 * missing). Never builds anything: run the script first (scripts/test.mjs does when Go is installed).
 */
export function referenceTools(): ReferenceTools {
  const dir = referenceToolsDir();
  const out: ReferenceTools = { versions: {}, dir };
  const file = join(dir, 'versions.json');
  if (!existsSync(file)) return out;
  let parsed: Record<string, ReferenceToolInfo>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, ReferenceToolInfo>;
  } catch {
    return out;
  }
  for (const name of ['flux', 'cosign', 'cosign2', 'oras'] as const) {
    const info = parsed[name];
    if (!info || typeof info.path !== 'string' || !executable(info.path)) continue;
    out[name] = info.path;
    out.versions[name] = info;
  }
  return out;
}

/** Which of `names` are missing, as a sentence for skip/failure messages ('' when none is). */
export function missingReferenceTools(tools: ReferenceTools, names: ReferenceToolName[]): string {
  const missing = names.filter((n) => !tools[n]);
  return missing.length === 0
    ? ''
    : `reference tool(s) ${missing.join(', ')} not built in ${tools.dir}: run scripts/reference-tools.sh (needs Go and the Go module proxy)`;
}

// ---------------------------------------------------------------------------------------------------------------
// Egress guard

/** One refused attempt to reach a non-loopback host. */
export interface EgressAttempt {
  method: string;
  target: string;
}

/**
 * A forward proxy on 127.0.0.1 that refuses everything (403 for plain requests, 403 for CONNECT) and records the
 * target. Used as HTTP(S)_PROXY for the reference tools so any internet access is refused and visible.
 */
export interface EgressGuard {
  url: string;
  readonly attempts: EgressAttempt[];
  stop(): Promise<void>;
}

export async function startEgressGuard(): Promise<EgressGuard> {
  const attempts: EgressAttempt[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    attempts.push({ method: req.method ?? 'GET', target: req.url ?? '' });
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('d2 sandbox: internet access is disabled for reference tools\n');
  });
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    attempts.push({ method: 'CONNECT', target: req.url ?? '' });
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    attempts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Running a tool

export interface ToolEnvOptions {
  /** DOCKER_CONFIG (a dir holding config.json), e.g. `registry.dockerConfigDir()`. Default: an empty config. */
  dockerConfigDir?: string;
  /** Proxy that refuses egress (see startEgressGuard). Without it, proxies point at a closed loopback port. */
  egress?: EgressGuard;
  /** Extra variables (win over the defaults). */
  extra?: Record<string, string | undefined>;
}

/**
 * A hermetic environment for a reference tool: PATH and locale from this process, TZ=UTC (flux
 * `--reproducible` formats the epoch in local time, flux-artifact.md §1), umask is the caller's, a fresh HOME with an
 * empty docker config unless given, per-run TUF_ROOT/ORAS_CACHE/KUBECONFIG, no update checks, all egress through the guard.
 */
export function toolEnv(opts: ToolEnvOptions = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'd2-reftool-home-'));
  const dockerConfig = opts.dockerConfigDir ?? join(home, '.docker');
  if (!opts.dockerConfigDir) {
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(join(dockerConfig, 'config.json'), '{"auths":{}}\n');
  }
  const kubeconfig = join(home, 'kubeconfig');
  writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  // A closed port when no guard is given: connections are refused at once.
  const proxy = opts.egress?.url ?? 'http://127.0.0.1:9';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    DOCKER_CONFIG: dockerConfig,
    KUBECONFIG: kubeconfig,
    TUF_ROOT: join(home, '.sigstore', 'root'),
    ORAS_CACHE: join(home, '.oras-cache'),
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    http_proxy: proxy,
    https_proxy: proxy,
    NO_PROXY: '127.0.0.1,localhost,::1',
    no_proxy: '127.0.0.1,localhost,::1',
    // cosign: never prompt; no experimental features.
    COSIGN_YES: 'true',
    COSIGN_EXPERIMENTAL: '0',
    GOTRACEBACK: 'single',
  };
  for (const [k, v] of Object.entries(opts.extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
  durationMs: number;
}

export interface RunToolOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin. */
  input?: string | Buffer;
  /** Kill after this many ms (default 120 s). */
  timeoutMs?: number;
}

/** Redacts values that look like secrets (tokens, passwords) from a command line shown in messages. */
function showCommand(bin: string, args: string[]): string {
  const out: string[] = [bin];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const prev = args[i - 1] ?? '';
    if (/^--(identity-token|registry-password|password|creds|registry-token)$/.test(prev)) out.push('***');
    else out.push(a.replace(/^(--(identity-token|registry-password|password|creds|registry-token)=).*/, '$1***'));
  }
  return out.join(' ');
}

/** Runs a reference tool to completion (never throws on a non-zero exit: the exit code is part of the oracle). */
export function runTool(bin: string, args: string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  const command = showCommand(bin, args);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: opts.env ?? toolEnv(), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, command, durationMs: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Throws with the command, exit code and output when a run failed. */
export function assertToolOk(r: ToolResult): ToolResult {
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// flux

export interface FluxBuildOptions {
  /** `--ignore-paths` (replaces Flux's default list; flux-artifact.md §3.2). Undefined = Flux's default. */
  ignorePaths?: string[];
}

export interface FluxPushOptions extends FluxBuildOptions {
  source: string;
  revision: string;
  /** `--reproducible`: created = epoch (formatted in TZ, which toolEnv sets to UTC). Default true. */
  reproducible?: boolean;
  /** `--annotations k=v` (repeatable). */
  annotations?: Record<string, string>;
}

export interface FluxPushResult {
  /** `oci://<registry>/<repo>@sha256:…` */
  url: string;
  repository: string;
  tag: string;
  /** Manifest digest. */
  digest: string;
}

/** The Flux CLI's artifact commands (flux-artifact.md §2, §4, §5) against the plain-HTTP sandbox registry. */
export class FluxCli {
  constructor(
    readonly bin: string,
    readonly env: NodeJS.ProcessEnv = toolEnv(),
  ) {}

  private ignoreArgs(o: FluxBuildOptions): string[] {
    // `--ignore-paths=` with an empty value gives an empty slice, i.e. no ignores at all.
    return o.ignorePaths === undefined ? [] : [`--ignore-paths=${o.ignorePaths.join(',')}`];
  }

  /** `flux build artifact --path <path> --output <out>`: writes the layer .tgz. */
  async build(path: string, output: string, o: FluxBuildOptions = {}): Promise<ToolResult> {
    return assertToolOk(await runTool(this.bin, ['build', 'artifact', `--path=${path}`, `--output=${output}`, ...this.ignoreArgs(o)], { env: this.env }));
  }

  /** `flux push artifact oci://<ref> --path … --output json --insecure-registry` */
  async push(ref: string, path: string, o: FluxPushOptions): Promise<FluxPushResult> {
    const args = ['push', 'artifact', `oci://${ref}`, `--path=${path}`, `--source=${o.source}`, `--revision=${o.revision}`, '--insecure-registry', '--output=json', ...this.ignoreArgs(o)];
    if (o.reproducible !== false) args.push('--reproducible');
    for (const [k, v] of Object.entries(o.annotations ?? {})) args.push('--annotations', `${k}=${v}`);
    const r = assertToolOk(await runTool(this.bin, args, { env: this.env }));
    return JSON.parse(r.stdout) as FluxPushResult;
  }

  /** `flux pull artifact oci://<ref> --output <dir> --insecure-registry`; throws on failure. */
  async pull(ref: string, outDir: string): Promise<ToolResult> {
    return assertToolOk(await this.pullResult(ref, outDir));
  }

  /** Same as pull() but returns a failed run instead of throwing (Flux's refusals are part of the oracle). */
  pullResult(ref: string, outDir: string): Promise<ToolResult> {
    return runTool(this.bin, ['pull', 'artifact', `oci://${ref}`, `--output=${outDir}`, '--insecure-registry'], { env: this.env });
  }

  /** `flux diff artifact oci://<ref> --path <path>`: equal = exit 0 ("✔ no changes detected"), anything else exit 1. */
  async diff(ref: string, path: string, o: FluxBuildOptions = {}): Promise<ToolResult & { equal: boolean }> {
    const r = await runTool(this.bin, ['diff', 'artifact', `oci://${ref}`, `--path=${path}`, '--insecure-registry', ...this.ignoreArgs(o)], { env: this.env });
    return { ...r, equal: r.code === 0 };
  }

  /**
   * `flux tag artifact oci://<ref> --tag <t>…`. Flux 2.9 has no `--insecure-registry` on this command; ggcr talks plain
   * HTTP to loopback registries anyway (`name.Registry.Scheme()`), so the sandbox works without it.
   */
  async tag(ref: string, tags: string[]): Promise<ToolResult> {
    return assertToolOk(await runTool(this.bin, ['tag', 'artifact', `oci://${ref}`, ...tags.map((t) => `--tag=${t}`)], { env: this.env }));
  }

  async version(): Promise<string> {
    const r = assertToolOk(await runTool(this.bin, ['version', '--client'], { env: this.env }));
    return (r.stdout + r.stderr).trim();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// oras

export interface OrasFile {
  /** Path relative to the run's cwd (ORAS records it as the layer title). */
  path: string;
  mediaType?: string;
}

/** The ORAS CLI against the plain-HTTP sandbox registry (oci-distribution.md §4, §5). */
export class OrasCli {
  constructor(
    readonly bin: string,
    readonly env: NodeJS.ProcessEnv = toolEnv(),
  ) {}

  run(args: string[], cwd?: string): Promise<ToolResult> {
    return runTool(this.bin, args, { env: this.env, cwd });
  }

  /** `oras push --plain-http <ref> <files…>`; returns the manifest digest (from `--format json`). */
  async push(ref: string, files: OrasFile[], o: { cwd: string; artifactType?: string; annotations?: Record<string, string>; config?: OrasFile } ): Promise<{ digest: string; json: unknown }> {
    const args = ['push', '--plain-http', '--no-tty', '--format', 'json', ref];
    if (o.artifactType) args.push('--artifact-type', o.artifactType);
    if (o.config) args.push('--config', o.config.mediaType ? `${o.config.path}:${o.config.mediaType}` : o.config.path);
    for (const [k, v] of Object.entries(o.annotations ?? {})) args.push('--annotation', `${k}=${v}`);
    for (const f of files) args.push(f.mediaType ? `${f.path}:${f.mediaType}` : f.path);
    const r = assertToolOk(await this.run(args, o.cwd));
    const json = JSON.parse(r.stdout) as { digest: string };
    return { digest: json.digest, json };
  }

  /** `oras pull --plain-http <ref> -o <dir>` */
  async pull(ref: string, outDir: string): Promise<ToolResult> {
    return assertToolOk(await this.run(['pull', '--plain-http', '--no-tty', '-o', outDir, ref]));
  }

  /** `oras manifest fetch --plain-http <ref> --output -`: the exact manifest bytes as stored. */
  async manifestFetch(ref: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, ['manifest', 'fetch', '--plain-http', '--output', '-', ref], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`oras manifest fetch ${ref} exited ${code}: ${err}`))));
    });
  }

  /** `oras manifest push --plain-http --media-type <mt> <ref> <file>`: PUTs exactly these bytes; returns the digest. */
  async manifestPush(ref: string, bytes: Buffer, mediaType: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), 'd2-oras-manifest-'));
    const file = join(dir, 'manifest.json');
    writeFileSync(file, bytes);
    const r = assertToolOk(await this.run(['manifest', 'push', '--plain-http', '--descriptor', '--media-type', mediaType, ref, file]));
    return (JSON.parse(r.stdout) as { digest: string }).digest;
  }

  /** `oras blob fetch --plain-http <repo@digest> --output -`: the blob bytes. */
  async blobFetch(refWithDigest: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.bin, ['blob', 'fetch', '--plain-http', '--output', '-', refWithDigest], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`oras blob fetch ${refWithDigest} exited ${code}: ${err}`))));
    });
  }

  /** `oras manifest fetch --descriptor`: {mediaType, digest, size}. */
  async manifestDescriptor(ref: string): Promise<{ mediaType: string; digest: string; size: number }> {
    const r = assertToolOk(await this.run(['manifest', 'fetch', '--plain-http', '--descriptor', ref]));
    return JSON.parse(r.stdout) as { mediaType: string; digest: string; size: number };
  }

  /** `oras repo tags --plain-http <repo>` → tags (sorted as oras prints them). */
  async repoTags(repo: string): Promise<string[]> {
    const r = assertToolOk(await this.run(['repo', 'tags', '--plain-http', repo]));
    return r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }

  /** `oras discover --plain-http --format json <ref>`: the referrers tree (API or fallback tag schema). */
  async discover(ref: string, artifactType?: string): Promise<OrasDiscovery> {
    const args = ['discover', '--plain-http', '--format', 'json', ref];
    if (artifactType) args.push('--artifact-type', artifactType);
    const r = assertToolOk(await this.run(args));
    return JSON.parse(r.stdout) as OrasDiscovery;
  }

  /** `oras attach --plain-http --artifact-type <t> <subject> <files…>` */
  async attach(subject: string, artifactType: string, files: OrasFile[], cwd: string, annotations: Record<string, string> = {}): Promise<{ digest: string }> {
    const args = ['attach', '--plain-http', '--no-tty', '--format', 'json', '--artifact-type', artifactType, subject];
    for (const [k, v] of Object.entries(annotations)) args.push('--annotation', `${k}=${v}`);
    for (const f of files) args.push(f.mediaType ? `${f.path}:${f.mediaType}` : f.path);
    const r = assertToolOk(await this.run(args, cwd));
    return JSON.parse(r.stdout) as { digest: string };
  }
}

/** `oras discover --format json` output (ORAS 1.2+): the subject plus a tree of referrers. */
export interface OrasDiscovery {
  reference?: string;
  mediaType?: string;
  digest: string;
  size?: number;
  referrers?: OrasReferrer[];
  /** ORAS ≤ 1.1 used `manifests`. */
  manifests?: OrasReferrer[];
}

export interface OrasReferrer {
  reference?: string;
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  referrers?: OrasReferrer[];
}

// ---------------------------------------------------------------------------------------------------------------
// cosign

/**
 * What cosign needs to use the sandbox's Sigstore stand-in (cosign-signatures.md §5). Structurally a subset of
 * `SandboxSigstore` (sigstore.ts), so the stand-in itself can be passed.
 */
export interface SigstoreForTools {
  /** Fulcio base URL speaking the v1 API cosign uses (see startFulcioV1Bridge). */
  fulcioURL: string;
  rekorURL: string;
  /** trusted_root.json of the stand-in (CA, CT log and Rekor keys). */
  trustedRootPath: string;
}

/**
 * cosign (3.0.x and 2.x) requests certificates with Fulcio's legacy v1 API (`POST /api/v1/signingCert`, body
 * `{"publicKey":{"content":<base64 PEM>},"signedEmailAddress":<base64>}`, Bearer token; answer 201 with the PEM chain
 * and an `SCT` header, fulcio `pkg/api/client.go`), while `@sigstore/mock` serves only the v2 API
 * (`/api/v2/signingCert`, JSON in and out). This loopback bridge translates one request shape into the other; the
 * certificate is still issued by the stand-in's CA (with its embedded SCT, hence an empty `SCT` header). Written by
 * hand because no library offers a v1 front for the mock.
 */
export interface FulcioV1Bridge {
  url: string;
  /** Certificates issued through the bridge. */
  readonly issued: number;
  stop(): Promise<void>;
}

export async function startFulcioV1Bridge(fulcioV2URL: string): Promise<FulcioV1Bridge> {
  let issued = 0;
  const target = new URL('/api/v2/signingCert', fulcioV2URL);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(target.hostname)) throw new Error(`startFulcioV1Bridge: ${fulcioV2URL} is not a loopback URL`);
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const fail = (status: number, msg: string): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: status, message: msg }));
        };
        if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/api/v1/signingCert') return fail(404, `no such endpoint: ${req.method} ${req.url}`);
        const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (!token) return fail(401, 'missing bearer token');
        let v1: { publicKey?: { content?: string; algorithm?: string }; signedEmailAddress?: string };
        try {
          v1 = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof v1;
        } catch {
          return fail(400, 'body is not JSON');
        }
        if (!v1.publicKey?.content) return fail(400, 'publicKey.content is required (CSR requests are not bridged)');
        const v2 = {
          credentials: { oidcIdentityToken: token },
          publicKeyRequest: {
            publicKey: { algorithm: v1.publicKey.algorithm ?? 'ECDSA', content: Buffer.from(v1.publicKey.content, 'base64').toString('utf8') },
            proofOfPossession: v1.signedEmailAddress ?? '',
          },
        };
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v2) });
        const text = await upstream.text();
        if (upstream.status !== 201) return fail(upstream.status, text);
        const body = JSON.parse(text) as {
          signedCertificateEmbeddedSct?: { chain?: { certificates?: string[] } };
          signedCertificateDetachedSct?: { chain?: { certificates?: string[] }; signedCertificateTimestamp?: string };
        };
        const signed = body.signedCertificateEmbeddedSct ?? body.signedCertificateDetachedSct;
        const chain = signed?.chain?.certificates ?? [];
        if (chain.length === 0) return fail(502, 'upstream answered without a certificate chain');
        issued++;
        res.writeHead(201, { 'content-type': 'application/pem-certificate-chain', SCT: body.signedCertificateDetachedSct?.signedCertificateTimestamp ?? '' });
        res.end(chain.map((c) => (c.endsWith('\n') ? c : c + '\n')).join(''));
      })().catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(err instanceof Error ? err.message : String(err));
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get issued() {
      return issued;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export interface CosignSignOptions {
  identityToken: string;
  /**
   * `bundle`: cosign 3's default new bundle format (DSSE referrer); `legacy`: `--new-bundle-format=false`, the
   * `sha256-<hex>.sig` tag (cosign-signatures.md §1, §2).
   */
  format: 'legacy' | 'bundle';
}

export interface CosignVerifyOptions {
  identityRegexp: string;
  issuerRegexp: string;
  /**
   * cosign 3: `--new-bundle-format=<v>` (auto-detected when unset). cosign 2: true adds `--trusted-root`, which its
   * auto-detected bundle path needs.
   */
  newBundleFormat?: boolean;
}

export interface TrustPems {
  /** Fulcio root(s) and intermediates, PEM. */
  fulcioPem: string;
  rekorPem: string;
  ctlogPem: string;
}

interface TrustedRootJson {
  tlogs?: { publicKey?: { rawBytes?: string } }[];
  ctlogs?: { publicKey?: { rawBytes?: string } }[];
  certificateAuthorities?: { certChain?: { certificates?: { rawBytes?: string }[] } }[];
}

function pem(label: string, b64: string): string {
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * PEM files for cosign 2's legacy trust variables (SIGSTORE_ROOT_FILE, SIGSTORE_REKOR_PUBLIC_KEY,
 * SIGSTORE_CT_LOG_PUBLIC_KEY_FILE; cosign-signatures.md §5.3), derived from the same trusted_root.json, written next to it.
 */
export function trustPemsFromTrustedRoot(trustedRootPath: string, outDir: string): TrustPems {
  const root = JSON.parse(readFileSync(trustedRootPath, 'utf8')) as TrustedRootJson;
  const certs = (root.certificateAuthorities ?? []).flatMap((ca) => ca.certChain?.certificates ?? []).map((c) => c.rawBytes).filter((s): s is string => !!s);
  const rekor = (root.tlogs ?? []).map((t) => t.publicKey?.rawBytes).filter((s): s is string => !!s);
  const ct = (root.ctlogs ?? []).map((t) => t.publicKey?.rawBytes).filter((s): s is string => !!s);
  if (certs.length === 0 || rekor.length === 0 || ct.length === 0) {
    throw new Error(`${trustedRootPath}: needs a certificate authority, a tlog and a ctlog key for cosign 2's SIGSTORE_* variables`);
  }
  // Sanity: the CA entries must parse as X.509.
  for (const c of certs) new X509Certificate(Buffer.from(c, 'base64'));
  mkdirSync(outDir, { recursive: true });
  const out: TrustPems = { fulcioPem: join(outDir, 'fulcio.pem'), rekorPem: join(outDir, 'rekor.pub'), ctlogPem: join(outDir, 'ctlog.pub') };
  writeFileSync(out.fulcioPem, certs.map((c) => pem('CERTIFICATE', c)).join(''));
  writeFileSync(out.rekorPem, pem('PUBLIC KEY', rekor[0]));
  writeFileSync(out.ctlogPem, pem('PUBLIC KEY', ct[0]));
  return out;
}

/**
 * cosign (3.x, or 2.x with `major: 2`) pointed at the sandbox: plain-HTTP registry, the stand-in's Fulcio/Rekor and
 * trusted root, an explicit identity token, no TUF (cosign 3: `--trusted-root`; cosign 2: SIGSTORE_* PEM variables).
 */
export class CosignCli {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly bin: string,
    readonly sigstore: SigstoreForTools,
    readonly major: 2 | 3 = 3,
    env: NodeJS.ProcessEnv = toolEnv(),
  ) {
    const pemDir = mkdtempSync(join(tmpdir(), 'd2-cosign-trust-'));
    const pems = trustPemsFromTrustedRoot(sigstore.trustedRootPath, pemDir);
    this.env = {
      ...env,
      // Both majors: verify Fulcio's SCT with the stand-in's CT key instead of fetching TUF targets.
      SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: pems.ctlogPem,
      ...(major === 2 ? { SIGSTORE_ROOT_FILE: pems.fulcioPem, SIGSTORE_REKOR_PUBLIC_KEY: pems.rekorPem } : {}),
    };
  }

  private registryArgs(): string[] {
    return ['--allow-insecure-registry', '--allow-http-registry'];
  }

  /** `cosign sign <image@digest>` with the stand-in; the exit code and output are returned, not thrown. */
  sign(imageRef: string, o: CosignSignOptions): Promise<ToolResult> {
    // cosign treats --identity-token as a file when it can stat it, and fails on a long JWT ("file name too long"):
    // pass a 0600 file (also keeps the token out of the process list).
    const tokenFile = join(mkdtempSync(join(tmpdir(), 'd2-cosign-token-')), 'token');
    writeFileSync(tokenFile, o.identityToken, { mode: 0o600 });
    const args = ['sign', '--yes', ...this.registryArgs(), `--fulcio-url=${this.sigstore.fulcioURL}`, `--rekor-url=${this.sigstore.rekorURL}`, `--identity-token=${tokenFile}`];
    if (this.major === 3) {
      args.push('--use-signing-config=false', `--trusted-root=${this.sigstore.trustedRootPath}`, `--new-bundle-format=${o.format === 'bundle'}`);
    } else if (o.format === 'bundle') {
      throw new Error('cosign 2 signs only the legacy .sig format here (its bundle format is not a referrer)');
    }
    args.push(imageRef);
    return runTool(this.bin, args, { env: this.env });
  }

  /** `cosign verify <image@digest>` with identity and issuer regexps; exit 0 = accepted. */
  verify(imageRef: string, o: CosignVerifyOptions): Promise<ToolResult> {
    const args = ['verify', ...this.registryArgs(), `--certificate-identity-regexp=${o.identityRegexp}`, `--certificate-oidc-issuer-regexp=${o.issuerRegexp}`, '--output=json'];
    if (this.major === 3) {
      args.push(`--trusted-root=${this.sigstore.trustedRootPath}`);
      if (o.newBundleFormat !== undefined) args.push(`--new-bundle-format=${o.newBundleFormat}`);
    } else {
      args.push(`--rekor-url=${this.sigstore.rekorURL}`);
      // (observed) cosign 2.6.5 also switches to a bundle referrer when one exists (GetBundles in verify.go) and then
      // needs the trusted root; SIGSTORE_* variables serve only its legacy path. Pass it when a bundle is expected.
      if (o.newBundleFormat) args.push(`--trusted-root=${this.sigstore.trustedRootPath}`);
    }
    args.push(imageRef);
    return runTool(this.bin, args, { env: this.env });
  }

  async version(): Promise<string> {
    const r = await runTool(this.bin, ['version'], { env: this.env });
    return (r.stdout + r.stderr).trim();
  }
}

/** sha256:<hex> of bytes (convenience for comparing tool output). */
export function sha256Digest(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
