import type { Command } from './cli.js';

/**
 * What `d2` loads at start: only the module of the command named on the command line, so a command starts without
 * the code of the others (the demo's sandbox stack, Octokit, sigstore) — docs/architecture.md "CLI start-up".
 * Names must match `commands` (commands/index.ts, the help order); a test checks both lists. Anything else (help, an
 * unknown or partial command) loads the whole table, so its output is the same as before.
 */
export const commandLoaders: Record<string, () => Promise<Command>> = {
  build: async () => (await import('./commands/build.js')).buildCommand,
  push: async () => (await import('./commands/push.js')).pushCommand,
  diff: async () => (await import('./commands/diff.js')).diffCommand,
  tag: async () => (await import('./commands/tag.js')).tagCommand,
  release: async () => (await import('./commands/release.js')).releaseCommand,
  sign: async () => (await import('./commands/sign.js')).signCommand,
  verify: async () => (await import('./commands/verify.js')).verifyCommand,
  sbom: async () => (await import('./commands/sbom.js')).sbomCommand,
  'verify-attestation': async () => (await import('./commands/verify-attestation.js')).verifyAttestationCommand,
  'policy select': async () => (await import('./commands/policy-select.js')).policySelectCommand,
  update: async () => (await import('./commands/update.js')).updateCommand,
  pr: async () => (await import('./commands/pr.js')).prCommand,
  init: async () => (await import('./commands/init.js')).initCommand,
  migrate: async () => (await import('./commands/migrate.js')).migrateCommand,
  demo: async () => (await import('./commands/demo.js')).demoCommand,
  version: async () => (await import('./commands/version.js')).versionCommand,
};

/**
 * The commands runCli needs for `argv`: the one it names (the same longest match of up to two words as findCommand;
 * `--version` is `version`), or the whole table.
 */
export async function commandsFor(argv: string[]): Promise<Command[]> {
  const loader = (name: string | undefined): (() => Promise<Command>) | undefined =>
    name !== undefined && Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  const load = loader(argv.slice(0, 2).join(' ')) ?? loader(argv[0] === '--version' ? 'version' : argv[0]);
  if (load) return [await load()];
  return (await import('./commands/index.js')).commands;
}
