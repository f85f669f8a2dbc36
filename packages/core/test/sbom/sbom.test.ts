/**
 * The SBOM of a component that uses every way a manifest names what it deploys: each image, chart and OCI source is
 * listed with the version or digest the manifest pins and the purl the purl types prescribe; image automation objects
 * are not deployments; variables are kept as written; both documents validate against their JSON schemas; same input,
 * same document.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSbom, comparableSbom, dockerPurl, generateSbom, ociPurl, parseImageRef } from '@d2/core/sbom';
import { cyclonedxErrors, DIGEST_A, DIGEST_B, DIGEST_C, DIGEST_D, KITCHEN_SINK, spdxErrors, writeFiles } from './fixtures.js';

const scratch = mkdtempSync(join(tmpdir(), 'd2-sbom-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const sink = writeFiles(join(scratch, 'sink'), KITCHEN_SINK);
const FIXED = { timestamp: new Date('2026-01-02T03:04:05Z'), uuid: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' };

interface CdxComponent {
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
}

function prop(c: CdxComponent, name: string): string[] {
  return (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

async function cdx(dir: string): Promise<{ doc: Record<string, unknown>; components: CdxComponent[] }> {
  const { predicate } = await buildSbom({ dir, name: 'sink', version: '1.0.0', format: 'cyclonedx', ...FIXED });
  return { doc: predicate, components: predicate.components as CdxComponent[] };
}

describe('purls', () => {
  it('pkg:docker: Docker Hub is the default repository, official images have no namespace, a digest is the version', () => {
    expect(dockerPurl(parseImageRef('redis:7.4.1'))).toBe('pkg:docker/redis@7.4.1');
    expect(dockerPurl(parseImageRef('docker.io/bitnami/redis:7.4.1'))).toBe('pkg:docker/bitnami/redis@7.4.1');
    expect(dockerPurl(parseImageRef('registry-1.docker.io/library/redis:7.4.1'))).toBe('pkg:docker/redis@7.4.1');
    expect(dockerPurl(parseImageRef(`ghcr.io/acme/web:2.3.4@${DIGEST_A}`))).toBe(`pkg:docker/acme/web@${DIGEST_A}?repository_url=ghcr.io`);
    expect(dockerPurl(parseImageRef('localhost:5000/app:1'))).toBe('pkg:docker/app@1?repository_url=localhost%3A5000');
  });

  it('pkg:oci: no namespace, lowercased last segment, digest as version, repository_url and tag qualifiers', () => {
    expect(ociPurl('ghcr.io/Acme/Charts/Podinfo', { tag: '6.5.0' })).toBe('pkg:oci/podinfo?repository_url=ghcr.io%2FAcme%2FCharts%2FPodinfo&tag=6.5.0');
    expect(ociPurl('ghcr.io/acme/app', { digest: DIGEST_D, tag: 'v1' })).toBe(`pkg:oci/app@${DIGEST_D}?repository_url=ghcr.io%2Facme%2Fapp&tag=v1`);
  });
});

describe('what the manifests deploy', () => {
  it('every image field (containers, initContainers, CronJob template, kind: List items) with its tag and digest', async () => {
    const { components } = await cdx(sink);
    const images = components.filter((c) => c.type === 'container');
    const byLocation = new Map(images.map((c) => [prop(c, 'd2:location')[0], c]));
    expect(byLocation.get('docker.io/library/busybox:1.36.1')).toMatchObject({ name: 'busybox', group: 'docker.io/library', version: '1.36.1', purl: 'pkg:docker/busybox@1.36.1' });
    expect(byLocation.get('docker.io/library/redis:7.4.1')).toMatchObject({ name: 'redis', version: '7.4.1', purl: 'pkg:docker/redis@7.4.1' });
    const web = byLocation.get(`ghcr.io/acme/web:2.3.4@${DIGEST_A}`);
    expect(web).toMatchObject({ name: 'web', group: 'ghcr.io/acme', version: '2.3.4', purl: `pkg:docker/acme/web@${DIGEST_A}?repository_url=ghcr.io` });
    expect(web?.hashes).toEqual([{ alg: 'SHA-256', content: 'a'.repeat(64) }]);
    expect(prop(web as CdxComponent, 'd2:found-in')).toEqual(['apps.yaml: Deployment/shop/web']);
    const debug = byLocation.get(`quay.io/prometheus/busybox@${DIGEST_B}`);
    expect(debug).toMatchObject({ name: 'busybox', group: 'quay.io/prometheus', purl: `pkg:docker/prometheus/busybox@${DIGEST_B}?repository_url=quay.io` });
    expect(prop(debug as CdxComponent, 'd2:found-in')).toEqual(['apps.yaml: Pod/debug']);
    expect(prop(byLocation.get('docker.io/library/redis:7.4.1') as CdxComponent, 'd2:found-in')).toEqual(['apps.yaml: CronJob/backup']);
  });

  it('kustomize images (newName, newTag, digest) and Helm values images', async () => {
    const { components } = await cdx(sink);
    const byLocation = new Map(components.map((c) => [prop(c, 'd2:location')[0], c]));
    expect(prop(byLocation.get('docker.io/library/busybox:1.37.0') as CdxComponent, 'd2:origin')).toEqual(['kustomize images']);
    expect(byLocation.get(`ghcr.io/acme/web-hardened@${DIGEST_C}`)).toMatchObject({ name: 'web-hardened', purl: `pkg:docker/acme/web-hardened@${DIGEST_C}?repository_url=ghcr.io` });
    // The image fields kustomize re-tags say so, with the reference that replaces them where the kustomization applies.
    expect(prop(byLocation.get('docker.io/library/busybox:1.36.1') as CdxComponent, 'd2:retagged-by')).toEqual(['kustomization.yaml: docker.io/library/busybox:1.37.0']);
    expect(prop(byLocation.get(`ghcr.io/acme/web:2.3.4@${DIGEST_A}`) as CdxComponent, 'd2:retagged-by')).toEqual([`kustomization.yaml: ghcr.io/acme/web-hardened@${DIGEST_C}`]);
    expect(prop(byLocation.get('docker.io/library/redis:7.4.1') as CdxComponent, 'd2:retagged-by')).toEqual([]);
    const nginx = byLocation.get('docker.io/bitnami/nginx:1.25.3') as CdxComponent;
    expect(nginx).toMatchObject({ name: 'nginx', version: '1.25.3', purl: 'pkg:docker/bitnami/nginx@1.25.3' });
    expect(prop(nginx, 'd2:origin')).toEqual(['helm values image']);
  });

  it('Helm charts: HelmRelease chart with its HelmRepository (OCI and HTTP), HelmChart, chartRef to an OCIRepository', async () => {
    const { components } = await cdx(sink);
    const charts = components.filter((c) => prop(c, 'd2:kind')[0] === 'helm-chart');
    const byName = new Map(charts.map((c) => [c.name, c]));
    expect(byName.get('podinfo')).toMatchObject({ version: '6.5.0', group: 'ghcr.io/stefanprodan/charts', purl: 'pkg:oci/podinfo?repository_url=ghcr.io%2Fstefanprodan%2Fcharts%2Fpodinfo&tag=6.5.0' });
    expect(byName.get('nginx')).toMatchObject({ version: '15.0.2' });
    expect(byName.get('nginx')?.purl).toBeUndefined();
    expect(prop(byName.get('nginx') as CdxComponent, 'd2:location')).toEqual(['https://charts.example.com/stable']);
    expect(byName.get('cert-manager')).toMatchObject({ version: 'v1.14.0', purl: 'pkg:oci/cert-manager?repository_url=ghcr.io%2Fstefanprodan%2Fcharts%2Fcert-manager&tag=v1.14.0' });
    expect(prop(byName.get('cert-manager') as CdxComponent, 'd2:origin')).toEqual(['HelmChart']);
    expect(byName.get('api')).toMatchObject({ version: '1.0.0', purl: 'pkg:oci/api?repository_url=ghcr.io%2Facme%2Fcharts%2Fapi&tag=1.0.0' });
  });

  it('OCI sources: a digest pin is the purl version; a range is recorded as a range, not as a version', async () => {
    const { components } = await cdx(sink);
    const app = components.find((c) => c.name === 'app' && c.type === 'data') as CdxComponent;
    expect(app).toMatchObject({ group: 'ghcr.io/acme/manifests', purl: `pkg:oci/app@${DIGEST_D}?repository_url=ghcr.io%2Facme%2Fmanifests%2Fapp` });
    expect(app.hashes).toEqual([{ alg: 'SHA-256', content: 'd'.repeat(64) }]);
    const ranged = components.find((c) => c.name === 'ranged') as CdxComponent;
    expect(ranged.version).toBeUndefined();
    expect(prop(ranged, 'd2:version-range')).toEqual(['>=1.0.0']);
    expect(prop(ranged, 'd2:pinned')).toEqual(['false']);
  });

  it('leaves out image automation objects, keeps variables as written and says so, and names files it could not scan', async () => {
    const { doc, components } = await cdx(sink);
    expect(JSON.stringify(components)).not.toContain('should-not-appear');
    expect(components.filter((c) => c.name === 'null' || c.name === '~')).toEqual([]);
    const proxy = components.find((c) => c.name === 'proxy') as CdxComponent;
    expect(proxy.version).toBe('${PROXY_VERSION}');
    expect(prop(proxy, 'd2:unresolved-variable')).toEqual(['${PROXY_VERSION}']);
    const notes = ((doc.metadata as { properties: { name: string; value: string }[] }).properties ?? []).map((p) => `${p.name}=${p.value}`);
    expect(notes).toContain('d2:not-scanned=chart/templates/deployment.yaml: not valid YAML');
    expect(notes.some((n) => n.startsWith('d2:unresolved-variables='))).toBe(true);
  });
});

describe('files that are not manifests', () => {
  it('an alias bomb, a binary file named .yaml and an empty file are listed, not scanned, and do not stop the SBOM', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const dir = writeFiles(join(scratch, 'odd'), { 'bomb.yaml': `${bomb}\nimage: ghcr.io/acme/bomb:1\n`, 'binary.yaml': '\u0000\u0001\u0002{[', 'empty.yaml': '', 'ok.yaml': 'image: ghcr.io/acme/ok:1\n' });
    const { doc, components } = await cdx(dir);
    expect(components.filter((c) => c.type === 'file').map((c) => c.name).sort()).toEqual(['binary.yaml', 'bomb.yaml', 'empty.yaml', 'ok.yaml']);
    expect(components.filter((c) => c.type === 'container').map((c) => c.name)).toEqual(['ok']);
    const notes = (doc.metadata as { properties: { name: string; value: string }[] }).properties.map((p) => p.value);
    expect(notes).toContain('bomb.yaml: not valid YAML');
  });
});

describe('the documents', () => {
  it('list every file of the artifact with its SHA-256 (and SHA-1 for SPDX)', async () => {
    const { components } = await cdx(sink);
    const files = components.filter((c) => c.type === 'file');
    expect(files.map((f) => f.name).sort()).toEqual(Object.keys(KITCHEN_SINK).sort());
    for (const f of files) expect(f.hashes).toEqual([{ alg: 'SHA-256', content: createHash('sha256').update(KITCHEN_SINK[f.name]).digest('hex') }]);
    const { predicate } = await buildSbom({ dir: sink, name: 'sink', format: 'spdx', ...FIXED });
    const spdxFiles = predicate.files as { fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[];
    for (const f of spdxFiles) {
      const text = KITCHEN_SINK[f.fileName.slice(2)];
      expect(f.checksums).toEqual([
        { algorithm: 'SHA1', checksumValue: createHash('sha1').update(text).digest('hex') },
        { algorithm: 'SHA256', checksumValue: createHash('sha256').update(text).digest('hex') },
      ]);
    }
    expect(spdxFiles).toHaveLength(Object.keys(KITCHEN_SINK).length);
  });

  it('CycloneDX validates against the CycloneDX 1.6 JSON schema, and a broken document does not', async () => {
    const { doc } = await cdx(sink);
    expect(await cyclonedxErrors(doc)).toBeNull();
    const broken = structuredClone(doc) as { components: { type: string }[] };
    broken.components[0].type = 'not-a-type';
    expect(await cyclonedxErrors(broken)).not.toBeNull();
  });

  it('SPDX validates against the SPDX 2.3 JSON schema, and a broken document does not', async () => {
    const { predicate } = await buildSbom({ dir: sink, name: 'sink', version: '1.0.0', format: 'spdx', ...FIXED });
    expect(predicate.spdxVersion).toBe('SPDX-2.3');
    expect(spdxErrors(predicate)).toBeNull();
    const broken = structuredClone(predicate) as { packages: { downloadLocation?: string; primaryPackagePurpose?: string }[] };
    delete broken.packages[1].downloadLocation;
    expect(spdxErrors(broken)).not.toBeNull();
    delete broken.packages[1].primaryPackagePurpose;
    broken.packages[1].downloadLocation = 'NOASSERTION';
    expect(spdxErrors(broken)).toBeNull();
    broken.packages[1].primaryPackagePurpose = 'NOT-A-PURPOSE';
    expect(spdxErrors(broken)).not.toBeNull();
  });

  it('SPDX: the artifact DESCRIBED, CONTAINS each file, DEPENDS_ON each deployed package with its purl', async () => {
    const { predicate } = await buildSbom({ dir: sink, name: 'sink', format: 'spdx', ...FIXED });
    const rel = predicate.relationships as { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
    const pkgs = predicate.packages as { SPDXID: string; name: string; versionInfo?: string; externalRefs?: { referenceLocator: string }[] }[];
    expect(rel.filter((r) => r.relationshipType === 'CONTAINS')).toHaveLength(Object.keys(KITCHEN_SINK).length);
    expect(rel.filter((r) => r.relationshipType === 'DEPENDS_ON').map((r) => r.relatedSpdxElement)).toEqual(pkgs.slice(1).map((p) => p.SPDXID));
    // The 2.3 schema leaves SPDXID free; the specification requires this form.
    for (const id of [...pkgs.map((p) => p.SPDXID), ...(predicate.files as { SPDXID: string }[]).map((f) => f.SPDXID)]) expect(id).toMatch(/^SPDXRef-[a-zA-Z0-9.-]+$/);
    const redis = pkgs.find((p) => p.name === 'docker.io/library/redis');
    expect(redis).toMatchObject({ versionInfo: '7.4.1', externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:docker/redis@7.4.1' }] });
  });

  it('same input, same document: only the UUID and the time change between runs', async () => {
    for (const format of ['cyclonedx', 'spdx'] as const) {
      const a = await buildSbom({ dir: sink, name: 'sink', format, ...FIXED });
      const b = await buildSbom({ dir: sink, name: 'sink', format, ...FIXED });
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      const c = await generateSbom({ dir: sink, name: 'sink', format });
      const strip = (s: string): string =>
        s.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'UUID').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z/g, 'TIME');
      expect(strip(JSON.stringify(c))).toBe(strip(JSON.stringify(a)));
      expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
      expect(comparableSbom(c.predicate)).toBe(comparableSbom(a.predicate));
    }
    // A changed file is a different SBOM.
    const other = writeFiles(join(scratch, 'other'), { ...KITCHEN_SINK, 'README.md': '# changed\n' });
    for (const format of ['cyclonedx', 'spdx'] as const) {
      const a = await generateSbom({ dir: sink, name: 'sink', format });
      const b = await generateSbom({ dir: other, name: 'sink', format });
      expect(comparableSbom(b.predicate)).not.toBe(comparableSbom(a.predicate));
    }
  });

  it('predicate types: CycloneDX and SPDX', async () => {
    expect((await generateSbom({ dir: sink, name: 's', format: 'cyclonedx' })).predicateType).toBe('https://cyclonedx.org/bom');
    expect((await generateSbom({ dir: sink, name: 's', format: 'spdx' })).predicateType).toBe('https://spdx.dev/Document');
  });
});
