import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOidc, type SandboxOidc } from '../src/oidc.js';
import { startSigstore, type SandboxSigstore } from '../src/sigstore.js';

// docs/signing.md "The Sigstore stand-in (sandbox)": the stand-in is a real loopback HTTP server around the @sigstore/mock handlers.
describe('Sigstore stand-in and Actions-like OIDC endpoint', () => {
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  beforeAll(async () => {
    sigstore = await startSigstore({ tsa: true });
    oidc = await startOidc();
  });
  afterAll(async () => {
    await sigstore?.stop();
    await oidc?.stop();
  });

  const ctx = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main', sha: 'a'.repeat(40) };

  it('serves tokens with GitHub claims to the bearer of the request token only', async () => {
    const env = oidc.envFor(ctx);
    const bad = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sigstore`, { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
    const res = await fetch(`${env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sigstore`, { headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` } });
    expect(res.status).toBe(200);
    const { value } = (await res.json()) as { value: string };
    const claims = JSON.parse(Buffer.from(value.split('.')[1], 'base64url').toString()) as Record<string, string>;
    expect(claims.iss).toBe('https://token.actions.githubusercontent.com');
    expect(claims.aud).toBe('sigstore');
    expect(claims.sub).toBe('repo:acme/app:ref:refs/heads/main');
    expect(claims.job_workflow_ref).toBe('acme/app/.github/workflows/push-artifact.yaml@refs/heads/main');
    expect(claims.sha).toBe(ctx.sha);
    expect(claims.repository_owner).toBe('acme');
    expect(oidc.expectedIdentity(ctx)).toBe('https://github.com/acme/app/.github/workflows/push-artifact.yaml@refs/heads/main');
  });

  it('issues a Fulcio leaf whose SAN is https://github.com/ + job_workflow_ref, chained to the trusted root, with an SCT', async () => {
    const token = oidc.issueToken(ctx);
    const { publicKey } = await import('node:crypto').then((c) => c.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const res = await fetch(`${sigstore.fulcioURL}/api/v2/signingCert`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: { publicKey: { algorithm: 'ECDSA', content: publicKey.export({ format: 'pem', type: 'spki' }) }, proofOfPossession: 'x' },
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { signedCertificateEmbeddedSct: { chain: { certificates: string[] } } };
    const [leafPem, rootPem] = body.signedCertificateEmbeddedSct.chain.certificates;
    const leaf = new X509Certificate(leafPem);
    expect(leaf.subjectAltName).toBe('URI:https://github.com/acme/app/.github/workflows/push-artifact.yaml@refs/heads/main');
    const root = new X509Certificate(rootPem);
    expect(leaf.verify(root.publicKey)).toBe(true);
    // The trusted root lists this CA, the CT log and the Rekor key, valid from before now.
    const tr = JSON.parse(readFileSync(sigstore.trustedRootPath, 'utf8')) as typeof sigstore.trustedRoot;
    expect(new X509Certificate(Buffer.from(tr.certificateAuthorities[0].certChain.certificates[0].rawBytes, 'base64')).fingerprint256).toBe(root.fingerprint256);
    expect(tr.ctlogs).toHaveLength(1);
    expect(tr.tlogs[0].baseUrl).toBe(sigstore.rekorURL);
    expect(Date.parse(tr.tlogs[0].publicKey.validFor.start)).toBeLessThan(Date.now() - 30_000);
    // SCT list extension (1.3.6.1.4.1.11129.2.4.2) present in the leaf.
    expect(leaf.raw.includes(Buffer.from([0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02]))).toBe(true);
  });

  it('forces Fulcio failures on demand, then recovers', async () => {
    sigstore.failFulcio(1, 503);
    const r1 = await fetch(`${sigstore.fulcioURL}/api/v2/signingCert`, { method: 'POST', body: '{}' });
    expect(r1.status).toBe(503);
    const r2 = await fetch(`${sigstore.fulcioURL}/api/v2/signingCert`, { method: 'POST', body: '{}' });
    expect(r2.status).toBe(400); // the real mock handler again: bad request body
  });
});

describe('Sigstore stand-in TSA (the rfc3161timestamp annotation)', () => {
  it('answers RFC 3161 requests with genTime that sigstore-js can parse (0 or 3 fractional digits), every time', async () => {
    const s = await startSigstore({ tsa: true });
    try {
      expect(s.tsaURL).toBe(s.url);
      expect(s.trustedRoot.timestampAuthorities).toHaveLength(1);
      const { createHash, randomBytes } = await import('node:crypto');
      for (let i = 0; i < 30; i++) {
        // The timestamp-authority JSON API that @sigstore/sign's TSAWitness uses.
        const hash = createHash('sha256').update(randomBytes(8)).digest('base64');
        const res = await fetch(`${s.tsaURL}/api/v1/timestamp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ artifactHash: hash, hashAlgorithm: 'sha256', certificates: true }),
        });
        expect(res.status).toBe(201);
        const der = Buffer.from(await res.arrayBuffer());
        const times = [...der.toString('latin1').matchAll(/\x18[\x0f-\x13](\d{14}(?:\.\d+)?Z)/g)].map((m) => m[1]);
        expect(times.length).toBeGreaterThan(0);
        for (const t of times) expect(t).toMatch(/^\d{14}(\.\d{3})?Z$/);
      }
    } finally {
      await s.stop();
    }
  });
});

describe('Sigstore stand-in Rekor: dsse proposals are canonicalized as real Rekor does', () => {
  it('stores {envelopeHash, payloadHash, signatures}; rejects an envelope whose signature does not verify', async () => {
    const s = await startSigstore();
    try {
      const { createHash, generateKeyPairSync, sign } = await import('node:crypto');
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');
      const type = 'application/vnd.in-toto+json';
      const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
      const sig = sign('sha256', pae, privateKey).toString('base64');
      const verifier = Buffer.from(publicKey.export({ format: 'pem', type: 'spki' }).toString()).toString('base64');
      const propose = (signature: string) => {
        const envelope = JSON.stringify({ payload: payload.toString('base64'), payloadType: type, signatures: [{ sig: signature, keyid: '' }] });
        return { envelope, req: fetch(`${s.rekorURL}/api/v1/log/entries`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: '0.0.1', kind: 'dsse', spec: { proposedContent: { envelope, verifiers: [verifier] } } }) }) };
      };
      const good = propose(sig);
      const res = await good.req;
      expect(res.status).toBe(201);
      const entry = Object.values((await res.json()) as Record<string, { body: string }>)[0];
      const body = JSON.parse(Buffer.from(entry.body, 'base64').toString()) as { kind: string; spec: Record<string, unknown> };
      expect(body.kind).toBe('dsse');
      expect(body.spec).toEqual({
        envelopeHash: { algorithm: 'sha256', value: createHash('sha256').update(good.envelope).digest('hex') },
        payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(payload).digest('hex') },
        signatures: [{ signature: sig, verifier }],
      });
      const forged = Buffer.from(sig, 'base64');
      forged[forged.length - 1] ^= 1;
      expect((await propose(forged.toString('base64')).req).status).toBe(400);
    } finally {
      await s.stop();
    }
  });
});
