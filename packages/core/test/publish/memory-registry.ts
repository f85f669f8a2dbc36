/**
 * An in-memory registry for the publish tests: the PublishRegistry interface (publish/types.ts) over maps, recording
 * every call in order (`<op> <repository> <reference>`) so a test can assert exactly what was written and when. A
 * call can be made to fail (`failOn`), and a hook can act as a concurrent writer between two calls (`onCall`).
 * Signers and verifiers built here record into the same log.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { BlobSource, Descriptor, ManifestBytes, Repository } from '../../src/oci/types.js';
import type { DigestSigner, DigestVerifier, PublishRegistry } from '../../src/publish/index.js';
import type { SignResult } from '../../src/sign/types.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

const isDigest = (ref: string): boolean => /^sha256:[0-9a-f]{64}$/.test(ref);

export class MemoryRegistry implements PublishRegistry {
  /** Every call, in the order it was made: `<op> <repository> <reference>`. */
  readonly calls: string[] = [];
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { bytes: Buffer; mediaType: string }>();
  /** `<repository>:<tag>` → digest. */
  readonly tags = new Map<string, string>();
  /** Referrers of a digest (for the "already signed" check of the bundle format). */
  readonly referrerMap = new Map<string, Descriptor[]>();
  /** Return an error to make the call fail (it is still recorded). */
  failOn: (call: string) => Error | undefined = () => undefined;
  /** Runs after a call is recorded, before it takes effect (a concurrent writer). */
  onCall: (call: string) => void = () => {};
  /** Milliseconds a call waits before it takes effect (a slow registry). */
  delayOn: (call: string) => number = () => 0;
  /** Overrides the digest putManifest reports (a registry that stores something else). */
  reportDigest?: (reference: string, digest: string) => string;

  private async record(op: string, repo: Repository, ref: string): Promise<void> {
    const call = `${op} ${repo.repository} ${ref}`;
    this.calls.push(call);
    this.onCall(call);
    const ms = this.delayOn(call);
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    const err = this.failOn(call);
    if (err) throw err;
  }

  /** Calls that write (blobs, manifests, tags), in order. */
  writes(): string[] {
    return this.calls.filter((c) => c.startsWith('pushBlob') || c.startsWith('putManifest'));
  }

  /** Tag PUTs only (putManifest with a reference that is not a digest). */
  tagPuts(): string[] {
    return this.calls.filter((c) => c.startsWith('putManifest') && !isDigest(c.split(' ')[2]));
  }

  tag(repository: string, tag: string): string | undefined {
    return this.tags.get(`${repository}:${tag}`);
  }

  /** Stores a manifest directly (test set-up), optionally under a tag; no call is recorded. */
  seed(repository: string, bytes: Buffer, tag?: string): string {
    const digest = sha256(bytes);
    this.manifests.set(digest, { bytes, mediaType: OCI_MANIFEST });
    if (tag) this.tags.set(`${repository}:${tag}`, digest);
    return digest;
  }

  resolve(repository: string, reference: string): string | undefined {
    if (isDigest(reference)) return this.manifests.has(reference) ? reference : undefined;
    return this.tags.get(`${repository}:${reference}`);
  }

  async pushBlob(repo: Repository, source: BlobSource, digest: string): Promise<unknown> {
    await this.record('pushBlob', repo, digest);
    const data = 'data' in source ? source.data : await readFile(source.path);
    if (sha256(data) !== digest) throw new Error(`blob digest mismatch: ${digest}`);
    this.blobs.set(digest, data);
    return undefined;
  }

  async putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    await this.record('putManifest', repo, reference);
    const digest = sha256(bytes);
    if (isDigest(reference) && reference !== digest) throw new Error(`manifest digest mismatch: ${reference}`);
    this.manifests.set(digest, { bytes, mediaType });
    if (!isDigest(reference)) this.tags.set(`${repo.repository}:${reference}`, digest);
    return this.reportDigest ? this.reportDigest(reference, digest) : digest;
  }

  async getManifest(repo: Repository, reference: string): Promise<ManifestBytes> {
    await this.record('getManifest', repo, reference);
    const digest = this.resolve(repo.repository, reference);
    const m = digest ? this.manifests.get(digest) : undefined;
    if (!digest || !m) throw new Error(`manifest unknown: ${reference}`);
    return { bytes: m.bytes, mediaType: m.mediaType, digest };
  }

  async headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined> {
    await this.record('headManifest', repo, reference);
    const digest = this.resolve(repo.repository, reference);
    const m = digest ? this.manifests.get(digest) : undefined;
    return digest && m ? { digest, mediaType: m.mediaType, size: m.bytes.length } : undefined;
  }

  async fetchBlobToFile(repo: Repository, digest: string, path: string): Promise<unknown> {
    await this.record('fetchBlobToFile', repo, digest);
    const b = this.blobs.get(digest);
    if (!b) throw new Error(`blob unknown: ${digest}`);
    await writeFile(path, b);
    return undefined;
  }

  async referrers(repo: Repository, digest: string): Promise<Descriptor[]> {
    await this.record('referrers', repo, digest);
    return this.referrerMap.get(digest) ?? [];
  }
}

/**
 * A signer that records `sign <repository> <digest>` in the registry's log (and the subject descriptor it is handed in
 * `subjects`); `fail` makes it throw.
 */
export function memorySigner(reg: MemoryRegistry, o: { fail?: (repository: string) => boolean; format?: DigestSigner['format']; subjects?: (Descriptor | undefined)[] } = {}): DigestSigner {
  return {
    format: o.format ?? 'legacy',
    async sign(repo, digest, subject): Promise<SignResult> {
      reg.calls.push(`sign ${repo.repository} ${digest}`);
      o.subjects?.push(subject);
      if (o.fail?.(repo.repository)) throw new Error(`signing ${repo.repository} failed`);
      return {
        signature: `${repo.registry}/${repo.repository}:${digest.replace(':', '-')}.sig`,
        rekorLogIndex: 1,
        certificateIdentity: 'https://github.com/o/r/.github/workflows/w.yaml@refs/heads/main',
        certificateOidcIssuer: 'https://token.actions.githubusercontent.com',
        format: 'legacy',
      } as SignResult;
    },
  };
}

/** A verifier that records `verify <repository> <digest>`; `fail` makes it throw. */
export function memoryVerifier(reg: MemoryRegistry, o: { fail?: (repository: string) => boolean } = {}): DigestVerifier {
  return async (repo, digest) => {
    reg.calls.push(`verify ${repo.repository} ${digest}`);
    if (o.fail?.(repo.repository)) throw new Error(`verifying ${repo.repository} failed`);
  };
}
