import { describe, expect, it } from 'vitest';
import { runCli, type Io } from '../src/cli.js';
import { commandLoaders, commandsFor } from '../src/command-loader.js';
import { commands } from '../src/commands/index.js';

function io(): Io & { out: string; err: string } {
  const o = { out: '', err: '', env: {} as NodeJS.ProcessEnv, stdout: (s: string) => void (o.out += s), stderr: (s: string) => void (o.err += s) };
  return o;
}

describe('d2 command loader (one command module per start)', () => {
  it('names exactly the commands of the help table, in its order, and loads the same objects', async () => {
    expect(Object.keys(commandLoaders)).toEqual(commands.map((c) => c.name));
    for (const c of commands) expect(await commandLoaders[c.name](), c.name).toBe(c);
  });

  it.each([
    [['version'], ['version']],
    [['--version'], ['version']],
    [['version', '-o', 'json'], ['version']],
    [['policy', 'select', '--tags', 'x'], ['policy select']],
    [['push', '.', 'oci://127.0.0.1:1/a/b'], ['push']],
    [['demo', '--help'], ['demo']],
  ])('%j loads only %j', async (argv, names) => {
    expect((await commandsFor(argv)).map((c) => c.name)).toEqual(names);
  });

  it.each([[[]], [['--help']], [['help']], [['-h']], [['nope']], [['policy']], [['toString']], [['constructor', 'x']]])(
    '%j loads the whole table (help and unknown commands list every command)',
    async (argv) => {
      expect(await commandsFor(argv)).toBe(commands);
    },
  );

  it('answers every argv as the whole table does (exit code, stdout, stderr)', async () => {
    const argvs = [[], ['--help'], ['nope'], ['policy'], ['toString'], ['--version'], ['version', '--bogus'], ['version', '-o', 'yaml'], ...commands.map((c) => [...c.name.split(' '), '--help'])];
    for (const argv of argvs) {
      const lazy = io();
      const full = io();
      const lazyCode = await runCli(await commandsFor(argv), argv, '0.0.0', lazy);
      const fullCode = await runCli(commands, argv, '0.0.0', full);
      expect({ code: lazyCode, out: lazy.out, err: lazy.err }, argv.join(' ')).toEqual({ code: fullCode, out: full.out, err: full.err });
    }
  });
});
