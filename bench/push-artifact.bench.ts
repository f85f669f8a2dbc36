/**
 * push-artifact bench: 50 components pushed by ONE action run (`components: '*'`, bounded concurrency) vs
 * the D2 reference shape — one action run per component (a matrix job each), run one after the other — through the
 * committed bundle against the same local anonymous distribution 2.8.2. Signing is off here (bench/sign.bench.ts
 * measures it). A fresh repository prefix per run so every run really pushes.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runActionBundle } from '../packages/sandbox/src/runner.js';
import { startRegistry } from '../packages/sandbox/src/registry.js';
import { fmtMs, ratio, timeAsync, writeSection } from './harness.js';

const COMPONENTS = 50;
const RUNS = 3;

function workspace(): string {
  const ws = mkdtempSync(join(tmpdir(), 'd2-bench-push-'));
  for (let i = 0; i < COMPONENTS; i++) {
    const dir = join(ws, 'components', `c${String(i).padStart(2, '0')}`);
    mkdirSync(join(dir, 'base'), { recursive: true });
    mkdirSync(join(dir, 'staging'), { recursive: true });
    // ~20 KB of manifests per component, a little different in each.
    const docs = Array.from({ length: 40 }, (_, j) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}-cm${j}\ndata:\n  key: "${'x'.repeat(400)}${i}-${j}"\n---\n`).join('');
    writeFileSync(join(dir, 'base', 'configmaps.yaml'), docs);
    writeFileSync(join(dir, 'staging', 'kustomization.yaml'), 'resources: [../base]\n');
  }
  return ws;
}

async function main(): Promise<void> {
  const registry = await startRegistry({ auth: 'anonymous' });
  const ws = workspace();
  let run = 0;
  try {
    const common = { sign: 'false', 'diff-tag': 'latest' };
    const oneStep = await timeAsync(async () => {
      const prefix = `bench/one${run++}`;
      const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { ...common, components: '*', repository: `${registry.host}/${prefix}/{component}`, concurrency: '4' } });
      if (r.exitCode !== 0) throw new Error(r.errors.join('\n'));
    }, RUNS, 1);
    const perComponent = await timeAsync(async () => {
      const prefix = `bench/seq${run++}`;
      for (let i = 0; i < COMPONENTS; i++) {
        const c = `c${String(i).padStart(2, '0')}`;
        const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { ...common, repository: `${registry.host}/${prefix}/${c}`, path: `components/${c}` } });
        if (r.exitCode !== 0) throw new Error(r.errors.join('\n'));
      }
    }, RUNS, 0);
    const unchanged = await timeAsync(async () => {
      const r = await runActionBundle('push-artifact', { workspace: ws, inputs: { ...common, components: '*', repository: `${registry.host}/bench/one0/{component}` } });
      if (r.exitCode !== 0 || !r.outputs.artifacts.includes('"pushed":false')) throw new Error('expected an unchanged run');
    }, RUNS, 0);
    writeSection('push-artifact', [
      '## push-artifact: 50 components in one step vs one run per component',
      '',
      `${COMPONENTS} components of ~20 KB of YAML each, through the committed bundle (\`node actions/push-artifact/dist/index.cjs\`), anonymous local registry, signing off, go-flate layers.`,
      '',
      '| case | median | ratio |',
      '|---|---|---|',
      `| one step, \`components: '*'\`, concurrency 4 | ${fmtMs(oneStep)} | ${ratio(oneStep, perComponent)} |`,
      `| one action run per component, sequential (the D2 matrix shape without runner start-up) | ${fmtMs(perComponent)} | 1.00× |`,
      `| one step, nothing changed (diff by content, tags re-pointed) | ${fmtMs(unchanged)} | ${ratio(unchanged, perComponent)} |`,
    ].join('\n'));
  } finally {
    await registry.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
