/**
 * Which targets sign their commits, and with what (docs/image-automation.md "Commit signing"). Flux reads the key from
 * the Secret `spec.git.commit.signingKey.secretRef` names; Secrets are not in git, so the action takes the key itself
 * (`signing-key`, `signing-passphrase`). Everything is checked before anything is cloned: a key that does not parse,
 * is protected without a passphrase, or cannot sign is an InputError that never contains the key.
 */
import { InputError } from '../../errors.js';
import { loadCommitSigner, type CommitSigner } from '../../git/index.js';
import type { AutomationTarget } from './fleet.js';

export interface SigningKeyInputs {
  /** The private key (ASCII-armored OpenPGP or SSH); empty = none given. */
  key: string;
  passphrase?: string;
  /** Direct mode: every commit is signed when a key is given (its type is detected from the key). */
  direct: boolean;
}

const label = (t: AutomationTarget) => `ImageUpdateAutomation ${t.automation.namespace}/${t.automation.name}`;

/**
 * The signer of each target: in fleet mode those with `spec.git.commit.signingKey` (its type decides how the key is
 * read), in direct mode all of them when a key is given. Returns undefined for targets that do not sign, and `unused`
 * when a key was given that no target uses.
 */
export async function resolveCommitSigners(targets: readonly AutomationTarget[], inputs: SigningKeyInputs): Promise<{ signerFor: (t: AutomationTarget) => CommitSigner | undefined; unused: boolean }> {
  const key = inputs.key.trim() === '' ? '' : inputs.key;
  const passphrase = inputs.passphrase || undefined;
  if (inputs.direct) {
    if (!key) {
      if (passphrase) throw new InputError("input 'signing-passphrase' is set without 'signing-key'", 'pass the key as signing-key, or remove signing-passphrase');
      return { signerFor: () => undefined, unused: false };
    }
    const signer = await loadCommitSigner({ key, passphrase, source: "input 'signing-key'" });
    return { signerFor: () => signer, unused: false };
  }
  const signing = targets.filter((t) => t.commit.signingKey);
  if (signing.length === 0) {
    if (passphrase && !key) throw new InputError("input 'signing-passphrase' is set without 'signing-key'", 'pass the key as signing-key, or remove signing-passphrase');
    return { signerFor: () => undefined, unused: key !== '' };
  }
  if (!key) {
    const t = signing[0];
    const field = t.commit.signingKey?.type === 'ssh' ? 'identity' : 'git.asc';
    throw new InputError(
      `${label(t)} signs its commits with Secret ${t.automation.namespace}/${t.commit.signingKey?.secretRef}, which is not in git${signing.length > 1 ? ` (and ${signing.length - 1} more automation(s))` : ''}`,
      `pass the Secret's ${field} as the signing-key input (and its ${field === 'identity' ? 'password' : 'passphrase'} as signing-passphrase), e.g. signing-key: \${{ secrets.FLUX_SIGNING_KEY }}`,
    );
  }
  const types = new Set(signing.map((t) => t.commit.signingKey?.type));
  if (types.size > 1) throw new InputError(`the automations sign with both gpg and ssh keys, but signing-key is one key`, 'use one signing key type for every ImageUpdateAutomation of the run, or run them in separate steps');
  const [type] = [...types];
  const signer = await loadCommitSigner({ key, passphrase, type, source: `input 'signing-key' (Secret ${signing[0].automation.namespace}/${signing[0].commit.signingKey?.secretRef}, type ${type})` });
  return { signerFor: (t) => (t.commit.signingKey ? signer : undefined), unused: false };
}
