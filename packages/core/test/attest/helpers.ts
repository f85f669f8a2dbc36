import { randomUUID } from 'node:crypto';
import type { SbomGenerator } from '../../src/attest/index.js';
import { CYCLONEDX_PREDICATE_TYPE, SPDX_PREDICATE_TYPE } from '../../src/attest/index.js';

/**
 * A minimal but real SBOM generator for the attestation tests (the sbom domain's generator is wired by the composition
 * root): a CycloneDX 1.6 BOM (or SPDX 2.3 document) naming the artifact, its version and one component with a purl.
 */
export const testSbom: SbomGenerator = async ({ name, version, format }) => {
  if (format === 'spdx') {
    return {
      predicateType: SPDX_PREDICATE_TYPE,
      predicate: {
        spdxVersion: 'SPDX-2.3',
        dataLicense: 'CC0-1.0',
        SPDXID: 'SPDXRef-DOCUMENT',
        name,
        documentNamespace: `https://example.invalid/spdx/${randomUUID()}`,
        creationInfo: { created: '2026-01-01T00:00:00Z', creators: ['Tool: d2-test'] },
        packages: [{ SPDXID: 'SPDXRef-redis', name: 'redis', versionInfo: '7.4.1', downloadLocation: 'NOASSERTION' }],
      },
    };
  }
  return {
    predicateType: CYCLONEDX_PREDICATE_TYPE,
    predicate: {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: `urn:uuid:${randomUUID()}`,
      version: 1,
      metadata: { component: { type: 'application', name, ...(version ? { version } : {}) } },
      components: [{ type: 'container', name: 'redis', version: '7.4.1', purl: 'pkg:docker/library/redis@7.4.1' }],
    },
  };
};

/** A valid OpenVEX v0.2.0 document about `product`. */
export function openVexDocument(product = 'pkg:oci/app'): Record<string, unknown> {
  return {
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': `https://example.invalid/vex/${randomUUID()}`,
    author: 'D2 test',
    timestamp: '2026-01-01T00:00:00Z',
    version: 1,
    statements: [
      {
        vulnerability: { name: 'CVE-2023-12345' },
        products: [{ '@id': product }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
    ],
  };
}
