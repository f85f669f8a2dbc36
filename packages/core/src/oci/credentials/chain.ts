import type { CredentialProvider, Credentials } from '../../base/index.js';
import { empty } from './shared/common.js';

/** The first provider that has credentials for the registry wins. */
export class ChainCredentials implements CredentialProvider {
  private readonly providers: CredentialProvider[];

  constructor(providers: (CredentialProvider | undefined)[]) {
    this.providers = providers.filter((p): p is CredentialProvider => p !== undefined);
  }

  async get(registry: string): Promise<Credentials | undefined> {
    for (const p of this.providers) {
      const c = await p.get(registry);
      if (!empty(c)) return c;
    }
    return undefined;
  }
}
