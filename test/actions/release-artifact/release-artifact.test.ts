/**
 * release-artifact through its committed bundle against the sandbox registry, Sigstore stand-in and OIDC endpoint
 * (docs/cli.md "`d2 release <component>/<version> oci://host/repo/{component}`"). The release workflow identity is
 * `…/release-artifact.yaml@refs/tags/<component>/<version>`.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { verifyArtifact } from '@d2/core/verify';
import { runActionBundle, startFaultProxy, startOidc, startRegistry, startSigstore, type SandboxOidc, type SandboxRegistry, type SandboxSigstore } from '@d2/sandbox';

let registry: SandboxRegistry;
let sigstore: SandboxSigstore;
let oidc: SandboxOidc;
const client = new RegistryClient({});
const REPO = 'acme/d2-infra';

function ws(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'd2-release-ws-'));
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), content);
    chmodSync(join(dir, f), 0o644);
  }
  return dir;
}

function release(workspace: string, tag: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
  const ref = tag.startsWith('refs/') ? tag : `refs/tags/${tag}`;
  const ctx = { repository: REPO, workflow: '.github/workflows/release-artifact.yaml', ref };
  return runActionBundle('release-artifact', {
    workspace,
    repository: REPO,
    ref,
    inputs: { repository: `${registry.host}/${REPO}/{component}`, 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': sigstore.trustedRootPath, ...inputs },
    env: { ...oidc.envFor(ctx), ...env },
  });
}

async function digestOf(repository: string, tag: string): Promise<string | undefined> {
  return (await client.headManifest({ registry: registry.host, repository }, tag))?.digest;
}

beforeAll(async () => {
  [registry, sigstore, oidc] = await Promise.all([startRegistry({ auth: 'anonymous' }), startSigstore(), startOidc()]);
});
afterAll(async () => {
  await Promise.all([registry?.stop(), sigstore?.stop(), oidc?.stop()]);
});

describe('release-artifact', () => {
  const workspace = ws({ 'components/frontend/base/app.yaml': 'kind: ConfigMap\nmetadata:\n  name: frontend\n', 'components/backend/base/app.yaml': 'kind: ConfigMap\n' });

  it('a valid tag pushes, signs with the release identity, and moves the version tag and latest-stable', async () => {
    const r = await release(workspace, 'frontend/v1.0.0');
    expect(r.errors).toEqual([]);
    expect(r.outputs).toMatchObject({ component: 'frontend', version: 'v1.0.0', tags: 'v1.0.0,latest-stable' });
    const digest = r.outputs.digest;
    expect(await digestOf(`${REPO}/frontend`, 'v1.0.0')).toBe(digest);
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(digest);
    expect(r.outputs['certificate-identity']).toBe(`https://github.com/${REPO}/.github/workflows/release-artifact.yaml@refs/tags/frontend/v1.0.0`);
    // The production identity regex Flux would use (any frontend release tag) accepts it.
    const v = await verifyArtifact({
      registry: client, repo: { registry: registry.host, repository: `${REPO}/frontend` }, digest,
      identity: { subjectRegExp: `^https://github\\.com/acme/d2-infra/\\.github/workflows/release-artifact\\.yaml@refs/tags/frontend/.*$`, issuerRegExp: '^https://token\\.actions\\.githubusercontent\\.com$' },
      trustedRoot: sigstore.trustedRootPath,
    });
    expect(v.verified).toBe(true);
    // The manifest carries the version annotation (the promotion guard reads it).
    const m = JSON.parse((await client.getManifest({ registry: registry.host, repository: `${REPO}/frontend` }, digest)).bytes.toString());
    expect(m.annotations['org.opencontainers.image.version']).toBe('v1.0.0');
    expect(r.summary).toContain('Promotion');
    expect(r.summary).toContain('refs/tags/frontend/');
  });

  it('re-running the same release is idempotent (same digest, nothing pushed)', async () => {
    const before = await digestOf(`${REPO}/frontend`, 'latest-stable');
    const r = await release(workspace, 'frontend/v1.0.0');
    expect(r.errors).toEqual([]);
    expect(r.outputs.digest).toBe(before);
    expect(r.summary).toContain('content unchanged');
  });

  it('refuses to overwrite an existing version tag with other content, and moves nothing', async () => {
    writeFileSync(join(workspace, 'components/frontend/base/app.yaml'), 'kind: ConfigMap\nmetadata:\n  name: frontend-changed\n');
    const stable = await digestOf(`${REPO}/frontend`, 'latest-stable');
    const r = await release(workspace, 'frontend/v1.0.0');
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(/v1\.0\.0 already exists with different content[\s\S]*overwrite-version/);
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(stable);
  });

  it('the downgrade guard refuses to move latest-stable to a lower version unless allowed', async () => {
    const up = await release(workspace, 'frontend/v1.2.0');
    expect(up.errors).toEqual([]);
    const stable = await digestOf(`${REPO}/frontend`, 'latest-stable');
    writeFileSync(join(workspace, 'components/frontend/base/app.yaml'), 'kind: ConfigMap\nmetadata:\n  name: frontend-hotfix\n');
    const down = await release(workspace, 'frontend/v1.1.5');
    expect(down.exitCode).toBe(1);
    expect(down.errors.join('\n')).toMatch(/from v1\.2\.0 down to v1\.1\.5[\s\S]*allow-downgrade/);
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(stable);
    expect(await digestOf(`${REPO}/frontend`, 'v1.1.5')).toBeUndefined();
    const forced = await release(workspace, 'frontend/v1.1.5', { 'allow-downgrade': 'true' });
    expect(forced.errors).toEqual([]);
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(forced.outputs.digest);
  });

  it('latest-stable never moves when signing fails', async () => {
    writeFileSync(join(workspace, 'components/frontend/base/app.yaml'), 'kind: ConfigMap\nmetadata:\n  name: frontend-v2\n');
    const stable = await digestOf(`${REPO}/frontend`, 'latest-stable');
    sigstore.failFulcio(4);
    const r = await release(workspace, 'frontend/v2.0.0');
    expect(r.exitCode).toBe(1);
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(stable);
    expect(await digestOf(`${REPO}/frontend`, 'v2.0.0')).toBeUndefined();
  });

  it('latest-stable never moves when the push fails (registry refuses the manifest)', async () => {
    writeFileSync(join(workspace, 'components/frontend/base/app.yaml'), 'kind: ConfigMap\nmetadata:\n  name: frontend-v3\n');
    const stable = await digestOf(`${REPO}/frontend`, 'latest-stable');
    expect(stable).toBeDefined();
    // The same registry behind a proxy that answers every manifest PUT with a permanent 500.
    const proxy = await startFaultProxy(registry.url);
    try {
      proxy.addFault({ method: 'PUT', path: /\/manifests\//, action: { status: 500, body: '{"errors":[{"code":"UNKNOWN","message":"boom"}]}' } });
      const r = await release(workspace, 'frontend/v3.0.0', { repository: `${proxy.host}/${REPO}/{component}` });
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(/500/);
      expect(proxy.log.some((l) => l.method === 'PUT' && /manifests/.test(l.path) && l.fault)).toBe(true);
    } finally {
      await proxy.stop();
    }
    expect(await digestOf(`${REPO}/frontend`, 'latest-stable')).toBe(stable);
    expect(await digestOf(`${REPO}/frontend`, 'v3.0.0')).toBeUndefined();
  });

  it('fleet mode pushes the whole path with {version} and latest-stable', async () => {
    const fleet = ws({ 'clusters/staging/a.yaml': 'kind: A\n', 'tenants/b.yaml': 'kind: B\n' });
    const r = await release(fleet, 'v3.1.0', { mode: 'fleet', repository: `${registry.host}/acme/d2-fleet` });
    expect(r.errors).toEqual([]);
    expect(r.outputs.component).toBe('');
    expect(await digestOf('acme/d2-fleet', 'v3.1.0')).toBe(r.outputs.digest);
    expect(await digestOf('acme/d2-fleet', 'latest-stable')).toBe(r.outputs.digest);
  });

  it.each([
    ['refs/heads/main', {}, /runs on tags, but the ref is 'refs\/heads\/main'[\s\S]*\{component\}\/\{version\}/],
    ['v1.0.0', {}, /tag 'v1\.0\.0' does not fit the tag pattern '\{component\}\/\{version\}'/],
    ['nope/v1.0.0', {}, /component 'nope' does not exist[\s\S]*components found: backend, frontend/],
    ['frontend/v1.0.0+build.1', {}, /contains '\+'[\s\S]*tag the release as frontend\/v1\.0\.0-build\.1/],
    ['frontend/v1.0.0', { mode: 'cluster' }, /input 'mode' must be one of component, fleet/],
  ])('rejects %s before any push', async (tag, inputs, message) => {
    const r = await release(workspace, tag, inputs);
    expect(r.exitCode).toBe(1);
    expect(r.errors.join('\n')).toMatch(message);
  });
});
