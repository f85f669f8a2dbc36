/**
 * Running git in a test's scratch clone: isolated from the machine's configuration (no system or global config, no
 * credential helper, no prompt), committing as a fixed identity.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const gitEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const ident = ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'credential.helper='];

/** `git <args>` in `cwd`; its standard output, trimmed. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('git', [...ident, ...args], { cwd, env: gitEnv });
  return stdout.trim();
}

/**
 * A fleet with a pending image update: clones `url` into a fresh scratch directory (`<prefix>…/fleet`), pushes `file`
 * holding `before` as main, then `after` committed as `message` as image-updates. Returns the clone.
 */
export async function seedImageUpdates(url: string, prefix: string, o: { file: string; before: string; after: string; message: string }): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), prefix)), 'fleet');
  await git(tmpdir(), 'clone', '--quiet', url, dir);
  writeFileSync(join(dir, o.file), o.before);
  await git(dir, 'add', '.');
  await git(dir, 'commit', '--quiet', '-m', 'init');
  await git(dir, 'push', '--quiet', 'origin', 'HEAD:main');
  writeFileSync(join(dir, o.file), o.after);
  await git(dir, 'commit', '--quiet', '-am', o.message);
  await git(dir, 'push', '--quiet', 'origin', 'HEAD:image-updates');
  return dir;
}
