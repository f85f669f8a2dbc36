import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InputError } from '@d2/core';
import { EXIT_FAILED, EXIT_OK, str, type Command } from '../cli.js';
import { checkRegistryFlag } from '../demo/registry-flag.js';

const USAGE = 'd2 demo [--forge github|gitlab] [--provider aws] [--registry HOST:PORT] [--out DIR] [--keep] [--from-init]';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Run the whole D2 loop locally on real parts: push, sign, release, update, PR, merge, verify',
  usage: USAGE,
  help: `Starts the local stack (CNCF distribution registry unless --registry is given, Sigstore stand-in, Actions-like OIDC
endpoint, git remotes, GitHub API emulator), creates D2-shaped repositories (d2-fleet with clusters/{staging,production,
update} and tenants/, d2-infra and d2-apps with two components each and $imagepolicy markers) and runs the four actions
through their committed bundles, as D2's workflows would:
  1 push-artifact on main for every component and the fleet (signed), then again with no change (nothing pushed)
  2 release-artifact for frontend/v1.0.0 (latest-stable moves, release workflow identity)
  3 newer image tags in the registry; e2e-update from the fleet's clusters/update (commits on image-updates)
  4 image-updates-pr creates the PR; it is merged; push-artifact runs again (new digests)
  5 d2 verify of every artifact with the staging identity (latest) and the production identity (latest-stable);
    wrong identities are rejected
Progress and timings go to stderr; the result summary to stdout.

  --forge github|gitlab       gitlab: the same loop as GitLab pipelines run it (the d2 commands of the components in
                              templates/, with GitLab job variables and GitLab identities; merge requests on the
                              GitLab API stand-in; docs/gitlab.md "d2 demo --forge gitlab")
  --provider aws              the push and release steps against an ECR stand-in (moto's STS and ECR, a registry that
                              accepts only the ECR token) with provider: aws and no registry secret; then d2 verify
                              --provider aws (docs/cloud-registries.md "Amazon ECR"); needs moto (the set-up installs it)
  --registry HOST:PORT        use this anonymous loopback registry (plain HTTP) instead of starting one
  --out DIR                   where to write report.json, trusted_root.json, identities.json (default: a new temp dir)
  --from-init                 seed the repositories with what d2 init writes (moved onto the local registry and git
                              server) instead of the built-in D2-shaped ones; with --forge gitlab, d2 init's GitLab
                              projects
  --keep                      leave the servers running afterwards; prints how to reach and stop them
                              (DIR/sandbox.json holds the URLs and the sandbox git/API token, DIR/demo.pid the PID)

Exit codes: 0 every step and verification passed, 1 a step failed (report.json says which and why), 2 usage error.`,
  options: { forge: { type: 'string' }, provider: { type: 'string' }, registry: { type: 'string' }, out: { type: 'string' }, keep: { type: 'boolean' }, 'from-init': { type: 'boolean' } },
  async run(ctx) {
    const registry = str(ctx, 'registry');
    if (registry !== undefined) checkRegistryFlag(registry);
    const forge = str(ctx, 'forge') ?? 'github';
    if (forge !== 'github' && forge !== 'gitlab') throw new InputError(`--forge must be github or gitlab, got '${forge}'`);
    const out = resolve(str(ctx, 'out') ?? (await mkdtemp(join(tmpdir(), 'd2-demo-'))));
    ctx.log(`output directory: ${out}`);
    // The demo and its stack (the sandbox) load only when the demo runs (docs/architecture.md "CLI start-up").
    const provider = str(ctx, 'provider');
    if (provider !== undefined && provider !== 'aws') throw new InputError(`--provider must be aws, got '${provider}'`, 'the demo runs the AWS path on moto; gcp and azure are shown by the tests against their stand-ins (docs/cloud-registries.md)');
    if (provider === 'aws') {
      if (forge === 'gitlab' || registry !== undefined || ctx.values['from-init'] === true || ctx.values.keep === true) {
        throw new InputError('--provider aws runs on its own stack: it cannot be combined with --forge gitlab, --registry, --from-init or --keep');
      }
      const aws = await (await import('../demo/aws.js')).runAwsDemo({ out, log: ctx.log });
      await aws.stop();
      ctx.result(
        { ok: aws.ok, out, durationMs: aws.report.durationMs, steps: aws.report.steps.map((s) => ({ id: s.id, title: s.title, ok: s.ok, durationMs: s.durationMs, ...(s.error ? { error: s.error } : {}) })) },
        aws.report.steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.id}. ${s.title} (${s.durationMs} ms)${s.error ? `\n    ${s.error}` : ''}`).join('\n') + `\nreport: ${join(out, 'report.json')}`,
      );
      return aws.ok ? EXIT_OK : EXIT_FAILED;
    }
    const result =
      forge === 'gitlab'
        ? await (await import('../demo/gitlab.js')).runGitLabDemo({ registry, out, log: ctx.log, fromInit: ctx.values['from-init'] === true })
        : await (await import('../demo/run.js')).runDemo({ registry, out, log: ctx.log, fromInit: ctx.values['from-init'] === true });
    const { report, stack } = result;
    ctx.result(
      {
        ok: report.ok,
        out,
        durationMs: report.durationMs,
        steps: report.steps.map((s) => ({ id: s.id, title: s.title, ok: s.ok, durationMs: s.durationMs, ...(s.error ? { error: s.error } : {}) })),
      },
      report.steps.map((s) => `${s.ok ? '✓' : '✗'} ${s.id}. ${s.title} (${s.durationMs} ms)${s.error ? `\n    ${s.error}` : ''}`).join('\n') + `\nreport: ${join(out, 'report.json')}`,
    );
    const code = report.ok ? EXIT_OK : EXIT_FAILED;
    if (ctx.values.keep !== true) {
      await stack.stop();
      await result.cleanup();
      return code;
    }
    const sandbox = {
      pid: process.pid,
      registry: `http://${stack.registry}`,
      git: stack.git.url,
      gitUsername: stack.git.username,
      gitToken: stack.git.token,
      githubApi: stack.github.url,
      fulcio: stack.sigstore.fulcioURL,
      rekor: stack.sigstore.rekorURL,
      oidc: stack.oidc.url,
      trustedRoot: join(out, 'trusted_root.json'),
      repositories: ['d2-fleet', 'd2-apps', 'd2-infra'].map((r) => `${stack.git.url}/${report.owner}/${r}.git`),
    };
    await writeFile(join(out, 'sandbox.json'), JSON.stringify(sandbox, null, 2) + '\n', { mode: 0o600 });
    await writeFile(join(out, 'demo.pid'), `${process.pid}\n`);
    ctx.log(
      [
        '',
        'The servers keep running (--keep):',
        `  registry    http://${stack.registry}   e.g. skopeo list-tags --tls-verify=false docker://${stack.registry}/${report.owner}/d2-apps/frontend`,
        `  git         ${stack.git.url}/${report.owner}/{d2-fleet,d2-apps,d2-infra}.git   (user ${stack.git.username}, token in ${join(out, 'sandbox.json')})`,
        `  GitHub API  ${stack.github.url}   e.g. curl -H "Authorization: Bearer $(jq -r .gitToken ${join(out, 'sandbox.json')})" ${stack.github.url}/repos/${report.owner}/d2-apps/pulls?state=all`,
        `  Sigstore    ${stack.sigstore.url} · OIDC ${stack.oidc.url}`,
        `  verify      d2 verify oci://${stack.registry}/${report.owner}/d2-apps/frontend:latest-stable --trusted-root ${join(out, 'trusted_root.json')} \\`,
        `                --certificate-identity-regexp "$(jq -r '.identities[] | select(.name=="production") | .subjects[0].subjectRegExp' ${join(out, 'identities.json')})" \\`,
        `                --certificate-oidc-issuer-regexp "$(jq -r .issuerRegExp ${join(out, 'identities.json')})"`,
        `Stop them with: kill ${process.pid}   (or: kill $(cat ${join(out, 'demo.pid')}), or Ctrl-C)`,
      ].join('\n'),
    );
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        done();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    ctx.log('stopping the demo servers…');
    await stack.stop();
    await result.cleanup();
    return code;
  },
};
