/**
 * The SBOMs of ControlPlane's D2 repositories (each component of d2-apps and d2-infra, and d2-fleet as its workflow
 * pushes it) and of the repositories `d2 demo` pushes: they list exactly the files of the artifact the build makes, and every image, chart and OCI source the
 * manifests pin, with the right versions. The expectations are computed here from the manifests by a separate,
 * line-based scan (indentation blocks, as a reader with grep would), never from the SBOM code or a stored output.
 */
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { appsRepo, fleetRepo, infraRepo, writeTree } from '@d2/sandbox/d2-repos';
import { buildArtifact, readTar } from '@d2/core/flux';
import { buildSbom } from '@d2/core/sbom';
import { cyclonedxErrors, REFERENCE_REPOS, spdxErrors } from './fixtures.js';

const REFERENCE_TARGETS = ['d2-apps/components/frontend', 'd2-apps/components/backend', 'd2-infra/components/cert-manager', 'd2-infra/components/monitoring', 'd2-fleet'];

/** The repositories `d2 demo` pushes (packages/sandbox/src/d2-repos.ts), written out for the test. */
const demo = mkdtempSync(join(tmpdir(), 'd2-sbom-demo-'));
afterAll(() => rmSync(demo, { recursive: true, force: true }));
const demoOptions = { owner: 'd2-demo', registry: '127.0.0.1:5001', appsGitUrl: 'http://127.0.0.1:1/d2-apps.git', infraGitUrl: 'http://127.0.0.1:1/d2-infra.git' };
writeTree(join(demo, 'd2-fleet'), fleetRepo(demoOptions));
writeTree(join(demo, 'd2-apps'), appsRepo(demoOptions));
writeTree(join(demo, 'd2-infra'), infraRepo(demoOptions));
const DEMO_TARGETS = ['d2-apps/components/frontend', 'd2-apps/components/backend', 'd2-infra/components/cert-manager', 'd2-infra/components/monitoring', 'd2-fleet'];

const TARGETS: [string, string][] = [...REFERENCE_TARGETS.map((t): [string, string] => [`reference ${t}`, join(REFERENCE_REPOS, t)]), ...DEMO_TARGETS.map((t): [string, string] => [`demo ${t}`, join(demo, t)])];

interface Component {
  type: string;
  name: string;
  group?: string;
  version?: string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
}

const prop = (c: Component, name: string): string[] => (c.properties ?? []).filter((p) => p.name === name).map((p) => p.value);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f) && statSync(join(dir, f)).isFile())
    .sort();
}

/** A scalar as written after `key:` on a line: without a trailing comment and surrounding quotes. */
function scalar(rest: string): string {
  const v = rest.trim();
  const q = /^(["'])(.*?)\1/.exec(v);
  return q ? q[2] : v.replace(/\s+#.*$/, '').trim();
}

const indentOf = (line: string): number => line.length - line.replace(/^[\s-]*/, '').length;

/** The lines of the object whose `apiVersion:` line is `start`: up to the first line indented less than its keys. */
function block(lines: string[], start: number): string[] {
  const keyIndent = indentOf(lines[start]);
  const out = [lines[start]];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^---/.test(l)) break;
    if (l.trim() === '' || l.trim().startsWith('#')) continue;
    const ind = l.length - l.trimStart().length;
    if (ind < keyIndent || (ind === keyIndent - 2 && l.trimStart().startsWith('- '))) break;
    out.push(l);
  }
  return out;
}

interface Expected {
  images: { name: string; group: string; tag?: string }[];
  oci: { name: string; url: string; field: 'tag' | 'semver' | 'digest'; value: string; object: string; helmLayer: boolean }[];
  chartSources: string[];
}

/** The expectations, read off the manifests line by line. */
function scan(dir: string): Expected {
  const exp: Expected = { images: [], oci: [], chartSources: [] };
  for (const f of yamlFiles(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (/^apiVersion:\s*image\.toolkit\.fluxcd\.io\//m.test(text)) continue;
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      const img = /^\s*(?:-\s+)?image:\s*(\S.*)$/.exec(line);
      if (img) {
        const ref = scalar(img[1]).split('@')[0];
        const slash = ref.lastIndexOf('/');
        const [name, tag] = ref.slice(slash + 1).split(':');
        // Docker's rule: a first segment without '.' or ':' (and not localhost) is a Docker Hub namespace.
        const group = slash < 0 ? 'docker.io/library' : /[.:]|^localhost\//.test(ref.split('/')[0] + '/') ? ref.slice(0, slash) : `docker.io/${ref.slice(0, slash)}`;
        exp.images.push({ name, group, ...(tag ? { tag } : {}) });
      }
      // Helm values: image: followed by a more indented repository:
      if (/^\s*image:\s*$/.test(line) && /^\s*repository:/.test(lines[i + 1] ?? '')) {
        const repo = scalar(lines[i + 1].split('repository:')[1]);
        const name = repo.split('/').pop() as string;
        exp.images.push({ name, group: `docker.io/${repo.includes('/') ? repo.slice(0, repo.lastIndexOf('/')) : 'library'}` });
      }
      if (/^\s*(?:-\s+)?apiVersion:\s*source\.toolkit\.fluxcd\.io\//.test(line)) {
        const b = block(lines, i);
        if (!b.some((l) => /^\s*kind:\s*OCIRepository\s*$/.test(l))) return;
        const urlLine = b.find((l) => /^\s*url:\s*/.test(l));
        if (!urlLine) return;
        const url = scalar(urlLine.replace(/^\s*url:/, ''));
        const refAt = b.findIndex((l) => /^\s*ref:\s*$/.test(l));
        const refLine = refAt >= 0 ? b.slice(refAt + 1).find((l) => /^\s*(tag|semver|digest):/.test(l)) : undefined;
        const m = refLine ? /^\s*(tag|semver|digest):(.*)$/.exec(refLine) : null;
        const metaAt = b.findIndex((l) => /^\s*metadata:\s*$/.test(l));
        const object = /name:\s*(\S+)/.exec(b[metaAt + 1] ?? '')?.[1] ?? '';
        const helmLayer = b.some((l) => /mediaType:.*helm\.chart\.content/.test(l));
        exp.oci.push({ name: url.split('/').pop() as string, url, field: (m?.[1] ?? 'tag') as 'tag', value: m ? scalar(m[2]) : 'latest', object, helmLayer });
      }
      const chartRef = /^\s*chartRef:\s*$/.test(line) && /kind:\s*OCIRepository/.test(lines[i + 1] ?? '') ? /name:\s*(\S+)/.exec(lines[i + 2] ?? '') : null;
      if (chartRef) exp.chartSources.push(chartRef[1]);
    });
  }
  return exp;
}

/** Path and SHA-256 of every regular file in the artifact the build makes (read back from its layer). */
async function artifactFiles(dir: string): Promise<Map<string, string>> {
  const built = await buildArtifact(dir, { reproducible: true, compressor: 'zlib' });
  const files = new Map<string, string>();
  try {
    await readTar(createReadStream(built.layerPath).pipe(createGunzip()), async (h, data) => {
      if (h.typeflag !== '0') return;
      const hash = createHash('sha256');
      await data((c) => void hash.update(c));
      files.set(h.name, hash.digest('hex'));
    });
  } finally {
    await built.cleanup();
  }
  return files;
}

describe.each(TARGETS)('SBOM of %s', (target, dir) => {
  const name = target.split('/').pop() as string;

  it('lists exactly the files of the artifact, with their SHA-256', async () => {
    const want = await artifactFiles(dir);
    expect(want.size).toBeGreaterThan(0);
    const { predicate } = await buildSbom({ dir, name, format: 'cyclonedx' });
    const files = (predicate.components as Component[]).filter((c) => c.type === 'file');
    expect(new Map(files.map((f) => [f.name, f.hashes?.[0].content]))).toEqual(want);
    const spdx = (await buildSbom({ dir, name, format: 'spdx' })).predicate;
    const spdxFiles = spdx.files as { fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[];
    expect(new Map(spdxFiles.map((f) => [f.fileName.replace(/^\.\//, ''), f.checksums.find((c) => c.algorithm === 'SHA256')?.checksumValue]))).toEqual(want);
  });

  it('names every image, chart and OCI source the manifests pin, with the right versions', async () => {
    const exp = scan(dir);
    const { predicate } = await buildSbom({ dir, name, format: 'cyclonedx' });
    const deployed = (predicate.components as Component[]).filter((c) => c.type !== 'file');
    expect(exp.images.length + exp.oci.length).toBeGreaterThan(0);
    for (const img of exp.images) {
      const found = deployed.filter((c) => c.type === 'container' && c.name === img.name && c.group === img.group && c.version === img.tag);
      expect(found, JSON.stringify(img)).toHaveLength(1);
    }
    for (const o of exp.oci) {
      const found = deployed.filter((c) => prop(c, 'd2:location').includes(o.url));
      expect(found, JSON.stringify(o)).not.toHaveLength(0);
      for (const c of found) {
        expect(c.name).toBe(o.name);
        if (o.field === 'digest') expect(c.hashes).toEqual([{ alg: 'SHA-256', content: o.value.replace('sha256:', '') }]);
        else if (o.field === 'semver' && !/^v?\d+\.\d+\.\d+$/.test(o.value)) expect(prop(c, 'd2:version-range')).toEqual([o.value]);
        else expect(c.version).toBe(o.value);
      }
    }
    // A HelmRelease's chartRef makes its OCIRepository a Helm chart.
    // An OCIRepository a HelmRelease takes its chart from (chartRef), or that selects the Helm chart layer, is a chart.
    for (const o of exp.oci) {
      const kinds = deployed.filter((c) => prop(c, 'd2:location').includes(o.url)).map((c) => prop(c, 'd2:kind')[0]);
      expect(kinds, o.url).toContain(exp.chartSources.includes(o.object) || o.helmLayer ? 'helm-chart' : 'oci-source');
    }
    // Nothing else: every deployed component is one the scan found.
    const known = new Set([...exp.images.map((i) => `container ${i.group}/${i.name}`), ...exp.oci.map((o) => `oci ${o.url}`)]);
    for (const c of deployed) {
      const key = c.type === 'container' ? `container ${c.group}/${c.name}` : `oci ${prop(c, 'd2:location')[0]}`;
      expect(known.has(key), key).toBe(true);
    }
  });

  it('both documents validate against their JSON schemas', async () => {
    const cdx = (await buildSbom({ dir, name, version: '1.0.0', format: 'cyclonedx' })).predicate;
    expect(await cyclonedxErrors(cdx)).toBeNull();
    const spdx = (await buildSbom({ dir, name, version: '1.0.0', format: 'spdx' })).predicate;
    expect(spdxErrors(spdx)).toBeNull();
  });
});

it('the repositories are where the tests read them', () => {
  for (const [t, dir] of TARGETS) expect(statSync(dir).isDirectory(), t).toBe(true);
});

it("the demo's backend runs redis 7.4.1: the query of docs/sbom.md finds it", async () => {
  const { predicate } = await buildSbom({ dir: join(demo, 'd2-apps/components/backend'), name: 'backend', format: 'cyclonedx' });
  const hits = (predicate.components as Component[]).filter((c) => c.name === 'redis' && c.version === '7.4.1');
  expect(hits.map((c) => c.type)).toEqual(['container']);
});
