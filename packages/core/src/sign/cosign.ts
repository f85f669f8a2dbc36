/**
 * The cosign legacy signature layout, byte for byte (docs/signing.md, "The legacy `.sig` image"): the simple-signing
 * payload, the `.sig` image config, the `.sig` manifest with one layer per signature and its annotations, and
 * appending to an existing `.sig`.
 *
 * Written by hand because no JS library writes this layout (`@sigstore/oci` only writes referrers), and the
 * bytes must equal what Go's encoding/json produces for cosign's and go-containerregistry's structs.
 */
import {
  assertDigest,
  dockerReference,
  goJSON,
  DOCKER_CONFIG_MEDIA_TYPE,
  DOCKER_MANIFEST_MEDIA_TYPE,
  OCI_CONFIG_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  sha256Digest,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type Descriptor,
  type Repository,
} from '../base/index.js';
import { D2Error } from '../errors.js';

// Shared with the attestation statements (attest/), which must not reach the signer: they live in base/cosign.ts.
export { dockerReference, goJSON };

/** cosign `maxLayers` (pkg/oci/remote/signatures.go): cosign reads no more layers of a `.sig`. */
export const MAX_SIGNATURE_LAYERS = 1000;
const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Object with keys sorted as Go marshals a map. */
function sortedMap(m: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = m[k];
  return out;
}

/** The referrers fallback tag: `sha256-<hex>` (docs/signing.md, "The referrers fallback index"). */
export function referrersFallbackTag(digest: string): string {
  assertDigest(digest);
  return digest.replace(':', '-');
}

/**
 * The simple-signing payload: the signed bytes and the layer blob. `optional` is null unless annotations are given
 * (then an object with sorted keys).
 */
export function simpleSigningPayload(repo: Repository, digest: string, annotations?: Record<string, string>): Buffer {
  assertDigest(digest);
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference(repo) },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    },
    optional: annotations && Object.keys(annotations).length ? sortedMap(annotations) : null,
  };
  return Buffer.from(goJSON(payload), 'utf8');
}

/** A `.sig` layer to add: the payload and its layer annotations (signature, certificate, chain, bundle, timestamp). */
export interface SignatureLayer {
  payload: Buffer;
  annotations: Record<string, string>;
  /** Default the simple-signing media type; a `.att` layer is a DSSE envelope (DSSE_ENVELOPE_MEDIA_TYPE). */
  mediaType?: string;
}

/** What to upload and PUT for a `.sig` tag. */
export interface SignatureImage {
  manifest: Buffer;
  manifestMediaType: string;
  config: Buffer;
  configDigest: string;
  /** Payload blobs (one per new layer). */
  blobs: { digest: string; data: Buffer }[];
  layers: Descriptor[];
}

interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

interface ConfigLike {
  architecture?: string;
  created?: string;
  history?: HistoryEntry[];
  os?: string;
  rootfs?: { type?: string; diff_ids?: string[] };
}

/** ggcr `ConfigFile` field order for the fields a cosign `.sig` config has. */
function signatureConfig(c: ConfigLike, diffIds: string[], history: HistoryEntry[]): Buffer {
  const hist = history.map((h) => {
    const e: HistoryEntry = { created: h.created ?? ZERO_TIME };
    if (h.created_by) e.created_by = h.created_by;
    if (h.author) e.author = h.author;
    if (h.comment) e.comment = h.comment;
    if (h.empty_layer) e.empty_layer = true;
    return e;
  });
  const cfg = {
    architecture: c.architecture ?? '',
    created: c.created ?? ZERO_TIME,
    ...(hist.length ? { history: hist } : {}),
    os: c.os ?? '',
    rootfs: { type: 'layers', diff_ids: diffIds },
    config: {},
  };
  return Buffer.from(goJSON(cfg), 'utf8');
}

function descriptorJSON(d: Descriptor): Record<string, unknown> {
  const o: Record<string, unknown> = { mediaType: d.mediaType, size: d.size, digest: d.digest };
  if (d.annotations && Object.keys(d.annotations).length) o.annotations = sortedMap(d.annotations);
  if (d.artifactType) o.artifactType = d.artifactType;
  return o;
}

/**
 * Builds the `.sig` (or `.att`, same layout) image with `add` appended to `existing` (manifest and config bytes of the current `.sig`, if any),
 * as cosign's `mutate.Append` does: existing layers kept in order, media types of the existing manifest kept, one
 * diff_id and one history entry per layer. Appending, never replacing, keeps other signers' signatures.
 */
export function buildSignatureImage(add: SignatureLayer[], existing?: { manifest: Buffer; config: Buffer }): SignatureImage {
  let manifestMediaType = OCI_MANIFEST_MEDIA_TYPE;
  let configMediaType = OCI_CONFIG_MEDIA_TYPE;
  let layers: Descriptor[] = [];
  let config: ConfigLike = {};
  if (existing) {
    const m = parseJSON<{ mediaType?: string; config?: Descriptor; layers?: Descriptor[] }>(existing.manifest, 'existing .sig manifest');
    manifestMediaType = m.mediaType ?? (m.config?.mediaType === DOCKER_CONFIG_MEDIA_TYPE ? DOCKER_MANIFEST_MEDIA_TYPE : OCI_MANIFEST_MEDIA_TYPE);
    configMediaType = m.config?.mediaType ?? configMediaType;
    layers = (m.layers ?? []).map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, ...(l.annotations ? { annotations: l.annotations } : {}) }));
    config = parseJSON<ConfigLike>(existing.config, 'existing .sig config');
  }
  if (layers.length + add.length > MAX_SIGNATURE_LAYERS) {
    throw new D2Error(`the .sig image already has ${layers.length} signature layers; cosign reads at most ${MAX_SIGNATURE_LAYERS}`, {
      code: 'SIGNATURE_LIMIT',
      hint: 'push a new artifact digest instead of re-signing this one, or delete the old .sig tag',
    });
  }
  const diffIds = [...(config.rootfs?.diff_ids ?? layers.map((l) => l.digest))];
  const history = [...(config.history ?? layers.map(() => ({ created: ZERO_TIME })))];
  const blobs: { digest: string; data: Buffer }[] = [];
  for (const l of add) {
    const digest = sha256Digest(l.payload);
    layers.push({ mediaType: l.mediaType ?? SIMPLE_SIGNING_MEDIA_TYPE, size: l.payload.length, digest, annotations: l.annotations });
    diffIds.push(digest);
    history.push({ created: ZERO_TIME });
    blobs.push({ digest, data: l.payload });
  }
  const configBytes = signatureConfig(config, diffIds, history);
  const configDigest = sha256Digest(configBytes);
  const manifest = {
    schemaVersion: 2,
    mediaType: manifestMediaType,
    config: { mediaType: configMediaType, size: configBytes.length, digest: configDigest },
    layers: layers.map(descriptorJSON),
  };
  return { manifest: Buffer.from(goJSON(manifest), 'utf8'), manifestMediaType, config: configBytes, configDigest, blobs, layers };
}

function parseJSON<T>(bytes: Buffer, what: string): T {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (err) {
    throw new D2Error(`${what} is not valid JSON`, { code: 'SIGNATURE_INVALID', cause: err, hint: 'delete the broken .sig tag and sign again' });
  }
}

/** The `dev.sigstore.cosign/bundle` value, cosign's RekorBundle, in Go's key order with numbers as numbers. */
export interface RekorBundle {
  SignedEntryTimestamp: string;
  Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
}

export function rekorBundleJSON(b: RekorBundle): string {
  return goJSON({
    SignedEntryTimestamp: b.SignedEntryTimestamp,
    Payload: { body: b.Payload.body, integratedTime: b.Payload.integratedTime, logIndex: b.Payload.logIndex, logID: b.Payload.logID },
  });
}
