/**
 * Commit signing as Flux's image-automation-controller does it (`spec.git.commit.signingKey`, docs/image-automation.md
 * "Commit signing"): an ASCII-armored OpenPGP key (`git.asc`, optional `passphrase`) or an SSH private key
 * (`identity`, optional `password`; ed25519, ecdsa-sha2-nistp256/384/521, rsa ≥ 2048 bits).
 *
 * The signature is made in-process, not by git's `gpg.program`: git would need the key imported into a gpg keyring
 * (a gpg-agent daemon, and a passphrase handed to a pinentry) or, for SSH, the key written to disk and an ssh-agent
 * for a protected key, and gpg is not on every runner. With OpenPGP.js (openpgp) and sshpk the key is parsed and
 * decrypted in memory only, and never touches the disk or another process. The signed object is byte-for-byte the
 * commit git wrote, with the signature added as git's `gpgsig` header (see signCommitObject), so `git verify-commit`
 * and `git log --show-signature` check it like any commit git signed itself.
 */
import { createHash, createPrivateKey, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type * as OpenPgp from 'openpgp';
import type * as Sshpk from 'sshpk';
import { D2Error, InputError } from '../errors.js';

/** `spec.git.commit.signingKey.type`: Flux's enum (empty means gpg). */
export type SigningKeyType = 'gpg' | 'ssh';

export interface CommitSigner {
  readonly type: SigningKeyType;
  /** A short description for the log, e.g. `OpenPGP key 3AA5C34371567BD2` or `SSH ed25519 key SHA256:…` (no secret). */
  readonly description: string;
  /** The armored detached signature of `payload` (the unsigned commit object), made at `date`. */
  sign(payload: Buffer, date: Date): Promise<string>;
}

export interface SigningKeyInput {
  /** The private key: ASCII-armored OpenPGP (`git.asc`) or an SSH private key (`identity`). */
  key: string;
  /** `passphrase` (gpg) or `password` (ssh). */
  passphrase?: string;
  /** Default: detected from the key's armor. */
  type?: SigningKeyType;
  /** Where the key comes from, for error messages (an input name, never the key). */
  source?: string;
}

const PGP_ARMOR = /-----BEGIN PGP PRIVATE KEY BLOCK-----/;
const SSH_ARMOR = /-----BEGIN (OPENSSH|RSA|EC|DSA|ENCRYPTED)? ?PRIVATE KEY-----/;

/** The key type its armor says, or undefined. */
export function detectSigningKeyType(key: string): SigningKeyType | undefined {
  if (PGP_ARMOR.test(key)) return 'gpg';
  if (SSH_ARMOR.test(key)) return 'ssh';
  return undefined;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 200);

/**
 * Parses (and decrypts) the signing key, checking that it can sign, before anything is cloned or pushed. Errors name
 * the source and never contain the key or the passphrase.
 */
export async function loadCommitSigner(input: SigningKeyInput): Promise<CommitSigner> {
  const source = input.source ?? 'the signing key';
  const detected = detectSigningKeyType(input.key);
  const type = input.type ?? detected;
  if (!type) {
    throw new InputError(`${source} is neither an ASCII-armored OpenPGP private key nor an SSH private key`, 'pass the output of `gpg --export-secret-keys --armor <id>` (git.asc) or an OpenSSH private key (identity)');
  }
  if (detected && detected !== type) {
    throw new InputError(
      `${source} is ${detected === 'gpg' ? 'an OpenPGP key' : 'an SSH key'} but the signing key type is ${type}`,
      type === 'gpg' ? "set signingKey.type: ssh, or pass the OpenPGP key (git.asc)" : 'set signingKey.type: gpg (or leave it out), or pass the SSH key (identity)',
    );
  }
  return type === 'gpg' ? loadOpenPgp(input.key, input.passphrase, source) : loadSsh(input.key, input.passphrase, source);
}

async function loadOpenPgp(armored: string, passphrase: string | undefined, source: string): Promise<CommitSigner> {
  // Loaded when a key is: a run that does not sign commits does not parse OpenPGP.js at start-up.
  // The namespace, or (embedded lazily in a CommonJS bundle, scripts/build.mjs) the module under `default`.
  const pgp = (await import('openpgp')) as unknown as typeof OpenPgp & { default?: typeof OpenPgp };
  const openpgp: typeof OpenPgp = typeof pgp.readPrivateKeys === 'function' ? pgp : (pgp.default as typeof OpenPgp);
  let keys: OpenPgp.PrivateKey[];
  try {
    keys = await openpgp.readPrivateKeys({ armoredKeys: armored });
  } catch (err) {
    throw new InputError(`could not read the OpenPGP signing key from ${source}: ${errText(err)}`, 'pass one ASCII-armored private key (gpg --export-secret-keys --armor <id>)');
  }
  // IAC loadGPGSigner: one entity only.
  if (keys.length !== 1) throw new InputError(`multiple entities read from ${source}, could not determine which signing key to use`, 'export exactly one key');
  let key = keys[0];
  if (!key.isDecrypted()) {
    if (!passphrase) throw new InputError(`can not use passphrase protected signing key from ${source} without a passphrase`, 'pass the key\'s passphrase (the Secret\'s passphrase field)');
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (err) {
      throw new InputError(`could not decrypt the OpenPGP signing key from ${source}: ${errText(err)}`, 'check the passphrase');
    }
  }
  try {
    await key.getSigningKey();
  } catch (err) {
    throw new InputError(`the OpenPGP key from ${source} cannot sign: ${errText(err)}`, 'use a key with a valid (not expired, not revoked) signing key or subkey');
  }
  const id = key.getKeyID().toHex().toUpperCase();
  return {
    type: 'gpg',
    description: `OpenPGP key ${id}`,
    async sign(payload, date) {
      try {
        const message = await openpgp.createMessage({ binary: new Uint8Array(payload) });
        return await openpgp.sign({ message, signingKeys: key, detached: true, format: 'armored', date });
      } catch (err) {
        throw new D2Error(`could not sign the commit with OpenPGP key ${id}: ${errText(err)}`, { code: 'SIGNING_FAILED', hint: 'check that the key is valid at the commit time (not expired or revoked)' });
      }
    },
  };
}

/** SSH string: uint32 length + bytes. */
function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

const SSHSIG_NAMESPACE = 'git';

function armorSshSig(blob: Buffer): string {
  const b64 = blob.toString('base64').replace(/(.{70})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN SSH SIGNATURE-----\n${b64}\n-----END SSH SIGNATURE-----\n`;
}

/** An SSH mpint: big-endian two's complement, minimal, with a 0 byte before a set high bit. */
function mpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** RFC 4253/5656/8332/8709 signature blob: string(algorithm) + string(signature). */
function sshSignatureBlob(type: string, curve: string, key: KeyObject, data: Buffer): Buffer {
  if (type === 'ed25519') return Buffer.concat([sshString('ssh-ed25519'), sshString(cryptoSign(null, data, key))]);
  // RSA signs with rsa-sha2-512 (ssh-keygen refuses ssh-rsa, SHA-1, for signatures).
  if (type === 'rsa') return Buffer.concat([sshString('rsa-sha2-512'), sshString(cryptoSign('sha512', data, key))]);
  const hash = ({ nistp256: 'sha256', nistp384: 'sha384', nistp521: 'sha512' } as Record<string, string>)[curve];
  if (!hash) throw new Error(`unsupported ECDSA curve ${curve}`);
  const rs = cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  const half = rs.length / 2;
  return Buffer.concat([sshString(`ecdsa-sha2-${curve}`), sshString(Buffer.concat([mpint(rs.subarray(0, half)), mpint(rs.subarray(half))]))]);
}

async function loadSsh(identity: string, password: string | undefined, source: string): Promise<CommitSigner> {
  // sshpk is CommonJS: its exports are the default export of the import (Node and the bundles alike).
  const mod = (await import('sshpk')) as unknown as { default?: typeof Sshpk };
  const sshpk = mod.default ?? (mod as unknown as typeof Sshpk);
  let key: Sshpk.PrivateKey;
  try {
    key = sshpk.parsePrivateKey(identity, 'auto', password ? { passphrase: password } : {});
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'KeyEncryptedError') throw new InputError(`can not use passphrase protected SSH signing key from ${source} without a password`, "pass the key's passphrase (the Secret's password field)");
    throw new InputError(`could not read the SSH signing key from ${source}: ${errText(err)}`, 'pass an OpenSSH private key (ssh-keygen -t ed25519), and its password when it is protected');
  }
  // IAC api/v1 SigningKey: ed25519, ecdsa-sha2-nistp256/384/521 and rsa >= 2048 bits.
  if (key.type === 'rsa' && key.size < 2048) throw new InputError(`the SSH signing key from ${source} is RSA with ${key.size} bits`, 'use ed25519, ecdsa or rsa with at least 2048 bits');
  if (!['ed25519', 'ecdsa', 'rsa'].includes(key.type)) throw new InputError(`the SSH signing key from ${source} is ${key.type}`, 'use ed25519, ecdsa (nistp256/384/521) or rsa (≥ 2048 bits)');
  const publicBlob = key.toPublic().toBuffer('rfc4253');
  // sshpk parses and decrypts every OpenSSH and PEM format; the signature itself is made by node's crypto (sshpk's
  // own ECDSA encoding guesses the curve from the length of r, which is wrong whenever r has leading zero bytes).
  const privateKey = createPrivateKey({ key: key.toBuffer('pkcs8'), format: 'pem' });
  const curve = key.type === 'ecdsa' ? String(key.curve) : '';
  const fingerprint = key.fingerprint('sha256').toString();
  return {
    type: 'ssh',
    description: `SSH ${key.type} key ${fingerprint}`,
    async sign(payload) {
      // PROTOCOL.sshsig: the signature covers MAGIC, namespace, reserved, hash algorithm and H(message).
      const hash = 'sha512';
      const signed = Buffer.concat([Buffer.from('SSHSIG'), sshString(SSHSIG_NAMESPACE), sshString(''), sshString(hash), sshString(createHash(hash).update(payload).digest())]);
      let sig: Buffer;
      try {
        sig = sshSignatureBlob(key.type, curve, privateKey, signed);
      } catch (err) {
        throw new D2Error(`could not sign the commit with ${fingerprint}: ${errText(err)}`, { code: 'SIGNING_FAILED', hint: 'check the SSH signing key' });
      }
      const blob = Buffer.concat([Buffer.from('SSHSIG'), Buffer.from([0, 0, 0, 1]), sshString(publicBlob), sshString(SSHSIG_NAMESPACE), sshString(''), sshString(hash), sshString(sig)]);
      return armorSshSig(blob);
    },
  };
}

/**
 * The commit object `raw` (as `git cat-file commit` prints it) with `signature` in git's `gpgsig` header: after the
 * last header line, every line of the signature after the first indented by one space (an empty line becomes a
 * single space). `git verify-commit` removes exactly this header to recover the signed payload, `raw`.
 */
export function signCommitObject(raw: Buffer, signature: string): Buffer {
  const end = raw.indexOf('\n\n');
  const headerEnd = end < 0 ? raw.length : end + 1;
  const lines = signature.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  const header = `gpgsig ${lines.map((l, i) => (i === 0 ? l : ` ${l}`)).join('\n')}\n`;
  return Buffer.concat([raw.subarray(0, headerEnd), Buffer.from(header), raw.subarray(headerEnd)]);
}
