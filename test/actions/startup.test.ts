/**
 * What each committed action bundle (actions/<name>/dist: index.cjs → index.mjs + chunks) loads before its first input
 * is read, from the chunks' static imports (docs/architecture.md "Action start-up"). Heavy code a run reaches only
 * later (the signing half, the Flux verify block's re2js and yaml, image automation) must stay behind an import(), and
 * Node's built-in modules must be required, not imported as ESM (an ESM import of `node:http` loads Node's own undici).
 * The start is one file: the build merges the chunks the entry imports into it. Each library is recognised by a
 * message only it has. Every marker of a library the action uses later is checked to be somewhere in its bundle, so
 * a renamed message cannot make this pass by accident (image-updates-pr has only Octokit of these libraries).
 * `pnpm check-dist` keeps the bundles equal to the sources.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@d2/sandbox/paths';
import { closureText, staticClosure } from '../support/bundle-closure.js';

const MARKERS = {
  re2js: 'invalid nested repetition operator',
  yaml: 'Implicit map keys need to be followed by map values',
  '@sigstore/sign': 'Received multiple entries in Rekor response',
  // Octokit's throttling plugin runs on bottleneck.
  octokit: 'This limiter has been stopped',
  // The artifact builder's compressor (flate/deflater.ts).
  'go-flate': 'create a new compressor for each gzip stream',
  // The registry client's request engine (oci/engine.ts).
  'registry client': 'check that the registry is reachable (URL, proxy, firewall)',
} as const;
type Library = keyof typeof MARKERS;

/**
 * What must not be loaded at start, per action. The publishing actions check their inputs, sources and identity
 * before they import the registry client, and wire their clients before they import the builder; e2e-update reads its inputs (a branch template renders through an import of
 * the template engine) before it imports the engine, and creates its GitHub clients on their first request;
 * image-updates-pr reads its inputs before it imports the forge client.
 */
const NOT_AT_START: Record<string, Library[]> = {
  'push-artifact': ['re2js', 'yaml', '@sigstore/sign', 'go-flate', 'registry client'],
  'release-artifact': ['re2js', 'yaml', '@sigstore/sign', 'go-flate', 'registry client'],
  'image-updates-pr': ['re2js', 'yaml', '@sigstore/sign', 'octokit'],
  'e2e-update': ['re2js', 'yaml', '@sigstore/sign', 'octokit', 'registry client'],
};

const root = repoRoot();

describe('action start-up: what each bundle loads before reading its inputs', () => {
  for (const [action, libraries] of Object.entries(NOT_AT_START)) {
    it(`${action}: no ${libraries.join(', ')} at start, built-in modules through require()`, () => {
      const dist = join(root, 'actions', action, 'dist');
      const start = staticClosure(dist, 'index.mjs');
      // The build merges the entry and the chunks it imports statically into one file (scripts/build-merge.mjs).
      expect([...start]).toEqual(['index.mjs']);
      const startText = closureText(dist, start);
      const all = closureText(dist, readdirSync(dist).filter((f) => f.endsWith('.mjs')));
      for (const lib of libraries) {
        if (action !== 'image-updates-pr' || lib === 'octokit') expect(all, `${lib} is in the ${action} bundle`).toContain(MARKERS[lib]);
        expect(startText.includes(MARKERS[lib]), `${lib} loaded at start by ${action}`).toBe(false);
      }
      // Every chunk's banner imports node:module (createRequire); any other built-in is required where it is used.
      const esmBuiltins = [...startText.matchAll(/\bfrom\s*["'](node:[a-z_/]+)["']/g)].map((m) => m[1]).filter((m) => m !== 'node:module');
      expect(esmBuiltins).toEqual([]);
    });
  }
});
