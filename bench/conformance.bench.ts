/**
 * pnpm bench conformance: our code and the reference tools (real flux, oras, cosign built by
 * scripts/reference-tools.sh) side by side in one run, against the same sandbox registry and Sigstore stand-in
 * (docs/conformance.md). Never asserts timings.
 *  1. one 20 MB component: d2 in-process (buildArtifact + RegistryClient), the d2 CLI (whole process), `flux push
 *     artifact`, `oras push` of the same layer;
 *  2. 50 small components: d2 in one process vs 50 sequential `flux push artifact` runs;
 *  3. signing a manifest digest: in-process ArtifactSigner (legacy .sig) vs `cosign sign --new-bundle-format=false`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildArtifact } from '@d2/core/flux';
import { RegistryClient } from '@d2/core/oci';
import { ArtifactSigner } from '@d2/core/sign';
import { startOidc } from '@d2/sandbox/oidc';
import { repoRoot } from '@d2/sandbox/paths';
import { CosignCli, referenceTools, startEgressGuard, startFulcioV1Bridge, toolEnv } from '@d2/sandbox/reference-tools';
import { startRegistry } from '@d2/sandbox/registry';
import { startSigstore } from '@d2/sandbox/sigstore';
import { fmtMs, median, ratio, timeAsync, writeSection, type Stats } from './harness.js';

const SOURCE = 'https://github.com/example/repo';
const REVISION = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const IDENTITY = { repository: 'example/repo', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };

/** Deterministic YAML-like text (compresses like real manifests, unlike random bytes). */
function component(dir: string, bytes: number, seed: number): string {
  mkdirSync(dir, { recursive: true });
  let x = seed >>> 0;
  const next = (): number => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const files = Math.max(1, Math.round(bytes / 1_000_000));
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    let size = 0;
    while (size < bytes / files) {
      const line = `  key-${next() % 5000}: value-${(next() % 1_000_000).toString(36)}-${next().toString(16)}\n`;
      lines.push(line);
      size += line.length;
    }
    writeFileSync(join(dir, `part-${f}.yaml`), `apiVersion: v1\nkind: ConfigMap\ndata:\n${lines.join('')}`);
  }
  return dir;
}


/**
 * timeCommand, but asynchronous: the sandbox servers (registry log pipes, Sigstore stand-in, Fulcio bridge, OIDC) live in
 * this process, and harness.timeCommand's spawnSync would block their event loop (deadlock / full pipes).
 */
async function timeCommandAsync(cmd: string | ((i: number) => string), runs: number, warmup: number, env: NodeJS.ProcessEnv): Promise<Stats> {
  const times: number[] = [];
  for (let i = -warmup; i < runs; i++) {
    const line = typeof cmd === 'string' ? cmd : cmd(i);
    const t0 = performance.now();
    const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn('bash', ['-c', line], { env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
      child.on('close', (c) => resolve({ code: c ?? 1, stderr: err }));
    });
    const dt = performance.now() - t0;
    if (code !== 0) throw new Error(`benchmark command failed (${code}): ${line.slice(0, 300)}\n${stderr}`);
    if (i >= 0) times.push(dt);
  }
  return { runs, medianMs: median(times), minMs: Math.min(...times), maxMs: Math.max(...times) };
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

async function main(): Promise<void> {
  const tools = referenceTools();
  if (!tools.flux || !tools.oras || !tools.cosign) {
    writeSection('conformance', `## Conformance: d2 vs flux / oras / cosign\n\nSkipped: reference tools not built (${tools.dir}); run scripts/reference-tools.sh.\n`);
    return;
  }
  const guard = await startEgressGuard();
  const registry = await startRegistry();
  const sigstore = await startSigstore();
  const oidc = await startOidc();
  const bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
  const env = { ...toolEnv({ egress: guard }), TZ: 'UTC' };
  const client = new RegistryClient({ insecure: true });
  const work = mkdtempSync(join(tmpdir(), 'd2-bench-conf-'));
  const rows: string[] = [];
  const notes: string[] = [];
  let n = 0;

  try {
    // 1. one 20 MB component
    const big = component(join(work, 'big'), 20 * 1024 * 1024, 1);
    const d2InProcess = async (dir: string, repository: string): Promise<void> => {
      const built = await buildArtifact(dir, { source: SOURCE, revision: REVISION, reproducible: true });
      const repo = { registry: registry.host, repository };
      await client.pushBlob(repo, { path: built.layerPath }, built.layerDigest, built.layerSize);
      await client.pushBlob(repo, { data: built.config }, built.configDigest, built.config.length);
      await client.putManifest(repo, 'v1', built.manifest, 'application/vnd.oci.image.manifest.v1+json');
      await built.cleanup();
    };
    const ours = await timeAsync(() => d2InProcess(big, `bench/d2-${n++}`), 3, 1);
    const flux = await timeCommandAsync(`${q(tools.flux)} push artifact oci://${registry.host}/bench/flux-$(date +%s%N):v1 --path=${q(big)} --source=${SOURCE} --revision=${REVISION} --reproducible --insecure-registry`, 3, 1, env);
    const layer = await buildArtifact(big, { source: SOURCE, revision: REVISION, reproducible: true });
    const layerDir = join(work, 'layer');
    mkdirSync(layerDir, { recursive: true });
    writeFileSync(join(layerDir, 'layer.tgz'), readFileSync(layer.layerPath));
    await layer.cleanup();
    const oras = await timeCommandAsync(`cd ${q(layerDir)} && ${q(tools.oras)} push --plain-http --no-tty ${registry.host}/bench/oras-$(date +%s%N):v1 layer.tgz:application/vnd.cncf.flux.content.v1.tar+gzip`, 3, 1, env);
    rows.push(`| 20 MB component: d2 in-process (build + push) | ${fmtMs(ours)} | ${ratio(ours, flux)} vs flux |`);
    const cli = join(repoRoot(), 'packages', 'cli', 'dist', 'd2.cjs');
    spawnSync(process.execPath, [join(repoRoot(), 'scripts', 'build.mjs'), '--cli', '--quiet'], { stdio: 'ignore', cwd: repoRoot() });
    let cliStats: Stats | undefined;
    if (existsSync(cli)) {
      try {
        cliStats = await timeCommandAsync(`${q(process.execPath)} ${q(cli)} push ${q(big)} oci://${registry.host}/bench/cli-$(date +%s%N):v1`, 3, 1, { ...env, PATH: process.env.PATH });
        rows.push(`| 20 MB component: d2 CLI (\`d2 push\`, whole process) | ${fmtMs(cliStats)} | ${ratio(cliStats, flux)} vs flux |`);
      } catch (err) {
        notes.push(`d2 CLI push not measured: ${String(err).split('\n')[0]}`);
      }
    } else notes.push('d2 CLI not built (packages/cli/dist/d2.cjs missing): not measured');
    rows.push(`| 20 MB component: \`flux push artifact\` (whole process) | ${fmtMs(flux)} | 1.00× |`);
    rows.push(`| 20 MB component: \`oras push\` of the same layer (no build) | ${fmtMs(oras)} | ${ratio(oras, flux)} vs flux |`);

    // 2. 50 components
    const comps: string[] = [];
    for (let i = 0; i < 50; i++) comps.push(component(join(work, 'fleet', `c${i}`), 20_000, 100 + i));
    const fleetOurs = await timeAsync(async () => {
      const run = n++;
      for (let i = 0; i < comps.length; i++) await d2InProcess(comps[i], `bench/fleet${run}/c${i}`);
    }, 2, 1);
    const fleetFlux = await timeCommandAsync(
      `r=$(date +%s%N); i=0; for d in ${comps.map(q).join(' ')}; do ${q(tools.flux)} push artifact oci://${registry.host}/bench/ff$r/c$i:v1 --path="$d" --source=${SOURCE} --revision=${REVISION} --reproducible --insecure-registry >/dev/null || exit 1; i=$((i+1)); done`,
      2,
      0,
      env,
    );
    rows.push(`| 50 components: d2 in one process | ${fmtMs(fleetOurs)} | ${ratio(fleetOurs, fleetFlux)} vs flux |`);
    rows.push(`| 50 components: 50 sequential \`flux push artifact\` | ${fmtMs(fleetFlux)} | 1.00× |`);

    // 3. signing the same kind of manifest digest
    const target = async (): Promise<{ repository: string; digest: string }> => {
      const repository = `bench/sign-${n++}`;
      const built = await buildArtifact(comps[0], { source: SOURCE, revision: REVISION, reproducible: true });
      const repo = { registry: registry.host, repository };
      await client.pushBlob(repo, { path: built.layerPath }, built.layerDigest, built.layerSize);
      await client.pushBlob(repo, { data: built.config }, built.configDigest, built.config.length);
      const digest = await client.putManifest(repo, 'v1', built.manifest, 'application/vnd.oci.image.manifest.v1+json');
      await built.cleanup();
      return { repository, digest };
    };
    const signer = new ArtifactSigner({ registry: client, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format: 'legacy', identityProvider: { getToken: async () => oidc.issueToken(IDENTITY) } });
    const targets: { repository: string; digest: string }[] = [];
    for (let i = 0; i < 8; i++) targets.push(await target());
    let t = 0;
    const signOurs = await timeAsync(async () => {
      const x = targets[t++];
      await signer.sign({ registry: registry.host, repository: x.repository }, x.digest);
    }, 3, 1);
    const cosign = new CosignCli(tools.cosign, { fulcioURL: bridge.url, rekorURL: sigstore.rekorURL, trustedRootPath: sigstore.trustedRootPath }, 3, env);
    const tokenFile = join(work, 'token');
    writeFileSync(tokenFile, oidc.issueToken({ ...IDENTITY }), { mode: 0o600 });
    const cosignCmd = (x: { repository: string; digest: string }): string =>
      `${q(tools.cosign as string)} sign --yes --allow-insecure-registry --allow-http-registry --fulcio-url=${bridge.url} --rekor-url=${sigstore.rekorURL} --identity-token=${q(tokenFile)} --use-signing-config=false --trusted-root=${q(sigstore.trustedRootPath)} --new-bundle-format=false ${registry.host}/${x.repository}@${x.digest} >/dev/null 2>&1`;
    // One command line per run: each signs a different digest.
    const signCosign = await timeCommandAsync(() => cosignCmd(targets[t++]), 3, 1, cosign.env);
    rows.push(`| sign one digest (legacy .sig): d2 in-process ArtifactSigner | ${fmtMs(signOurs)} | ${ratio(signOurs, signCosign)} vs cosign |`);
    rows.push(`| sign one digest (legacy .sig): \`cosign sign\` (whole process) | ${fmtMs(signCosign)} | 1.00× |`);
    if (guard.attempts.length) notes.push(`WARNING: reference tools tried to reach the internet: ${JSON.stringify(guard.attempts)}`);
  } finally {
    await bridge.stop();
    await oidc.stop();
    await sigstore.stop();
    await registry.stop();
    await guard.stop();
  }

  const v = tools.versions;
  writeSection(
    'conformance',
    `## Conformance: d2 vs flux / oras / cosign (bench/conformance.bench.ts)\n\n` +
      `Reference tools: flux ${v.flux?.version}, oras ${v.oras?.version}, cosign ${v.cosign?.version} (built with ${v.flux?.go}). ` +
      `Sandbox registry (distribution 2.8.2, anonymous, 127.0.0.1) and Sigstore stand-in; a fresh repository per run. ` +
      `In-process numbers exclude Node start-up (~0.1 s) that whole-process numbers include.\n\n` +
      `| Case | Median (min, max) | Ratio |\n|---|---|---|\n${rows.join('\n')}\n` +
      (notes.length ? `\n${notes.map((x) => `- ${x}`).join('\n')}\n` : ''),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
