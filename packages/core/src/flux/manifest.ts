/**
 * The OCI manifest and config exactly as Flux 2.9.x writes them (docs/artifacts.md, "Decisions": Config, Manifest,
 * Annotations).
 *
 * Config choice: the constant 115-byte config of Flux 2.9.x (ggcr v0.21.6 returns the empty image's raw config; the
 * `created` that pkg/oci means to record is dropped). That is what `flux push artifact` 2.9 produces, so our manifest
 * digests equal Flux's; source-controller never reads the config, so nothing is lost.
 */
import { OCI_MANIFEST_MEDIA_TYPE, sha256Digest } from '../base/index.js';
import { clip, InputError } from '../errors.js';
import { goJsonBytes, goSortedMap } from '../util/index.js';

export const FLUX_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.flux.config.v1+json';
export const FLUX_LAYER_MEDIA_TYPE = 'application/vnd.cncf.flux.content.v1.tar+gzip';

export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const ANNOTATION_SOURCE = 'org.opencontainers.image.source';
export const ANNOTATION_REVISION = 'org.opencontainers.image.revision';

/** `created` in reproducible mode: the Unix epoch, always written in UTC (Flux formats it in local time). */
export const REPRODUCIBLE_CREATED = '1970-01-01T00:00:00Z';

/** The Flux 2.9.x config blob, byte for byte (115 bytes). */
export const FLUX_CONFIG: Buffer = Buffer.from(
  '{"architecture":"","created":"0001-01-01T00:00:00Z","os":"","rootfs":{"type":"layers","diff_ids":null},"config":{}}',
  'utf8',
);
/**
 * sha256 of FLUX_CONFIG, written out: hashing it when the module loads would initialise the crypto stack at every
 * start, before anything is built (docs/architecture.md "Action start-up"). The golden tests check it against the bytes.
 */
export const FLUX_CONFIG_DIGEST = 'sha256:5b943e2b943f6c81dbbd4e2eca5121f4fcc39139e3d1219d6d89bd925b77d9fe';

export interface ManifestInput {
  layerDigest: string;
  layerSize: number;
  /** All manifest annotations (see `fluxAnnotations`). */
  annotations: Readonly<Record<string, string>>;
}

export interface EncodedManifest {
  bytes: Buffer;
  digest: string;
  config: Buffer;
  configDigest: string;
}

/**
 * Encodes the manifest like ggcr's `pkg/v1/manifest.go` via Go encoding/json: compact, keys schemaVersion,
 * mediaType, config, layers, annotations; descriptor keys mediaType, size, digest; annotation keys sorted bytewise;
 * `<>&` escaped. No artifactType, no subject, no layer annotations.
 */
export function encodeManifest(input: ManifestInput): EncodedManifest {
  if (!/^sha256:[0-9a-f]{64}$/.test(input.layerDigest)) throw new InputError(`invalid layer digest ${JSON.stringify(clip(input.layerDigest))}`, 'expected sha256:<64 lower-case hex>');
  if (!Number.isSafeInteger(input.layerSize) || input.layerSize < 0) throw new InputError(`invalid layer size ${input.layerSize}`);
  const bytes = goJsonBytes({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: { mediaType: FLUX_CONFIG_MEDIA_TYPE, size: FLUX_CONFIG.length, digest: FLUX_CONFIG_DIGEST },
    layers: [{ mediaType: FLUX_LAYER_MEDIA_TYPE, size: input.layerSize, digest: input.layerDigest }],
    annotations: goSortedMap(input.annotations),
  });
  return { bytes, digest: sha256Digest(bytes), config: FLUX_CONFIG, configDigest: FLUX_CONFIG_DIGEST };
}

export interface AnnotationOptions {
  /** RFC 3339 time; default now (UTC, seconds). An explicit value wins over `reproducible`. */
  created?: string;
  /** Use `1970-01-01T00:00:00Z` as `created` (unless `created` or a custom created annotation is given). */
  reproducible?: boolean;
  /** Copied verbatim. */
  source?: string;
  /** Copied verbatim; conventionally `<ref>@sha1:<40 hex>`. */
  revision?: string;
  /** Custom annotations; they override the three standard keys. */
  annotations?: Readonly<Record<string, string>>;
}

/**
 * The manifest annotations as `oci/meta.go` `ToAnnotations` plus the CLI build them: created, source and revision
 * always present (possibly empty), custom entries override; the resulting `created` must parse as RFC 3339.
 */
export function fluxAnnotations(opts: AnnotationOptions, now: Date = new Date()): Record<string, string> {
  const created = opts.created ?? (opts.reproducible ? REPRODUCIBLE_CREATED : formatRfc3339Utc(now));
  const out: Record<string, string> = {
    [ANNOTATION_CREATED]: created,
    [ANNOTATION_SOURCE]: opts.source ?? '',
    [ANNOTATION_REVISION]: opts.revision ?? '',
  };
  for (const [k, v] of Object.entries(opts.annotations ?? {})) out[k] = v;
  if (!isRfc3339(out[ANNOTATION_CREATED])) {
    throw new InputError(
      `invalid created timestamp ${JSON.stringify(clip(out[ANNOTATION_CREATED]))}: not RFC 3339`,
      'use a time like 2026-08-07T13:49:34Z (UTC) or 2026-08-07T15:49:34+02:00',
    );
  }
  return out;
}

/** Go `time.Now().UTC().Format(time.RFC3339)`: seconds precision, `Z`. */
export function formatRfc3339Utc(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether Go's `time.Parse(time.RFC3339, s)` accepts `s`: `YYYY-MM-DDTHH:MM:SS`, optional fraction (`.` or `,`
 * then digits), then `Z` or `±HH:MM`; upper-case `T` and `Z`; fields range-checked (day against month and leap year,
 * hour <= 23, minute and second <= 59, zone hour <= 23 and minute <= 59).
 */
export function isRfc3339(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(s);
  if (!m) return false;
  const [year, month, day, hour, min, sec] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || hour > 23 || min > 59 || sec > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const dim = month === 2 && leap ? 29 : DAYS[month - 1];
  if (day < 1 || day > dim) return false;
  if (m[7] !== undefined && (Number(m[8]) > 23 || Number(m[9]) > 59)) return false;
  return true;
}

/**
 * Parses `key=value` annotation lines (the `annotations` input / `--annotations`). Blank lines are skipped.
 *
 * Decision on values containing `=`: ACCEPTED, split at the first `=`. The Flux CLI rejects them only because it
 * splits with `strings.Split(kv, "=")` and wants exactly two parts; OCI annotation values are arbitrary strings
 * (image-spec annotations), source-controller copies them verbatim into `status.artifact.metadata`, and a URL with a
 * query string is a legitimate value. The artifact stays fully usable by Flux; the only cost is that such a push
 * cannot be repeated with `flux push artifact` itself (documented in docs/artifacts.md). A line without `=` or with
 * an empty key is rejected before anything is built or pushed.
 */
export function parseAnnotations(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of lines) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const eq = line.indexOf('=');
    if (eq < 0) {
      throw new InputError(`invalid annotation ${JSON.stringify(clip(line))}: expected key=value`, 'write each annotation as key=value, one per line, e.g. org.opencontainers.image.description=my app');
    }
    const key = line.slice(0, eq);
    if (key.trim() === '') {
      throw new InputError(`invalid annotation ${JSON.stringify(clip(line))}: the key is empty`, 'write each annotation as key=value with a non-empty key');
    }
    out[key] = line.slice(eq + 1);
  }
  return out;
}
