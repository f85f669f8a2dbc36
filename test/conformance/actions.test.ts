/**
 * Conformance of what the ACTIONS produce: push-artifact and release-artifact run through their committed
 * bundles against the sandbox registry, Sigstore stand-in and Actions OIDC endpoint; the reference tools are the
 * oracles. `cosign verify` (3.x) must accept every signature the actions make — legacy and bundle formats — with the
 * workflow identity and reject a wrong one; `flux diff artifact` must see the pushed artifact
 * as identical to the directory.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runActionBundle } from '@d2/sandbox/runner';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { startSigstore, type SandboxSigstore } from '@d2/sandbox/sigstore';
import { GITHUB_ACTIONS_ISSUER, startOidc, type SandboxOidc } from '@d2/sandbox/oidc';
import { CosignCli, FluxCli, startEgressGuard, startFulcioV1Bridge, toolEnv, type EgressGuard, type FulcioV1Bridge } from '@d2/sandbox/reference-tools';
import { describeConformance } from './helpers.js';

const REPO = 'acme/d2-apps';
const quote = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const ISSUER = `^${quote(GITHUB_ACTIONS_ISSUER)}$`;
const PUSH_SUBJECT = `^${quote(`https://github.com/${REPO}/.github/workflows/push-artifact.yaml@refs/heads/main`)}$`;
const RELEASE_SUBJECT = `^${quote(`https://github.com/${REPO}/.github/workflows/release-artifact.yaml@refs/tags/frontend/`)}.*$`;

describeConformance('conformance: artifacts and signatures made by the push-artifact and release-artifact bundles', ['cosign', 'flux'], (tools) => {
  let guard: EgressGuard;
  let registry: SandboxRegistry;
  let sigstore: SandboxSigstore;
  let oidc: SandboxOidc;
  let bridge: FulcioV1Bridge;
  let cosign: CosignCli;
  let flux: FluxCli;
  let ws: string;

  beforeAll(async () => {
    guard = await startEgressGuard();
    [registry, sigstore, oidc] = await Promise.all([startRegistry(), startSigstore(), startOidc()]);
    bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
    const env = toolEnv({ egress: guard });
    cosign = new CosignCli(tools.cosign, { fulcioURL: bridge.url, rekorURL: sigstore.rekorURL, trustedRootPath: sigstore.trustedRootPath }, 3, env);
    flux = new FluxCli(tools.flux, env);
    ws = mkdtempSync(join(tmpdir(), 'd2-conf-actions-'));
    for (const c of ['frontend', 'backend']) {
      mkdirSync(join(ws, 'components', c, 'base'), { recursive: true });
      writeFileSync(join(ws, 'components', c, 'base', 'app.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${c}\n`);
    }
  });

  afterAll(async () => {
    await bridge?.stop();
    await Promise.all([oidc?.stop(), sigstore?.stop(), registry?.stop()]);
    await guard?.stop();
    expect(guard?.attempts ?? []).toEqual([]);
  });

  const sigstoreInputs = () => ({ 'fulcio-url': sigstore.fulcioURL, 'rekor-url': sigstore.rekorURL, 'trusted-root': sigstore.trustedRootPath });

  it.each(['legacy', 'both'] as const)('cosign verify accepts push-artifact signatures (signature-format %s) and rejects a wrong identity; flux diff sees no changes', async (format) => {
    const ctx = { repository: REPO, workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
    const r = await runActionBundle('push-artifact', {
      workspace: ws,
      repository: REPO,
      inputs: { components: '*', repository: `${registry.host}/${REPO}-${format}/{component}`, 'diff-tag': 'latest', 'signature-format': format, ...sigstoreInputs() },
      env: oidc.envFor(ctx),
    });
    expect(r.errors).toEqual([]);
    const artifacts = JSON.parse(r.outputs.artifacts) as { component: string; repository: string; digest: string; 'digest-url': string }[];
    expect(artifacts.map((a) => a.component)).toEqual(['backend', 'frontend']);
    for (const a of artifacts) {
      const good = await cosign.verify(a['digest-url'], { identityRegexp: PUSH_SUBJECT, issuerRegexp: ISSUER });
      expect(good.code, good.stderr).toBe(0);
      const wrong = await cosign.verify(a['digest-url'], { identityRegexp: RELEASE_SUBJECT, issuerRegexp: ISSUER });
      expect(wrong.code).not.toBe(0);
      const diff = await flux.diff(`${a.repository}:latest`, join(ws, 'components', a.component));
      expect(diff.equal, diff.stderr).toBe(true);
    }
  });

  it('cosign verify accepts a release-artifact signature (bundle format) with the production identity regex, not the staging one', async () => {
    const ref = 'refs/tags/frontend/v1.2.3';
    const r = await runActionBundle('release-artifact', {
      workspace: ws,
      repository: REPO,
      ref,
      inputs: { repository: `${registry.host}/${REPO}-release/{component}`, 'signature-format': 'bundle', ...sigstoreInputs() },
      env: oidc.envFor({ repository: REPO, workflow: '.github/workflows/release-artifact.yaml', ref }),
    });
    expect(r.errors).toEqual([]);
    expect(r.outputs.tags).toBe('v1.2.3,latest-stable');
    const stable = `${registry.host}/${REPO}-release/frontend:latest-stable`;
    const good = await cosign.verify(stable, { identityRegexp: RELEASE_SUBJECT, issuerRegexp: ISSUER });
    expect(good.code, good.stderr).toBe(0);
    const staging = await cosign.verify(stable, { identityRegexp: PUSH_SUBJECT, issuerRegexp: ISSUER });
    expect(staging.code).not.toBe(0);
  });
});
