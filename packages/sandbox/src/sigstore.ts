/**
 * Sigstore stand-in for tests, benchmarks and the demo: the `@sigstore/mock` Fulcio, Rekor v1 and TSA handlers behind
 * a real loopback `node:http` server, plus a generated `trusted_root.json` that a real verifier (`@sigstore/verify`,
 * our verify module, cosign v3 `--trusted-root`) can use (docs/signing.md, "The Sigstore stand-in (sandbox)").
 *
 * - Fulcio (`/api/v2/signingCert`): the mock CA is created WITH a CT log, so leaf certificates carry an embedded SCT.
 *   The SAN is taken from the token claim {@link SAN_CLAIM}, which the sandbox OIDC endpoint (oidc.ts) fills with
 *   `https://github.com/` + `job_workflow_ref`, as real Fulcio does for GitHub Actions. The mock never verifies
 *   the JWT signature.
 * - Rekor v1 (`/api/v1/log/entries`): SET over canonical {body, integratedTime, logID, logIndex}, one-leaf inclusion
 *   proof. The mock stores a `dsse` proposal unrewritten, which no verifier accepts; the stand-in
 *   therefore does what real Rekor does first (rekor `pkg/types/dsse/v0.0.1` Unmarshal/Canonicalize): verify the
 *   envelope with the proposed verifier and replace the proposal by {envelopeHash, payloadHash, signatures}. So `dsse`
 *   (cosign's and sigstore-js' default) works here end to end; `intoto` still works too.
 * - TSA (`/api/v1/timestamp`), optional.
 * One P-256 key pair serves CA, CT log, tlog and TSA (as sigstore-js' mock-server does).
 */
import { createHash, createPublicKey, generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fulcioHandler, initializeCA, initializeCTLog, initializeTLog, initializeTSA, rekorHandler, tsaHandler, type HandlerFn } from '@sigstore/mock';
import { listenLoopback } from './process.js';

/** The JWT claim the stand-in Fulcio copies into the certificate SAN (URI). */
export const SAN_CLAIM = 'san';

export type SigstoreService = 'fulcio' | 'rekor' | 'tsa';

export interface SigstoreOptions {
  /** Also serve a timestamp authority (and list it in the trusted root). Default false. */
  tsa?: boolean;
  /**
   * Fixed clock for the CA (certificate notBefore; validity 10 minutes). A clock in the past yields certificates
   * that have expired before Rekor's integratedTime: the "expired certificate" case of cosign's CheckExpiry.
   */
  caClock?: Date;
  /** Fixed clock for Rekor's integratedTime. */
  tlogClock?: Date;
  /** validFor.start of every trusted-root entry; default 60 s before start-up, so that signing times are inside it. */
  validFrom?: Date;
}

/** `trusted_root.json` in its protobuf-JSON form (camelCase, bytes as base64). */
export interface TrustedRootJSON {
  mediaType: string;
  tlogs: TransparencyLogJSON[];
  certificateAuthorities: CertificateAuthorityJSON[];
  ctlogs: TransparencyLogJSON[];
  timestampAuthorities: CertificateAuthorityJSON[];
}

export interface TransparencyLogJSON {
  baseUrl: string;
  hashAlgorithm: 'SHA2_256';
  publicKey: { rawBytes: string; keyDetails: 'PKIX_ECDSA_P256_SHA_256'; validFor: { start: string } };
  logId: { keyId: string };
}

export interface CertificateAuthorityJSON {
  subject: { organization: string; commonName: string };
  uri: string;
  certChain: { certificates: { rawBytes: string }[] };
  validFor: { start: string };
}

export interface SandboxSigstore {
  /** Base URL of the single server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  fulcioURL: string;
  rekorURL: string;
  tsaURL?: string;
  trustedRoot: TrustedRootJSON;
  /** The trusted root written to a temp dir (removed by stop()). */
  trustedRootPath: string;
  /** PEM of the CA root (the issuer of every leaf). */
  caRootPem: string;
  /** Requests served per service (including forced failures). */
  readonly requests: Record<SigstoreService, number>;
  /** The next `n` calls to Fulcio answer `status` (default 500) instead of a certificate. */
  failFulcio(n?: number, status?: number): void;
  /** The next `n` calls to Rekor answer `status` (default 500). */
  failRekor(n?: number, status?: number): void;
  stop(): Promise<void>;
}

interface Route {
  service: SigstoreService;
  fn: HandlerFn;
}

/** Starts the stand-in on 127.0.0.1 with a free port. */
export async function startSigstore(opts: SigstoreOptions = {}): Promise<SandboxSigstore> {
  const keyPair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const validFrom = (opts.validFrom ?? new Date(Date.now() - 60_000)).toISOString();

  const server = createServer();
  const port = await listenLoopback(server);
  const url = `http://127.0.0.1:${port}`;

  const ctlog = await initializeCTLog(keyPair, opts.caClock);
  const ca = await initializeCA(keyPair, ctlog, opts.caClock);
  const tlog = await initializeTLog(url, keyPair, opts.tlogClock);
  const tsa = opts.tsa ? await initializeTSA(keyPair, opts.tlogClock) : undefined;

  const routes = new Map<string, Route>();
  const fulcio = fulcioHandler(ca, { strict: true, subjectClaim: SAN_CLAIM });
  routes.set(fulcio.path, { service: 'fulcio', fn: fulcio.fn });
  const rekor = rekorHandler(tlog, { strict: true });
  routes.set(rekor.path, { service: 'rekor', fn: rekor.fn });
  if (tsa) {
    const ts = tsaHandler(tsa, { strict: true });
    routes.set(ts.path, { service: 'tsa', fn: ts.fn });
  }

  const requests: Record<SigstoreService, number> = { fulcio: 0, rekor: 0, tsa: 0 };
  const failures: Record<SigstoreService, { n: number; status: number }> = {
    fulcio: { n: 0, status: 500 },
    rekor: { n: 0, status: 500 },
    tsa: { n: 0, status: 500 },
  };

  const trustedRoot: TrustedRootJSON = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [transparencyLog(tlog.publicKey, url, validFrom)],
    certificateAuthorities: [certificateAuthority([bytes(ca.rootCertificate)], url, validFrom)],
    ctlogs: [transparencyLog(ctlog.publicKey, url, validFrom)],
    timestampAuthorities: tsa
      ? [certificateAuthority([bytes(tsa.intCertificate), bytes(tsa.rootCertificate)], url, validFrom)]
      : [],
  };
  const dir = mkdtempSync(join(tmpdir(), 'd2-sigstore-'));
  const trustedRootPath = join(dir, 'trusted_root.json');
  writeFileSync(trustedRootPath, JSON.stringify(trustedRoot, null, 2) + '\n');

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(err instanceof Error ? err.message : String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/trusted_root.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(trustedRoot));
      return;
    }
    const route = routes.get(path);
    if (!route || req.method !== 'POST') {
      await readBody(req);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, message: `no such endpoint: ${req.method} ${path}` }));
      return;
    }
    let body = await readBody(req);
    requests[route.service]++;
    const failure = failures[route.service];
    if (failure.n > 0) {
      failure.n--;
      res.writeHead(failure.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: failure.status, message: `sandbox: forced ${route.service} failure` }));
      return;
    }
    if (route.service === 'fulcio') body = withDerivedSan(body);
    if (route.service === 'rekor') {
      const rewritten = canonicalDsseProposal(body);
      if (rewritten instanceof Error) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 400, message: rewritten.message }));
        return;
      }
      body = rewritten;
    }
    let result = await route.fn(body);
    // @sigstore/mock's TSA encodes genTime with the milliseconds' trailing zeros dropped (".12Z"), which sigstore-js
    // (@sigstore/core) cannot parse: about 1 timestamp in 10. Ask the mock again until the time has 0 or 3 digits.
    for (let i = 0; route.service === 'tsa' && i < 10 && !tsaTimeParsable(result.response); i++) result = await route.fn(body);
    const headers: Record<string, string> = {};
    if (result.contentType) headers['content-type'] = result.contentType;
    res.writeHead(result.statusCode, headers);
    res.end(typeof result.response === 'string' ? result.response : bytes(result.response));
  }

  let stopped = false;
  return {
    url,
    fulcioURL: url,
    rekorURL: url,
    tsaURL: tsa ? url : undefined,
    trustedRoot,
    trustedRootPath,
    caRootPem: toPem(bytes(ca.rootCertificate)),
    requests,
    failFulcio(n = 1, status = 500) {
      failures.fulcio = { n, status };
    },
    failRekor(n = 1, status = 500) {
      failures.rekor = { n, status };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await closeServer(server);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function transparencyLog(spkiDer: Buffer, url: string, start: string): TransparencyLogJSON {
  return {
    baseUrl: url,
    hashAlgorithm: 'SHA2_256',
    publicKey: { rawBytes: spkiDer.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
    logId: { keyId: createHash('sha256').update(spkiDer).digest('base64') },
  };
}

function certificateAuthority(chain: Buffer[], url: string, start: string): CertificateAuthorityJSON {
  return {
    subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
    uri: url,
    certChain: { certificates: chain.map((c) => ({ rawBytes: c.toString('base64') })) },
    validFor: { start },
  };
}

/**
 * Real Rekor's treatment of a `dsse` v0.0.1 proposal: every envelope signature must verify with one of the proposed
 * verifiers (PEM, base64), then the entry is stored as {envelopeHash: sha256(envelope string), payloadHash:
 * sha256(payload), signatures: [{signature, verifier}] sorted by signature}. Other kinds pass through unchanged.
 * Written by hand: the mock has no such step and no library offers one.
 */
function canonicalDsseProposal(body: string): string | Error {
  let entry: { kind?: string; apiVersion?: string; spec?: { proposedContent?: { envelope?: string; verifiers?: string[] } } };
  try {
    entry = JSON.parse(body) as typeof entry;
  } catch {
    return body; // let the mock answer the parse error
  }
  const proposed = entry.spec?.proposedContent;
  if (entry.kind !== 'dsse' || !proposed?.envelope) return body;
  let env: { payload?: string; payloadType?: string; signatures?: { sig?: string }[] };
  try {
    env = JSON.parse(proposed.envelope) as typeof env;
  } catch {
    return new Error('proposedContent.envelope is not a DSSE envelope');
  }
  const payload = Buffer.from(env.payload ?? '', 'base64');
  const type = env.payloadType ?? '';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${payload.length} `), payload]);
  const verifiers = (proposed.verifiers ?? []).map((v) => Buffer.from(v, 'base64').toString('utf8'));
  const signatures: { signature: string; verifier: string }[] = [];
  for (const s of env.signatures ?? []) {
    const sig = Buffer.from(s.sig ?? '', 'base64');
    const verifier = verifiers.find((pem) => {
      try {
        return verifySignature('sha256', pae, createPublicKey(pem), sig);
      } catch {
        return false;
      }
    });
    if (!verifier) return new Error('all signatures must have a key that verifies it');
    signatures.push({ signature: s.sig ?? '', verifier: Buffer.from(verifier).toString('base64') });
  }
  if (!signatures.length) return new Error('the envelope has no signatures');
  signatures.sort((a, b) => (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0));
  const sha256hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
  return JSON.stringify({
    apiVersion: entry.apiVersion ?? '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256hex(proposed.envelope) },
      payloadHash: { algorithm: 'sha256', value: sha256hex(payload) },
      signatures,
    },
  });
}

/** Whether every DER GeneralizedTime in `der` has 0 or 3 fractional digits (what @sigstore/core accepts). */
function tsaTimeParsable(der: string | ArrayBufferView): boolean {
  const buf = typeof der === 'string' ? Buffer.from(der) : bytes(der);
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] !== 0x18) continue;
    const len = buf[i + 1];
    const text = buf.subarray(i + 2, i + 2 + len).toString('latin1');
    const m = /^\d{14}(?:\.(\d+))?Z$/.exec(text);
    if (m && m[1] !== undefined && m[1].length !== 3) return false;
  }
  return true;
}

function bytes(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * Real Fulcio derives the SAN from the token's claims by issuer type; the mock copies one claim ({@link SAN_CLAIM}).
 * For a GitLab CI token (a `ci_config_ref_uri` claim and no SAN claim) the stand-in derives it as Fulcio's GitLab
 * ci-provider does, `https://` + `ci_config_ref_uri`, and hands the mock a token carrying it (the mock does not check
 * the token's signature, so re-encoding the payload is enough). GitHub tokens from the sandbox issuer already carry it.
 */
function withDerivedSan(body: string): string {
  let request: { credentials?: { oidcIdentityToken?: string } };
  try {
    request = JSON.parse(body) as typeof request;
  } catch {
    return body;
  }
  const token = request.credentials?.oidcIdentityToken;
  const parts = token?.split('.');
  if (!token || !parts || parts.length !== 3) return body;
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return body;
  }
  if (claims[SAN_CLAIM] !== undefined || typeof claims.ci_config_ref_uri !== 'string') return body;
  claims[SAN_CLAIM] = `https://${claims.ci_config_ref_uri}`;
  const rewritten = `${parts[0]}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${parts[2]}`;
  return JSON.stringify({ ...request, credentials: { ...request.credentials, oidcIdentityToken: rewritten } });
}
