/** A Node script run as the workflows run it, asynchronously (the sandbox servers answer from the test's process). */
import { spawn } from 'node:child_process';
import { repoRoot } from '@d2/sandbox/paths';

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node <args>` in the repository root with PATH and `env` only; killed after a minute. */
export function runNodeScript(args: string[], env: Record<string, string>): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot(), env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => void (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => void (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
