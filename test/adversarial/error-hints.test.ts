/**
 * Registry refusals carry their fix (the hint of the registry client's error) to every place a publish failure is
 * shown: push-artifact's per-component log line, its failure report and job summary, and `d2 push`'s text and JSON
 * output — as release-artifact and `d2 tag` show it for their single artifact. Real refusals: CNCF distribution with
 * htpasswd (wrong password → 401, read-only user → 403 DENIED) and with token auth (read-only user: push not granted).
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '@d2/core/oci';
import { publishSummary } from '@d2/core/publish';
import { repoRoot, runActionBundle, startRegistry, type SandboxRegistry } from '@d2/sandbox';

const execFileAsync = promisify(execFile);
const cli = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');
const scratch = mkdtempSync(join(tmpdir(), 'd2-error-hints-'));
const COMPONENTS = ['app', 'web'];

let htpasswd: SandboxRegistry;
let token: SandboxRegistry;

beforeAll(async () => {
  [htpasswd, token] = await Promise.all([startRegistry({ auth: 'htpasswd' }), startRegistry({ auth: 'token' })]);
  for (const c of COMPONENTS) {
    const file = join(scratch, 'ws', 'components', c, 'deploy.yaml');
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `kind: ConfigMap\nmetadata:\n  name: ${c}\n`);
    chmodSync(file, 0o644);
  }
  mkdirSync(join(scratch, 'docker-empty'));
});
afterAll(async () => {
  await Promise.all([htpasswd?.stop(), token?.stop()]);
  rmSync(scratch, { recursive: true, force: true });
});

interface Case {
  name: string;
  registry: () => SandboxRegistry;
  username: string;
  password: string;
  /** The hint the registry client gives for this refusal. */
  hint: RegExp;
}

const cases: Case[] = [
  { name: 'htpasswd, wrong password (401)', registry: () => htpasswd, username: 'testuser', password: 'wrong-password-7Qx', hint: /authenticate: pass registry credentials/ },
  { name: 'htpasswd, read-only user (403 DENIED)', registry: () => htpasswd, username: 'reader', password: 'readpass', hint: /denied access: check that the credentials have write access/ },
  { name: 'token auth, read-only user (push not granted)', registry: () => token, username: 'reader', password: 'readpass', hint: /credentials are valid but lack the needed rights/ },
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('push-artifact: a registry refusal shows its hint for every failed component', () => {
  it.each(cases)('$name', async (c) => {
    const reg = c.registry();
    const r = await runActionBundle('push-artifact', {
      workspace: join(scratch, 'ws'),
      repository: 'acme/d2-apps',
      inputs: { components: COMPONENTS.join(','), repository: `${reg.host}/acme/hints/{component}`, 'diff-tag': 'latest', sign: 'false', 'registry-username': c.username, 'registry-password': c.password },
      env: { DOCKER_CONFIG: join(scratch, 'docker-empty') },
    });
    expect(r.exitCode).toBe(1);
    const hintLine = new RegExp(`hint: [^\\n]*(?:${c.hint.source})`);
    for (const comp of COMPONENTS) {
      // The component's own log line (error annotation).
      const own = r.errors.find((e) => e.startsWith(`${comp}:`));
      expect(own, r.stdout).toBeDefined();
      expect(own).toMatch(hintLine);
      // The failure report the step fails with: the component's line is followed by its hint.
      const report = r.errors[r.errors.length - 1];
      expect(report).toMatch(new RegExp(`- ${comp} \\(${escape(reg.host)}/acme/hints/${comp}\\): [^\\n]+\\n\\s+${hintLine.source}`));
      // The job summary's failure list.
      expect(r.summary).toMatch(new RegExp(`\\*\\*${comp}\\*\\*: [^\\n]+\\n\\s+- ${hintLine.source}`));
    }
    // The runner masks the password (::add-mask::); nothing else prints it.
    const shown = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n') + r.summary;
    expect(shown).not.toContain(c.password);
  });
});

describe('d2 push: a registry refusal shows its hint for every failed component (text and JSON)', () => {
  const d2 = async (c: Case, output: 'text' | 'json') => {
    const reg = c.registry();
    expect(existsSync(cli), 'packages/cli/dist/d2.cjs is built (node scripts/build.mjs --cli)').toBe(true);
    const args = [cli, 'push', 'components/{component}', `oci://${reg.host}/acme/hints-cli/{component}`, '--components', COMPONENTS.join(','), '--workspace', join(scratch, 'ws'), '--diff-tag', 'latest', '--creds', `${c.username}:${c.password}`, '-o', output];
    try {
      await execFileAsync(process.execPath, args, { env: { PATH: process.env.PATH, HOME: scratch, DOCKER_CONFIG: join(scratch, 'docker-empty') }, timeout: 120_000 });
      return { code: 0, out: '', err: '' };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, out: err.stdout, err: err.stderr };
    }
  };

  it.each(cases)('$name', async (c) => {
    const text = await d2(c, 'text');
    expect(text.code).toBe(1);
    const hintLine = new RegExp(`hint: [^\\n]*(?:${c.hint.source})`);
    for (const comp of COMPONENTS) expect(text.err).toMatch(new RegExp(`- ${comp} \\([^)]+\\): [^\\n]+\\n\\s+${hintLine.source}`));

    const json = await d2(c, 'json');
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.out) as { failures: { component: string; error: string; hint: string; code: string }[] };
    expect(parsed.failures.map((f) => f.component).sort()).toEqual(COMPONENTS);
    for (const f of parsed.failures) {
      expect(f.hint).toMatch(c.hint);
      expect(f.code).toMatch(/^REGISTRY_(UNAUTHORIZED|DENIED)$/);
    }
    expect(json.out + json.err + text.err).not.toContain(c.password);
  });
});

describe('the GHCR write_package refusal keeps its fix in the push summary', () => {
  it('a component refused with write_package lists the "Manage Actions access" hint', async () => {
    const error = new RegistryError({
      registry: 'ghcr.io',
      repository: 'acme/apps/web',
      operation: 'upload blob',
      status: 403,
      errors: [{ code: 'DENIED', message: 'permission_denied: write_package' }],
    });
    const summary = await publishSummary('push-artifact', [], [{ component: 'web', path: 'components/web', error }]);
    expect(summary).toMatch(/\*\*web\*\*: upload blob on ghcr\.io\/acme\/apps\/web failed \(HTTP 403\)[^\n]*\n\s+- hint: [^\n]*Manage Actions access[^\n]*packages: write/);
  });
});
