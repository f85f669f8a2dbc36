/**
 * The runner-output reader of the sandbox (packages/sandbox/src/workflow-commands.ts) that the adversarial suite trusts: checked against the commands @actions/core itself
 * writes, and against the runner's parsing rules (current and legacy syntax, trimmed blanks, CR/LF, stop-commands).
 */
import * as core from '@actions/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseWorkflowCommands, runnerLines } from '@d2/sandbox/workflow-commands';

describe('parseWorkflowCommands', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reads back what @actions/core writes, data and properties decoded', () => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    core.warning('50% done\r\nnext: line', { title: 'a, b: c', file: 'x.yaml', startLine: 3 });
    core.startGroup('group');
    core.endGroup();
    core.setSecret('s3cret');
    vi.restoreAllMocks();
    const cmds = parseWorkflowCommands(out);
    expect(cmds.map((c) => c.command)).toEqual(['warning', 'group', 'endgroup', 'add-mask']);
    expect(cmds[0]).toMatchObject({ data: '50% done\r\nnext: line', properties: { title: 'a, b: c', file: 'x.yaml', line: '3' }, form: 'current' });
    expect(cmds[3].data).toBe('s3cret');
  });

  it('lines end at LF, CR and CRLF; leading blanks (including NBSP and NEL) are trimmed; names are case-insensitive', () => {
    expect(runnerLines('a\rb\r\nc\nd')).toEqual(['a', 'b', 'c', 'd']);
    const cmds = parseWorkflowCommands('x\r::Warning::one\n \t\u00a0\u0085::error::two\n\u200b::error::not-trimmed\nmid ::error::not-at-start\n');
    expect(cmds.map((c) => [c.command, c.data])).toEqual([['warning', 'one'], ['error', 'two']]);
  });

  it('the legacy ##[name] form is read anywhere in a line, with ; properties', () => {
    const cmds = parseWorkflowCommands('text ##[set-output name=a;]value\n##[unknown]x\n##[warning no closing bracket\n');
    expect(cmds).toEqual([expect.objectContaining({ command: 'set-output', properties: { name: 'a' }, data: 'value', form: 'legacy' })]);
  });

  it('unregistered names are ignored; the current form wins over the legacy one on the same line', () => {
    expect(parseWorkflowCommands('::nope::x\n::set-env name=A::1\n::warning::w ##[error]e\n').map((c) => [c.command, c.data])).toEqual([
      ['set-env', '1'],
      ['warning', 'w ##[error]e'],
    ]);
  });

  it('stop-commands ignores everything until the token (either form, any case); an empty token never resumes', () => {
    const text = '::stop-commands::TOK\n::warning::ignored\n##[error]ignored\n::other::\n  ::tok::\n::warning::after\n::stop-commands::\n::tok::\n::warning::never\n';
    expect(parseWorkflowCommands(text).map((c) => [c.command, c.data])).toEqual([
      ['stop-commands', 'TOK'],
      ['resume-commands', ''],
      ['warning', 'after'],
      ['stop-commands', ''],
    ]);
    expect(parseWorkflowCommands('::stop-commands::t\nx ##[t]\n::warning::w\n').map((c) => c.command)).toEqual(['stop-commands', 'resume-commands', 'warning']);
  });
});
