/**
 * A deliberately small OCI Distribution client for the signing e2e tests: it has no `pushReferrer`, so the signer's own
 * fallback-index path is exercised (RegistryClient has one). It talks to the REAL sandbox registry (CNCF distribution) over
 * loopback HTTP, anonymous mode only; it is test scaffolding, not product code.
 */
import { createHash } from 'node:crypto';
import type { BlobSource, Descriptor, ManifestBytes, Repository } from '../../src/oci/types.js';
import type { SignatureRegistry } from '../../src/sign/index.js';
import { D2Error } from '../../src/errors.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export class MiniRegistry implements SignatureRegistry {
  /** Every request, for tests that count traffic. */
  readonly log: string[] = [];
  constructor(private readonly base: string) {}

  private url(repo: Repository, path: string): string {
    return `${this.base}/v2/${repo.repository}/${path}`;
  }

  private async req(method: string, url: string, init: { body?: Buffer; headers?: Record<string, string> } = {}): Promise<Response> {
    this.log.push(`${method} ${url.replace(this.base, '')}`);
    return fetch(url, { method, body: init.body, headers: init.headers, redirect: 'follow' });
  }

  async pushBlob(repo: Repository, source: BlobSource, digest: string): Promise<unknown> {
    if (!('data' in source)) throw new Error('MiniRegistry pushes in-memory blobs only');
    const head = await this.req('HEAD', this.url(repo, `blobs/${digest}`));
    if (head.ok) return { digest };
    const start = await this.req('POST', this.url(repo, 'blobs/uploads/'));
    if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
    const loc = new URL(start.headers.get('location') ?? '', this.base);
    loc.searchParams.set('digest', digest);
    const put = await this.req('PUT', loc.toString(), { body: source.data, headers: { 'content-type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`blob PUT ${digest}: ${put.status} ${await put.text()}`);
    return { digest };
  }

  async putManifest(repo: Repository, reference: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.req('PUT', this.url(repo, `manifests/${reference}`), { body: bytes, headers: { 'content-type': mediaType } });
    if (res.status !== 201) throw new Error(`manifest PUT ${reference}: ${res.status} ${await res.text()}`);
    return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  }

  async getManifest(repo: Repository, reference: string): Promise<ManifestBytes> {
    const res = await this.req('GET', this.url(repo, `manifests/${reference}`), { headers: { accept: ACCEPT } });
    if (res.status === 404) throw new D2Error(`manifest GET ${reference}: 404`, { code: 'REGISTRY_NOT_FOUND' }); // as SignatureRegistry asks
    if (!res.ok) throw new Error(`manifest GET ${reference}: ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { bytes, mediaType: res.headers.get('content-type') ?? '', digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  }

  async headManifest(repo: Repository, reference: string): Promise<Descriptor | undefined> {
    const res = await this.req('HEAD', this.url(repo, `manifests/${reference}`), { headers: { accept: ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`manifest HEAD ${reference}: ${res.status}`);
    return { mediaType: res.headers.get('content-type') ?? '', digest: res.headers.get('docker-content-digest') ?? '', size: Number(res.headers.get('content-length')) };
  }

  async fetchBlob(repo: Repository, digest: string): Promise<Buffer> {
    const res = await this.req('GET', this.url(repo, `blobs/${digest}`));
    if (!res.ok) throw new Error(`blob GET ${digest}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  async referrers(repo: Repository, digest: string): Promise<Descriptor[]> {
    const api = await this.req('GET', this.url(repo, `referrers/${digest}`), { headers: { accept: 'application/vnd.oci.image.index.v1+json' } });
    if (api.ok && (api.headers.get('content-type') ?? '').startsWith('application/vnd.oci.image.index.v1+json')) {
      return ((await api.json()) as { manifests?: Descriptor[] }).manifests ?? [];
    }
    if (!(await this.headManifest(repo, digest.replace(':', '-')))) return [];
    const idx = await this.getManifest(repo, digest.replace(':', '-'));
    return (JSON.parse(idx.bytes.toString()) as { manifests?: Descriptor[] }).manifests ?? [];
  }
}
