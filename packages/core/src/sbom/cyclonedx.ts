/**
 * The CycloneDX 1.6 JSON document of an artifact, built with @cyclonedx/cyclonedx-library (docs/sbom.md). The library
 * is loaded with import() when a document is made, so code that never makes one does not load it at start-up.
 * Lists are sorted (`sortLists`), so the same input gives the same document except `serialNumber` and `timestamp`.
 */
import type { Component as CdxComponent } from '@cyclonedx/cyclonedx-library/Models';
import type { SbomInput } from './model.js';
import { deployedRef, deployedProperties, documentProperties } from './model.js';

export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

/**
 * The exports of a CommonJS module loaded with import(): Node gives them as named exports and as `default`; a bundle
 * split in ESM chunks gives only `default` (module.exports). `default` is taken when there is one.
 */
function commonJs<T extends object>(m: T): T {
  const d = (m as { default?: unknown }).default;
  return typeof d === 'object' && d !== null ? (d as T) : m;
}

export async function cyclonedxDocument(input: SbomInput): Promise<Record<string, unknown>> {
  const [{ Bom, Component, Property, Tools }, { ComponentType, HashAlgorithm }, { JsonSerializer, JSON: SerializeJson }, { Spec1dot6 }] = await Promise.all([
    import('@cyclonedx/cyclonedx-library/Models').then(commonJs),
    import('@cyclonedx/cyclonedx-library/Enums').then(commonJs),
    import('@cyclonedx/cyclonedx-library/Serialize').then(commonJs),
    import('@cyclonedx/cyclonedx-library/Spec').then(commonJs),
  ]);
  const props = (list: readonly [string, string][]): InstanceType<typeof Property>[] => list.map(([k, v]) => new Property(k, v));

  const bom = new Bom({ serialNumber: `urn:uuid:${input.uuid}` });
  bom.metadata.timestamp = input.timestamp;
  const root = new Component(ComponentType.Application, input.name, {
    bomRef: 'artifact',
    ...(input.version !== undefined ? { version: input.version } : {}),
    description: 'Flux OCI artifact: its files and what its manifests deploy',
  });
  bom.metadata.component = root;
  bom.metadata.tools = new Tools();
  bom.metadata.tools.components.add(new Component(ComponentType.Application, 'd2', { group: 'd2-actions' }));
  for (const p of props(documentProperties(input))) bom.metadata.properties.add(p);

  for (const f of input.files) {
    const c = new Component(ComponentType.File, f.path, { bomRef: `file:${f.path}` });
    c.hashes.set(HashAlgorithm['SHA-256'], f.sha256);
    c.properties.add(new Property('d2:size', String(f.size)));
    bom.components.add(c);
  }
  for (const d of input.deployed) {
    const type = d.kind === 'container-image' ? ComponentType.Container : d.kind === 'helm-chart' ? ComponentType.Application : ComponentType.Data;
    const c: CdxComponent = new Component(type, d.name, {
      bomRef: deployedRef(d),
      ...(d.group !== undefined ? { group: d.group } : {}),
      ...(d.version !== undefined ? { version: d.version } : {}),
      ...(d.purl !== undefined ? { purl: d.purl } : {}),
    });
    const hex = /^sha256:([0-9a-f]{64})$/.exec(d.digest ?? '');
    if (hex) c.hashes.set(HashAlgorithm['SHA-256'], hex[1]);
    for (const p of props(deployedProperties(d))) c.properties.add(p);
    bom.components.add(c);
    root.dependencies.add(c.bomRef);
  }

  const serializer = new JsonSerializer(new SerializeJson.Normalize.Factory(Spec1dot6));
  return JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown>;
}
