/**
 * The SPDX 2.3 JSON document of an artifact (docs/sbom.md), written by hand from the SPDX 2.3 specification: there is
 * no well-kept JavaScript library that writes SPDX 2.3 JSON (the SPDX project's own tools are Java, Python and Go), and
 * the format is plain JSON with a published schema, which the tests validate against.
 *
 * The artifact is the described package (`filesAnalyzed: true`, with its package verification code); each file is an
 * SPDX file with the mandatory SHA-1 and its SHA-256, CONTAINed by the artifact; each deployed image, chart and OCI
 * source is a package with its purl, which the artifact DEPENDS_ON. Same input, same document, except `created` and
 * the UUID in `documentNamespace`.
 */
import { createHash } from 'node:crypto';
import type { Deployed } from './deployables.js';
import { deployedProperties, documentProperties, type SbomInput } from './model.js';

export const SPDX_PREDICATE_TYPE = 'https://spdx.dev/Document';

const NOASSERTION = 'NOASSERTION';

/** SPDX dates: UTC, whole seconds (`2026-01-02T03:04:05Z`). */
function spdxDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The package verification code: SHA-1 of the files' SHA-1 values, sorted and concatenated. */
function verificationCode(sha1s: readonly string[]): string {
  return createHash('sha1').update([...sha1s].sort().join('')).digest('hex');
}

function purpose(d: Deployed): string {
  return d.kind === 'container-image' ? 'CONTAINER' : d.kind === 'helm-chart' ? 'APPLICATION' : 'OTHER';
}

function deployedPackage(d: Deployed, id: string): Record<string, unknown> {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(d.digest ?? '');
  return {
    SPDXID: id,
    name: d.group !== undefined ? `${d.group}/${d.name}` : d.name,
    ...(d.version !== undefined ? { versionInfo: d.version } : d.digest !== undefined ? { versionInfo: d.digest } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(hex ? { checksums: [{ algorithm: 'SHA256', checksumValue: hex[1] }] } : {}),
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    primaryPackagePurpose: purpose(d),
    ...(d.location !== undefined ? { sourceInfo: `deployed from ${d.location}` } : {}),
    ...(d.purl !== undefined ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: d.purl }] } : {}),
    comment: deployedProperties(d)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  };
}

export function spdxDocument(input: SbomInput): Record<string, unknown> {
  const root = 'SPDXRef-Artifact';
  const files = input.files.map((f, i) => ({
    SPDXID: `SPDXRef-File-${i + 1}`,
    fileName: `./${f.path}`,
    checksums: [
      { algorithm: 'SHA1', checksumValue: f.sha1 },
      { algorithm: 'SHA256', checksumValue: f.sha256 },
    ],
    licenseConcluded: NOASSERTION,
    copyrightText: NOASSERTION,
  }));
  const packages = input.deployed.map((d, i) => deployedPackage(d, `SPDXRef-Package-${i + 1}`));
  const notes = documentProperties(input);
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: input.version !== undefined ? `${input.name}-${input.version}` : input.name,
    documentNamespace: `https://spdx.org/spdxdocs/${encodeURIComponent(input.name)}-${input.uuid}`,
    creationInfo: { created: spdxDate(input.timestamp), creators: ['Tool: d2'] },
    ...(notes.length > 0 ? { comment: notes.map(([k, v]) => `${k}=${v}`).join('\n') } : {}),
    packages: [
      {
        SPDXID: root,
        name: input.name,
        ...(input.version !== undefined ? { versionInfo: input.version } : {}),
        downloadLocation: NOASSERTION,
        filesAnalyzed: true,
        packageVerificationCode: { packageVerificationCodeValue: verificationCode(input.files.map((f) => f.sha1)) },
        licenseConcluded: NOASSERTION,
        licenseDeclared: NOASSERTION,
        copyrightText: NOASSERTION,
        comment: 'Flux OCI artifact: its files and what its manifests deploy',
      },
      ...packages,
    ],
    files,
    relationships: [
      { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root },
      ...files.map((f) => ({ spdxElementId: root, relationshipType: 'CONTAINS', relatedSpdxElement: f.SPDXID })),
      ...packages.map((p) => ({ spdxElementId: root, relationshipType: 'DEPENDS_ON', relatedSpdxElement: p.SPDXID as string })),
    ],
  };
}
