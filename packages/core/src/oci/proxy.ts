/**
 * HTTP(S) proxy selection for the registry client: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the curl and Go
 * `httpproxy` conventions) or an explicit `proxy` option. Written by hand because the npm proxy agents
 * (https-proxy-agent, proxy-agent, undici's ProxyAgent) would be new runtime dependencies for what is a small
 * selection function plus a CONNECT tunnel (transport.ts); @actions/http-client is built on its own client, not on
 * the node:http agents transport.ts uses.
 */
import { BlockList, isIP } from 'node:net';
import { InputError } from '../errors.js';
import { redactUrl } from '../util/index.js';
import { isLoopback } from './references.js';

export interface ProxyOptions {
  /** Proxy URL, `http://[user:password@]host:port` (https:// for a TLS proxy). Used for http and https targets. */
  url: string;
  /** Hosts that bypass the proxy, NO_PROXY syntax (`*`, `host`, `.suffix`, `suffix`, `host:port`, IP, CIDR). */
  noProxy?: string[];
  /**
   * Also proxy loopback targets (127.0.0.0/8, localhost, [::1]). Default false: loopback registries are always
   * reached directly, whatever the proxy settings, unless they are listed here (true: all loopback hosts).
   */
  loopback?: boolean | string[];
}

/** A proxy chosen for one target URL. */
export interface ProxyRoute {
  /** The proxy URL without credentials. */
  url: URL;
  /** `Basic …` from the proxy URL's userinfo; never logged. */
  authorization?: string;
  /** Origin of the proxy without credentials, for logs and errors. */
  display: string;
}

interface NoProxyEntry {
  host: string;
  port?: string;
  suffixOnly: boolean;
}

function parseProxyUrl(raw: string, source: string): ProxyRoute {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new InputError(`${source} '${redactUrl(text)}' is not a valid proxy URL`, 'use http://[user:password@]host:port');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(`${source} '${redactUrl(text)}' uses the unsupported proxy scheme ${url.protocol}`, 'use an http:// (or https://) proxy; SOCKS proxies are not supported');
  }
  const authorization = url.username || url.password
    ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
    : undefined;
  const clean = new URL(url.origin);
  return { url: clean, authorization, display: clean.origin };
}

/** Parses a NO_PROXY list (comma or whitespace separated). */
function parseNoProxy(items: string[]): { all: boolean; entries: NoProxyEntry[]; cidrs: BlockList } {
  const entries: NoProxyEntry[] = [];
  const cidrs = new BlockList();
  let all = false;
  for (const raw of items.flatMap((s) => s.split(/[\s,]+/))) {
    let item = raw.trim().toLowerCase();
    if (!item) continue;
    if (item === '*') {
      all = true;
      continue;
    }
    const slash = item.indexOf('/');
    if (slash > 0) {
      const ip = item.slice(0, slash).replace(/^\[|\]$/g, '');
      const prefix = Number(item.slice(slash + 1));
      const family = isIP(ip);
      if (family && Number.isInteger(prefix)) cidrs.addSubnet(ip, prefix, family === 6 ? 'ipv6' : 'ipv4');
      continue;
    }
    let port: string | undefined;
    const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(item);
    if (m) {
      item = m[1];
      port = m[2];
    } else if (isIP(item) !== 6) {
      const i = item.lastIndexOf(':');
      if (i > 0 && /^\d+$/.test(item.slice(i + 1))) {
        port = item.slice(i + 1);
        item = item.slice(0, i);
      }
    }
    // `.example.com` and `*.example.com`: subdomains only; `example.com`: the domain and its subdomains (Go's rule).
    const suffixOnly = item.startsWith('.') || item.startsWith('*.');
    entries.push({ host: item.replace(/^\*?\./, ''), port, suffixOnly });
  }
  return { all, entries, cidrs };
}

function defaultPort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

/** host of a URL without IPv6 brackets, lower case. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/**
 * Chooses the proxy for each request URL. Re-evaluated per request, so a redirect to another host gets its own
 * NO_PROXY decision.
 */
export class ProxyResolver {
  private readonly http?: ProxyRoute;
  private readonly https?: ProxyRoute;
  private readonly noProxy: ReturnType<typeof parseNoProxy>;
  private readonly loopback: boolean | string[];

  constructor(option: ProxyOptions | false | undefined, env: Record<string, string | undefined> = process.env) {
    if (option === false) {
      this.noProxy = parseNoProxy([]);
      this.loopback = false;
      return;
    }
    if (option) {
      const route = parseProxyUrl(option.url, 'the proxy option');
      this.http = route;
      this.https = route;
      this.noProxy = parseNoProxy(option.noProxy ?? []);
      this.loopback = option.loopback ?? false;
      return;
    }
    // Lower case first, as curl, Go and @actions/http-client do.
    const pick = (name: string): [string, string] | undefined => {
      for (const n of [name.toLowerCase(), name]) {
        const v = env[n];
        if (v && v.trim()) return [v, n];
      }
      return undefined;
    };
    const https = pick('HTTPS_PROXY');
    const http = pick('HTTP_PROXY');
    if (https) this.https = parseProxyUrl(https[0], https[1]);
    if (http) this.http = parseProxyUrl(http[0], http[1]);
    this.noProxy = parseNoProxy([pick('NO_PROXY')?.[0] ?? '']);
    this.loopback = false;
  }

  /** The proxy for `target`, or undefined to connect directly. */
  resolve(target: URL): ProxyRoute | undefined {
    const route = target.protocol === 'https:' ? this.https : target.protocol === 'http:' ? this.http : undefined;
    if (!route) return undefined;
    const host = bareHost(target);
    const port = defaultPort(target);
    if (isLoopback(target.host) || host === '::1') {
      const allowed = this.loopback === true || (Array.isArray(this.loopback) && this.loopback.some((h) => {
        const l = h.toLowerCase();
        return l === target.host.toLowerCase() || l === host || l === `[${host}]`;
      }));
      if (!allowed) return undefined;
    }
    if (this.bypass(host, port)) return undefined;
    return route;
  }

  private bypass(host: string, port: string): boolean {
    const { all, entries, cidrs } = this.noProxy;
    if (all) return true;
    const family = isIP(host);
    if (family && cidrs.check(host, family === 6 ? 'ipv6' : 'ipv4')) return true;
    return entries.some((e) => {
      if (e.port && e.port !== port) return false;
      if (family) return e.host === host;
      if (e.suffixOnly) return host.endsWith(`.${e.host}`);
      return host === e.host || host.endsWith(`.${e.host}`);
    });
  }
}
