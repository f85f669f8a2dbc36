import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Finding the reference tools: the real `flux`, `cosign` (3.x and optionally 2.x) and `oras` CLIs, built from their
 * upstream Go modules by scripts/reference-tools.sh into
 * `${D2_REFTOOLS_DIR:-~/.cache/d2-actions/reference-tools}/<name>-<version>/bin/<binary>` (outside the checkout), listed
 * in versions.json there (docs/conformance.md).
 */

/** Names of the reference tools, as in versions.json. */
export type ReferenceToolName = 'flux' | 'cosign' | 'cosign2' | 'oras';

export interface ReferenceToolInfo {
  version: string;
  module: string;
  package: string;
  path: string;
  buildSeconds: number | null;
  go: string;
}

export interface ReferenceTools {
  /** Absolute path of each binary, undefined when not built. */
  flux?: string;
  cosign?: string;
  cosign2?: string;
  oras?: string;
  /** versions.json entries of the tools that are present. */
  versions: Partial<Record<ReferenceToolName, ReferenceToolInfo>>;
  /** The cache directory. */
  dir: string;
}

/** `${D2_REFTOOLS_DIR:-$HOME/.cache/d2-actions/reference-tools}` */
export function referenceToolsDir(): string {
  return process.env.D2_REFTOOLS_DIR || join(homedir(), '.cache', 'd2-actions', 'reference-tools');
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The tools built by scripts/reference-tools.sh (read from versions.json; a listed binary that is gone counts as
 * missing). Never builds anything: run the script first (scripts/test.mjs does when Go is installed).
 */
export function referenceTools(): ReferenceTools {
  const dir = referenceToolsDir();
  const out: ReferenceTools = { versions: {}, dir };
  const file = join(dir, 'versions.json');
  if (!existsSync(file)) return out;
  let parsed: Record<string, ReferenceToolInfo>;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, ReferenceToolInfo>;
  } catch {
    return out;
  }
  for (const name of ['flux', 'cosign', 'cosign2', 'oras'] as const) {
    const info = parsed[name];
    if (!info || typeof info.path !== 'string' || !executable(info.path)) continue;
    out[name] = info.path;
    out.versions[name] = info;
  }
  return out;
}

/** Which of `names` are missing, as a sentence for skip/failure messages ('' when none is). */
export function missingReferenceTools(tools: ReferenceTools, names: ReferenceToolName[]): string {
  const missing = names.filter((n) => !tools[n]);
  return missing.length === 0
    ? ''
    : `reference tool(s) ${missing.join(', ')} not built in ${tools.dir}: run scripts/reference-tools.sh (needs Go and the Go module proxy)`;
}
