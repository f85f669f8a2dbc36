import type { CredentialProvider, Credentials } from '../../base/index.js';
import { empty, sameRegistry } from './shared/common.js';

/** Fixed credentials per registry host (Docker Hub aliases match each other). */
export class StaticCredentials implements CredentialProvider {
  private readonly entries: [string, Credentials][];

  constructor(entries: Record<string, Credentials>) {
    this.entries = Object.entries(entries);
  }

  /** The same credentials for exactly one registry. */
  static for(registry: string, credentials: Credentials): StaticCredentials {
    return new StaticCredentials({ [registry]: credentials });
  }

  get(registry: string): Promise<Credentials | undefined> {
    const hit = this.entries.find(([k]) => sameRegistry(k, registry));
    return Promise.resolve(hit && !empty(hit[1]) ? { ...hit[1] } : undefined);
  }
}
