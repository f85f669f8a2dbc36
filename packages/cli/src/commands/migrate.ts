import { resolve } from 'node:path';
import { SUITE_REF, SUITE_REPOSITORY } from '../adopt/suite.js';
import { EXIT_OK, str, type Command } from '../cli.js';
import { migrationDiff, planMigration, writeMigration, type MigrationNote } from '../adopt/migrate/index.js';

const USAGE = 'd2 migrate [--dir D] [--write]';

const MARK: Record<MigrationNote['kind'], string> = { migrated: '→', removed: '−', kept: '=', 'left-as-is': '·', warning: '!' };

/** `d2 migrate`: rewrites a D2 repository's workflows to this suite's actions (docs/adopt.md "d2 migrate"). */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: "Rewrite an existing D2 repository's workflows to these actions (prints a diff; --write applies it)",
  usage: USAGE,
  help: `Reads .github/workflows/*.y(a)ml of the repository in --dir and rewrites the D2 jobs:
  push     setup-flux, cosign-installer, docker/login-action, distribution/actions/push, cosign sign → push-artifact
           (a matrix over component becomes its components input)
  release  the bash cut of <component>/<version> + push + cosign sign → release-artifact
  PR       gh pr create → image-updates-pr
  Kind e2e-update (Flux Operator + image automation controllers) → e2e-update with automation: clusters/update
Triggers, permissions, job names, secrets, file names (so the signing identity the clusters verify) and every step it
does not recognise are kept; Kind reconciliation tests (e2e-staging, e2e-production) and validate.yaml are left as
they are. The report (stderr) says what was migrated, removed, kept or left, and warns about what needs a look by
hand. The actions are named ${SUITE_REPOSITORY}/actions/<name>@${SUITE_REF} (docs/adopt.md).

Without --write it prints a unified diff (stdout) and changes nothing; with --write it writes the changed files (all
or none).

  --dir D                     the repository (default: the current directory)
  --write                     write the migrated workflows

Exit codes: 0 done (diff printed or files written), 1 a write failed, 2 usage or input error (no .github/workflows,
a file that is not valid YAML): nothing is written.`,
  options: { dir: { type: 'string' }, write: { type: 'boolean' } },
  async run(ctx) {
    const dir = resolve(str(ctx, 'dir') ?? '.');
    const migration = await planMigration(dir);
    for (const n of migration.notes) ctx.log(`${MARK[n.kind]} ${n.file}${n.job ? ` (job ${n.job})` : ''}: ${n.message}`);
    const changed = migration.files.filter((f) => f.changed).map((f) => f.path);
    const written = ctx.values.write === true ? await writeMigration(migration) : [];
    const diff = migrationDiff(migration);
    ctx.result(
      { dir, changed, written, notes: migration.notes, ...(ctx.values.write === true ? {} : { diff }) },
      ctx.values.write === true
        ? changed.length === 0
          ? 'nothing to migrate'
          : `written: ${written.join(', ')}`
        : diff === ''
          ? 'nothing to migrate'
          : diff.replace(/\n$/, ''),
    );
    return EXIT_OK;
  },
};
