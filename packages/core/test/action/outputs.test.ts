/**
 * Outputs cannot be injected: core.setOutput writes `name<<ghadelimiter_<uuid>` blocks to GITHUB_OUTPUT (the runner's
 * file commands), so a value with line breaks, `name=value` lines or a fake delimiter stays one output. The bundles'
 * outputs under attack are checked in test/adversarial/log-injection.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { describe, expect, it } from 'vitest';
import { parseCommandFile } from '@d2/sandbox/runner';
describe('outputs: the file-command delimiter keeps untrusted values whole', () => {
  it('core.setOutput values with line breaks, fake delimiters, name=value and heredoc lines parse back as one output each', () => {
    // Guards: @actions/core writes outputs as `name<<ghadelimiter_<uuid>` blocks with a random delimiter and refuses a
    // value that contains it; a `name=value` writer (or a fixed delimiter) fails this test.
    const dir = mkdtempSync(join(tmpdir(), 'd2-output-'));
    const file = join(dir, 'output');
    writeFileSync(file, '');
    const values: Record<string, string> = {
      lf: 'a\n::set-output name=pwned::1\npwned=1',
      heredoc: 'x\npwned<<EOF\ninjected\nEOF',
      delimiter: 'v\nghadelimiter_00000000-0000-0000-0000-000000000000\npwned=2',
      crlf: 'a\r\npwned=3\r\nlast',
      json: JSON.stringify([{ component: 'a\n::warning::pwned', tag: '1.0\r\n' }]),
    };
    const previous = process.env.GITHUB_OUTPUT;
    let text = '';
    process.env.GITHUB_OUTPUT = file;
    try {
      for (const [name, value] of Object.entries(values)) core.setOutput(name, value);
      text = readFileSync(file, 'utf8');
    } finally {
      rmSync(dir, { recursive: true, force: true, maxRetries: 0 });
      if (previous === undefined) delete process.env.GITHUB_OUTPUT;
      else process.env.GITHUB_OUTPUT = previous;
    }
    const parsed = parseCommandFile(text);
    expect(Object.keys(parsed).sort()).toEqual(Object.keys(values).sort());
    // The runner reads values line by line (the sandbox reader takes CRLF as a line end); apart from that, every value comes back exactly.
    for (const [name, value] of Object.entries(values)) expect(parsed[name]).toBe(value.replace(/\r\n/g, '\n'));
  });
});
