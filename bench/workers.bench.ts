/**
 * pnpm bench workers: whole processes, d2 against the reference tools in the same run (docs/benchmarks.md):
 *  1. 50 components in one step, signing on, against the Sigstore stand-in: `d2 push --components '*' --sign` with
 *     1, 2 and 4 build workers, vs fifty `flux push artifact` + `cosign sign` runs, one after the other;
 *  2. one component, whole process: `d2 push` vs `flux push artifact --reproducible` (same manifest digest), for a
 *     small component (7 files) and a 20 MB one (text + 20 MB of base64 noise).
 * Runs of the compared cases are interleaved (the machine is shared: a load spike hits every case alike); medians.
 * Never asserts timings.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOidc } from '@d2/sandbox/oidc';
import { repoRoot } from '@d2/sandbox/paths';
import { CosignCli, referenceTools, startEgressGuard, startFulcioV1Bridge, toolEnv } from '@d2/sandbox/reference-tools';
import { startFaultProxy } from '@d2/sandbox/fault-proxy';
import { startRegistry } from '@d2/sandbox/registry';
import { startSigstore } from '@d2/sandbox/sigstore';
import { median, writeSection, type Stats } from './harness.js';

const SOURCE = 'https://github.com/example/repo';
const REVISION = 'main@sha1:0123456789abcdef0123456789abcdef01234567';
const IDENTITY = { repository: 'example/repo', workflow: '.github/workflows/push-artifact.yaml', ref: 'refs/heads/main' };
const COMPONENTS = 50;
const FLEET_ROUNDS = Number(process.env.D2_BENCH_FLEET_ROUNDS ?? 3);
const SINGLE_ROUNDS = Number(process.env.D2_BENCH_SINGLE_ROUNDS ?? 7);
const WORKERS = [1, 2, 4];
/** The delay the fault proxy adds to every registry response in the "registry far away" case (a round trip's worth). */
const LATENCY_MS = 20;

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Deterministic pseudo-random numbers. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

/** YAML-like manifests of about `bytes` in `files` files. */
function yamlFiles(dir: string, bytes: number, files: number, seed: number): void {
  mkdirSync(dir, { recursive: true });
  const next = lcg(seed);
  for (let f = 0; f < files; f++) {
    const lines: string[] = [];
    let size = 0;
    while (size < bytes / files) {
      const line = `  key-${next() % 5000}: value-${(next() % 1_000_000).toString(36)}-${next().toString(16)}\n`;
      lines.push(line);
      size += line.length;
    }
    writeFileSync(join(dir, `part-${f}.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: p${f}\ndata:\n${lines.join('')}`);
  }
}

/** Base64 of random bytes in 76-character lines, like an embedded blob. */
function base64Noise(bytes: number, seed: number): string {
  const next = lcg(seed);
  const raw = Buffer.alloc(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i += 4) raw.writeUInt32LE(next(), Math.min(i, raw.length - 4));
  return (raw.toString('base64').match(/.{1,76}/g) ?? []).join('\n').slice(0, bytes);
}

/**
 * The floor of any Node tool for the small push: Node's start, node:http, and the requests a push needs (HEAD of both
 * blobs, then POST and PUT of each, both at once, then the manifest PUT under the tag: flux's requests without its
 * GET /v2/), with the layer compressed by Node's native zlib (not Flux's bytes, and no tar: the files concatenated).
 * Written to the work directory and run as CommonJS, Node's fastest start.
 */
const PUSH_FLOOR_CJS = `'use strict';
const http = require('node:http');
const { createHash } = require('node:crypto');
const { readdirSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { gzipSync } = require('node:zlib');
const [ref, dir] = process.argv.slice(2);
const slash = ref.indexOf('/');
const colon = ref.lastIndexOf(':');
const [host, port] = ref.slice(0, slash).split(':');
const repo = ref.slice(slash + 1, colon);
const tag = ref.slice(colon + 1);
const agent = new http.Agent({ keepAlive: true });
const send = (method, path, body, type) => new Promise((resolve, reject) => {
  const headers = body ? { 'content-type': type, 'content-length': body.length } : {};
  const req = http.request({ host, port, method, path, agent, headers, timeout: 30000 }, (res) => {
    res.resume();
    res.on('end', () => (res.statusCode < 400 || (method === 'HEAD' && res.statusCode === 404) ? resolve(res) : reject(new Error(method + ' ' + path + ': ' + res.statusCode))));
  });
  req.on('error', reject);
  req.end(body);
});
const sha = (b) => 'sha256:' + createHash('sha256').update(b).digest('hex');
const upload = async (blob, digest) => {
  if ((await send('HEAD', '/v2/' + repo + '/blobs/' + digest)).statusCode === 200) return;
  const at = new URL((await send('POST', '/v2/' + repo + '/blobs/uploads/')).headers.location, 'http://' + host + ':' + port);
  at.searchParams.set('digest', digest);
  await send('PUT', at.pathname + at.search, blob, 'application/octet-stream');
};
(async () => {
  const files = readdirSync(dir).sort().map((f) => readFileSync(join(dir, f)));
  const layer = gzipSync(Buffer.concat(files), { level: 6 });
  const config = Buffer.from('{}');
  const [cd, ld] = [sha(config), sha(layer)];
  await Promise.all([upload(config, cd), upload(layer, ld)]);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.cncf.flux.config.v1+json',
    config: { mediaType: 'application/vnd.cncf.flux.config.v1+json', digest: cd, size: config.length },
    layers: [{ mediaType: 'application/vnd.cncf.flux.content.v1.tar+gzip', digest: ld, size: layer.length }] }));
  await send('PUT', '/v2/' + repo + '/manifests/' + tag, manifest, 'application/vnd.oci.image.manifest.v1+json');
  agent.destroy();
  process.stdout.write(JSON.stringify({ digest: sha(manifest) }) + '\\n');
})().catch((e) => { process.stderr.write(String(e) + '\\n'); process.exitCode = 1; });
`;

/** CPU time (ms) of the servers the runs talk to: the registry process, and this process (the Sigstore stand-in, the OIDC issuer and the cosign bridge run in it; the bench's own spawning and reading is counted too, a few ms a run). */
function serversCpuMs(registryPid: number): number {
  const own = process.cpuUsage();
  let registry = 0;
  try {
    const fields = readFileSync(`/proc/${registryPid}/stat`, 'utf8').split(') ')[1].split(' ');
    registry = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    registry = NaN; // no /proc: the column reads NaN rather than a wrong number
  }
  return (own.user + own.system) / 1000 + registry;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * Runs a bash command line under GNU time, resolving with the wall time and the CPU time (user + system of the
 * process and every child it waited for, ms); rejects on a non-zero exit.
 */
function run(line: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; stdout: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '__CPU__ %U %S', 'bash', '-c', line], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4000)));
    child.on('close', (c) => {
      const ms = performance.now() - t0;
      const m = /__CPU__ ([\d.]+) ([\d.]+)/.exec(err);
      const cpuMs = m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN;
      if (c === 0) resolve({ ms, cpuMs, stdout: out });
      else reject(new Error(`benchmark command failed (${c}): ${line.slice(0, 300)}\n${err}`));
    });
  });
}

function stats(xs: number[]): Stats {
  return { runs: xs.length, medianMs: median(xs), minMs: Math.min(...xs), maxMs: Math.max(...xs) };
}

const fmt = (s: Stats): string => `${s.medianMs.toFixed(0)} ms (min ${s.minMs.toFixed(0)}, max ${s.maxMs.toFixed(0)}, n=${s.runs})`;
const ratio = (a: Stats, b: Stats): string => `${(a.medianMs / b.medianMs).toFixed(2)}×`;

async function main(): Promise<void> {
  const tools = referenceTools();
  if (!tools.flux || !tools.cosign) {
    writeSection('workers', `## Workers and whole processes: d2 vs flux + cosign\n\nSkipped: reference tools not built (${tools.dir}); run scripts/reference-tools.sh.\n`);
    return;
  }
  const root = repoRoot();
  spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--cli', '--quiet'], { stdio: 'inherit', cwd: root });
  const d2 = join(root, 'packages', 'cli', 'dist', 'd2.cjs');
  const guard = await startEgressGuard();
  const registry = await startRegistry();
  const sigstore = await startSigstore();
  const oidc = await startOidc();
  const bridge = await startFulcioV1Bridge(sigstore.fulcioURL);
  const env = { ...toolEnv({ egress: guard }), TZ: 'UTC' };
  const cosign = new CosignCli(tools.cosign, { fulcioURL: bridge.url, rekorURL: sigstore.rekorURL, trustedRootPath: sigstore.trustedRootPath }, 3, env);
  const work = mkdtempSync(join(tmpdir(), 'd2-bench-workers-'));
  const tokenFile = join(work, 'token');
  const signFlags = `--sign --fulcio-url ${q(sigstore.fulcioURL)} --rekor-url ${q(sigstore.rekorURL)} --trusted-root ${q(sigstore.trustedRootPath)}`;
  const cosignSign = (ref: string): string =>
    `${q(tools.cosign as string)} sign --yes --allow-insecure-registry --allow-http-registry --fulcio-url=${bridge.url} --rekor-url=${sigstore.rekorURL} --identity-token=${q(tokenFile)} ` +
    `--use-signing-config=false --trusted-root=${q(sigstore.trustedRootPath)} --new-bundle-format=false ${ref}`;
  const load0 = loadavg()[0];
  const rows: string[] = [];
  const notes: string[] = [];
  let n = 0;
  const repo = (what: string): string => `${registry.host}/bench/${what}-${process.pid}-${n++}`;

  try {
    // 1. 50 components, signing on (D2_BENCH_FLEET_ROUNDS=0 skips it).
    if (FLEET_ROUNDS > 0) await fleetCase();
    async function fleetCase(): Promise<void> {
      for (let i = 0; i < COMPONENTS; i++) {
        const c = join(work, 'fleet', 'components', `c${String(i).padStart(2, '0')}`);
        yamlFiles(join(c, 'base'), 600_000, 6, 100 + i);
        writeFileSync(join(c, 'kustomization.yaml'), 'resources: [base]\n');
        writeFileSync(join(c, 'secret.yaml'), `apiVersion: v1\nkind: Secret\ndata:\n  blob: |\n${base64Noise(200_000, 200 + i).replace(/^/gm, '    ')}\n`);
      }
      const fleet = join(work, 'fleet');
      const d2Fleet = (workers: number, sign = true): string =>
        `cd ${q(fleet)} && ${q(process.execPath)} ${q(d2)} push 'components/{component}' oci://${repo(`w${workers}`)}/{component} --components '*' --source ${SOURCE} --revision ${REVISION} --workers ${workers} ${sign ? signFlags : ''} >/dev/null`;
      const fluxFleet = (): string => {
        const r = repo('flux');
        return (
          `cd ${q(fleet)} && for d in components/*; do c=$(basename "$d"); ` +
          `${q(tools.flux as string)} push artifact oci://${r}/$c:latest --path="$d" --source=${SOURCE} --revision=${REVISION} --reproducible --insecure-registry >/dev/null 2>&1 || exit 1; ` +
          `${cosignSign(`${r}/$c:latest`)} >/dev/null 2>&1 || exit 1; done`
        );
      };
      const cases = [...WORKERS.map((w) => `w${w}`), ...WORKERS.slice(0, 2).map((w) => `nosign-w${w}`), 'flux'];
      const wall = new Map<string, number[]>(cases.map((c) => [c, []]));
      const cpu = new Map<string, number[]>(cases.map((c) => [c, []]));
      const servers = new Map<string, number[]>(cases.map((c) => [c, []]));
      const record = (c: string, t: { ms: number; cpuMs: number; serversMs: number }): void => {
        wall.get(c)!.push(t.ms);
        cpu.get(c)!.push(t.cpuMs);
        servers.get(c)!.push(t.serversMs);
      };
      const runCounted = async (line: string, e: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number; serversMs: number }> => {
        const before = serversCpuMs(registry.pid);
        const t = await run(line, e);
        return { ...t, serversMs: serversCpuMs(registry.pid) - before };
      };
      for (let round = -1; round < FLEET_ROUNDS; round++) {
        writeFileSync(tokenFile, oidc.issueToken(IDENTITY), { mode: 0o600 });
        const order = round % 2 === 0 ? [...WORKERS] : [...WORKERS].reverse();
        for (const w of order) {
          const t = await runCounted(d2Fleet(w), { ...env, SIGSTORE_ID_TOKEN: oidc.issueToken(IDENTITY) });
          if (round >= 0) record(`w${w}`, t);
        }
        for (const w of round % 2 === 0 ? [1, 2] : [2, 1]) {
          const t = await runCounted(d2Fleet(w, false), env);
          if (round >= 0) record(`nosign-w${w}`, t);
        }
        // The reference is the slowest: one run every other round (and in the warm-up).
        if (round < 1 || round % 2 === 1) {
          const t = await runCounted(fluxFleet(), cosign.env);
          if (round >= 0) record('flux', t);
        }
      }
      const cpuMedian = (c: string): number => median(cpu.get(c)!);
      const srv = (c: string): string => `${(median(servers.get(c)!) / 1000).toFixed(1)} s`;
      const fluxStats = stats(wall.get('flux')!);
      const w1 = stats(wall.get('w1')!);
      rows.push(`| 50 components, signing on: fifty \`flux push artifact\` + \`cosign sign\` | ${fmt(fluxStats)} | 1.00× | | ${(cpuMedian('flux') / 1000).toFixed(1)} s | ${srv('flux')} |`);
      for (const w of WORKERS) {
        const s = stats(wall.get(`w${w}`)!);
        rows.push(`| 50 components, signing on: \`d2 push --components '*' --sign --workers ${w}\` | ${fmt(s)} | ${ratio(s, fluxStats)} | ${ratio(s, w1)} | ${(cpuMedian(`w${w}`) / 1000).toFixed(1)} s (${(cpuMedian(`w${w}`) / cpuMedian('flux')).toFixed(2)}×) | ${srv(`w${w}`)} |`);
      }
      const n1 = stats(wall.get('nosign-w1')!);
      for (const w of [1, 2]) {
        const s = stats(wall.get(`nosign-w${w}`)!);
        rows.push(`| 50 components, signing off: \`d2 push --components '*' --workers ${w}\` | ${fmt(s)} | – | ${ratio(s, n1)} | ${(cpuMedian(`nosign-w${w}`) / 1000).toFixed(1)} s | ${srv(`nosign-w${w}`)} |`);
      }
      // What the goal leaves: 0.2× of the reference's wall time on this machine's cores, which the servers share.
      const budget = (0.2 * fluxStats.medianMs * cpus().length) / 1000;
      const best = WORKERS.map((w) => `w${w}`).sort((a, b) => median(wall.get(a)!) - median(wall.get(b)!))[0];
      notes.push(
        `CPU budget of the 0.2× goal on these ${cpus().length} cores: ${budget.toFixed(1)} s (0.2 × the reference's wall time × cores); ` +
          `the fastest signed d2 run (${best.replace('w', '')} workers) took ${(cpuMedian(best) / 1000).toFixed(1)} s of CPU itself while the registry and the Sigstore stand-in took ${srv(best)}.`,
      );
    }

    // 2. One component, whole process: small and 20 MB.
    const small = join(work, 'small');
    yamlFiles(small, 40_000, 6, 7);
    writeFileSync(join(small, 'kustomization.yaml'), 'resources: []\n');
    const big = join(work, 'big');
    yamlFiles(big, 2_000_000, 2, 9);
    writeFileSync(join(big, 'blob.b64'), base64Noise(20 * 1024 * 1024, 11));
    for (const [name, dir] of [
      ['small component (7 files)', small],
      ['20 MB component (text + 20 MB base64 noise)', big],
    ] as const) {
      const flux = (r: string): string =>
        `${q(tools.flux as string)} push artifact oci://${r}:latest --path=${q(dir)} --source=${SOURCE} --revision=${REVISION} --reproducible --insecure-registry -o json`;
      const ours = (r: string): string => `${q(process.execPath)} ${q(d2)} push ${q(dir)} oci://${r}:latest --source ${SOURCE} --revision ${REVISION} -o json`;
      const floorScript = join(work, 'push-floor.cjs');
      writeFileSync(floorScript, PUSH_FLOOR_CJS);
      const floor = (r: string): string => `${q(process.execPath)} ${q(floorScript)} ${q(`${r}:latest`)} ${q(dir)}`;
      const small = name.startsWith('small');
      const times = { flux: [] as number[], d2: [] as number[], floor: [] as number[] };
      const cpus1 = { flux: [] as number[], d2: [] as number[], floor: [] as number[] };
      const digests = { flux: new Set<string>(), d2: new Set<string>(), floor: new Set<string>() };
      const rounds = small ? SINGLE_ROUNDS : Math.max(3, Math.ceil(SINGLE_ROUNDS / 2));
      for (let round = -1; round < rounds; round++) {
        const pair: (readonly ['flux' | 'd2' | 'floor', (r: string) => string])[] = [
          ['flux', flux],
          ['d2', ours],
          ...(small ? [['floor', floor] as const] : []),
        ];
        for (const [who, cmd] of round % 2 === 0 ? pair : pair.reverse()) {
          const t = await run(cmd(repo(who)), env);
          const digest = (JSON.parse(t.stdout) as { digest?: string }).digest;
          if (digest) digests[who].add(digest);
          if (round >= 0) {
            times[who].push(t.ms);
            cpus1[who].push(t.cpuMs);
          }
        }
      }
      const f = stats(times.flux);
      const o = stats(times.d2);
      const same = digests.flux.size === 1 && digests.d2.size === 1 && [...digests.flux][0] === [...digests.d2][0];
      const [cf, co] = [median(cpus1.flux), median(cpus1.d2)];
      rows.push(`| ${name}: \`flux push artifact --reproducible\` | ${fmt(f)} | 1.00× | | ${cf.toFixed(0)} ms | |`);
      rows.push(`| ${name}: \`d2 push\` | ${fmt(o)} | ${ratio(o, f)} | same digest: ${same ? 'yes' : `**no** (${[...digests.d2].join(', ')} vs ${[...digests.flux].join(', ')})`} | ${co.toFixed(0)} ms (${(co / cf).toFixed(2)}×) | |`);
      if (small) {
        const fl = stats(times.floor);
        const cfl = median(cpus1.floor);
        rows.push(`| ${name}: the floor of a Node tool (start, node:http, the push's 7 requests, native zlib; bench/workers.bench.ts) | ${fmt(fl)} | ${ratio(fl, f)} | | ${cfl.toFixed(0)} ms (${(cfl / cf).toFixed(2)}×) | |`);
      }
    }
    // 3. One signed component against a registry LATENCY_MS away: every response of the real registry goes through the
    // fault proxy, which delays it (Sigstore stays local). Round trips, not CPU, decide here, as with a registry on the
    // internet; the proxy's log counts the registry requests of each run.
    const proxy = await startFaultProxy(registry.url);
    try {
      proxy.addFault({ action: { delayMs: LATENCY_MS } });
      const far = (what: string): string => `${proxy.host}/bench/${what}-${process.pid}-${n++}`;
      const fluxSigned = (r: string): string =>
        `${q(tools.flux as string)} push artifact oci://${r}:latest --path=${q(small)} --source=${SOURCE} --revision=${REVISION} --reproducible --insecure-registry >/dev/null 2>&1 && ` +
        `${cosignSign(`${r}:latest`)} >/dev/null 2>&1`;
      const d2Signed = (r: string): string => `${q(process.execPath)} ${q(d2)} push ${q(small)} oci://${r}:latest --source ${SOURCE} --revision ${REVISION} ${signFlags} >/dev/null`;
      const cases = [
        ['flux', fluxSigned],
        ['d2', d2Signed],
      ] as const;
      const got = { flux: { ms: [] as number[], requests: [] as number[] }, d2: { ms: [] as number[], requests: [] as number[] } };
      for (let round = -1; round < SINGLE_ROUNDS; round++) {
        writeFileSync(tokenFile, oidc.issueToken(IDENTITY), { mode: 0o600 });
        for (const [who, cmd] of round % 2 === 0 ? cases : [...cases].reverse()) {
          const before = proxy.log.length;
          const t = await run(cmd(far(who)), { ...(who === 'flux' ? cosign.env : env), SIGSTORE_ID_TOKEN: oidc.issueToken(IDENTITY) });
          if (round >= 0) {
            got[who].ms.push(t.ms);
            got[who].requests.push(proxy.log.length - before);
          }
        }
      }
      const f = stats(got.flux.ms);
      const o = stats(got.d2.ms);
      rows.push(`| small component, signing on, registry ${LATENCY_MS} ms away: \`flux push artifact\` + \`cosign sign\` | ${fmt(f)} | 1.00× | ${median(got.flux.requests)} registry requests | | |`);
      rows.push(`| small component, signing on, registry ${LATENCY_MS} ms away: \`d2 push --sign\` (and the verification as Flux would) | ${fmt(o)} | ${ratio(o, f)} | ${median(got.d2.requests)} registry requests | | |`);
    } finally {
      await proxy.stop();
    }
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
    'workers',
    [
      '## Whole processes: 50 components on all cores, and one component, d2 vs flux + cosign (bench/workers.bench.ts)',
      '',
      `Reference tools: flux ${v.flux?.version}, cosign ${v.cosign?.version}. Sandbox registry and Sigstore stand-in on 127.0.0.1, a fresh repository per run; every number is a whole process (Node start-up included for d2). ` +
        `Fleet: ${COMPONENTS} components of 7 files each (6 YAML files, 600 KB in all, and a Secret with 200 KB of base64 noise), signing on (legacy .sig, verified after signing by d2), concurrency 4; ` +
        `the d2 runs with 1, 2 and 4 build workers are interleaved, with one reference run every other round. CPU = user + system time of the whole process tree (GNU time): the d2 process only, flux and cosign processes for the reference; the registry and the Sigstore stand-in (and the cosign bridge) are not counted on either side: their CPU time during each run is the last column (the registry process, and the bench process the stand-in runs in). ${cpus().length} cores; load average (1 min) ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (the machine is shared: compare ratios, not absolute times). ` +
        `The case with the registry ${LATENCY_MS} ms away puts the fault proxy (@d2/sandbox/fault-proxy) in front of the same registry, delaying every response by ${LATENCY_MS} ms, and counts the requests each run sends through it; flux and cosign run one after the other, as a workflow runs them.`,
      '',
      '| Case | Wall time, median (min, max) | Ratio vs reference | Ratio vs 1 worker / digest | CPU (ratio) | Registry + stand-in CPU |',
      '|---|---|---|---|---|---|',
      ...rows,
      ...(notes.length ? ['', ...notes.map((x) => `- ${x}`)] : []),
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
