/**
 * An SBOM of a Flux artifact (docs/sbom.md): every file the artifact contains with its digests, and every container
 * image, Helm chart and OCI source its manifests deploy, as a CycloneDX 1.6 or SPDX 2.3 JSON document — the predicate
 * of an in-toto attestation, or what `d2 sbom` prints.
 */
import { randomUUID } from 'node:crypto';
import { clip, InputError } from '../errors.js';
import type { TarOptions } from '../flux/index.js';
import { cyclonedxDocument, CYCLONEDX_PREDICATE_TYPE } from './cyclonedx.js';
import { findDeployed } from './deployables.js';
import { inventory } from './inventory.js';
import { parseManifests } from './manifests.js';
import type { SbomInput } from './model.js';
import { spdxDocument, SPDX_PREDICATE_TYPE } from './spdx.js';

export type SbomFormat = 'cyclonedx' | 'spdx';

export const SBOM_FORMATS: readonly SbomFormat[] = ['cyclonedx', 'spdx'];

/** The in-toto predicate type of each format. */
export const SBOM_PREDICATE_TYPES: Readonly<Record<SbomFormat, string>> = {
  cyclonedx: CYCLONEDX_PREDICATE_TYPE,
  spdx: SPDX_PREDICATE_TYPE,
};

export interface SbomOptions extends TarOptions {
  /** The artifact's source: a directory (or a single file), walked as the build walks it. */
  dir: string;
  /** The component's name (root component / described package). */
  name: string;
  version?: string;
  format: SbomFormat;
  /** Creation time (default: now). */
  timestamp?: Date;
  /** The document's UUID (default: a random one): CycloneDX serialNumber, SPDX documentNamespace. */
  uuid?: string;
}

/** An unknown format is refused before the source is read. */
export function parseSbomFormat(value: string): SbomFormat {
  if ((SBOM_FORMATS as readonly string[]).includes(value)) return value as SbomFormat;
  throw new InputError(`unknown SBOM format ${JSON.stringify(clip(value))}`, `use one of: ${SBOM_FORMATS.join(', ')} (default cyclonedx)`);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The SBOM with every option (ignore rules of the build, fixed UUID and time). */
export async function buildSbom(opts: SbomOptions): Promise<{ predicateType: string; predicate: Record<string, unknown> }> {
  const format = parseSbomFormat(opts.format);
  if (opts.name.trim() === '') throw new InputError('the SBOM needs a component name', 'give the component (or artifact) name');
  if (opts.uuid !== undefined && !UUID.test(opts.uuid)) throw new InputError(`not a lowercase UUID: ${JSON.stringify(clip(opts.uuid))}`, 'give a UUID such as 3f2b8c1e-…, or leave it out for a random one');
  const inv = await inventory(opts.dir, { ...(opts.ignorePaths !== undefined ? { ignorePaths: opts.ignorePaths } : {}), ...(opts.sourceignore ? { sourceignore: true } : {}) });
  const parsed = parseManifests(inv.manifests);
  const input: SbomInput = {
    name: opts.name,
    ...(opts.version !== undefined ? { version: opts.version } : {}),
    files: inv.files,
    deployed: findDeployed(parsed.objects),
    unparsed: parsed.unparsed,
    tooLarge: inv.tooLarge,
    timestamp: opts.timestamp ?? new Date(),
    uuid: opts.uuid ?? randomUUID(),
  };
  const predicate = format === 'cyclonedx' ? await cyclonedxDocument(input) : spdxDocument(input);
  return { predicateType: SBOM_PREDICATE_TYPES[format], predicate };
}

/**
 * The predicate without the values each format makes unique per document (CycloneDX `serialNumber` and
 * `metadata.timestamp`, SPDX `documentNamespace` and `creationInfo.created`), as a string: two SBOMs of the same
 * content compare equal, e.g. to tell whether an attestation already attached describes the same artifact.
 */
export function comparableSbom(predicate: unknown): string {
  const p = structuredClone(predicate) as Record<string, unknown>;
  delete p.serialNumber;
  delete p.documentNamespace;
  if (typeof p.metadata === 'object' && p.metadata !== null) delete (p.metadata as Record<string, unknown>).timestamp;
  if (typeof p.creationInfo === 'object' && p.creationInfo !== null) delete (p.creationInfo as Record<string, unknown>).created;
  return JSON.stringify(p);
}

/** The SBOM predicate of `dir` for an attestation (Flux's default ignore rules, now, a random UUID). */
export async function generateSbom(opts: { dir: string; name: string; version?: string; format: 'cyclonedx' | 'spdx' }): Promise<{ predicateType: string; predicate: unknown }> {
  return buildSbom({ dir: opts.dir, name: opts.name, ...(opts.version !== undefined ? { version: opts.version } : {}), format: opts.format });
}
