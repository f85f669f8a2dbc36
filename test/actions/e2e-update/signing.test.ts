/**
 * Commit signing through the e2e-update bundle (docs/image-automation.md "Commit signing"), on the sandbox git server
 * and a CNCF distribution registry: an ImageUpdateAutomation with `spec.git.commit.signingKey` (gpg, the default, or
 * ssh) gets its commits signed with the key from the `signing-key` input, and real `git verify-commit` accepts the
 * pushed commit (a gpg keyring with only the public key; an allowed_signers file). Bad keys fail the step before any
 * git request.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpgKey, startUpdateWorld, unmasked, type UpdateWorld } from './update-fixture.js';

const signing = (type?: string) => `      signingKey:\n        secretRef:\n          name: flux-signing\n${type ? `        type: ${type}\n` : ''}`;

describe('e2e-update bundle: signed commits', () => {
  let w: UpdateWorld;
  let pgp: { privateKey: string; publicKey: string };
  beforeAll(async () => {
    w = await startUpdateWorld();
    pgp = gpgKey(w.tmp(), 'pgp-pass-1234');
  });
  afterAll(async () => w?.stop());

  /** `git verify-commit` in a clone of the bare repository with a fresh keyring holding only `publicKey`. */
  function verifyGpg(name: string, sha: string, publicKey: string): string {
    const home = w.tmp();
    const env = { ...process.env, GNUPGHOME: home };
    try {
      execFileSync('gpg', ['--batch', '--import'], { env, input: publicKey, stdio: ['pipe', 'ignore', 'ignore'] });
      const r = spawnSync('git', ['verify-commit', '--raw', sha], { cwd: w.server.repoPath(`acme/${name}`), env, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stderr;
    } finally {
      execFileSync('gpgconf', ['--kill', 'all'], { env });
    }
  }

  it('signingKey (type gpg by default): the pushed commit is signed and git verify-commit accepts it', async () => {
    await w.createRepo('signed-gpg');
    await w.release('signed-gpg', '1.1.0');
    const r = await w.runFleet(w.cluster('signed-gpg', { commitExtra: signing() }), { 'signing-key': pgp.privateKey, 'signing-passphrase': 'pgp-pass-1234' });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const sha = w.rev('signed-gpg', 'refs/heads/image-updates');
    expect(JSON.parse(r.outputs.commits)).toEqual([{ repository: `${w.server.url}/acme/signed-gpg.git`, branch: 'image-updates', sha }]);
    expect(verifyGpg('signed-gpg', sha as string, pgp.publicKey)).toMatch(/GOODSIG/);
    expect(r.stdout).toMatch(/signed with OpenPGP key [0-9A-F]{16}/);
    // Only the key's public identity is printed.
    expect(unmasked(r.stdout)).not.toContain(pgp.privateKey.split('\n')[3]);
  });

  it('signingKey type ssh: an ed25519 identity signs, and git verify-commit accepts it with allowed_signers', async () => {
    await w.createRepo('signed-ssh');
    await w.release('signed-ssh', '1.1.0');
    const d = w.tmp();
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bot', '-f', join(d, 'id')]);
    const r = await w.runFleet(w.cluster('signed-ssh', { commitExtra: signing('ssh') }), { 'signing-key': readFileSync(join(d, 'id'), 'utf8') });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const sha = w.rev('signed-ssh', 'refs/heads/image-updates') as string;
    const allowed = join(d, 'allowed_signers');
    writeFileSync(allowed, `bot@example.com ${readFileSync(join(d, 'id.pub'), 'utf8')}`);
    const v = spawnSync('git', ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'log', '-1', '--show-signature', sha], { cwd: w.server.repoPath('acme/signed-ssh'), encoding: 'utf8' });
    expect(v.stdout).toMatch(/Good "git" signature for bot@example.com with ED25519 key/);
  });

  it('direct mode signs every commit when signing-key is set; without it commits are unsigned', async () => {
    await w.createRepo('signed-direct');
    await w.release('signed-direct', '1.1.0');
    const r = await w.runDirect('signed-direct', { 'signing-key': pgp.privateKey, 'signing-passphrase': 'pgp-pass-1234' });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(verifyGpg('signed-direct', w.rev('signed-direct', 'refs/heads/image-updates') as string, pgp.publicKey)).toMatch(/GOODSIG/);
    await w.createRepo('unsigned-direct');
    await w.release('unsigned-direct', '1.1.0');
    const u = await w.runDirect('unsigned-direct');
    expect(u.exitCode, u.stdout + u.stderr).toBe(0);
    expect(w.bare('unsigned-direct', 'cat-file', 'commit', 'refs/heads/image-updates')).not.toContain('gpgsig');
  });

  it('bad signing input fails before any git request: no key, protected without passphrase, garbage, wrong type', async () => {
    await w.createRepo('signed-bad');
    await w.release('signed-bad', '1.1.0');
    const before = w.server.stats.requests;
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      [signing(), {}, /signs its commits with Secret apps\/flux-signing, which is not in git/],
      [signing(), { 'signing-key': pgp.privateKey }, /passphrase protected signing key from input 'signing-key'.* without a passphrase/],
      [signing(), { 'signing-key': pgp.privateKey, 'signing-passphrase': 'wrong-pass' }, /could not decrypt the OpenPGP signing key/],
      [signing(), { 'signing-key': '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxxxx\n-----END PGP PRIVATE KEY BLOCK-----' }, /could not read the OpenPGP signing key/],
      [signing('ssh'), { 'signing-key': pgp.privateKey, 'signing-passphrase': 'pgp-pass-1234' }, /is an OpenPGP key but the signing key type is ssh/],
      [signing('x509'), { 'signing-key': pgp.privateKey }, /unknown signing key type "x509"/],
    ];
    for (const [extra, inputs, expected] of cases) {
      const r = await w.runFleet(w.cluster('signed-bad', { commitExtra: extra }), inputs);
      expect(r.exitCode, r.stdout).toBe(1);
      expect(r.errors.join('\n')).toMatch(expected);
      expect(unmasked(r.stdout)).not.toContain('wrong-pass');
    }
    expect(w.server.stats.requests).toBe(before);
    expect(w.rev('signed-bad', 'refs/heads/image-updates')).toBeUndefined();
  });
});
