/**
 * The one writer of the referrers fallback index (`sha256-<hex>`, docs/signing.md "The referrers fallback index"):
 * its bytes are cosign v3's. The expected strings were printed by go-containerregistry v0.21.3 (the version cosign
 * v3.0.6 links) running `commitSubjectReferrers`' steps: json.Unmarshal of the existing index into
 * v1.IndexManifest, append, sort.Slice by digest, json.Marshal.
 */
import { describe, expect, it } from 'vitest';
import { addToReferrersIndex, referrersIndexBytes } from '../../src/oci/index.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const dig = (c: string) => `sha256:${c.repeat(64)}`;
const ADD = { mediaType: MANIFEST, digest: dig('a'), size: 9, artifactType: 'application/vnd.oci.empty.v1+json' };

/** An index as another writer left it: unsorted, key order of its own, unknown fields, annotations out of order. */
const EXISTING =
  `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","unknown":1,"artifactType":"application/x-top","annotations":{"z":"1","a":"2"},"manifests":[` +
  `{"artifactType":"application/spdx+json","digest":"${dig('c')}","size":7,"mediaType":"${MANIFEST}","annotations":{"org.b":"x<&>y","org.a":"1"}},` +
  `{"mediaType":"${MANIFEST}","digest":"${dig('b')}","size":5}]}`;

const GGCR_FRESH = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"${MANIFEST}","size":9,"digest":"${dig('a')}","artifactType":"application/vnd.oci.empty.v1+json"}]}`;

const GGCR_APPENDED =
  `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` +
  `{"mediaType":"${MANIFEST}","size":9,"digest":"${dig('a')}","artifactType":"application/vnd.oci.empty.v1+json"},` +
  `{"mediaType":"${MANIFEST}","size":5,"digest":"${dig('b')}"},` +
  `{"mediaType":"${MANIFEST}","size":7,"digest":"${dig('c')}","annotations":{"org.a":"1","org.b":"x\\u003c\\u0026\\u003ey"},"artifactType":"application/spdx+json"}` +
  `],"annotations":{"a":"2","z":"1"}}`;

describe('the referrers fallback index (cosign v3 bytes)', () => {
  it('starts an index with one entry as go-containerregistry does', () => {
    expect(addToReferrersIndex(undefined, ADD).toString('utf8')).toBe(GGCR_FRESH);
  });

  it('appends to another writer’s index: sorted by digest, Go field order, sorted annotations, unknown fields and artifactType dropped', () => {
    expect(addToReferrersIndex(Buffer.from(EXISTING), ADD).toString('utf8')).toBe(GGCR_APPENDED);
  });

  it('adds a listed digest once', () => {
    const once = addToReferrersIndex(Buffer.from(EXISTING), ADD);
    expect(addToReferrersIndex(once, { ...ADD, size: 1 }).equals(once)).toBe(true);
  });

  it('writes what the registry client lists, whatever order the manifests come in', () => {
    const existing = JSON.parse(EXISTING) as { manifests: { mediaType: string; digest: string; size: number }[] };
    const list = [...existing.manifests, ADD];
    expect(referrersIndexBytes(list, existing).toString('utf8')).toBe(GGCR_APPENDED);
    expect(referrersIndexBytes([...list].reverse(), existing).toString('utf8')).toBe(GGCR_APPENDED);
  });
});
