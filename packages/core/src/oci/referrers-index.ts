/**
 * The referrers fallback index: without the OCI 1.1 referrers API, the referrers of a manifest are listed in an OCI
 * image index under the tag `sha256-<hex>` (docs/signing.md, "The referrers fallback index"). This file is the one
 * writer of its bytes, for the registry client (`updateFallbackIndex`, `pushReferrer`) and for the signer over any
 * registry. The bytes are the ones cosign v3 writes (go-containerregistry v0.21.3's `commitSubjectReferrers`): Go's
 * `json.Marshal` of a `v1.IndexManifest` with its manifests sorted by digest — struct field order, annotations as a
 * Go map (keys sorted), empty optional fields omitted, fields the struct does not know dropped.
 */
import { MediaType, type Descriptor } from '../base/index.js';
import { compareGoStrings, goJsonBytes, goSortedMap, type GoJsonValue } from '../util/index.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A non-empty annotations object as a Go map, or undefined (`omitempty`). */
function annotationsOf(v: unknown): Map<string, string> | undefined {
  if (!isObject(v) || Object.keys(v).length === 0) return undefined;
  return goSortedMap(v as Record<string, string>);
}

/** A `v1.Descriptor` as Go marshals it: mediaType, size, digest, then the optional fields when set. */
function descriptorJson(d: Json): GoJsonValue {
  return {
    mediaType: typeof d.mediaType === 'string' ? d.mediaType : '',
    size: typeof d.size === 'number' ? d.size : 0,
    digest: typeof d.digest === 'string' ? d.digest : '',
    data: typeof d.data === 'string' && d.data !== '' ? d.data : undefined,
    urls: Array.isArray(d.urls) && d.urls.length > 0 ? (d.urls as string[]) : undefined,
    annotations: annotationsOf(d.annotations),
    platform: isObject(d.platform) ? (d.platform as GoJsonValue) : undefined,
    artifactType: typeof d.artifactType === 'string' && d.artifactType !== '' ? d.artifactType : undefined,
  };
}

/**
 * The bytes of the fallback index listing `manifests` (sorted here by digest). `existing` is the parsed index the
 * manifests were read from, if any: its annotations and subject are kept, as go-containerregistry does (its
 * `v1.IndexManifest` has no artifactType before v0.21.6, so cosign 3.0.6 drops one).
 */
export function referrersIndexBytes(manifests: readonly Descriptor[], existing?: Json): Buffer {
  const sorted = [...manifests].sort((a, b) => compareGoStrings(a.digest, b.digest));
  return goJsonBytes({
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: sorted.map((m) => descriptorJson(m as unknown as Json)),
    annotations: annotationsOf(existing?.annotations),
    subject: isObject(existing?.subject) ? descriptorJson(existing.subject) : undefined,
  });
}

/** The fallback index `existing` (its bytes; undefined: none yet) with `entry` added unless its digest is listed. */
export function addToReferrersIndex(existing: Buffer | undefined, entry: Descriptor): Buffer {
  const json = existing ? (JSON.parse(existing.toString('utf8')) as Json) : undefined;
  const manifests = Array.isArray(json?.manifests) ? (json.manifests as Descriptor[]) : [];
  return referrersIndexBytes(manifests.some((m) => m.digest === entry.digest) ? manifests : [...manifests, entry], json);
}
