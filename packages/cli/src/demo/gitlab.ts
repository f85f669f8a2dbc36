/**
 * `d2 demo --forge gitlab`: the same D2 loop as the GitHub demo, as GitLab pipelines run it. Each step runs the d2
 * commands that the GitLab CI/CD components in templates/ run, in-process, with the variables of a GitLab job
 * (GITLAB_CI, CI_REGISTRY_IMAGE, CI_COMMIT_*, SIGSTORE_ID_TOKEN from `id_tokens`), against the local stack plus the
 * GitLab REST stand-in (packages/sandbox/src/gitlab/) for the merge requests:
 *   1. push on main for every component and the fleet, signed with the pipeline's GitLab identity; again, unchanged;
 *   2. release frontend/v1.0.0 from its tag pipeline (latest-stable moves);
 *   3. newer images; d2 update from the fleet's clusters/update commits on image-updates;
 *   4. d2 pr --forge gitlab opens the merge request; it is merged (fast-forward); push again (new digests);
 *   5. every artifact verified with the GitLab identities (staging: main pipeline, production: tag pipelines), and
 *      wrong identities (a branch pipeline for latest-stable, another project) rejected.
 * The components themselves run under gitlab-ci-local in test/gitlab/components.test.ts. Writes the same report
 * files as the GitHub demo (docs/gitlab.md "d2 demo --forge gitlab"). With --from-init the projects are the ones
 * `d2 init --forge gitlab` writes (init-repos.ts), and step 5 verifies with the git refs of the fleet's runtime-info.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGitLabStandIn, type SandboxGitLab } from '@d2/sandbox/gitlab-stand-in';
import type { GitLabOidcContext } from '@d2/sandbox/oidc';
import { runCli, type Io } from '../cli.js';
import { commands } from '../commands/index.js';
import { createDemoContext, ms, runSteps, short, StepFailure, writeReport, type DemoContext } from './context.js';
import { changedPaths, checkout, commitsAhead, git, pushTag, remoteBranchSha, tempDir } from './git.js';
import { quoteMeta } from './identities.js';
import { seedImages } from './images.js';
import type { StepReport } from './report.js';
import type { DemoOptions, DemoResult } from './run.js';
import { dVerify } from './steps/verify.js';

const GITLAB_ISSUER = 'https://gitlab.com';

/** The certificate identity Fulcio gives a gitlab.com pipeline of `project` at `ref`. */
function gitlabIdentity(project: string, ref: string): string {
  return `https://gitlab.com/${project}//.gitlab-ci.yml@${ref}`;
}

interface Job {
  code: number;
  out: string;
  err: string;
}

export async function runGitLabDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = performance.now();
  const ctx = await createDemoContext({ ...opts, initForge: 'gitlab' });
  const { log, report, identities, client, stack, work, reg, authUrl, appsName, infraName, fleetName, trustedRoot } = ctx;
  const gitlab: SandboxGitLab = await startGitLabStandIn({ git: stack.git, tokens: [stack.git.token] });
  for (const name of [fleetName, appsName, infraName]) await gitlab.addProject(name, { defaultBranch: 'main' });
  log(`  GitLab API  ${gitlab.apiUrl} (stand-in following GitLab's REST API documentation, backed by the git server)`);
  report.sandbox.gitlabApi = gitlab.apiUrl;
  const issuerRegExp = `^${quoteMeta(GITLAB_ISSUER)}$`;
  identities.issuerRegExp = issuerRegExp;

  /** A d2 command as a GitLab job of `project` at `ref` runs it (the components' scripts). */
  async function job(project: string, ref: string, sha: string, args: string[], extra: Record<string, string> = {}): Promise<Job> {
    const id: GitLabOidcContext = { project, ref, sha };
    const refName = ref.replace(/^refs\/(heads|tags)\//, '');
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DOCKER_CONFIG: work,
      GITLAB_CI: 'true',
      CI_SERVER_URL: 'https://gitlab.com',
      CI_PROJECT_PATH: project,
      CI_PROJECT_URL: `https://gitlab.com/${project}`,
      CI_REGISTRY: reg,
      CI_REGISTRY_IMAGE: `${reg}/${project}`,
      CI_COMMIT_REF_NAME: refName,
      CI_COMMIT_SHA: sha,
      ...(ref.startsWith('refs/tags/') ? { CI_COMMIT_TAG: refName } : {}),
      SIGSTORE_ID_TOKEN: stack.oidc.issueGitLabToken(id),
      ...extra,
    };
    let out = '';
    let err = '';
    const io: Io = { stdout: (x) => void (out += x), stderr: (x) => void (err += x), env };
    const code = await runCli(commands, args, 'demo', io);
    return { code, out, err };
  }
  const sign = ['--sign', '--fulcio-url', stack.sigstore.fulcioURL, '--rekor-url', stack.sigstore.rekorURL, '--trusted-root', trustedRoot];
  const failed = (what: string, j: Job): StepFailure => new StepFailure(`${what} failed (exit ${j.code}): ${j.err.trim().split('\n').slice(-2).join(' ')}`);

  /** The push-artifact component on main of `project`: every component (or the whole fleet), signed. */
  async function push(step: number, pass: string, project: string, s: StepReport): Promise<{ repository: string; component: string; digest: string; pushed: boolean }[]> {
    const { dir, sha } = await checkout(authUrl(project), 'main', work);
    const fleet = project === fleetName;
    const args = fleet
      ? ['push', dir, `oci://${reg}/${project}`, '--diff-tag', 'latest', ...sign, '-o', 'json']
      : ['push', 'components/{component}', '--components', '*', '--workspace', dir, '--diff-tag', 'latest', ...sign, '-o', 'json'];
    const j = await job(project, 'refs/heads/main', sha, args);
    if (j.code !== 0) throw failed(`the push job of ${project}`, j);
    const artifacts = (JSON.parse(j.out) as { artifacts: { component: string; repository: string; pushed: boolean; digest: string; tags: string[]; signature: string }[] }).artifacts;
    for (const x of artifacts) report.pushes.push({ step, pass, repository: x.repository, component: x.component, pushed: x.pushed, digest: x.digest, tags: x.tags, signature: x.signature });
    s.details.push(`${project.split('/')[1]}@${sha.slice(0, 7)}: ${artifacts.map((x) => `${x.component || 'fleet'} ${x.pushed ? 'pushed' : 'unchanged'} ${short(x.digest)}`).join(', ')}`);
    return artifacts;
  }

  const latestBefore = new Map<string, string>();
  const steps: { title: string; run: (s: StepReport) => Promise<void> }[] = [
    {
      title: 'push on main for every component (signed with the GitLab pipeline identity), then again with no change',
      async run(s) {
        for (const p of [appsName, infraName, fleetName]) for (const x of await push(1, 'first', p, s)) latestBefore.set(x.repository, x.digest);
        for (const p of [appsName, infraName, fleetName]) {
          const again = await push(1, 'unchanged', p, s);
          if (again.some((x) => x.pushed)) throw new StepFailure(`the second push of ${p} pushed although nothing changed`);
        }
      },
    },
    {
      title: 'release frontend/v1.0.0 from its tag pipeline (latest-stable moves)',
      async run(s) {
        const sha = await pushTag(authUrl(appsName), 'frontend/v1.0.0', work);
        const { dir } = await checkout(authUrl(appsName), 'frontend/v1.0.0', work);
        const j = await job(appsName, 'refs/tags/frontend/v1.0.0', sha, ['release', '--workspace', dir, ...sign, '-o', 'json']);
        if (j.code !== 0) throw failed('the release job', j);
        const r = JSON.parse(j.out) as { repository: string; digest: string; tags: string[]; certificateIdentity: string };
        report.pushes.push({ step: 2, pass: 'release', repository: r.repository, component: 'frontend', pushed: true, digest: r.digest, tags: r.tags, signature: '' });
        s.details.push(`frontend v1.0.0 → ${r.tags.join(', ')} ${short(r.digest)}, signed by ${r.certificateIdentity}`);
      },
    },
    {
      title: 'newer image tags; d2 update from the fleet (commits on image-updates)',
      async run(s) {
        await seedImages(client, reg, 'newer');
        const { dir, sha } = await checkout(authUrl(fleetName), 'main', work);
        // The fleet's GitRepository URLs point at the git server, which takes the sandbox token.
        const j = await job(fleetName, 'refs/heads/main', sha, ['update', '--automation', 'clusters/update', '--fleet', dir, '-o', 'json'], { GITLAB_TOKEN: stack.git.token });
        if (j.code !== 0) throw failed('the e2e-update job', j);
        ctx.e2eChanges = JSON.stringify((JSON.parse(j.out) as { changes: unknown[] }).changes);
        for (const name of [appsName, infraName]) {
          const ahead = await commitsAhead(authUrl(name), 'main', 'image-updates', work).catch(() => []);
          for (const c of ahead) report.commits.push({ repository: name, branch: 'image-updates', sha: c.sha, kind: 'image-update', subject: c.subject });
          s.details.push(`${name.split('/')[1]}: ${ahead.length} commit(s) on image-updates`);
        }
      },
    },
    {
      title: 'd2 pr --forge gitlab opens the merge request; merge it; push again (new digests)',
      async run(s) {
        const changes = join(work, 'changes.json');
        await writeFile(changes, ctx.e2eChanges || '[]');
        for (const name of [appsName, infraName]) {
          const head = await remoteBranchSha(authUrl(name), 'image-updates');
          if (!head) continue;
          const j = await job(name, 'refs/heads/image-updates', head, ['pr', '--forge', 'gitlab', '--changes', changes, '--labels', 'image-updates', '-o', 'json'], {
            CI_API_V4_URL: gitlab.apiUrl,
            GITLAB_TOKEN: stack.git.token,
          });
          if (j.code !== 0) throw failed(`the merge request job of ${name}`, j);
          const mr = JSON.parse(j.out) as { operation: string; number: number; url: string };
          if (mr.operation !== 'created') throw new StepFailure(`no merge request was created in ${name} (${mr.operation})`);
          // The merge (fast-forward, as GitLab's "fast-forward merge" method does) in the project's repository.
          const dir = await tempDir('d2-demo-merge-', work);
          await git(dir, ['clone', '--quiet', '--branch', 'image-updates', authUrl(name), '.']);
          await git(dir, ['push', '--quiet', authUrl(name), `${head}:refs/heads/main`]);
          report.pullRequests.push({ repository: name, number: mr.number, url: mr.url, operation: mr.operation, headSha: head, merged: true, mergeCommitSha: head });
          report.commits.push({ repository: name, branch: 'main', sha: head, kind: 'merge', subject: `Merge request !${mr.number} (fast-forward)` });
          const initial = report.commits.find((c) => c.repository === name && c.kind === 'initial')?.sha ?? 'main';
          const touched = new Set((await changedPaths(authUrl(name), initial, head, work)).map((f) => /^components\/([^/]+)\//.exec(f)?.[1]).filter(Boolean));
          s.details.push(`${name.split('/')[1]}: MR !${mr.number} created (${mr.url}) and merged → main ${head.slice(0, 7)}`);
          for (const x of await push(4, 'after-merge', name, s)) {
            const before = latestBefore.get(x.repository) ?? '';
            report.merges.push({ repository: x.repository, component: x.component, before, after: x.digest, changed: before !== x.digest, expectedChange: touched.has(x.component) });
          }
        }
        if (report.pullRequests.length === 0) throw new StepFailure('no merge request was created');
        const missed = report.merges.filter((m) => m.expectedChange !== m.changed);
        if (missed.length) throw new StepFailure(`digest changes do not follow the content changes for ${missed.map((m) => m.repository).join(', ')}`);
      },
    },
    {
      title: 'verify every artifact with the GitLab identities (staging: latest, production: latest-stable); wrong identities rejected',
      async run(s) {
        const subject = (project: string, refRegExp: string): string => `^${quoteMeta(gitlabIdentity(project, ''))}${refRegExp}$`;
        // d2 init's fleet names the refs its clusters accept in runtime-info; the built-in repositories use these.
        const mainRef = opts.fromInit ? ctx.staging.ARTIFACT_SUBJECT_GIT_REF : quoteMeta('refs/heads/main');
        const tagRefs = opts.fromInit ? ctx.production.ARTIFACT_SUBJECT_GIT_REF : 'refs/tags/.*';
        if (!mainRef || !tagRefs) throw new StepFailure("the fleet's runtime-info has no ARTIFACT_SUBJECT_GIT_REF");
        const plan = [
          { name: 'staging', tag: 'latest', subject: (p: string) => subject(p, mainRef), expected: 'verified' as const },
          { name: 'production', tag: 'latest-stable', subject: (p: string) => subject(p, tagRefs), expected: 'verified' as const },
          { name: 'wrong-ref', tag: 'latest-stable', subject: (p: string) => subject(p, mainRef), expected: 'rejected' as const },
          { name: 'wrong-project', tag: 'latest', subject: () => subject(infraName, mainRef), expected: 'rejected' as const, only: appsName },
        ];
        const repos = [...new Set(report.pushes.map((p) => `${p.repository}\u0000${p.component}`))].map((k) => k.split('\u0000'));
        for (const p of plan) {
          const used = new Set<string>();
          for (const [repository, component] of repos) {
            const project = [appsName, infraName, fleetName].find((n) => repository === `${reg}/${n}` || repository.startsWith(`${reg}/${n}/`)) ?? '';
            if (p.only && project !== p.only) continue;
            const ref = { registry: reg, repository: repository.slice(reg.length + 1) };
            const digest = (await client.headManifest(ref, p.tag))?.digest;
            if (!digest) continue;
            if (!report.artifacts.some((a) => a.repository === repository && a.digest === digest)) {
              report.artifacts.push({ repository, source: project, component, digest, tags: [p.tag], signature: `${repository}:sha256-${digest.slice(7)}.sig`, verifiedAs: [] });
            }
            used.add(project);
            const reference = `oci://${repository}:${p.tag}`;
            const v = await dVerify(reference, p.subject(project), issuerRegExp, trustedRoot, { DOCKER_CONFIG: work });
            const ok = v.result === p.expected;
            if (v.result === 'verified') report.artifacts.find((a) => a.repository === repository && a.digest === digest)?.verifiedAs.push(p.name);
            report.verifications.push({ repository, reference, digest, identity: p.name, subjectRegExp: p.subject(project), issuerRegExp, expected: p.expected, result: v.result, ok, message: v.message });
            s.details.push(`${ok ? '✓' : '✗'} ${p.name.padEnd(14)} ${repository.slice(reg.length + 1)}:${p.tag} ${v.result}`);
          }
          if (used.size) identities.identities.push({ name: p.name, tag: p.tag, expected: p.expected, issuerRegExp, subjects: [...used].map((repository) => ({ repository, subjectRegExp: p.subject(repository) })) });
        }
        const bad = report.verifications.filter((v) => !v.ok);
        if (bad.length) throw new StepFailure(`${bad.length} verification(s) did not give the expected result: ${bad.map((b) => `${b.identity} ${b.reference}`).join(', ')}`);
        for (const need of ['production', 'wrong-ref', 'wrong-project']) {
          if (!report.verifications.some((v) => v.identity === need)) throw new StepFailure(`no ${need} verification ran`);
        }
      },
    },
  ];

  await runSteps(steps, report.steps, log, (step, s) => step.run(s));
  await writeReport(report, started, opts.out);
  await writeFile(join(opts.out, 'identities.json'), JSON.stringify(identities, null, 2) + '\n');
  client.close();
  log(`\n${report.ok ? '✓ every step and verification passed' : `✗ ${report.steps.filter((s) => !s.ok).length} of ${report.steps.length} steps failed`} in ${ms(report.durationMs)}`);
  const stop = stack.stop;
  return {
    ok: report.ok,
    report,
    stack: { ...stack, stop: async () => (await gitlab.stop(), await stop()) },
    cleanup: () => cleanupWork(ctx),
  };
}

async function cleanupWork(ctx: DemoContext): Promise<void> {
  const { rm } = await import('node:fs/promises');
  await rm(ctx.work, { recursive: true, force: true });
}
