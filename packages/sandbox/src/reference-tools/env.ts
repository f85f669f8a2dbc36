import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EgressGuard } from './egress-guard.js';

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
 * `--reproducible` formats the epoch in local time), umask is the caller's, a fresh HOME with an
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
