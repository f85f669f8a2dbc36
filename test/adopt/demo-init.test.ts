/**
 * `d2 demo --from-init`: the whole D2 loop (push, release, image update, PR, merge, verify) runs on the repositories
 * `d2 init` writes (moved onto the local stack by packages/cli/src/demo/init-repos.ts), through the BUILT binary and
 * the actions' committed bundles. The checks read report.json and the registry: every step passed, the artifacts
 * are init's example components, the update changed init's setter markers, and every identity check held.
 */
import { describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { DEMO_IMAGES } from '@d2/sandbox/d2-repos';
import { demoRun } from '../support/demo-run.js';



describe('d2 demo --from-init', () => {
  const demo = demoRun('d2-demo-init-test-', ['--from-init']);

  it('every step passes on the repositories d2 init writes', () => {
    expect(demo.report.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.error}`)).toEqual([]);
    expect(demo.run.code, demo.run.stderr.slice(-2000)).toBe(0);
    expect(demo.report.steps.length).toBe(5);
  });

  it("the artifacts are init's: the fleet and the example components frontend and cert-manager", () => {
    const repos = [...new Set(demo.report.pushes.map((p) => p.repository.slice(demo.registry.host.length + 1).replace(demo.report.owner, '<owner>')))].sort();
    expect(repos).toEqual(['<owner>/d2-apps/frontend', '<owner>/d2-fleet', '<owner>/d2-infra/cert-manager']);
  });

  it("the image update changed init's setter markers to the newest versions the policies allow", async () => {
    const client = new RegistryClient({ credentials: { get: async () => undefined } });
    try {
      // The merged PR was pushed again: latest of frontend differs from the first push.
      const first = demo.report.pushes.find((p) => p.pass === 'first' && p.component === 'frontend');
      const head = await client.headManifest({ registry: demo.registry.host, repository: `${demo.report.owner}/d2-apps/frontend` }, 'latest');
      expect(head?.digest).toBeDefined();
      expect(head?.digest).not.toBe(first?.digest);
    } finally {
      client.close();
    }
    const updates = demo.report.commits.filter((c) => c.kind === 'image-update');
    expect(updates.map((c) => c.repository.replace(demo.report.owner, '<owner>')).sort()).toEqual(['<owner>/d2-apps', '<owner>/d2-infra']);
    expect(demo.run.stderr).toContain(`${DEMO_IMAGES.podinfo.initial} → 6.9.0`);
    expect(demo.run.stderr).toContain(`${DEMO_IMAGES.certManager.initial} → v1.17.0`);
  });

  it('the identities of the fleet written by d2 init verify latest and latest-stable, and reject the wrong ones', () => {
    const by = (identity: string) => demo.report.verifications.filter((v) => v.identity === identity);
    expect(by('staging').length).toBe(3);
    expect(by('production').length).toBe(2);
    for (const v of [...by('staging'), ...by('production')]) expect(v.result, v.reference).toBe('verified');
    for (const v of [...by('wrong-workflow'), ...by('wrong-repository')]) expect(v.result, v.reference).toBe('rejected');
    expect(by('wrong-workflow').length).toBeGreaterThan(0);
  });
});
