/**
 * Conflicting or repeated flags are a usage error (exit 2), never "the last one wins" (docs/cli.md, "Flags"):
 * `d2 build -o out.tgz -o text` used to write no file and exit 0. Checked through the CLI bundle for the reported
 * cases, and in-process (runCli, the code the bundle runs) for every single-value flag of every command.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type Io } from '../../packages/cli/src/cli.js';
import { commands } from '../../packages/cli/src/commands/index.js';
import { ensureCliBundle, runD2, writeFiles } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'd2-adv-flags-'));
writeFiles(dir, { 'app/deploy.yaml': 'kind: ConfigMap\n' });

beforeAll(() => ensureCliBundle());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('d2 build: -o names the output file or the format, once', () => {
  it.each([
    [['-o', 'out.tgz', '-o', 'text'], /-o 'out\.tgz' and -o 'text': --output takes one value and was given more than once/],
    [['-o', 'text', '-o', 'out.tgz'], /--output takes one value/],
    [['-o', 'json', '--output', 'text'], /-o 'json' and --output 'text'/],
    [['-o', 'out.tgz', '-f', 'other.tgz'], /-o 'out\.tgz' and -f 'other\.tgz' both name the output file/],
    [['--out-file', 'a.tgz', '--out-file', 'b.tgz'], /--out-file takes one value/],
    [['--compressor', 'zlib', '--compressor', 'go-flate'], /--compressor takes one value/],
    [['--created', 'now', '--created', '2026-01-01T00:00:00Z'], /--created takes one value/],
  ])('d2 build app %j → exit 2, no file written', async (flags, message) => {
    const r = await runD2(['build', 'app', ...flags], { cwd: dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('Usage: d2 build');
    for (const f of ['out.tgz', 'other.tgz', 'a.tgz', 'b.tgz']) expect(existsSync(join(dir, f)), f).toBe(false);
  });

  it('one -o FILE still writes the file; -o FILE with -o-less format default is fine', async () => {
    const r = await runD2(['build', 'app', '-o', 'out.tgz'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'out.tgz'))).toBe(true);
    const both = await runD2(['build', 'app', '-o', 'text', '-f', 'both.tgz'], { cwd: dir });
    expect(both.code, both.stderr).toBe(0);
    expect(existsSync(join(dir, 'both.tgz'))).toBe(true);
    expect(both.stdout).toMatch(/^.*app: 1 files/m);
  });
});

describe('every single-value flag of every command, given twice, is a usage error', () => {
  async function d2(args: string[]): Promise<{ code: number; err: string }> {
    let err = '';
    const io: Io = { stdout: () => undefined, stderr: (s) => void (err += s), env: { PATH: process.env.PATH } };
    const code = await runCli(commands, args, '0.0.0-test', io);
    return { code, err };
  }

  const cases = commands.flatMap((c) =>
    Object.entries<{ type: string; multiple?: boolean }>({ output: { type: 'string' }, ...c.options })
      .filter(([, spec]) => spec.type === 'string' && !spec.multiple)
      .map(([name]) => [c.name, name] as const),
  );

  it('covers the commands and their flags', () => {
    // The list is derived from the commands themselves; it must not be empty or the checks below prove nothing.
    expect(cases.length).toBeGreaterThan(40);
    expect(cases).toContainEqual(['push', 'diff-tag']);
    expect(cases).toContainEqual(['update', 'policies-path']);
  });

  it.each(cases)('d2 %s: --%s given twice', async (command, flag) => {
    // With --help the command itself never runs, even where the check is missing (then the help is printed, exit 0).
    const r = await d2([...command.split(' '), `--${flag}`, 'first', `--${flag}`, 'second', '--help']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`--${flag} 'first' and --${flag} 'second': --${flag} takes one value and was given more than once`);
  });

  it('flags declared repeatable still collect every value; booleans may repeat', async () => {
    // --tags and --ignore-paths are repeatable: the error (a missing positional) is not about repetition.
    const r = await d2(['push', '--tags', 'a', '--tags', 'b', '--ignore-paths', 'x', '--ignore-paths', 'y', '--insecure', '--insecure']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/missing the directory/);
    expect(r.err).not.toMatch(/more than once/);
    const help = await d2(['push', '--tags', 'a', '--tags', 'b', '--help']);
    expect(help.code).toBe(0);
  });
});
