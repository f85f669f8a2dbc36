/**
 * notify-receivers on push-artifact through its committed bundle (docs/receivers.md), against the sandbox registry and
 * a recording Receiver on 127.0.0.1:
 * - a Receiver is notified only after the tags moved: when the POST arrives, the tag already names the pushed digest;
 *   an unchanged artifact (no tag moved) notifies nobody;
 * - the Receiver token and the webhook path (derived from it) never reach the log, the summary or the outputs;
 * - bad receiver input (http on a non-loopback host, an unknown type, no token) fails before anything is pushed;
 * - an unreachable Receiver is a warning after the push: the tags stay moved.
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistry, type SandboxRegistry } from '@d2/sandbox/registry';
import { runActionBundle } from '@d2/sandbox/runner';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';

const TOKEN = 'receiver-token-5f1e9a7c';
const unmasked = (s: string) =>
  s
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');

describe('push-artifact notify-receivers (adversarial)', () => {
  let registry: SandboxRegistry;
  let receiver: RecordingServer;
  let base: string;
  const seen: Array<{ url: string; headers: IncomingHttpHeaders; body: string; tagAtArrival?: string }> = [];
  let watchTag: string | undefined;
  const dirs: string[] = [];

  const tagDigest = async (repo: string, tag: string): Promise<string | undefined> => {
    const r = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    return r.ok ? (r.headers.get('docker-content-digest') ?? undefined) : undefined;
  };

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'anonymous' });
    receiver = await startRecordingServer(async (req, body) => {
      seen.push({ url: req.url ?? '', headers: req.headers, body, tagAtArrival: watchTag ? await tagDigest(watchTag, 'latest') : undefined });
    });
    base = receiver.base;
  });
  afterAll(async () => {
    await receiver?.stop();
    await registry?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const workspace = (content: string) => {
    const ws = mkdtempSync(join(tmpdir(), 'd2-rcv-ws-'));
    dirs.push(ws);
    mkdirSync(join(ws, 'components/app'), { recursive: true });
    writeFileSync(join(ws, 'components/app/cm.yaml'), content);
    return ws;
  };
  const push = (ws: string, repo: string, inputs: Record<string, string>, env: Record<string, string> = {}) =>
    runActionBundle('push-artifact', { workspace: ws, repository: 'acme/d2-apps', inputs: { repository: `${registry.host}/${repo}`, path: 'components/app', 'diff-tag': 'latest', sign: 'false', ...inputs }, env });

  it('notifies after the tag moved, with flux\'s path and signature; an unchanged artifact notifies nobody; the token is never printed', async () => {
    const repo = 'acme/notify/app';
    watchTag = repo;
    seen.length = 0;
    const ws = workspace('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n');
    const lines = `${base}/staging apps/podinfo generic-hmac\n${base}/prod flux-system/apps token=PROD_TOKEN`;
    const r = await push(ws, repo, { 'notify-receivers': lines, 'receiver-token': TOKEN }, { PROD_TOKEN: `${TOKEN}-prod` });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(seen).toHaveLength(2);
    const [staging, prod] = seen;
    expect(staging.url).toBe(`/staging/hook/${createHash('sha256').update(`${TOKEN}podinfoapps`).digest('hex')}`);
    expect(staging.headers['x-signature']).toBe(`sha256=${createHmac('sha256', TOKEN).update(staging.body).digest('hex')}`);
    expect(prod.url).toBe(`/prod/hook/${createHash('sha256').update(`${TOKEN}-prodappsflux-system`).digest('hex')}`);
    expect(prod.headers['x-signature']).toBeUndefined();
    expect(JSON.parse(staging.body)).toEqual({ artifacts: [{ repository: `${registry.host}/${repo}`, digest: r.outputs.digest, tags: ['latest'] }] });
    // The tag had moved before the Receiver heard of it.
    expect(staging.tagAtArrival).toBe(r.outputs.digest);
    expect(JSON.parse(r.outputs.notified)).toEqual([
      { receiver: `Receiver apps/podinfo at ${base}/staging`, ok: true, status: 200 },
      { receiver: `Receiver flux-system/apps at ${base}/prod`, ok: true, status: 200 },
    ]);
    const visible = [unmasked(r.stdout), r.stderr, r.summary, JSON.stringify(r.outputs)].join('\n');
    for (const secret of [TOKEN, `${TOKEN}-prod`, staging.url.split('/').pop() as string, prod.url.split('/').pop() as string]) expect(visible).not.toContain(secret);
    expect(r.stdout).toContain(`::add-mask::${TOKEN}`);

    const again = await push(ws, repo, { 'notify-receivers': lines, 'receiver-token': TOKEN }, { PROD_TOKEN: `${TOKEN}-prod` });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.outputs.pushed).toBe('false');
    expect(seen).toHaveLength(2);
    expect(again.outputs.notified).toBe('[]');
  });

  it('bad receiver input fails before anything is pushed', async () => {
    const repo = 'acme/notify/bad';
    const ws = workspace('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ 'notify-receivers': 'http://flux-webhook.example.com flux-system/apps', 'receiver-token': TOKEN }, /line 1: http:\/\/flux-webhook.example.com is not https/],
      [{ 'notify-receivers': `${base} flux-system/apps generic-oidc`, 'receiver-token': TOKEN }, /line 1: unknown field 'generic-oidc'/],
      [{ 'notify-receivers': `${base} flux-system/apps` }, /line 1: no token for Receiver flux-system\/apps/],
      [{ 'notify-receivers': `# staging\n${base} Apps`, 'receiver-token': TOKEN }, /line 2: 'Apps' is not <namespace>\/<name>/],
      [{ 'notify-receivers': `https://user:pw@hooks.example.com flux-system/apps`, 'receiver-token': TOKEN }, /must not contain credentials/],
    ];
    for (const [inputs, expected] of cases) {
      const r = await push(ws, repo, inputs);
      expect(r.exitCode).toBe(1);
      expect(r.errors.join('\n')).toMatch(expected);
      expect(unmasked(r.stdout)).not.toContain(TOKEN);
    }
    expect(await tagDigest(repo, 'latest')).toBeUndefined();
  });

  it('an unreachable Receiver is a warning after the push; the tag stays moved', async () => {
    const repo = 'acme/notify/unreachable';
    const ws = workspace('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
    // A loopback port nobody listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await push(ws, repo, { 'notify-receivers': `http://127.0.0.1:${port} flux-system/apps`, 'receiver-token': TOKEN });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.warnings.join('\n')).toMatch(/could not notify Receiver flux-system\/apps at http:\/\/127.0.0.1:\d+ after 3 attempt\(s\): connection failed/);
    expect(JSON.parse(r.outputs.notified)).toEqual([{ receiver: `Receiver flux-system/apps at http://127.0.0.1:${port}`, ok: false, status: 0 }]);
    expect(await tagDigest(repo, 'latest')).toBe(r.outputs.digest);
  });

  it('release-artifact notifies after the version and stable tags moved', async () => {
    const ws = workspace('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rel\n');
    watchTag = undefined;
    seen.length = 0;
    const r = await runActionBundle('release-artifact', {
      workspace: ws,
      repository: 'acme/d2-apps',
      ref: 'refs/tags/app/v1.2.3',
      inputs: { repository: `${registry.host}/acme/release/{component}`, sign: 'false', 'notify-receivers': `${base}/prod flux-system/apps generic-hmac`, 'receiver-token': TOKEN },
    });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(seen).toHaveLength(1);
    expect(JSON.parse(seen[0].body)).toEqual({ artifacts: [{ repository: `${registry.host}/acme/release/app`, digest: r.outputs.digest, tags: r.outputs.tags.split(',') }] });
    expect(seen[0].headers['x-signature']).toBe(`sha256=${createHmac('sha256', TOKEN).update(seen[0].body).digest('hex')}`);
    expect(await tagDigest('acme/release/app', 'latest-stable')).toBe(r.outputs.digest);
    expect(unmasked(r.stdout) + r.summary).not.toContain(TOKEN);
  });
});
