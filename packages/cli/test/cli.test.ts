import { describe, expect, it } from 'vitest';
import { runCli, type Io } from '../src/cli.js';
import { commands } from '../src/commands/index.js';

function io(): Io & { out: string; err: string } {
  const o = { out: '', err: '', env: {} as NodeJS.ProcessEnv, stdout: (s: string) => void (o.out += s), stderr: (s: string) => void (o.err += s) };
  return o;
}

describe('d2 CLI framework', () => {
  it('prints usage and exits 2 without a command', async () => {
    const t = io();
    expect(await runCli(commands, [], '0.0.0', t)).toBe(2);
    expect(t.out).toContain('Usage: d2 <command>');
  });

  it('rejects an unknown command with exit 2', async () => {
    const t = io();
    expect(await runCli(commands, ['nope'], '0.0.0', t)).toBe(2);
    expect(t.err).toContain("unknown command 'nope'");
  });

  it('prints version as JSON on stdout', async () => {
    const t = io();
    expect(await runCli(commands, ['version', '-o', 'json'], '0.0.0', t)).toBe(0);
    expect(JSON.parse(t.out).node).toBe(process.versions.node);
  });

  it('rejects unknown flags and bad --output values', async () => {
    const t = io();
    expect(await runCli(commands, ['version', '--bogus'], '0.0.0', t)).toBe(2);
    expect(await runCli(commands, ['version', '-o', 'yaml'], '0.0.0', t)).toBe(2);
    expect(t.err).toContain('--output must be json or text');
  });

  it('every command has --help', async () => {
    for (const c of commands) {
      const t = io();
      expect(await runCli(commands, [...c.name.split(' '), '--help'], '0.0.0', t)).toBe(0);
      expect(t.out).toContain(`Usage: ${c.usage}`);
    }
  });
});
