/**
 * Running git in a test's scratch clone: isolated from the machine's configuration (no system or global config, no
 * credential helper, no prompt), committing as a fixed identity.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const ident = ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'credential.helper='];

/** `git <args>` in `cwd`; its standard output, trimmed. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  return stdout.trim();
}
