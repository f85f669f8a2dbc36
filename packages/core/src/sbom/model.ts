/**
 * What both document formats are written from: the artifact's files and what its manifests deploy, plus the two values
 * the formats require to be unique per document (a UUID and the creation time), given from outside so tests and
 * reproducible pipelines can fix them.
 */
import type { Deployed } from './deployables.js';
import type { ArtifactFile } from './inventory.js';

export interface SbomInput {
  name: string;
  version?: string;
  files: ArtifactFile[];
  deployed: Deployed[];
  /** YAML files that are not valid YAML (templates): listed as files, not scanned. */
  unparsed: string[];
  /** YAML files above the scan limit: listed as files, not scanned. */
  tooLarge: string[];
  /** Document creation time (CycloneDX `metadata.timestamp`, SPDX `creationInfo.created`). */
  timestamp: Date;
  /** A UUID: CycloneDX `serialNumber` is `urn:uuid:<uuid>`, SPDX `documentNamespace` ends with it. */
  uuid: string;
}

/** The stable identifier of a deployed component inside one document (CycloneDX bom-ref). */
export function deployedRef(d: Deployed): string {
  return `${d.kind}:${d.location ?? d.name}|${d.version ?? ''}|${d.digest ?? ''}|${d.versionRange ?? ''}|${d.origin}`;
}

/** Name/value pairs describing a deployed component beyond name, version and purl, in a fixed order. */
export function deployedProperties(d: Deployed): [string, string][] {
  const p: [string, string][] = [
    ['d2:kind', d.kind],
    ['d2:origin', d.origin],
  ];
  if (d.location !== undefined) p.push(['d2:location', d.location]);
  if (d.versionRange !== undefined) p.push(['d2:version-range', d.versionRange]);
  p.push(['d2:pinned', String(d.version !== undefined || d.digest !== undefined)]);
  for (const f of d.foundIn) p.push(['d2:found-in', f]);
  for (const v of d.unresolved) p.push(['d2:unresolved-variable', v]);
  for (const r of d.retaggedBy ?? []) p.push(['d2:retagged-by', r]);
  if (d.note !== undefined) p.push(['d2:note', d.note]);
  return p;
}

/** Document-level notes: files not scanned, variables left unresolved. */
export function documentProperties(input: SbomInput): [string, string][] {
  const p: [string, string][] = [];
  for (const f of input.unparsed) p.push(['d2:not-scanned', `${f}: not valid YAML`]);
  for (const f of input.tooLarge) p.push(['d2:not-scanned', `${f}: larger than the scan limit`]);
  if (input.deployed.some((d) => d.unresolved.length > 0)) {
    p.push(['d2:unresolved-variables', 'Flux post-build variables and ResourceSet inputs are recorded as written, not substituted']);
  }
  return p;
}
