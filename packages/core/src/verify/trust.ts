/**
 * Trust material for verification (Rekor keys, Fulcio roots, CT log keys, TSAs): a `trusted_root.json` (object or
 * file path), or by default the public-good root through TUF (`@sigstore/tuf`, which needs network access).
 */
import { readFileSync } from 'node:fs';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { D2Error } from '../errors.js';

/** A trusted root as a parsed JSON object or a path to `trusted_root.json`; undefined = public-good via TUF. */
export type TrustedRootInput = object | string | undefined;

export interface LoadedTrust {
  root: TrustedRoot;
  material: TrustMaterial;
}

export async function loadTrust(input: TrustedRootInput, opts: { tufCachePath?: string } = {}): Promise<LoadedTrust> {
  let root: TrustedRoot;
  if (input === undefined) {
    try {
      root = await getTrustedRoot(opts.tufCachePath ? { cachePath: opts.tufCachePath } : {});
    } catch (err) {
      throw new D2Error('could not load the public-good Sigstore trusted root through TUF', {
        code: 'VERIFY_TRUST',
        cause: err,
        hint: 'check network access to the Sigstore TUF repository, or pass a trusted_root.json (--trusted-root)',
      });
    }
  } else {
    let json: unknown = input;
    if (typeof input === 'string') {
      try {
        json = JSON.parse(readFileSync(input, 'utf8'));
      } catch (err) {
        throw new D2Error(`cannot read the trusted root '${input}'`, { code: 'INPUT_INVALID', cause: err, hint: 'pass a trusted_root.json file' });
      }
    }
    try {
      root = TrustedRoot.fromJSON(json);
    } catch (err) {
      throw new D2Error('the trusted root is not a valid trusted_root.json', { code: 'INPUT_INVALID', cause: err });
    }
  }
  if (!root.certificateAuthorities.length || !root.tlogs.length) {
    throw new D2Error('the trusted root lists no certificate authority or no transparency log', {
      code: 'INPUT_INVALID',
      hint: 'a keyless trusted_root.json needs certificateAuthorities, tlogs and ctlogs',
    });
  }
  return { root, material: toTrustMaterial(root) };
}
