/**
 * sign bench: keyless signing overhead per artifact against the local Sigstore stand-in and sandbox registry
 * (all on 127.0.0.1), our in-process ArtifactSigner vs the reference `cosign sign` 3.x CLI (the step D2 replaces:
 * `cosign sign --yes $DIGEST_URL` after the push). Also 20 artifacts signed in one process/step.
 * Each run signs a fresh artifact digest. cosign needs its own process per invocation (that is how workflows run it);
 * for 20 artifacts it is measured both as 20 invocations and as one invocation with 20 references.
 */
import { startOidc } from '../packages/sandbox/src/oidc.js';
import { startRegistry } from '../packages/sandbox/src/registry.js';
import { startSigstore } from '../packages/sandbox/src/sigstore.js';
import { CosignCli, referenceTools, runTool, startFulcioV1Bridge } from '../packages/sandbox/src/reference-tools.js';
import { ArtifactSigner, githubIdentityProvider, type SignatureFormat } from '../packages/core/src/sign/index.js';
import { RegistryClient } from '../packages/core/src/oci/index.js';
import { fmtMs, ratio, timeAsync, writeSection, type Stats } from './harness.js';
import { pushTinyArtifact } from '../packages/sandbox/src/tiny-artifact.js';

const RUNS = 5;
const MAIN = { repository: 'acme/app', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };

async function main(): Promise<void> {
  const [registry, sigstore, oidc] = await Promise.all([startRegistry(), startSigstore(), startOidc()]);
  const bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
  const client = new RegistryClient({ credentials: { get: async () => undefined } });
  const rows: string[] = [];
  try {
    let n = 0;
    const push = async () => {
      const repo = { registry: registry.host, repository: `bench/app${++n}` };
      const digest = await pushTinyArtifact(client, repo, `bench ${n} ${Date.now()}`);
      return { repo, digest, ref: `${registry.host}/${repo.repository}@${digest}` };
    };

    const signer = (format: SignatureFormat) =>
      new ArtifactSigner({ registry: client, fulcioURL: sigstore.fulcioURL, rekorURL: sigstore.rekorURL, format, identityProvider: githubIdentityProvider({ env: oidc.envFor(MAIN) }), env: {} });

    const ours: Record<string, Stats> = {};
    for (const format of ['legacy', 'both'] as SignatureFormat[]) {
      let art: Awaited<ReturnType<typeof push>>;
      // A signer per run, as a `d2 sign` or a one-component step has: each run gets its own Fulcio certificate.
      let s = signer(format);
      ours[format] = await timeAsync(() => s.sign(art.repo, art.digest), RUNS, 1, async () => {
        art = await push();
        s = signer(format);
      });
    }
    let batch: Awaited<ReturnType<typeof push>>[] = [];
    const prepare20 = async () => {
      batch = [];
      for (let i = 0; i < 20; i++) batch.push(await push());
    };
    const s20 = signer('legacy');
    const ours20 = await timeAsync(async () => {
      for (const a of batch) await s20.sign(a.repo, a.digest);
    }, 3, 0, prepare20);
    const ours20par = await timeAsync(() => s20.signAll(batch, 4), 3, 0, prepare20);

    const cosignBin = referenceTools().cosign;
    let ref1: Stats | undefined;
    let ref20: Stats | undefined;
    let ref20one: Stats | undefined;
    let cosignVersion = 'not built';
    if (cosignBin) {
      const cosign = new CosignCli(cosignBin, { ...sigstore, fulcioURL: bridge.url });
      cosignVersion = (/GitVersion:\s*(\S+)/.exec(await cosign.version()) ?? [])[1] ?? 'cosign';
      const must = (r: { code: number; stderr: string }) => {
        if (r.code !== 0) throw new Error(`cosign failed: ${r.stderr.slice(-2000)}`);
      };
      let art: Awaited<ReturnType<typeof push>>;
      ref1 = await timeAsync(async () => must(await cosign.sign(art.ref, { identityToken: oidc.issueToken(MAIN), format: 'legacy' })), RUNS, 1, async () => {
        art = await push();
      });
      ref20 = await timeAsync(async () => {
        for (const a of batch) must(await cosign.sign(a.ref, { identityToken: oidc.issueToken(MAIN), format: 'legacy' }));
      }, 3, 0, prepare20);
      // One invocation with 20 references (cosign signs each with one key and certificate).
      const tokenFile = await writeToken(oidc.issueToken(MAIN, 'sigstore'));
      ref20one = await timeAsync(async () => {
        const args = ['sign', '--yes', '--allow-insecure-registry', '--allow-http-registry', `--fulcio-url=${bridge.url}`, `--rekor-url=${sigstore.rekorURL}`, `--identity-token=${tokenFile}`, '--use-signing-config=false', `--trusted-root=${sigstore.trustedRootPath}`, '--new-bundle-format=false', ...batch.map((a) => a.ref)];
        must(await runTool(cosignBin, args, { env: cosign.env }));
      }, 3, 0, prepare20);
    }

    rows.push('| what | D2 ArtifactSigner (in-process) | cosign sign (process) | ratio |', '|---|---|---|---|');
    rows.push(`| 1 artifact, legacy .sig | ${fmtMs(ours.legacy)} | ${ref1 ? fmtMs(ref1) : 'n/a'} | ${ref1 ? ratio(ours.legacy, ref1) : '–'} |`);
    rows.push(`| 1 artifact, both (.sig + DSSE referrer) | ${fmtMs(ours.both)} | – | – |`);
    rows.push(`| 20 artifacts, legacy, one step | ${fmtMs(ours20)} | ${ref20 ? `${fmtMs(ref20)} (20 invocations)` : 'n/a'} | ${ref20 ? ratio(ours20, ref20) : '–'} |`);
    rows.push(`| 20 artifacts, legacy, signAll (4 in parallel) | ${fmtMs(ours20par)} | ${ref20one ? `${fmtMs(ref20one)} (one invocation)` : 'n/a'} | ${ref20one ? ratio(ours20par, ref20one) : '–'} |`);
    if (ref20one) rows.push(`| 20 artifacts, legacy, one cosign invocation | ${fmtMs(ours20)} | ${fmtMs(ref20one)} | ${ratio(ours20, ref20one)} |`);
    writeSection('sign', [
      '## Keyless signing (bench/sign.bench.ts)',
      '',
      `Sandbox registry (CNCF distribution) + Sigstore stand-in (@sigstore/mock Fulcio/Rekor over loopback HTTP) + OIDC endpoint; reference: cosign ${cosignVersion}.`,
      'Each run of the 1-artifact rows signs a fresh manifest digest with a new signer (token fetch, Fulcio certificate, Rekor entry, .sig upload); the 20-artifact rows use one signer for the 20, which asks Fulcio once, as one cosign invocation with 20 references does. Ours is measured in-process; cosign includes its process start.',
      '',
      ...rows,
    ].join('\n'));
  } finally {
    await Promise.all([registry.stop(), sigstore.stop(), oidc.stop(), bridge.stop()]);
  }
}

async function writeToken(token: string): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const f = join(mkdtempSync(join(tmpdir(), 'd2-bench-token-')), 'token');
  writeFileSync(f, token, { mode: 0o600 });
  return f;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
