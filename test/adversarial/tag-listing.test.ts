/**
 * Tag listing never truncates silently (docs/registry-client.md "Tag listing"): every `Link: <…>; rel="next"` page is
 * followed within the time limit, and a listing that cannot be completed (a pagination loop, more pages than the
 * cap) is an error naming why, never a partial list that would elect the wrong version.
 *
 * The registry is a stub on 127.0.0.1 (packages/sandbox/src/tag-list-server.ts): a stand-in for the
 * `/v2/<name>/tags/list` pagination of the distribution spec that generates its pages instead of storing tags
 * (`?n=&page=` instead of distribution's `?n=&last=`; the client only follows the Link header either way). Memory
 * for millions of tags is measured in bench/tag-listing.bench.ts, not asserted here.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '@d2/core/oci';
import { repoRoot } from '@d2/sandbox/paths';
import { startTagListServer, type TagListServer } from '@d2/sandbox/tag-list-server';

// 10,001 pages of 20 tags: one page more than the cap the client used to stop at without a word.
const PAGES = 10_001;
const PAGE_SIZE = 20;
const COUNT = PAGES * PAGE_SIZE;
const HIGHEST = `1.0.${COUNT - 1}`;

const scratch = mkdtempSync(join(tmpdir(), 'd2-adv-tags-'));
const servers: TagListServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(scratch, { recursive: true, force: true });
});

async function stub(opts: Parameters<typeof startTagListServer>[0]): Promise<TagListServer> {
  const s = await startTagListServer(opts);
  servers.push(s);
  return s;
}

const anonymous = () => new RegistryClient({ credentials: { get: async () => undefined } });

describe('listTags follows every page', () => {
  it(`returns all ${COUNT.toLocaleString('en-US')} tags of ${PAGES.toLocaleString('en-US')} pages (relative Link headers)`, async () => {
    const s = await stub({ repository: 'acme/many', count: COUNT, pageSize: PAGE_SIZE });
    const c = anonymous();
    const tags = await c.listTags({ registry: s.host, repository: 'acme/many' });
    c.close();
    expect(s.pagesServed).toBe(PAGES);
    expect(tags).toHaveLength(COUNT);
    expect(tags).toContain(HIGHEST);
    expect(tags).toContain('1.0.0');
    // Sorted and without duplicates.
    expect(new Set(tags).size).toBe(COUNT);
    expect(tags.every((t, i) => i === 0 || tags[i - 1] < t)).toBe(true);
  }, 120_000);

  it('a pagination loop is an error naming it, not a silently partial list', async () => {
    const s = await stub({ repository: 'acme/loop', count: 1000, pageSize: 10, loop: { at: 40, to: 3 } });
    const c = anonymous();
    const err = (await c.listTags({ registry: s.host, repository: 'acme/loop' }).catch((e: unknown) => e)) as Error & { code?: string; hint?: string };
    c.close();
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('REGISTRY_PROTOCOL');
    expect(err.message).toMatch(/pagination loops/);
    expect(err.message).toMatch(/partial list/);
    expect(err.message).toContain(`${s.host}/acme/loop`);
    expect(err.hint).toMatch(/Link header/);
  }, 60_000);

  it('more pages than the cap is an error naming the cap, not a partial list', async () => {
    const s = await stub({ repository: 'acme/capped', count: 500, pageSize: 10, absoluteLinks: true });
    const c = new RegistryClient({ credentials: { get: async () => undefined }, maxPages: 20 });
    const err = (await c.listTags({ registry: s.host, repository: 'acme/capped' }).catch((e: unknown) => e)) as Error & { code?: string };
    c.close();
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(/more than 20 pages/);
    expect(err.message).toMatch(/partial list/);
    expect(s.pagesServed).toBe(20);
  }, 60_000);
});

describe('d2 update (built CLI) elects from the whole list', () => {
  it(`elects ${HIGHEST}, the highest of ${COUNT.toLocaleString('en-US')} tags on ${PAGES.toLocaleString('en-US')} pages`, async () => {
    const s = await stub({ repository: 'acme/app', count: COUNT, pageSize: PAGE_SIZE });
    const image = `${s.host}/acme/app`;
    const repo = join(scratch, 'policies');
    mkdirSync(join(repo, 'update-policies'), { recursive: true });
    mkdirSync(join(repo, 'deploy'), { recursive: true });
    writeFileSync(
      join(repo, 'update-policies', 'app.yaml'),
      `apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n  name: app\nspec:\n  image: ${image}\n  insecure: true\n---\napiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n  name: app\nspec:\n  imageRepositoryRef:\n    name: app\n  policy:\n    semver:\n      range: ">=1.0.0"\n`,
    );
    writeFileSync(join(repo, 'deploy', 'app.yaml'), `apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: app\n      image: ${image}:1.0.0 # {"$imagepolicy": "apps:app"}\n`);
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('-c', 'user.name=seed', '-c', 'user.email=seed@example.com', 'commit', '-q', '-m', 'initial');
    const docker = join(scratch, 'docker');
    mkdirSync(docker, { recursive: true });

    const bin = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, 'update', '--repository', repo, '--policies-path', 'update-policies', '--namespace', 'apps', '--dry-run', '-o', 'json', '--timeout', '5m'], {
        cwd: scratch,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DOCKER_CONFIG: docker },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as { changes: Array<{ new: string }>; policyErrors: unknown[] };
    expect(out.policyErrors).toEqual([]);
    expect(out.changes.map((c) => c.new)).toEqual([`${image}:${HIGHEST}`]);
    expect(s.pagesServed).toBe(PAGES);
  }, 180_000);
});
