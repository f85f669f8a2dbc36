/**
 * `d2 demo` end to end: the BUILT binary (packages/cli/dist/d2.cjs, bundled by `node scripts/build.mjs --cli`) runs
 * the whole D2 loop on the local real stack, driving the four actions through their committed bundles. The checks
 * read what the demo wrote (report.json, trusted_root.json, identities.json) and re-check the registry state with
 * the real registry client and the verifier — the demo's own claims are not taken on trust.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { verifyArtifact } from '@d2/core/verify';
import type { IdentitiesFile } from '../../packages/cli/src/demo/report.js';
import { demoRun } from '../support/demo-run.js';



describe('d2 demo', () => {
  // --registry: the demo uses this registry instead of starting its own, so the test can inspect it afterwards.
  const demo = demoRun('d2-demo-test-', []);

  it('exits 0 with every step passed, progress on stderr and the result on stdout', () => {
    const failed = demo.report.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.error}`);
    expect(failed).toEqual([]);
    expect(demo.run.code).toBe(0);
    expect(demo.report.ok).toBe(true);
    expect(demo.report.steps.map((s) => s.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(JSON.parse(demo.run.stdout)).toMatchObject({ ok: true, out: demo.out });
    expect(demo.run.stderr).toMatch(/\[1\/6\] push-artifact/);
    expect(demo.run.stderr).toMatch(/every step and verification passed/);
    expect(demo.report.registry).toBe(demo.registry.host);
  });

  it('ran the actions through their bundles: push, release, e2e-update, image-updates-pr', () => {
    const actions = new Set(demo.report.runs.map((r) => r.action));
    expect([...actions].sort()).toEqual(['e2e-update', 'image-updates-pr', 'push-artifact', 'release-artifact']);
    expect(demo.report.runs.every((r) => r.exitCode === 0)).toBe(true);
    // the second push on unchanged content pushed nothing
    const unchanged = demo.report.pushes.filter((p) => p.pass === 'unchanged');
    expect(unchanged.length).toBe(5);
    expect(unchanged.every((p) => !p.pushed)).toBe(true);
  });

  it('every artifact is signed, and the signatures are really in the registry and verify', async () => {
    expect(demo.report.artifacts.length).toBeGreaterThanOrEqual(6);
    const client = new RegistryClient({ credentials: { get: async () => undefined } });
    try {
      for (const a of demo.report.artifacts) {
        expect(a.signature, a.repository).toBe(`${a.repository}:sha256-${a.digest.slice(7)}.sig`);
        const repo = { registry: demo.registry.host, repository: a.repository.slice(demo.registry.host.length + 1) };
        for (const t of a.tags) expect((await client.headManifest(repo, t))?.digest).toBe(a.digest);
        expect(await client.headManifest(repo, `sha256-${a.digest.slice(7)}.sig`)).toBeDefined();
      }
      // Independent re-check of the production artifact with the written trusted root and identities.
      const ids = JSON.parse(readFileSync(join(demo.out, 'identities.json'), 'utf8')) as IdentitiesFile;
      const prod = ids.identities.find((i) => i.name === 'production');
      const stable = demo.report.artifacts.find((a) => a.tags.includes('latest-stable'));
      expect(prod && stable).toBeTruthy();
      const subject = prod!.subjects.find((s) => s.repository === stable!.source)!.subjectRegExp;
      const trustedRoot = JSON.parse(readFileSync(join(demo.out, 'trusted_root.json'), 'utf8')) as object;
      const v = await verifyArtifact({
        registry: client,
        repo: { registry: demo.registry.host, repository: stable!.repository.slice(demo.registry.host.length + 1) },
        digest: stable!.digest,
        identity: { subjectRegExp: subject, issuerRegExp: ids.issuerRegExp },
        trustedRoot,
      });
      expect(v.identity).toBe(`https://github.com/${demo.report.owner}/d2-apps/.github/workflows/release-artifact.yaml@refs/tags/frontend/v1.0.0`);
    } finally {
      client.close();
    }
  });

  it('latest-stable moved to the release digest, signed with the release workflow identity', () => {
    const r = demo.report.release!;
    expect(r).toMatchObject({ component: 'frontend', version: 'v1.0.0', tag: 'frontend/v1.0.0', moved: true, stableBefore: null });
    expect(r.stableAfter).toBe(r.digest);
    expect(r.certificateIdentity).toMatch(/\/\.github\/workflows\/release-artifact\.yaml@refs\/tags\/frontend\/v1\.0\.0$/);
    const stable = demo.report.artifacts.find((a) => a.tags.includes('latest-stable'));
    expect(stable?.digest).toBe(r.digest);
    expect(stable?.tags).toContain('v1.0.0');
  });

  it('the fleet release is attested with provenance and an SBOM, verified in step 5 with the production identity', () => {
    const fleet = demo.report.pushes.find((p) => p.pass === 'release' && p.repository.endsWith('/d2-fleet'));
    expect(demo.report.attestations?.map((a) => [a.type, a.predicateType, a.digest, a.verified])).toEqual([
      ['provenance', 'https://slsa.dev/provenance/v1', fleet?.digest, true],
      ['sbom', 'https://cyclonedx.org/bom', fleet?.digest, true],
    ]);
    expect(demo.report.attestations?.[0].message).toMatch(/d2-fleet\/\.github\/workflows\/release-artifact\.yaml@refs\/tags\/v1\.0\.0/);
  });

  it('grouping and verified commits: one branch per component in d2-apps, each commit Verified by GitHub, one PR each', () => {
    const groups = demo.report.groupedUpdates;
    expect(groups.map((g) => [g.repository, g.branch, g.verified]).sort()).toEqual([
      [`${demo.report.owner}/d2-apps`, 'image-updates/backend', true],
      [`${demo.report.owner}/d2-apps`, 'image-updates/frontend', true],
    ]);
    for (const g of groups) {
      expect(g.sha).toMatch(/^[0-9a-f]{40}$/);
      expect(g.files.length).toBeGreaterThan(0);
      expect(g.files.every((f) => f.startsWith(`components/${g.group}/`))).toBe(true);
      expect(g.pullRequest?.operation).toBe('created');
    }
    expect(new Set(groups.map((g) => g.pullRequest?.number)).size).toBe(2);
  });

  it('e2e-update committed on image-updates; the PR was created and merged; the merge gave new digests', () => {
    const updates = demo.report.commits.filter((c) => c.kind === 'image-update');
    expect(updates.map((c) => c.repository).sort()).toEqual([`${demo.report.owner}/d2-apps`, `${demo.report.owner}/d2-infra`]);
    expect(updates.every((c) => c.branch === 'image-updates' && /^[0-9a-f]{40}$/.test(c.sha))).toBe(true);
    expect(demo.report.pullRequests.length).toBe(2);
    for (const pr of demo.report.pullRequests) {
      expect(pr).toMatchObject({ operation: 'created', merged: true });
      expect(pr.headSha).toBe(updates.find((u) => u.repository === pr.repository)?.sha);
      expect(demo.report.commits.some((c) => c.kind === 'merge' && c.sha === pr.mergeCommitSha)).toBe(true);
    }
    expect(demo.report.merges.length).toBe(4);
    for (const m of demo.report.merges) {
      expect(m.changed, m.repository).toBe(true);
      expect(m.after).not.toBe(m.before);
      expect(demo.report.artifacts.find((a) => a.repository === m.repository && a.tags.includes('latest'))?.digest).toBe(m.after);
    }
  });

  it('verified as a D2 cluster would, and wrong identities were rejected', () => {
    const v = demo.report.verifications;
    expect(v.every((x) => x.ok)).toBe(true);
    const staging = v.filter((x) => x.identity === 'staging');
    expect(staging.length).toBe(5); // apps ×2, infra ×2, fleet: every `latest`
    expect(staging.every((x) => x.result === 'verified' && x.reference.endsWith(':latest'))).toBe(true);
    // production: the released frontend component and the released fleet, both at latest-stable.
    const production = v.filter((x) => x.identity === 'production');
    expect(production.map((x) => [x.result, x.reference.split(':').pop()])).toEqual([['verified', 'latest-stable'], ['verified', 'latest-stable']]);
    expect(production.map((x) => x.repository.split('/').slice(1).join('/')).sort()).toEqual([expect.stringMatching(/\/d2-apps\/frontend$/), expect.stringMatching(/\/d2-fleet$/)]);
    // d2-infra is signed in both formats: its artifacts verify on the cosign v3 bundle path, the others on .sig.
    expect(staging.filter((x) => x.repository.includes('/d2-infra/')).map((x) => x.message.split(' ')[0])).toEqual(['bundle', 'bundle']);
    expect(staging.filter((x) => x.repository.includes('/d2-apps/')).map((x) => x.message.split(' ')[0])).toEqual(['legacy', 'legacy']);
    const wrong = v.filter((x) => x.expected === 'rejected');
    expect(wrong.length).toBeGreaterThanOrEqual(2);
    for (const w of wrong) {
      expect(w.result).toBe('rejected');
      expect(w.message).toMatch(/signature verification failed \[identity\]/);
    }
  });

  it('writes trusted_root.json and identities.json with the regexes used', () => {
    const root = JSON.parse(readFileSync(join(demo.out, 'trusted_root.json'), 'utf8')) as { mediaType: string; certificateAuthorities: unknown[]; tlogs: unknown[]; ctlogs: unknown[] };
    expect(root.mediaType).toMatch(/^application\/vnd\.dev\.sigstore\.trustedroot\+json/);
    expect(root.certificateAuthorities.length).toBeGreaterThan(0);
    expect(root.tlogs.length).toBeGreaterThan(0);
    expect(root.ctlogs.length).toBeGreaterThan(0);
    const ids = JSON.parse(readFileSync(join(demo.out, 'identities.json'), 'utf8')) as IdentitiesFile;
    expect(ids.issuerRegExp).toBe('^https://token\\.actions\\.githubusercontent\\.com$');
    expect(ids.identities.map((i) => i.name)).toEqual(['staging', 'production', 'wrong-workflow', 'wrong-repository']);
    const used = new Set(demo.report.verifications.map((x) => x.subjectRegExp));
    for (const i of ids.identities) for (const s of i.subjects) expect(used.has(s.subjectRegExp)).toBe(true);
    expect(ids.identities[0].subjects.find((s) => s.repository.endsWith('/d2-apps'))?.subjectRegExp).toBe(
      `^https://github\\.com/${demo.report.owner}/d2-apps/\\.github/workflows/push-artifact\\.yaml@refs/heads/main$`,
    );
  });
});
