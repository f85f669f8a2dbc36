import { describe, expect, it } from 'vitest';
import { actionDefaults, inputEnvName, parseCommandFile, runActionBundle } from '../src/runner.js';

describe('action runner helper', () => {
  it('builds INPUT_ names as the runner does (upper-case, spaces to _, hyphens kept)', () => {
    expect(inputEnvName('diff-tag')).toBe('INPUT_DIFF-TAG');
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT');
  });

  it('parses GITHUB_OUTPUT files with heredoc blocks', () => {
    expect(parseCommandFile('a=1\nb<<EOF_x\nline1\nline2\nEOF_x\nc=x=y\n')).toEqual({ a: '1', b: 'line1\nline2', c: 'x=y' });
  });

  it('reads input defaults from action.yml', () => {
    const d = actionDefaults('push-artifact');
    expect(d['signature-format']).toBe('legacy');
    expect(d['reproducible']).toBe('true');
    expect(d['registry-password']).toBe('${{ github.token }}');
  });

  it('runs a committed bundle and reports an input validation error clearly', async () => {
    const run = await runActionBundle('release-artifact', { inputs: { mode: 'nonsense' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors.join('\n')).toContain("input 'mode' must be one of component, fleet; got 'nonsense'");
  });
});
