#!/usr/bin/env node
// pnpm check-dist: rebuild every action bundle and fail if any committed file under actions/*/dist differs
// (or is missing / untracked). Actions run from dist/, not from src/.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const b = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--quiet'], { stdio: 'inherit', cwd: root });
if (b.status !== 0) process.exit(b.status ?? 1);
const st = spawnSync('git', ['status', '--porcelain', '--untracked-files=all', '--', 'actions/*/dist'], { cwd: root, encoding: 'utf8' });
if (st.status !== 0) {
  console.error(st.stderr);
  process.exit(1);
}
if (st.stdout.trim() !== '') {
  console.error('check-dist: the committed bundles are out of date. Run `pnpm build` and commit actions/*/dist:');
  console.error(st.stdout);
  spawnSync('git', ['--no-pager', 'diff', '--stat', '--', 'actions/*/dist'], { cwd: root, stdio: 'inherit' });
  process.exit(1);
}
console.log('check-dist: all action bundles are up to date');
