/**
 * Commit signing guarantees (docs/image-automation.md "Commit signing"):
 * - the signing key and its passphrase never reach the log, the job summary, the outputs or an error: every line of
 *   the key is registered as a secret (the runner masks single lines) and redacted from what the step writes, also
 *   when the run fails;
 * - a commit whose signing fails is never pushed: the engine signs before the push, and a failing signer leaves the
 *   push branch where it was (not created, or at its old tip) with the error reported.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directTarget, runImageUpdate } from '@d2/core/image-automation';
import type { CommitSigner } from '@d2/core/git';
import { RegistryClient } from '@d2/core/oci';
import { gpgKey, startUpdateWorld, unmasked, type UpdateWorld } from '../actions/e2e-update/update-fixture.js';

describe('commit signing (adversarial)', () => {
  let w: UpdateWorld;
  let key: { privateKey: string; publicKey: string };
  const passphrase = 'Sig-Pass-9f8e7d';
  beforeAll(async () => {
    w = await startUpdateWorld();
    key = gpgKey(w.tmp(), passphrase);
  });
  afterAll(async () => w?.stop());

  /** The base64 lines of the armored key: each is secret material. */
  const keyLines = () =>
    key.privateKey
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length >= 8 && !l.startsWith('-----'));

  it('the signing key and passphrase are masked and never printed, in a successful run and in failing ones', async () => {
    await w.createRepo('adv-sign-log');
    await w.release('adv-sign-log', '1.1.0');
    const extra = '      signingKey:\n        secretRef:\n          name: flux-signing\n';
    const runs = [
      await w.runFleet(w.cluster('adv-sign-log', { commitExtra: extra }), { 'signing-key': key.privateKey, 'signing-passphrase': passphrase }),
      // Fails after signing is set up: a push to a repository that does not exist.
      await w.runFleet(w.cluster('adv-sign-missing', { commitExtra: extra }), { 'signing-key': key.privateKey, 'signing-passphrase': passphrase }),
      // Fails while reading the key: the wrong passphrase (the passphrase given is secret too).
      await w.runFleet(w.cluster('adv-sign-log', { commitExtra: extra }), { 'signing-key': key.privateKey, 'signing-passphrase': `${passphrase}-wrong` }),
      await w.runDirect('adv-sign-log', { 'signing-key': key.privateKey, 'signing-passphrase': `${passphrase}-wrong` }),
    ];
    expect(runs.map((r) => r.exitCode)).toEqual([0, 1, 1, 1]);
    const lines = keyLines();
    expect(lines.length).toBeGreaterThan(10);
    for (const [i, r] of runs.entries()) {
      const masks = r.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
      for (const l of lines) expect(masks).toContain(`::add-mask::${l}`);
      expect(masks).toContain(`::add-mask::${i < 2 ? passphrase : `${passphrase}-wrong`}`);
      const visible = [unmasked(r.stdout), r.stderr, r.summary, JSON.stringify(r.outputs), r.errors.join('\n')].join('\n');
      for (const l of lines) expect(visible).not.toContain(l);
      expect(visible).not.toContain(passphrase);
    }
  });

  it('a signing failure pushes nothing: the push branch is neither created nor moved', async () => {
    await w.createRepo('adv-sign-fail');
    await w.release('adv-sign-fail', '1.1.0');
    const registry = new RegistryClient({});
    const target = directTarget({ repository: `${w.server.url}/acme/adv-sign-fail.git`, policiesPath: 'policies', namespace: 'apps', updatePath: 'components', authorEmail: 'bot@example.com' });
    let calls = 0;
    const failing: CommitSigner = {
      type: 'gpg',
      description: 'a key on a removed token',
      sign: () => {
        calls++;
        return Promise.reject(new Error('signing device removed'));
      },
    };
    const gitOptions = () => ({ auth: { token: w.server.token } });
    try {
      const first = await runImageUpdate({ targets: [target] }, { registry, gitOptions, signer: () => failing });
      expect(calls).toBe(1);
      expect(first.commits).toEqual([]);
      expect(first.errors[0]?.message).toContain('signing device removed');
      expect(w.rev('adv-sign-fail', 'refs/heads/image-updates')).toBeUndefined();
      // With an existing branch: an unsigned run creates it, a later failing signature leaves its tip alone.
      const ok = await runImageUpdate({ targets: [target] }, { registry, gitOptions });
      const tip = w.rev('adv-sign-fail', 'refs/heads/image-updates');
      expect(ok.commits).toEqual([{ repository: target.repository, branch: 'image-updates', sha: tip }]);
      await w.release('adv-sign-fail', '1.2.0');
      const second = await runImageUpdate({ targets: [target] }, { registry, gitOptions, signer: () => failing });
      expect(calls).toBe(2);
      expect(second.commits).toEqual([]);
      expect(second.errors).toHaveLength(1);
      expect(w.rev('adv-sign-fail', 'refs/heads/image-updates')).toBe(tip);
      expect(w.bare('adv-sign-fail', 'show', 'refs/heads/image-updates:components/frontend/deploy.yaml')).toContain(':1.1.0');
    } finally {
      registry.close();
    }
  });
});
