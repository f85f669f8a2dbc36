import { assertDigest, dockerReference, goJSON, IN_TOTO_STATEMENT_TYPE, type Repository } from '../base/index.js';

/**
 * An in-toto Statement v1 about one artifact: the subject is the repository (as cosign names it) and the manifest
 * digest, the digest Flux resolves and every verifier checks (docs/attestations.md, "The statement").
 */
export function inTotoStatement(repo: Repository, digest: string, predicateType: string, predicate: unknown): Buffer {
  assertDigest(digest);
  const [alg, hex] = digest.split(':');
  return Buffer.from(goJSON({ _type: IN_TOTO_STATEMENT_TYPE, subject: [{ name: dockerReference(repo), digest: { [alg]: hex } }], predicateType, predicate }), 'utf8');
}
