/**
 * `d2 init` and `d2 migrate` never leave a repository half-done and never drop what they do not understand
 * (docs/adopt.md): init writes nothing when any file exists (a dangling symbolic link counts: writing through it would
 * land outside the directory) or when a path cannot be created; migrate writes nothing when any workflow is bad, keeps
 * a step it does not recognise together with the installer that step still needs, and reports a secret that only a
 * removed step used.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { planMigration } from '../../packages/cli/src/adopt/index.js';
import { d2, scratchDir } from '../adopt/helpers.js';

const scratch = scratchDir('d2-adv-adopt-');

describe('d2 init writes all or nothing', () => {
  it('a dangling symbolic link in place of README.md: refused, nothing written, the link target not created', async () => {
    const dir = join(scratch, 'link');
    mkdirSync(dir);
    const outside = join(scratch, 'outside-target.md');
    symlinkSync(outside, join(dir, 'README.md'));
    const r = await d2(['init', 'apps', '--owner', 'acme', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/README\.md.*nothing was written/);
    expect(existsSync(outside)).toBe(false);
    expect(readdirSync(dir)).toEqual(['README.md']);
  });

  it('a file where a directory must go (clusters): the command fails before writing anything', async () => {
    const dir = join(scratch, 'notdir');
    mkdirSync(dir);
    writeFileSync(join(dir, 'clusters'), 'not a directory\n');
    const r = await d2(['init', 'fleet', '--owner', 'acme', '--dir', dir]);
    expect(r.code).not.toBe(0);
    expect(readdirSync(dir)).toEqual(['clusters']);
  });
});

const PUSH_WITH_EXTRA = `name: push-artifact
on:
  push:
    branches: [main]
jobs:
  flux-push:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      packages: write
      id-token: write
    steps:
      - uses: actions/checkout@v4
      - name: Install cosign
        uses: sigstore/cosign-installer@v4.1.1
      - name: Install flux
        uses: controlplaneio-fluxcd/distribution/actions/setup@main
      - name: Push artifact
        uses: controlplaneio-fluxcd/distribution/actions/push@main
        id: push
        with:
          repository: ghcr.io/\${{ github.repository }}
          path: "./"
          diff-tag: latest
      - name: Sign artifact
        run: cosign sign --yes $DIGEST_URL
        env:
          DIGEST_URL: \${{ steps.push.outputs.digest-url }}
      - name: Attest SBOM
        run: cosign attest --yes --predicate sbom.json --type spdxjson $DIGEST_URL
        env:
          DIGEST_URL: \${{ steps.push.outputs.digest-url }}
          COSIGN_PASSWORD: \${{ secrets.COSIGN_PASSWORD }}
      - name: Notify
        run: curl -fsS -X POST "$HOOK"
        env:
          HOOK: \${{ secrets.SLACK_HOOK }}
`;

describe('d2 migrate drops nothing it does not understand', () => {
  it('an unrecognised step is kept and reported, and so is the installer it still needs; its secrets stay', async () => {
    const dir = join(scratch, 'extra');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'push-artifact.yaml'), PUSH_WITH_EXTRA);
    const m = await planMigration(dir);
    const after = m.files[0].after;
    const steps = (parseYaml(after) as { jobs: { 'flux-push': { steps: Array<{ name?: string; uses?: string }> } } }).jobs['flux-push'].steps;
    expect(steps.map((s) => s.name ?? s.uses)).toEqual(['actions/checkout@v4', 'Install cosign', 'Push artifact', 'Attest SBOM', 'Notify']);
    expect(after).toContain('secrets.COSIGN_PASSWORD');
    expect(after).toContain('secrets.SLACK_HOOK');
    const kept = m.notes.filter((n) => n.kind === 'kept').map((n) => n.message);
    expect(kept).toEqual(expect.arrayContaining([expect.stringContaining("'Install cosign'"), expect.stringContaining("'Attest SBOM'"), expect.stringContaining("'Notify'")]));
    expect(m.notes.some((n) => n.kind === 'removed' && n.message.includes("'Install flux'"))).toBe(true);
  });

  it('a secret that only a removed step used is reported', async () => {
    const dir = join(scratch, 'secret');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(
      join(dir, '.github', 'workflows', 'push-artifact.yaml'),
      PUSH_WITH_EXTRA.replace('run: cosign sign --yes $DIGEST_URL', 'run: cosign sign --yes $DIGEST_URL\n        if: ${{ secrets.SIGN_ENABLED }}'),
    );
    const m = await planMigration(dir);
    expect(m.notes).toContainEqual(expect.objectContaining({ kind: 'warning', message: expect.stringContaining('secret SIGN_ENABLED') }));
  });

  it('one bad workflow among good ones: exit 2 and not one file is changed, not even the good ones', async () => {
    const dir = join(scratch, 'bad');
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, '.github', 'workflows', 'a-push.yaml'), PUSH_WITH_EXTRA);
    writeFileSync(join(dir, '.github', 'workflows', 'b-broken.yml'), 'on: push\njobs: {a: [\n');
    const r = await d2(['migrate', '--dir', dir, '--write']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/b-broken\.yml is not valid YAML/);
    expect(readFileSync(join(dir, '.github', 'workflows', 'a-push.yaml'), 'utf8')).toBe(PUSH_WITH_EXTRA);
    expect(readdirSync(join(dir, '.github', 'workflows')).sort()).toEqual(['a-push.yaml', 'b-broken.yml']);
  });
});
