/**
 * Commit signing (src/git/signing.ts) against the real verifiers: every signed commit is checked with
 * `git verify-commit` and `git log --show-signature`, OpenPGP with a gpg keyring holding only the public key, SSH with
 * an allowed_signers file. Keys come from gpg and ssh-keygen themselves (and OpenPGP.js), in any format Flux accepts;
 * bad keys fail with an error that carries no key material.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Git, loadCommitSigner, signCommitObject, type CommitSigner } from '../../src/git/index.js';

const author = { name: 'D2 Bot', email: 'bot@example.com' };
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'd2-sign-'));
  dirs.push(d);
  return d;
};
const run = (cwd: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): string =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, input, stdio: ['pipe', 'pipe', 'pipe'] });

/** gpg-generated keys: an RSA key and its public part, made in a throwaway GNUPGHOME whose agent is stopped after. */
function gpgKey(): { secret: string; public: string } {
  const home = tmp();
  const env = { GNUPGHOME: home };
  try {
    run(home, 'gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', 'D2 Bot <bot@example.com>', 'rsa3072', 'sign', 'never'], env);
    return { secret: run(home, 'gpg', ['--batch', '--armor', '--pinentry-mode', 'loopback', '--passphrase', '', '--export-secret-keys'], env), public: run(home, 'gpg', ['--armor', '--export'], env) };
  } finally {
    run(home, 'gpgconf', ['--kill', 'all'], env);
  }
}

/** A work tree with one commit whose origin is a bare repository. */
function repo(): Git {
  const root = tmp();
  run(root, 'git', ['init', '-q', '-b', 'main', 'w']);
  const dir = join(root, 'w');
  writeFileSync(join(dir, 'a.yaml'), 'image: app:1.0.0\n');
  run(dir, 'git', ['add', '-A']);
  run(dir, 'git', ['-c', 'user.name=s', '-c', 'user.email=s@e', 'commit', '-q', '-m', 'init']);
  return new Git(dir);
}

async function signedCommit(signer: CommitSigner, message = 'Update from image update automation\n\n- app:1.0.1\n'): Promise<{ git: Git; sha: string }> {
  const git = repo();
  writeFileSync(join(git.dir, 'a.yaml'), 'image: app:1.0.1\n');
  const sha = await git.commit({ message, author, signer, date: commitDate });
  expect(sha).toMatch(/^[0-9a-f]{40}$/);
  return { git, sha: sha as string };
}

/** `git verify-commit` with a keyring holding only `publicKey`; returns gpg's status output. */
function verifyGpg(dir: string, sha: string, publicKey: string): string {
  const home = tmp();
  const env = { GNUPGHOME: home };
  try {
    run(home, 'gpg', ['--batch', '--import'], env, publicKey);
    const r = spawnSync('git', ['verify-commit', '--raw', sha], { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git verify-commit failed: ${r.stderr}`);
    const out = r.stderr;
    const log = run(dir, 'git', ['log', '-1', '--show-signature', sha], env);
    expect(log).toMatch(/Good signature from "D2 Bot <bot@example.com>"/);
    return out;
  } finally {
    run(home, 'gpgconf', ['--kill', 'all'], env);
  }
}

/** `git verify-commit` for an SSH signature against an allowed_signers file naming `publicKey` for the committer. */
function verifySsh(dir: string, sha: string, publicKey: string): void {
  const allowed = join(tmp(), 'allowed_signers');
  writeFileSync(allowed, `${author.email} ${publicKey.trim()}\n`);
  const cfg = ['-c', 'gpg.format=ssh', '-c', `gpg.ssh.allowedSignersFile=${allowed}`];
  run(dir, 'git', [...cfg, 'verify-commit', sha]);
  expect(run(dir, 'git', [...cfg, 'log', '-1', '--show-signature', sha])).toMatch(/Good "git" signature for bot@example.com with/);
}

function sshKey(type: string, bits?: number, passphrase = ''): { identity: string; public: string } {
  const d = tmp();
  const file = join(d, 'id');
  run(d, 'ssh-keygen', ['-q', '-t', type, ...(bits ? ['-b', String(bits)] : []), '-N', passphrase, '-C', 'd2', '-f', file]);
  return { identity: readFileSync(file, 'utf8'), public: readFileSync(`${file}.pub`, 'utf8') };
}

/**
 * The commits' time: now, as in a run, taken once the gpg key exists (a key cannot sign before it was made, and
 * generating an RSA key takes seconds).
 */
let commitDate: Date;
let stamp: string;
/** Keys made by OpenPGP.js are dated before the commits they sign. */
const keyDate = new Date('2025-06-01T00:00:00Z');
let gpg: { secret: string; public: string };

beforeAll(() => {
  gpg = gpgKey();
  commitDate = new Date(Math.floor(Date.now() / 1000) * 1000);
  stamp = String(commitDate.getTime() / 1000);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('OpenPGP signing (signingKey.type gpg, git.asc + passphrase)', () => {
  it('signs a commit that git verify-commit accepts with a gpg-generated RSA key, the tree and message unchanged', async () => {
    const signer = await loadCommitSigner({ key: gpg.secret, source: 'input signing-key' });
    expect(signer.type).toBe('gpg');
    const { git, sha } = await signedCommit(signer);
    expect(verifyGpg(git.dir, sha, gpg.public)).toMatch(/\[GNUPG:\] GOODSIG/);
    const raw = run(git.dir, 'git', ['cat-file', 'commit', sha]);
    expect(raw).toMatch(/^tree [0-9a-f]{40}\nparent [0-9a-f]{40}\nauthor D2 Bot <bot@example.com> (\d+) \+0000\ncommitter D2 Bot <bot@example.com> (\d+) \+0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n /);
    expect(raw).toContain(`author D2 Bot <bot@example.com> ${stamp} +0000\ncommitter D2 Bot <bot@example.com> ${stamp} +0000\n`);
    expect(raw.endsWith('\n\nUpdate from image update automation\n\n- app:1.0.1\n')).toBe(true);
    expect(run(git.dir, 'git', ['rev-parse', 'HEAD'])).toBe(`${sha}\n`);
    expect(run(git.dir, 'git', ['status', '--porcelain'])).toBe('');
  });

  it('a passphrase-protected OpenPGP.js ed25519 key: refused without the passphrase, signs with it', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [author], passphrase: 'correct horse', date: keyDate, format: 'armored' });
    await expect(loadCommitSigner({ key: privateKey, source: 'input signing-key' })).rejects.toThrow(/passphrase protected signing key from input signing-key without a passphrase/);
    const wrong = loadCommitSigner({ key: privateKey, passphrase: 'wrong', source: 'input signing-key' });
    await expect(wrong).rejects.toThrow(/could not decrypt the OpenPGP signing key/);
    await expect(wrong).rejects.not.toThrow(/wrong|BEGIN PGP/);
    const signer = await loadCommitSigner({ key: privateKey, passphrase: 'correct horse' });
    const { git, sha } = await signedCommit(signer, 'no trailing newline');
    expect(verifyGpg(git.dir, sha, publicKey)).toMatch(/GOODSIG/);
  });

  it('a commit verified against another key fails (the check can fail)', async () => {
    const other = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [author], date: keyDate, format: 'armored' });
    const { git, sha } = await signedCommit(await loadCommitSigner({ key: gpg.secret }));
    expect(() => verifyGpg(git.dir, sha, other.publicKey)).toThrow();
  });

  it('refuses keys that do not parse, several keys, and keys that cannot sign, without echoing them', async () => {
    const garbage = '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnot base64 at all SECRETSECRET\n-----END PGP PRIVATE KEY BLOCK-----\n';
    await expect(loadCommitSigner({ key: garbage, source: 'input signing-key' })).rejects.toThrow(/could not read the OpenPGP signing key from input signing-key/);
    await expect(loadCommitSigner({ key: garbage })).rejects.not.toThrow(/SECRETSECRET/);
    const a = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [author], format: 'armored' });
    const b = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [author], format: 'armored' });
    const both = openpgp.armor(openpgp.enums.armor.privateKey, new Uint8Array([...(await openpgp.readPrivateKey({ armoredKey: a.privateKey })).write(), ...(await openpgp.readPrivateKey({ armoredKey: b.privateKey })).write()]));
    await expect(loadCommitSigner({ key: both })).rejects.toThrow(/multiple entities/);
    const expired = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [author], keyExpirationTime: 1, date: new Date('2020-01-01T00:00:00Z'), format: 'armored' });
    await expect(loadCommitSigner({ key: expired.privateKey })).rejects.toThrow(/cannot sign/);
    await expect(loadCommitSigner({ key: 'hello' })).rejects.toThrow(/neither an ASCII-armored OpenPGP private key nor an SSH private key/);
    await expect(loadCommitSigner({ key: gpg.secret, type: 'ssh' })).rejects.toThrow(/is an OpenPGP key but the signing key type is ssh/);
  });
});

describe('SSH signing (signingKey.type ssh, identity + password)', () => {
  for (const [type, bits] of [['ed25519'], ['ecdsa', 256], ['ecdsa', 384], ['ecdsa', 521], ['rsa', 3072]] as Array<[string, number?]>) {
    it(`${type}${bits ? ` ${bits}` : ''}: git verify-commit accepts the signature`, async () => {
      const k = sshKey(type, bits);
      const signer = await loadCommitSigner({ key: k.identity, type: 'ssh' });
      expect(signer.description).toMatch(/^SSH (ed25519|ecdsa|rsa) key SHA256:/);
      const { git, sha } = await signedCommit(signer);
      expect(run(git.dir, 'git', ['cat-file', 'commit', sha])).toMatch(/\ngpgsig -----BEGIN SSH SIGNATURE-----\n /);
      verifySsh(git.dir, sha, k.public);
    });
  }

  it('a protected key needs its password; a wrong one and a 1024-bit RSA key are refused', async () => {
    const k = sshKey('ed25519', undefined, 'pw-for-ssh');
    await expect(loadCommitSigner({ key: k.identity, source: 'input signing-key' })).rejects.toThrow(/passphrase protected SSH signing key from input signing-key without a password/);
    await expect(loadCommitSigner({ key: k.identity, passphrase: 'nope' })).rejects.toThrow(/could not read the SSH signing key/);
    const { git, sha } = await signedCommit(await loadCommitSigner({ key: k.identity, passphrase: 'pw-for-ssh' }));
    verifySsh(git.dir, sha, k.public);
    await expect(loadCommitSigner({ key: sshKey('rsa', 1024).identity })).rejects.toThrow(/RSA with 1024 bits/);
  });

  it('an SSH signature checked against another key fails', async () => {
    const { git, sha } = await signedCommit(await loadCommitSigner({ key: sshKey('ed25519').identity }));
    expect(() => verifySsh(git.dir, sha, sshKey('ed25519').public)).toThrow();
  });
});

describe('signCommitObject and failures', () => {
  it('puts the signature after the last header, blank lines as a single space', () => {
    const raw = Buffer.from('tree t\nparent p\nauthor a\ncommitter c\n\nmsg\n');
    expect(signCommitObject(raw, '-----BEGIN X-----\n\nabc\n-----END X-----\n').toString()).toBe('tree t\nparent p\nauthor a\ncommitter c\ngpgsig -----BEGIN X-----\n \n abc\n -----END X-----\n\nmsg\n');
  });

  it('a signer that fails leaves HEAD at the parent and the changes staged (nothing to push)', async () => {
    const git = repo();
    const before = run(git.dir, 'git', ['rev-parse', 'HEAD']);
    writeFileSync(join(git.dir, 'a.yaml'), 'image: app:2\n');
    const failing: CommitSigner = { type: 'gpg', description: 'x', sign: () => Promise.reject(new Error('card removed')) };
    await expect(git.commit({ message: 'm', author, signer: failing })).rejects.toThrow(/card removed/);
    expect(run(git.dir, 'git', ['rev-parse', 'HEAD'])).toBe(before);
    mkdirSync(join(git.dir, 'x'), { recursive: true });
  });
});
