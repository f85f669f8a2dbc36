/**
 * push-artifact through its committed bundle (runActionBundle = node actions/push-artifact/dist/index.cjs with the
 * runner's environment) against the real sandbox registry (CNCF distribution 2.8.2), the Sigstore stand-in and the
 * Actions-like OIDC endpoint. Cross-checked with skopeo (an independent client). Artifact format: docs/artifacts.md;
 * signatures: docs/signing.md "Signature layouts"; ordering (push, then sign, then tag): docs/security.md "Ordering
 * guarantees".
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact } from '@d2/core/flux';
import { RegistryClient } from '@d2/core/oci';
import { verifyArtifact } from '@d2/core/verify';
import { runActionBundle, startOidc, startRegistry, startSigstore, type SandboxOidc, type SandboxRegistry, type SandboxSigstore } from '@d2/sandbox';

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
const client = () => new RegistryClient({});
const identityCtx = { repository: 'acme/d2-apps', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };

function workspace(components: Record<string, Record<string, string>>): string {
  const ws = mkdtempSync(join(tmpdir(), 'd2-push-ws-'));
  for (const [name, files] of Object.entries(components)) {
    for (const [f, content] of Object.entries(files)) {
      const full = join(ws, 'components', name, f);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content);
      chmodSync(full, 0o644);
    }
  }
  return ws;
}

function skopeoDigest(ref: string): string {
  const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`]);
  return `sha256:${execFileSync('sha256sum', { input: raw }).toString().split(' ')[0]}`;
}

function run(inputs: Record<string, string>, ws: string, env: Record<string, string> = {}) {
  return runActionBundle('push-artifact', {
    workspace: ws,
    repository: identityCtx.repository,
    ref: 'refs/heads/main',
    sha: '0123456789abcdef0123456789abcdef01234567',
    inputs: { 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': sigstore.trustedRootPath, ...inputs },
    env: { ...oidc.envFor(identityCtx), ...env },
  });
}

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
});
afterAll(async () => {
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
});

describe('push-artifact (single component, distribution-action compatible)', () => {
  const ws = workspace({ app: { 'deploy.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n' } });
  const repo = () => `${registry.host}/acme/d2-apps/app`;

  it('pushes, signs, verifies, then tags; outputs match the distribution action', async () => {
    const r = await run({ repository: repo(), path: 'components/app', 'diff-tag': 'latest' }, ws);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.pushed).toBe('true');
    expect(r.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(r.outputs['digest-url']).toBe(`${repo()}@${r.outputs.digest}`);
    // skopeo (independent client) sees the same digest under latest.
    expect(skopeoDigest(`${repo()}:latest`)).toBe(r.outputs.digest);
    // The manifest is the one our builder makes for this directory (same Flux 2.9 encoding, reproducible created).
    const local = await buildArtifact(join(ws, 'components/app'), {
      compressor: 'go-flate', reproducible: true, source: 'https://github.com/acme/d2-apps', revision: 'refs/heads/main@sha1:0123456789abcdef0123456789abcdef01234567',
    });
    try {
      expect(local.manifestDigest).toBe(r.outputs.digest);
    } finally {
      await local.cleanup();
    }
    // Signature outputs, and the signature verifies as Flux would with the workflow identity.
    expect(r.outputs.signature).toBe(`${repo()}:sha256-${r.outputs.digest.slice(7)}.sig`);
    expect(r.outputs['certificate-identity']).toBe(oidc.expectedIdentity(identityCtx));
    expect(r.outputs['certificate-oidc-issuer']).toBe('https://token.actions.githubusercontent.com');
    expect(Number(r.outputs['rekor-log-index'])).toBeGreaterThanOrEqual(0);
    const v = await verifyArtifact({
      registry: client(), repo: { registry: registry.host, repository: 'acme/d2-apps/app' }, digest: r.outputs.digest,
      identity: { subjectRegExp: '^https://github\\.com/acme/d2-apps/\\.github/workflows/push-artifact\\.yaml@refs/heads/main$', issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$' },
      trustedRoot: sigstore.trustedRootPath,
    });
    expect(v.format).toBe('legacy');
    // The summary has the table and a ready-to-paste Flux verify block.
    expect(r.summary).toContain('| components/app | `' + repo() + '` |');
    expect(r.summary).toContain('matchOIDCIdentity');
  });

  it('round trip: skopeo copies the artifact to an OCI layout and GNU tar extracts the same files and modes', async () => {
    chmodSync(join(ws, 'components/app/deploy.yaml'), 0o640);
    mkdirSync(join(ws, 'components/app/bin'), { recursive: true });
    writeFileSync(join(ws, 'components/app/bin/run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(ws, 'components/app/bin/run.sh'), 0o755);
    const r = await run({ repository: `${repo()}-rt`, path: 'components/app', sign: 'false' }, ws);
    expect(r.exitCode).toBe(0);
    const layout = mkdtempSync(join(tmpdir(), 'd2-layout-'));
    execFileSync('skopeo', ['copy', '--src-tls-verify=false', `docker://${repo()}-rt:latest`, `oci:${layout}:latest`], { stdio: 'pipe' });
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
    expect(index.manifests[0].digest).toBe(r.outputs.digest); // skopeo kept the digest
    const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0].digest.slice(7)), 'utf8')) as { layers: { digest: string; mediaType: string }[] };
    expect(manifest.layers[0].mediaType).toBe('application/vnd.cncf.flux.content.v1.tar+gzip');
    const out = mkdtempSync(join(tmpdir(), 'd2-untar-'));
    execFileSync('tar', ['-xzf', join(layout, 'blobs/sha256', manifest.layers[0].digest.slice(7)), '-C', out]);
    const src = join(ws, 'components/app');
    for (const f of ['deploy.yaml', 'bin/run.sh']) {
      expect(readFileSync(join(out, f), 'utf8')).toBe(readFileSync(join(src, f), 'utf8'));
      expect(statSync(join(out, f)).mode & 0o7777).toBe(statSync(join(src, f)).mode & 0o7777);
    }
    expect(statSync(join(out, 'bin')).isDirectory()).toBe(true);
    rmSync(join(ws, 'components/app/bin'), { recursive: true });
    chmodSync(join(ws, 'components/app/deploy.yaml'), 0o644);
  });

  it('an unchanged second run pushes nothing, keeps the digest and still moves the tags', async () => {
    const first = skopeoDigest(`${repo()}:latest`);
    const fulcioCalls = sigstore.requests.fulcio;
    const r = await run({ repository: repo(), path: 'components/app', 'diff-tag': 'latest', tags: 'stable\nv1' }, ws);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.pushed).toBe('false');
    expect(r.outputs.digest).toBe('');
    expect(r.outputs['digest-url']).toBe('');
    expect(skopeoDigest(`${repo()}:stable`)).toBe(first);
    expect(skopeoDigest(`${repo()}:v1`)).toBe(first);
    expect(sigstore.requests.fulcio).toBe(fulcioCalls); // already signed: no new signature
    const artifacts = JSON.parse(r.outputs.artifacts);
    expect(artifacts[0]).toMatchObject({ pushed: false, digest: first, tags: ['latest', 'stable', 'v1'] });
  });

  it('signature-format bundle: an unchanged second run finds the bundle referrer and signs nothing', async () => {
    const r1 = await run({ repository: `${repo()}-bundle`, path: 'components/app', 'diff-tag': 'latest', 'signature-format': 'bundle' }, ws);
    expect(r1.errors).toEqual([]);
    const fulcioCalls = sigstore.requests.fulcio;
    const r2 = await run({ repository: `${repo()}-bundle`, path: 'components/app', 'diff-tag': 'latest', 'signature-format': 'bundle' }, ws);
    expect(r2.errors).toEqual([]);
    expect(r2.outputs.pushed).toBe('false');
    expect(sigstore.requests.fulcio).toBe(fulcioCalls);
    const digest = JSON.parse(r2.outputs.artifacts)[0].digest as string;
    const v = await verifyArtifact({
      registry: client(), repo: { registry: registry.host, repository: 'acme/d2-apps/app-bundle' }, digest,
      identity: { subjectRegExp: 'push-artifact\\.yaml@refs/heads/main$', issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$' },
      trustedRoot: sigstore.trustedRootPath,
    });
    expect(v.format).toBe('bundle');
  });

  it('a changed file gives a new digest and moves latest', async () => {
    const before = skopeoDigest(`${repo()}:latest`);
    writeFileSync(join(ws, 'components/app/extra.yaml'), 'kind: Extra\n');
    const r = await run({ repository: repo(), path: 'components/app', 'diff-tag': 'latest' }, ws);
    expect(r.exitCode).toBe(0);
    expect(r.outputs.pushed).toBe('true');
    expect(r.outputs.digest).not.toBe(before);
    expect(skopeoDigest(`${repo()}:latest`)).toBe(r.outputs.digest);
  });
});

describe('push-artifact (component matrix in one step)', () => {
  const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
  const ws = workspace(Object.fromEntries(names.map((n) => [n, { 'base/app.yaml': `kind: ConfigMap\nmetadata:\n  name: ${n}\n`, 'staging/kustomization.yaml': 'resources: [../base]\n' }])));

  it('builds, pushes and signs 5 components concurrently; artifacts lists each', async () => {
    const r = await run({ components: '*', repository: `${registry.host}/acme/d2-apps/{component}`, 'diff-tag': 'latest' }, ws);
    expect(r.errors).toEqual([]);
    expect(r.exitCode).toBe(0);
    const artifacts = JSON.parse(r.outputs.artifacts) as { component: string; digest: string; pushed: boolean; signature: string }[];
    expect(artifacts.map((a) => a.component)).toEqual(names);
    for (const a of artifacts) {
      expect(a.pushed).toBe(true);
      expect(skopeoDigest(`${registry.host}/acme/d2-apps/${a.component}:latest`)).toBe(a.digest);
      expect(a.signature).toContain('.sig');
    }
    // Five different contents → five digests.
    expect(new Set(artifacts.map((a) => a.digest)).size).toBe(5);
    // Multi-component runs leave digest/digest-url empty (they are per component in artifacts).
    expect(r.outputs.digest ?? '').toBe('');
  });

  it('a component whose signing fails is reported, its tags do not move, the others complete', async () => {
    for (const n of names) writeFileSync(join(ws, 'components', n, 'base/app.yaml'), `kind: ConfigMap\nmetadata:\n  name: ${n}-v2\n`);
    const before = Object.fromEntries(names.map((n) => [n, skopeoDigest(`${registry.host}/acme/d2-apps/${n}:latest`)]));
    // Fulcio fails long enough for the first component (concurrency 1: alpha goes first) to exhaust its retries.
    sigstore.failFulcio(4);
    const r = await run({ components: '*', repository: `${registry.host}/acme/d2-apps/{component}`, 'diff-tag': 'latest', concurrency: '1' }, ws);
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/1 of 5 artifact\(s\) failed[\s\S]*alpha/);
    expect(skopeoDigest(`${registry.host}/acme/d2-apps/alpha:latest`)).toBe(before.alpha);
    // Each component's log is one group, with its outcome in the title.
    expect(r.stdout).toContain(`::group::alpha → ${registry.host}/acme/d2-apps/alpha: failed`);
    expect(r.stdout).toContain(`::group::bravo → ${registry.host}/acme/d2-apps/bravo: pushed`);
    for (const n of names.slice(1)) expect(skopeoDigest(`${registry.host}/acme/d2-apps/${n}:latest`)).not.toBe(before[n]);
  });
});

describe('push-artifact input validation (before any request)', () => {
  const ws = workspace({ web: { 'a.yaml': 'kind: A\n' }, api: { 'b.yaml': 'kind: B\n' } });
  mkdirSync(join(ws, 'components', 'empty'), { recursive: true });

  it.each([
    [{ repository: 'ghcr.io/Acme/Repo', path: 'components/web' }, /upper-case letters[\s\S]*ghcr\.io\/acme\/repo/],
    [{ repository: 'ghcr.io/acme/repo:v1', path: 'components/web' }, /must not include a tag or digest/],
    [{ repository: 'ghcr.io/acme/repo', path: 'components/nope' }, /path 'components\/nope' does not exist/],
    [{ components: 'nope', repository: 'ghcr.io/acme/{component}' }, /component 'nope' does not exist[\s\S]*components found: api, empty, web/],
    [{ components: 'empty', repository: 'ghcr.io/acme/{component}' }, /component 'empty' is empty/],
    [{ repository: 'ghcr.io/acme/repo', path: '../..' }, /outside the workspace/],
    [{ repository: 'ghcr.io/acme/repo', path: 'components/web', tags: 'v1.0.0+build' }, /tag/],
    [{ repository: 'ghcr.io/acme/repo', path: 'components/web', annotations: 'novalue' }, /annotation/i],
    [{ repository: 'ghcr.io/acme/repo', path: 'components/web', sign: 'maybe' }, /input 'sign' must be true or false/],
  ])('rejects %o', async (inputs, message) => {
    const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { ...inputs } });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(message);
  });

  it('fails before pushing when signing is on and the job has no id-token permission', async () => {
    const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { repository: `${registry.host}/acme/noperm`, path: 'components/web' } });
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toContain('permissions: id-token: write');
    expect(await client().headManifest({ registry: registry.host, repository: 'acme/noperm' }, 'latest')).toBeUndefined();
  });

  it('pushes unsigned with sign: false', async () => {
    const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { repository: `${registry.host}/acme/unsigned`, path: 'components/web', sign: 'false' } });
    expect(r.errors).toEqual([]);
    expect(r.outputs.pushed).toBe('true');
    expect(skopeoDigest(`${registry.host}/acme/unsigned:latest`)).toBe(r.outputs.digest);
    rmSync(join(ws, 'nothing'), { force: true });
  });
});
