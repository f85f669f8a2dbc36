/**
 * What the cloud provider tests against a stand-in (azure, gcp) share: a context that records what the provider masks
 * and every OIDC token it is handed, the check that a failure names no token, a push through the core OCI client
 * with the credentials obtained, and a context for the input checks that may make no request.
 */
import { expect } from 'vitest';
import type { OidcContext, SandboxOidc } from '@d2/sandbox/oidc';
import type { CredentialProvider, Credentials } from '../../../src/base/index.js';
import { D2Error, formatError } from '../../../src/errors.js';
import { RegistryClient } from '../../../src/oci/client.js';
import type { CloudCredentialContext, CloudCredentialFactory, CloudInputs } from '../../../src/oci/credentials/index.js';
import { rejectionOf } from '../../support/failures.js';
import { makeArtifact, OCI_MANIFEST } from '../helpers.js';

/** Where a recording context puts what it is given to mask and the OIDC tokens it issues. */
export interface Recorded {
  masked: string[];
  oidcTokens: string[];
}

/**
 * A context whose idToken issues a sandbox token for `run` (for `audience` when given, else for the audience asked
 * for) and whose mask records into `into`.
 */
export function recordingContext(
  oidc: SandboxOidc,
  into: Recorded,
  o: { registry: string; inputs: CloudInputs; env: Record<string, string>; run: OidcContext; audience?: string },
): CloudCredentialContext {
  return {
    registry: o.registry,
    inputs: o.inputs,
    env: o.env,
    idToken: (aud) => {
      const t = oidc.issueToken(o.run, o.audience ?? aud);
      into.oidcTokens.push(t);
      return Promise.resolve(t);
    },
    mask: (s) => into.masked.push(s),
  };
}

/** The error a failing exchange raises, checked to be a D2Error whose text names none of `secrets()` (read after). */
export async function failureOf(factory: CloudCredentialFactory, ctx: CloudCredentialContext, secrets: () => string[]): Promise<D2Error> {
  const err = await rejectionOf(factory(ctx).get(ctx.registry));
  expect(err).toBeInstanceOf(D2Error);
  const text = formatError(err);
  for (const t of secrets()) expect(text).not.toContain(t);
  return err as D2Error;
}

/** Pushes a small artifact with `creds` to a fresh repository of `registry` and reads its manifest back. */
export async function pushWith(registry: string, creds: Credentials): Promise<void> {
  const client = new RegistryClient({ credentials: { get: () => Promise.resolve(creds) } });
  try {
    const a = makeArtifact(512);
    const repo = { registry, repository: `d2-test/app-${Math.random().toString(36).slice(2, 8)}` };
    const pushed = await client.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] });
    expect(pushed.digest).toBe(a.digest);
    expect((await client.headManifest(repo, 'v1'))?.digest).toBe(a.digest);
  } finally {
    client.close();
  }
}

/** Pushes a small artifact to `registry`/d2-test/short-lived with the credentials `provider` gives. */
export async function pushShortLived(registry: string, provider: CredentialProvider): Promise<void> {
  const client = new RegistryClient({ credentials: provider });
  try {
    const a = makeArtifact(256);
    const repo = { registry, repository: 'd2-test/short-lived' };
    expect((await client.pushImage(repo, { blobs: a.blobs, manifest: { bytes: a.manifest, mediaType: OCI_MANIFEST }, tags: ['v1'] })).digest).toBe(a.digest);
  } finally {
    client.close();
  }
}

/** Contexts for `registry` whose token source, when there is one, fails the test: the input checks make no request. */
export const offlineContext =
  (registry: string) =>
  (inputs: CloudInputs, env: Record<string, string> = {}, idToken = true): CloudCredentialContext => ({
    registry,
    inputs,
    env,
    idToken: idToken ? () => Promise.reject(new Error('no request may be made')) : undefined,
    mask: () => undefined,
  });
