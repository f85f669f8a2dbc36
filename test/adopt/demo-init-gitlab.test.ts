/**
 * `d2 demo --forge gitlab --from-init`: the D2 loop as GitLab pipelines run it (the components' d2 commands with GitLab
 * job variables and GitLab-shaped ID tokens) on the projects `d2 init --forge gitlab` writes, moved onto the local
 * stack (packages/cli/src/demo/init-repos.ts). Run in-process (the GitLab demo runs the d2 commands in-process anyway).
 * The checks read the report: every step passed, the artifacts are init's example components, the update changed
 * init's setter markers and opened the merge requests, and the subjects verified are the ones the generated fleet's
 * clusters use (tenants rendered with their runtime-info), with the wrong ones rejected.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { initFiles, initPlan } from '../../packages/cli/src/adopt/index.js';
import { runGitLabDemo } from '../../packages/cli/src/demo/gitlab.js';
import type { DemoResult } from '../../packages/cli/src/demo/run.js';
import { renderResourceSet, substitute } from './helpers.js';

describe('d2 demo --forge gitlab --from-init', () => {
  const out = mkdtempSync(join(tmpdir(), 'd2-demo-init-gitlab-test-'));
  const lines: string[] = [];
  let result: DemoResult;

  beforeAll(async () => {
    result = await runGitLabDemo({ out, log: (l) => void lines.push(l), fromInit: true });
  }, 280_000);
  afterAll(async () => {
    await result?.stack.stop();
    await result?.cleanup();
    rmSync(out, { recursive: true, force: true });
  });

  it('every step passes on the projects d2 init --forge gitlab writes', () => {
    const { report } = result;
    expect(report.steps.filter((s) => !s.ok).map((s) => `${s.id}: ${s.error}`), lines.slice(-30).join('\n')).toEqual([]);
    expect(report.steps.length).toBe(5);
    expect(result.ok).toBe(true);
  });

  it("the artifacts are init's, the update changed init's setter markers, and both merge requests were opened and merged", () => {
    const { report } = result;
    const host = report.registry;
    const repos = [...new Set(report.pushes.map((p) => p.repository.slice(host.length + 1).replace(report.owner, '<owner>')))].sort();
    expect(repos).toEqual(['<owner>/d2-apps/frontend', '<owner>/d2-fleet', '<owner>/d2-infra/cert-manager']);
    expect(report.commits.filter((c) => c.kind === 'image-update').map((c) => c.repository.replace(report.owner, '<owner>')).sort()).toEqual(['<owner>/d2-apps', '<owner>/d2-infra']);
    expect(report.pullRequests.map((p) => [p.repository.replace(report.owner, '<owner>'), p.operation, p.merged]).sort()).toEqual([
      ['<owner>/d2-apps', 'created', true],
      ['<owner>/d2-infra', 'created', true],
    ]);
  });

  it("the subjects verified are the generated fleet's (tenants and FluxInstance), and the wrong identities are rejected", () => {
    const { report } = result;
    const fleet = initFiles(initPlan('fleet', report.owner, 'gitlab'));
    const runtime = (cluster: string) => (parseYaml(fleet[`clusters/${cluster}/flux-system/runtime-info.yaml`]) as { data: Record<string, string> }).data;
    const tenantSubject = (cluster: string) => {
      const rs = parseYaml(substitute(fleet['tenants/apps.yaml'], runtime(cluster))) as Parameters<typeof renderResourceSet>[0];
      const oci = renderResourceSet(rs).find((r) => r.kind === 'OCIRepository') as { spec: { verify: { matchOIDCIdentity: Array<{ issuer: string; subject: string }> } } };
      return oci.spec.verify.matchOIDCIdentity[0];
    };
    const fleetSubject = (parseYaml((parseYaml(fleet['clusters/staging/flux-system/flux-instance.yaml']) as { spec: { kustomize: { patches: Array<{ patch: string }> } } }).spec.kustomize.patches[0].patch) as Array<{
      value: { matchOIDCIdentity: Array<{ subject: string }> };
    }>)[0].value.matchOIDCIdentity[0].subject;
    const by = (identity: string) => report.verifications.filter((v) => v.identity === identity);
    const frontend = (identity: string) => by(identity).find((v) => v.repository.endsWith('/d2-apps/frontend'));
    expect(frontend('staging')?.subjectRegExp).toBe(tenantSubject('staging').subject);
    expect(frontend('staging')?.issuerRegExp).toBe(tenantSubject('staging').issuer);
    expect(frontend('production')?.subjectRegExp).toBe(tenantSubject('production').subject);
    expect(by('staging').find((v) => v.repository.endsWith('/d2-fleet'))?.subjectRegExp).toBe(fleetSubject);
    expect(by('staging').length).toBe(3);
    expect(by('production').length).toBe(1);
    for (const v of [...by('staging'), ...by('production')]) expect(v.result, v.reference).toBe('verified');
    expect(by('wrong-ref').length).toBeGreaterThan(0);
    expect(by('wrong-project').length).toBeGreaterThan(0);
    for (const v of [...by('wrong-ref'), ...by('wrong-project')]) expect(v.result, v.reference).toBe('rejected');
  });
});
