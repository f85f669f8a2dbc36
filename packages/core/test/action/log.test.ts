/**
 * The runner-log adapter: whatever untrusted text goes in, the runner acts on no command of it. The output is read
 * with the runner's own rules (packages/sandbox/src/workflow-commands.ts). Removing the stop-commands guard from
 * guardCommands, or the one-line rendering of group titles, fails these tests.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseWorkflowCommands } from '@d2/sandbox/workflow-commands';
import { prngInt } from '@d2/sandbox/random';
import { actionLog, guardCommands, mayIssueCommands, oneLine, stopToken } from '../../src/action/log.js';

/** Fragments an attacker combines: every line break the runner honours, blanks it trims, both command syntaxes. */
const FRAGMENTS = ['\n', '\r', '\r\n', ' ', '\t', '\u00a0', '\u2028', '\u0085', '::', '::warning::x', '::set-output name=a::b', '##[', '##[error]x', '##[add-mask]x', ']', '%0A', 'stop-commands', '::stop-commands::t', '::t::', 'name', 'é', '`'];

function attack(seed: number): string {
  const pick = prngInt(seed);
  return Array.from({ length: 1 + pick(12) }, () => FRAGMENTS[pick(FRAGMENTS.length)]).join('');
}

describe('guardCommands', () => {
  it('2,000 random combinations of line breaks, blanks and command syntax: the runner sees only the stop/resume pair', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const text = attack(seed);
      const commands = parseWorkflowCommands(`${guardCommands(text)}\n`).map((c) => c.command);
      if (mayIssueCommands(text)) expect(commands, JSON.stringify(text)).toEqual(['stop-commands', 'resume-commands']);
      else expect(commands, JSON.stringify(text)).toEqual([]);
    }
  });

  it('whatever the runner would read as a command is detected (mayIssueCommands agrees with the runner)', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const text = attack(seed);
      if (parseWorkflowCommands(text).length > 0) expect(mayIssueCommands(text), JSON.stringify(text)).toBe(true);
    }
  });

  it('ordinary text is written unchanged (no guard noise in the log)', () => {
    for (const text of ['pushed ghcr.io/acme/app@sha256:abc', 'a: b :: c', 'line one\n  hint: do this', 'C:\\path', '# heading']) {
      expect(guardCommands(text)).toBe(text);
    }
  });

  it('the resume token never occurs in the guarded text, whatever its case', () => {
    const tokens = ['AAAA', 'bbbb'];
    const token = stopToken('x ::D2-AAAA:: y', () => tokens.shift() ?? 'cccc');
    expect(token).toBe('d2-bbbb');
    // A text that carries its own stop-commands and a guessed resume line stays inert.
    const text = '::stop-commands::mine\n::mine::\n::warning::x';
    expect(parseWorkflowCommands(guardCommands(text)).map((c) => c.command)).toEqual(['stop-commands', 'resume-commands']);
  });

  it('oneLine shows every line break as ⏎', () => {
    expect(oneLine('a\nb\r\nc\rd')).toBe('a⏎b⏎c⏎d');
  });
});

describe('actionLog writes through @actions/core', () => {
  let written = '';
  const capture = () => {
    written = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
  };
  afterEach(() => vi.restoreAllMocks());

  it('info, warning, error, debug and group titles with untrusted text: only our own commands, each group on one line', async () => {
    capture();
    const evil = 'x\n::set-output name=pwned::1\r::warning::pwned\r\n ##[error]pwned';
    actionLog.info(evil);
    actionLog.warning(evil);
    actionLog.error(evil);
    actionLog.debug(evil);
    actionLog.startGroup(evil);
    actionLog.endGroup();
    await actionLog.group(evil, async () => actionLog.info(evil));
    const commands = parseWorkflowCommands(written);
    expect(commands.map((c) => c.command)).toEqual([
      'stop-commands', 'resume-commands', 'warning', 'error', 'debug', 'group', 'endgroup', 'group', 'stop-commands', 'resume-commands', 'endgroup',
    ]);
    // Annotations keep the whole message (the runner decodes %0A); group titles are one line.
    expect(commands.find((c) => c.command === 'warning')?.data).toBe(evil);
    for (const g of commands.filter((c) => c.command === 'group')) expect(g.data).toBe(oneLine(evil));
    // The untrusted text itself is still in the log, readable.
    expect(written).toContain('::warning::pwned\r\n ##[error]pwned');
  });

  it('setFailed is one error annotation and sets the exit code', () => {
    capture();
    const before = process.exitCode;
    try {
      actionLog.setFailed('failed\n::set-output name=x::y');
      expect(parseWorkflowCommands(written).map((c) => [c.command, c.data])).toEqual([['error', 'failed\n::set-output name=x::y']]);
      expect(process.exitCode).toBe(1);
    } finally {
      process.exitCode = before;
    }
  });
});
