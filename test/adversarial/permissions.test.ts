/**
 * Unreadable directories and files in an artifact's source: the error names the path and says what to do (fix the
 * permissions; ignore-paths only for a file, since the walk lists every directory, ignored ones included, as Flux's
 * does), the same whether the problem is found by the checks before a push or by the build, and nothing is sent.
 *
 * Permission bits only count for a user other than root, and the suite may run as root (root reads a mode-000 file):
 * the d2 CLI bundle and the push-artifact bundle are then run as `nobody` through setpriv, a real unprivileged
 * process, so the test can fail. As a non-root user they run as they are. Without setpriv as root the cases are
 * skipped (saying why); the error wording itself is also checked without privileges in
 * packages/core/test/flux/source-errors.test.ts.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActionBundle, startFaultProxy, startRegistry, type FaultProxy, type SandboxRegistry } from '@d2/sandbox';
import { ensureCliBundle, runD2, unprivileged, writeFiles } from './helpers.js';

const priv = unprivileged();
const ws = mkdtempSync(join(tmpdir(), 'd2-adv-perm-'));
writeFiles(ws, {
  'components/lockeddir/deploy.yaml': 'kind: ConfigMap\n',
  'components/lockeddir/locked/secret.yaml': 'kind: Secret\n',
  'components/lockedfile/deploy.yaml': 'kind: ConfigMap\n',
  'components/lockedfile/secret.yaml': 'kind: Secret\n',
  'components/noexec/deploy.yaml': 'kind: ConfigMap\n',
  'components/good/deploy.yaml': 'kind: ConfigMap\n',
});

/** Everything readable by others, then the locks. */
function openUp(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      chmodSync(p, 0o755);
      openUp(p);
    } else chmodSync(p, 0o644);
  }
}
chmodSync(ws, 0o755);
openUp(ws);
chmodSync(join(ws, 'components/lockeddir/locked'), 0o000);
chmodSync(join(ws, 'components/lockedfile/secret.yaml'), 0o000);
chmodSync(join(ws, 'components/noexec'), 0o644); // listable, not searchable

let registry: SandboxRegistry;
let proxy: FaultProxy;

beforeAll(async () => {
  ensureCliBundle();
  registry = await startRegistry({ auth: 'anonymous' });
  proxy = await startFaultProxy(registry.url);
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), registry?.stop()]);
  for (const d of ['components/lockeddir/locked', 'components/noexec']) chmodSync(join(ws, d), 0o755);
  rmSync(ws, { recursive: true, force: true });
});

const lockedDir = join(ws, 'components/lockeddir/locked');
const dirMessage = `cannot read directory ${lockedDir}: permission denied (EACCES)`;
const lockedFile = join(ws, 'components/lockedfile/secret.yaml');

describe.skipIf(priv.reason !== undefined)(`unreadable sources (${priv.reason ?? (priv.as ? 'run as nobody via setpriv' : 'run as the current user')})`, () => {
  it('the setup holds: the locked paths are really unreadable for the user the commands run as', async () => {
    expect(statSync(lockedDir).mode & 0o777).toBe(0);
    const r = await runD2(['build', 'components/good', '-o', 'text'], { cwd: ws, as: priv.as });
    expect(r.code, r.stderr).toBe(0);
  });

  it.each([
    ['d2 push (checks before the push)', ['push', 'components/lockeddir', 'oci://PROXY/perm/lockeddir']],
    ['d2 push --ignore-paths locked/ (cannot skip a directory)', ['push', 'components/lockeddir', 'oci://PROXY/perm/lockeddir', '--ignore-paths', 'locked/']],
    ['d2 build (the build walk)', ['build', 'components/lockeddir']],
  ])('an unreadable directory: %s names it and says chmod, not ignore-paths', async (_name, args) => {
    const before = proxy.log.length;
    const r = await runD2(args.map((a) => a.replace('PROXY', proxy.host)), { cwd: ws, as: priv.as });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(dirMessage);
    expect(r.stderr).toContain(`chmod u+rx '${lockedDir}'`);
    expect(r.stderr).toContain('ignore-paths cannot skip a directory');
    expect(r.stderr).not.toMatch(/scandir|exclude it with ignore-paths/);
    expect(proxy.log.length).toBe(before);
  });

  it('a directory that can be listed but not searched is named, with the fix', async () => {
    const r = await runD2(['push', 'components/noexec', `oci://${proxy.host}/perm/noexec`], { cwd: ws, as: priv.as });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`its directory ${join(ws, 'components/noexec')} is not searchable`);
    expect(r.stderr).toContain(`chmod u+x '${join(ws, 'components/noexec')}'`);
  });

  it('an unreadable file is found before anything is sent, for every component; ignore-paths can leave it out', async () => {
    const before = proxy.log.length;
    const r = await runD2(['push', 'components/{component}', `oci://${proxy.host}/perm/{component}`, '--components', 'good,lockedfile'], { cwd: ws, as: priv.as });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`cannot read file ${lockedFile}: permission denied (EACCES)`);
    expect(r.stderr).toMatch(/chmod u\+r .*or leave it out of the artifact with ignore-paths/);
    expect(proxy.log.length, 'not even the good component was pushed').toBe(before);
    const built = await runD2(['build', 'components/lockedfile', '--ignore-paths', 'secret.yaml', '-o', 'text'], { cwd: ws, as: priv.as });
    expect(built.code, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/1 files/);
  });

  it('push-artifact (committed bundle) reports the directory and the fix, and pushes nothing', async () => {
    // The runner's files (GITHUB_OUTPUT, …) are created by this process: the action, run as another user, must be
    // able to write them; a small wrapper opens them up and drops privileges, as `node` would be run by the runner.
    const wrapperDir = mkdtempSync(join(tmpdir(), 'd2-adv-perm-node-'));
    const wrapper = join(wrapperDir, 'node');
    const drop = priv.as ? `setpriv --reuid=${priv.as.uid} --regid=${priv.as.gid} --clear-groups -- ` : '';
    writeFileSync(wrapper, `#!/bin/sh\nchmod -R a+rwX "$RUNNER_TEMP"\nexec ${drop}"${process.execPath}" "$@"\n`);
    chmodSync(wrapperDir, 0o755);
    chmodSync(wrapper, 0o755);
    try {
      const before = proxy.log.length;
      const r = await runActionBundle('push-artifact', {
        workspace: ws,
        node: wrapper,
        inputs: { components: 'good\nlockeddir', repository: `${proxy.host}/perm-action/{component}`, sign: 'false' },
      });
      expect(r.exitCode).toBe(1);
      const error = r.errors.join('\n');
      expect(error).toContain(dirMessage);
      expect(error).toContain('ignore-paths cannot skip a directory');
      expect(proxy.log.length).toBe(before);
    } finally {
      rmSync(wrapperDir, { recursive: true, force: true });
    }
  });
});
