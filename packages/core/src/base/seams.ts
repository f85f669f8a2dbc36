/**
 * The interfaces behind the seams that providers plug into (docs/architecture.md, "How to add a registry provider /
 * identity / forge"). They live in the lower layer so that a provider's folder imports only base/, errors and util,
 * never the domain that registers it.
 */

/** What a registry is sent: basic credentials, an OAuth2 refresh token or a bearer token. */
export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker config `identitytoken`, helper Username `<token>`). */
  identityToken?: string;
  /** Sent directly as Bearer (docker config `registrytoken`). */
  registryToken?: string;
}

/** Registry host → credentials. */
export interface CredentialProvider {
  /** Credentials for a registry host (as in Reference.registry), or undefined for anonymous. */
  get(registry: string): Promise<Credentials | undefined>;
}

/** An OIDC identity token (what `@sigstore/sign` calls to get one). */
export interface IdentityProvider {
  getToken(): Promise<string>;
}
