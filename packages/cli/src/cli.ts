import { parseArgs, type ParseArgsConfig } from 'node:util';
import { clip, clipRuns, CLIP_LENGTH, D2Error, InputError, formatError } from '@d2/core';

/**
 * The d2 command: one binary, subcommands, `--help` on each, `--output json|text`.
 * Progress goes to stderr, results to stdout. Exit codes (docs/cli.md):
 *   0 success · 1 the operation failed (registry, signature, verification, diff found changes) · 2 usage or input error
 *   (InputError, or a D2Error with code INPUT_INVALID: rejected before any side effect).
 */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export type OutputFormat = 'json' | 'text';

export interface CommandContext {
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  output: OutputFormat;
  /** Progress and diagnostics (stderr). */
  log: (msg: string) => void;
  /** The result (stdout): JSON for --output json, text otherwise. */
  result: (value: unknown, text?: string) => void;
  env: NodeJS.ProcessEnv;
  /** The script of build worker threads (`build-worker.cjs` next to the bundle), when known (core flux/build-pool.ts). */
  buildWorker?: URL;
}

export interface Command {
  /** e.g. 'build' or 'policy select'. */
  name: string;
  summary: string;
  usage: string;
  /** Extra help text (flags, examples). */
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /**
   * When set, `-o/--output` values other than json|text go to this option instead (e.g. `d2 build -o out.tgz`, the
   * form docs/cli.md documents), so the common flag and the file flag share `-o` without ambiguity.
   */
  outputFileOption?: string;
  /** Output format without --output (default text). */
  defaultOutput?: OutputFormat;
  /** Returns the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

const commonOptions: NonNullable<ParseArgsConfig['options']> = {
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
};

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  env: NodeJS.ProcessEnv;
  /** Where the build worker script is (see CommandContext.buildWorker). */
  buildWorker?: URL;
}

export const processIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
};

export function usageText(commands: Command[], version: string): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `d2 ${version} — Flux D2 gitless GitOps: build, push, sign, release, update and verify OCI artifacts`,
    '',
    'Usage: d2 <command> [flags]      (d2 <command> --help for details)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common flags: -o, --output json|text   -h, --help',
    'Exit codes: 0 success, 1 operation failed (d2 diff: changes found), 2 usage or input error.',
    'Credentials: --creds USER:PASS, D2_REGISTRY_USERNAME/PASSWORD, or the docker config; OIDC: SIGSTORE_ID_TOKEN, SIGSTORE_ID_TOKEN_FILE or GitHub Actions.',
  ].join('\n');
}

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/**
 * A flag that takes one value and was given more than once is a usage error: with "the last one wins" a command would
 * silently drop a value (`d2 build -o out.tgz -o text` would write no file). For a command whose `-o` also names an
 * output file (`outputFileOption`), `-o FILE` together with `--out-file`/`-f` is the same mistake. Boolean flags may
 * repeat (they mean the same every time); flags declared `multiple` collect every value.
 */
export function conflictingFlags(tokens: Token[] | undefined, options: NonNullable<ParseArgsConfig['options']>, outputFileOption?: string): string | undefined {
  const seen = new Map<string, Extract<Token, { kind: 'option' }>>();
  for (const t of tokens ?? []) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec || spec.type !== 'string' || spec.multiple) continue;
    const before = seen.get(t.name);
    if (before) {
      return `${before.rawName} '${clip(before.value ?? '', 64)}' and ${t.rawName} '${clip(t.value ?? '', 64)}': --${t.name} takes one value and was given more than once`;
    }
    seen.set(t.name, t);
  }
  if (outputFileOption) {
    const output = seen.get('output');
    const file = seen.get(outputFileOption);
    if (output && file && output.value !== 'json' && output.value !== 'text') {
      return `${output.rawName} '${clip(output.value ?? '', 64)}' and ${file.rawName} '${clip(file.value ?? '', 64)}' both name the output file; give it once`;
    }
  }
  return undefined;
}

/** Finds the command for argv (longest match of up to two words, e.g. `policy select`). */
export function findCommand(commands: Command[], argv: string[]): { command?: Command; rest: string[] } {
  const two = argv.slice(0, 2).join(' ');
  const c2 = commands.find((c) => c.name === two);
  if (c2) return { command: c2, rest: argv.slice(2) };
  const c1 = commands.find((c) => c.name === argv[0]);
  if (c1) return { command: c1, rest: argv.slice(1) };
  return { rest: argv };
}

export async function runCli(commands: Command[], argv: string[], version: string, io: Io = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(usageText(commands, version) + '\n');
    return argv.length === 0 ? EXIT_USAGE : EXIT_OK;
  }
  if (argv[0] === '--version') argv = ['version'];
  const { command, rest } = findCommand(commands, argv);
  if (!command) {
    io.stderr(`d2: unknown command '${clip(argv.join(' '))}'\n\n${usageText(commands, version)}\n`);
    return EXIT_USAGE;
  }
  const options = { ...commonOptions, ...command.options };
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    io.stderr(`d2 ${command.name}: ${clipRuns((err as Error).message, CLIP_LENGTH)}\nUsage: ${command.usage}\n`);
    return EXIT_USAGE;
  }
  const conflict = conflictingFlags(parsed.tokens, options, command.outputFileOption);
  if (conflict) {
    io.stderr(`d2 ${command.name}: ${conflict}\nUsage: ${command.usage}\n`);
    return EXIT_USAGE;
  }
  if (parsed.values.help) {
    io.stdout(`Usage: ${command.usage}\n\n${command.summary}\n\n${command.help.trim()}\n\nCommon flags: -o, --output json|text   -h, --help\n`);
    return EXIT_OK;
  }
  let output = (parsed.values.output as string | undefined) ?? command.defaultOutput ?? 'text';
  if (output !== 'json' && output !== 'text' && command.outputFileOption) {
    (parsed.values as Record<string, unknown>)[command.outputFileOption] = output;
    output = command.defaultOutput ?? 'text';
  }
  if (output !== 'json' && output !== 'text') {
    io.stderr(`d2 ${command.name}: --output must be json or text, got '${clip(output)}'\n`);
    return EXIT_USAGE;
  }
  const ctx: CommandContext = {
    args: rest,
    values: parsed.values as CommandContext['values'],
    positionals: parsed.positionals,
    output,
    env: io.env,
    ...(io.buildWorker ? { buildWorker: io.buildWorker } : {}),
    log: (msg) => io.stderr(msg.endsWith('\n') ? msg : msg + '\n'),
    result: (value, text) => {
      if (output === 'json') io.stdout(JSON.stringify(value, null, 2) + '\n');
      else io.stdout((text ?? (typeof value === 'string' ? value : JSON.stringify(value, null, 2))) + '\n');
    },
  };
  try {
    return await command.run(ctx);
  } catch (err) {
    io.stderr(`✗ d2 ${command.name}: ${formatError(err)}\n`);
    return err instanceof InputError || (err instanceof D2Error && err.code === 'INPUT_INVALID') ? EXIT_USAGE : EXIT_FAILED;
  }
}

/** Helpers for commands. */
export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name];
  const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  return raw.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

export function requirePositional(ctx: CommandContext, index: number, what: string, usage: string): string {
  const v = ctx.positionals[index];
  if (!v) throw new InputError(`missing ${what}`, `usage: ${usage}`);
  return v;
}
