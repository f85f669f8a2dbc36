/**
 * notify-receivers against the real `flux trigger receiver` (flux ≥ 2.9) as the oracle (docs/receivers.md): for the
 * same Receiver name, namespace, type, token, base URL and payload, our request (packages/core/src/notify) and flux's
 * reach a recording server on 127.0.0.1 with the same method, path, Content-Type, X-Signature and body. The
 * User-Agent differs on purpose (flux/<version> vs d2-actions) and is the only header compared as different.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { notifyReceivers, parseReceivers } from '@d2/core/notify';
import { runTool, toolEnv } from '@d2/sandbox/reference-tools';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { describeConformance } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describeConformance('conformance: flux trigger receiver as oracle (Receiver webhooks)', ['flux'], (tools) => {
  let receiver: RecordingServer;
  let base: string;
  const seen: Seen[] = [];
  beforeAll(async () => {
    receiver = await startRecordingServer((req, body) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    });
    base = receiver.base;
  });
  afterAll(async () => {
    await receiver?.stop();
  });

  const cases = [
    { name: 'apps', namespace: 'flux-system', type: 'generic', token: 'tok-1', path: '', payload: '{}' },
    { name: 'staging-apps', namespace: 'apps', type: 'generic-hmac', token: 'a-longer token with spaces', path: '/base/path', payload: '{"artifacts":[{"repository":"ghcr.io/acme/app","digest":"sha256:0123","tags":["latest"]}]}' },
    { name: 'r.with.dots', namespace: 'team-a', type: 'generic-hmac', token: 'üñí', path: '/x', payload: '{"image":"ghcr.io/org/app:v1.0.0"}' },
  ] as const;

  for (const c of cases) {
    it(`${c.type} ${c.namespace}/${c.name}${c.path ? ` under ${c.path}` : ''}: the same request as flux`, async () => {
      seen.length = 0;
      const url = `${base}${c.path}`;
      const flux = await runTool(tools.flux, ['trigger', 'receiver', c.name, '-n', c.namespace, `--type=${c.type}`, `--token=${c.token}`, `--url=${url}`, `--payload=${c.payload}`, '--retries=0'], { env: toolEnv() });
      expect(flux.code, flux.stderr).toBe(0);
      const [receiver] = parseReceivers(`${url} ${c.namespace}/${c.name} ${c.type} token=TOKEN`, { env: { TOKEN: c.token } });
      const [ours] = await notifyReceivers([receiver], c.payload, { attempts: 1 });
      expect(ours.ok).toBe(true);
      expect(seen).toHaveLength(2);
      const [theirs, mine] = seen;
      expect(mine.method).toBe(theirs.method);
      expect(mine.url).toBe(theirs.url);
      expect(mine.url).toMatch(new RegExp(`^${c.path}/hook/[0-9a-f]{64}$`));
      expect(mine.body).toBe(theirs.body);
      expect(mine.headers['content-type']).toBe(theirs.headers['content-type']);
      expect(mine.headers['x-signature']).toBe(theirs.headers['x-signature']);
      if (c.type === 'generic-hmac') expect(mine.headers['x-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      else expect(mine.headers['x-signature']).toBeUndefined();
      expect(theirs.headers['user-agent']).toMatch(/^flux\//);
      expect(mine.headers['user-agent']).toBe('d2-actions');
    });
  }
});
