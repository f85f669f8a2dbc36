/**
 * The SPDX 2.3 JSON schema for the tests, taken from a package that ships it (the lib4sbom Python wheel, pinned by
 * version and SHA-256) with pip, at test set-up time, into the user's cache — never committed. The schema itself is the
 * SPDX project's; the wheel is only how it is delivered through a package registry.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const WHEEL = { name: 'lib4sbom', version: '0.10.4', sha256: 'ba6652ac2d0ba767d48f912c762f41ab3843cf5817303082aaa2ee8a1952de04' };
const MEMBER = 'lib4sbom/schemas/spdx/2.3-schema.json';

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'd2-actions', 'schemas');
}

/** The parsed schema; downloads it on first use (about 100 KB), then reads the cached copy. */
export function spdx23Schema(): Record<string, unknown> {
  const dir = cacheDir();
  const file = join(dir, `spdx-2.3-schema-${WHEEL.name}-${WHEEL.version}.json`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = mkdtempSync(join(dir, 'fetch-'));
    try {
      execFileSync('python3', ['-m', 'pip', 'download', '--quiet', '--no-deps', '--only-binary=:all:', '--dest', tmp, `${WHEEL.name}==${WHEEL.version}`], {
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: 120_000,
      });
      const wheel = readdirSync(tmp).find((f) => f.endsWith('.whl'));
      if (!wheel) throw new Error(`pip download ${WHEEL.name}==${WHEEL.version} gave no wheel`);
      const bytes = readFileSync(join(tmp, wheel));
      const sum = createHash('sha256').update(bytes).digest('hex');
      if (sum !== WHEEL.sha256) throw new Error(`${wheel}: sha256 ${sum}, expected ${WHEEL.sha256}`);
      const schema = execFileSync('python3', ['-c', 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())', join(tmp, wheel), MEMBER], {
        timeout: 30_000,
        maxBuffer: 8 * 1024 * 1024,
      });
      writeFileSync(join(tmp, 'schema.json'), schema);
      renameSync(join(tmp, 'schema.json'), file);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const schema = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  if (schema.$id !== 'http://spdx.org/rdf/terms/2.3') throw new Error(`${file} is not the SPDX 2.3 schema ($id ${String(schema.$id)})`);
  return schema;
}
