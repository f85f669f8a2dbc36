/**
 * util/tempdir.ts: temp directories are removed by their owner, at exit, and on SIGINT/SIGTERM/SIGHUP; the signal
 * handlers exist only while a directory does. The signal cases run in a child Node process (the module has no
 * imports of its own, so Node runs the TypeScript source directly).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveTempDirs, makeTempDir } from '@d2/core/util';

const base = mkdtempSync(join(tmpdir(), 'd2-tempdir-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const module = resolve(import.meta.dirname, '../../src/util/tempdir.ts');

describe('makeTempDir', () => {
  it('remove() deletes it and the signal handlers go with the last directory', async () => {
    const before = process.listenerCount('SIGTERM');
    const a = await makeTempDir('d2-x-', base);
    const b = await makeTempDir('d2-y-', base);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(liveTempDirs()).toEqual(expect.arrayContaining([a.path, b.path]));
    await a.remove();
    await a.remove();
    expect(existsSync(a.path)).toBe(false);
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    b.keep();
    expect(existsSync(b.path)).toBe(true);
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(liveTempDirs()).not.toContain(b.path);
  });

  const child = (body: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `import { makeTempDir } from ${JSON.stringify(module)};\n${body}`], { encoding: 'utf8', timeout: 30_000 });

  it.each([
    ['process.exit', `await makeTempDir('d2-c-', ${JSON.stringify(base)}); process.exit(3);`, 3, null],
    ['an uncaught error', `await makeTempDir('d2-c-', ${JSON.stringify(base)}); setTimeout(() => { throw new Error('boom'); }, 10);`, 1, null],
    ['SIGTERM', `await makeTempDir('d2-c-', ${JSON.stringify(base)}); process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 10_000);`, null, 'SIGTERM'],
    ['SIGINT', `await makeTempDir('d2-c-', ${JSON.stringify(base)}); process.kill(process.pid, 'SIGINT'); setTimeout(() => {}, 10_000);`, null, 'SIGINT'],
    ['SIGHUP', `await makeTempDir('d2-c-', ${JSON.stringify(base)}); process.kill(process.pid, 'SIGHUP'); setTimeout(() => {}, 10_000);`, null, 'SIGHUP'],
  ])('is removed when the process ends by %s, which still ends it as before', (_how, body, status, signal) => {
    const r = child(body);
    expect([r.status, r.signal], r.stderr).toEqual([status, signal]);
    expect(readdirSync(base).filter((e) => e.startsWith('d2-c-'))).toEqual([]);
  });

  it('leaves ending the process to an application handler of the signal', () => {
    const r = child(
      `process.on('SIGTERM', () => { console.log('app handler'); process.exitCode = 7; clearTimeout(t); });\n` +
        `await makeTempDir('d2-c-', ${JSON.stringify(base)}); process.kill(process.pid, 'SIGTERM'); const t = setTimeout(() => {}, 10_000);`,
    );
    expect([r.status, r.stdout.trim()]).toEqual([7, 'app handler']);
    expect(readdirSync(base).filter((e) => e.startsWith('d2-c-'))).toEqual([]);
  });
});
