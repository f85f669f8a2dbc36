/**
 * The sandbox OCI registry: the real CNCF distribution binary (`docker-registry serve <generated config>`) on
 * 127.0.0.1 and a free port, with filesystem storage in a temp dir and deletes enabled, in three auth modes
 * (docs/registry-client.md, "Sandbox"):
 *  - `anonymous`: no auth;
 *  - `htpasswd`: Basic auth from a bcrypt file written with `htpasswd -Bbn`, relative Location URLs by default;
 *  - `token`: Bearer token auth against our token server (token-server.ts) with an openssl self-signed cert.
 *
 * distribution's htpasswd mode has no notion of a read-only user (every valid user may push). So that tests can
 * see a real "denied" failure in that mode too, read-only users are enforced by a small loopback gate in front of
 * the registry that answers writes by a read-only user with 403 `DENIED` (the answer GHCR and Docker Hub give).
 * Everything else is passed through unchanged, Host header included, so distribution's absolute Locations point at
 * the gate.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passThrough } from './http-util.js';
import { freePort, ManagedProcess, waitFor, listenLoopback } from './process.js';
import { startTokenServer, type SandboxUser, type TokenIssuance, type TokenServer } from './token-server.js';

export type { SandboxUser, TokenIssuance } from './token-server.js';

export type RegistryAuthMode = 'anonymous' | 'htpasswd' | 'token';

export interface StartRegistryOptions {
  auth?: RegistryAuthMode;
  /** Users (htpasswd and token modes). Default: testuser/testpass and the read-only reader/readpass. */
  users?: SandboxUser[];
  /** distribution's `http.relativeurls` (relative upload Locations). Default: true in htpasswd mode, else false. */
  relativeUrls?: boolean;
  /** Where config, storage, keys and docker configs go. Default: a fresh temp dir, removed by stop(). */
  workDir?: string;
  /**
   * Token mode: the realm distribution advertises in its challenges, when a front server (a cloud stand-in) answers
   * token requests itself and forwards accepted ones to the token server. Default: the token server's own URL.
   */
  tokenRealm?: string;
}

export interface SandboxRegistry {
  mode: RegistryAuthMode;
  /** 127.0.0.1:PORT */
  host: string;
  /** http://127.0.0.1:PORT */
  url: string;
  users: SandboxUser[];
  workDir: string;
  /** The distribution process (benchmarks count its CPU time: it shares the machine's cores with what they measure). */
  pid: number;
  /** Token mode only: the token server's realm URL, the issuance counter and log. */
  tokenServer?: { url: string; readonly issued: number; log: TokenIssuance[] };
  /**
   * A docker config.json (`auths` with base64 `auth` for `user`, default the first non-read-only user) written to a
   * temp dir; returns that dir (for DOCKER_CONFIG).
   */
  dockerConfigDir(user?: SandboxUser): string;
  stop(): Promise<void>;
}

export const DEFAULT_USERS: readonly SandboxUser[] = Object.freeze([
  { username: 'testuser', password: 'testpass' },
  { username: 'reader', password: 'readpass', readOnly: true },
]);

export const TOKEN_SERVICE = 'test-registry';
export const TOKEN_ISSUER = 'test-issuer';

/** Answers GET /v2/ with any HTTP status (200 or 401 both mean "up"). */
function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/v2/`, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function basicUser(req: IncomingMessage, users: SandboxUser[]): SandboxUser | undefined {
  const m = /^basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  const u = users.find((x) => x.username === decoded.slice(0, i));
  return u && u.password === decoded.slice(i + 1) ? u : undefined;
}

/** The read-only gate for htpasswd mode (see the file comment). */
async function startReadOnlyGate(upstreamPort: number, users: SandboxUser[]): Promise<{ port: number; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const user = basicUser(req, users);
    if (user?.readOnly && req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8', 'docker-distribution-api-version': 'registry/2.0' });
      res.end(JSON.stringify({ errors: [{ code: 'DENIED', message: 'requested access to the resource is denied', detail: `user '${user.username}' is read-only` }] }) + '\n');
      return;
    }
    passThrough(req, res, upstreamPort);
  });
  const port = await listenLoopback(server);
  return { port, server };
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<SandboxRegistry> {
  const mode: RegistryAuthMode = opts.auth ?? 'anonymous';
  const users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
  const ownWorkDir = opts.workDir === undefined;
  const workDir = opts.workDir ?? mkdtempSync(join(tmpdir(), `d2-registry-${mode}-`));
  mkdirSync(join(workDir, 'data'), { recursive: true });
  const relativeUrls = opts.relativeUrls ?? mode === 'htpasswd';

  let tokenServer: TokenServer | undefined;
  let gate: Server | undefined;
  let proc: ManagedProcess | undefined;

  const cleanup = async () => {
    await proc?.stop();
    await tokenServer?.stop();
    if (gate) {
      const g = gate;
      await new Promise<void>((r) => {
        g.close(() => r());
        g.closeAllConnections();
      });
    }
    if (ownWorkDir) rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    let authYaml = '';
    if (mode === 'htpasswd') {
      const lines = users.map((u) => execFileSync('htpasswd', ['-Bbn', u.username, u.password], { encoding: 'utf8' }).trim());
      writeFileSync(join(workDir, 'htpasswd'), lines.join('\n') + '\n', { mode: 0o600 });
      authYaml = `auth:\n  htpasswd:\n    realm: basic-realm\n    path: ${join(workDir, 'htpasswd')}\n`;
    } else if (mode === 'token') {
      const keyPath = join(workDir, 'key.pem');
      const certPath = join(workDir, 'cert.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=test-token-issuer'], { stdio: 'pipe' });
      tokenServer = await startTokenServer({
        users,
        keyPem: readFileSync(keyPath, 'utf8'),
        certPem: readFileSync(certPath, 'utf8'),
        issuer: TOKEN_ISSUER,
        service: TOKEN_SERVICE,
      });
      authYaml = `auth:\n  token:\n    realm: ${opts.tokenRealm ?? tokenServer.url}\n    service: ${TOKEN_SERVICE}\n    issuer: ${TOKEN_ISSUER}\n    rootcertbundle: ${certPath}\n`;
    } else if (mode !== 'anonymous') {
      throw new Error(`startRegistry: unknown auth mode '${String(mode)}'`);
    }

    const config =
      `version: 0.1\n` +
      `log:\n  level: warn\n  accesslog:\n    disabled: true\n` +
      `storage:\n  filesystem:\n    rootdirectory: ${join(workDir, 'data')}\n  delete:\n    enabled: true\n` +
      `http:\n  addr: 127.0.0.1:${port}\n  secret: d2-sandbox-fixed-http-secret\n  relativeurls: ${relativeUrls}\n` +
      authYaml;
    const configPath = join(workDir, 'config.yml');
    writeFileSync(configPath, config);

    proc = ManagedProcess.start('docker-registry', 'docker-registry', ['serve', configPath], { cwd: workDir });
    // If the test process exits without stop() (a crashed suite), do not leave the registry running.
    const child = proc.child;
    const onExit = () => child.kill('SIGKILL');
    process.once('exit', onExit);
    child.once('exit', () => process.removeListener('exit', onExit));
    const direct = `http://127.0.0.1:${port}`;
    await waitFor('docker-registry', () => probe(direct), 15_000, proc);

    let publicPort = port;
    if (mode === 'htpasswd' && users.some((u) => u.readOnly)) {
      const g = await startReadOnlyGate(port, users);
      gate = g.server;
      publicPort = g.port;
    }

    const host = `127.0.0.1:${publicPort}`;
    let configCount = 0;
    const ts = tokenServer;
    return {
      mode,
      host,
      url: `http://${host}`,
      users,
      workDir,
      pid: proc.child.pid as number,
      tokenServer: ts,
      dockerConfigDir(user?: SandboxUser): string {
        const u = user ?? users.find((x) => !x.readOnly);
        if (!u) throw new Error('dockerConfigDir: no non-read-only user');
        const dir = join(workDir, `docker-config-${++configCount}`);
        mkdirSync(dir, { recursive: true });
        const auth = Buffer.from(`${u.username}:${u.password}`).toString('base64');
        writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: { [host]: { auth } } }, null, 2) + '\n', { mode: 0o600 });
        return dir;
      },
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
