import { resolve } from 'node:path';
import { SUITE_GITLAB_PROJECT, SUITE_REF, SUITE_REPOSITORY } from '../adopt/suite.js';
import { EXIT_OK, requirePositional, str, type Command } from '../cli.js';
import { initFiles, initPlan, writeInit } from '../adopt/init/index.js';

const USAGE = 'd2 init fleet|apps|infra --owner <org|group> [--forge github|gitlab] [--dir D] [--force]';

/** `d2 init`: writes a working D2 repository (docs/adopt.md "d2 init"). */
export const initCommand: Command = {
  name: 'init',
  summary: 'Write a new D2 repository (fleet, apps or infra): CI (GitHub workflows or .gitlab-ci.yml), clusters, components, update policies',
  usage: USAGE,
  help: `Writes the files of one of the three D2 repositories of <org> (d2-fleet, d2-apps, d2-infra) into --dir:
  fleet   clusters/{staging,production,update}, tenants/, workflows push-artifact, release-artifact, e2e-update
  apps    components/frontend, update-policies/, workflows push-artifact, release-artifact, image-updates
  infra   components/cert-manager, update-policies/, the same workflows as apps
and a README.md that lists what to create on GitHub (tokens, environment, branch and tag protection). The workflows
use this suite's actions; the clusters' runtime-info and matchOIDCIdentity accept exactly the identities those
workflows sign with (push-artifact.yaml at refs/heads/main for staging, release-artifact.yaml at a tag for production).
The workflows name the actions ${SUITE_REPOSITORY}/actions/<name>@${SUITE_REF}: replace ${SUITE_REPOSITORY} with the
repository you install this suite from.

With --forge gitlab, the same repositories for gitlab.com: one .gitlab-ci.yml per project instead of the workflows,
including this suite's CI/CD components as $CI_SERVER_FQDN/${SUITE_GITLAB_PROJECT}/<name>@${SUITE_REF} (replace
${SUITE_GITLAB_PROJECT} with the project you install them in); artifacts in registry.gitlab.com/<group>/<project>; the
clusters accept https://gitlab.com/<group>/<project>//.gitlab-ci.yml at refs/heads/main (staging) and at a tag
(production); the README lists what to create on GitLab (protected branch and tags, GITLAB_TOKEN, a pipeline
schedule, a deploy token). docs/adopt.md "d2 init on GitLab".

  --owner ORG|GROUP           GitHub organisation or user, or with --forge gitlab the GitLab group or subgroup path
                              (e.g. acme/platform), that holds the three repositories (required)
  --forge github|gitlab       where the repositories live (default github)
  --dir D                     where to write (default: the current directory)
  --force                     overwrite existing files (without it, nothing is written when any file exists)

Exit codes: 0 written, 1 a write failed (nothing is left behind), 2 usage or input error (nothing written).

Examples:
  d2 init fleet --owner acme --dir d2-fleet && d2 init apps --owner acme --dir d2-apps
  d2 init fleet --owner acme/platform --forge gitlab --dir d2-fleet`,
  options: { owner: { type: 'string' }, forge: { type: 'string' }, dir: { type: 'string' }, force: { type: 'boolean' } },
  async run(ctx) {
    const kind = requirePositional(ctx, 0, 'the repository kind (fleet, apps or infra)', USAGE);
    const plan = initPlan(kind, str(ctx, 'owner'), str(ctx, 'forge'));
    const dir = resolve(str(ctx, 'dir') ?? '.');
    const files = initFiles(plan);
    const result = await writeInit(dir, files, ctx.values.force === true);
    ctx.result(
      { kind: plan.kind, owner: plan.owner, dir, files: result.written, overwritten: result.overwritten },
      [
        `${plan.repos[plan.kind]} for ${plan.owner} written to ${dir} (${result.written.length} files${result.overwritten.length ? `, ${result.overwritten.length} overwritten` : ''}):`,
        ...result.written.map((f) => `  ${f}`),
        `Next: read ${resolve(dir, 'README.md')} ("On ${plan.forge === 'gitlab' ? 'GitLab' : 'GitHub'}, before the first run").`,
      ].join('\n'),
    );
    return EXIT_OK;
  },
};
