import { spawn } from 'node:child_process';
import { toolEnv } from './env.js';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
  durationMs: number;
}

export interface RunToolOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin. */
  input?: string | Buffer;
  /** Kill after this many ms (default 120 s). */
  timeoutMs?: number;
}

/** Redacts values that look like secrets (tokens, passwords) from a command line shown in messages. */
function showCommand(bin: string, args: string[]): string {
  const out: string[] = [bin];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const prev = args[i - 1] ?? '';
    if (/^--(identity-token|registry-password|password|creds|registry-token)$/.test(prev)) out.push('***');
    else out.push(a.replace(/^(--(identity-token|registry-password|password|creds|registry-token)=).*/, '$1***'));
  }
  return out.join(' ');
}

/** Runs a reference tool to completion (never throws on a non-zero exit: the exit code is part of the oracle). */
export function runTool(bin: string, args: string[], opts: RunToolOptions = {}): Promise<ToolResult> {
  const command = showCommand(bin, args);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: opts.env ?? toolEnv(), cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, command, durationMs: performance.now() - started });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Throws with the command, exit code and output when a run failed. */
export function assertToolOk(r: ToolResult): ToolResult {
  if (r.code !== 0) throw new Error(`${r.command} exited ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}
