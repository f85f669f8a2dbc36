/**
 * SLSA provenance v1 for a published artifact, per CI system behind one seam (docs/attestations.md, "Provenance").
 *
 * GitHub Actions: the predicate `actions/attest-build-provenance` produces, field for field (build type
 * `https://actions.github.io/buildtypes/workflow/v1`): external parameters = the workflow (ref, repository URL, path),
 * internal parameters = the event name, repository and owner ids and runner environment, resolved dependencies = the
 * source commit, builder id = the job's workflow file at its ref, invocation id = the run and its attempt.
 *
 * Why not `@actions/attest`'s `buildSLSAProvenancePredicate`: it fetches a fresh OIDC token itself and verifies it
 * against the issuer's JWKS over the network, reads `process.env`, and brings a second, older `@sigstore/sign`. The
 * values are the same token claims; here they come from the token the signer is given (the one Fulcio verifies and
 * certifies), so the provenance and the certificate describe the same run, and the build is a pure function.
 *
 * Another CI system plugs in by adding a factory to PROVENANCE_BUILDERS; without one, `provenance` is refused.
 */
import { D2Error, InputError } from '../errors.js';
import { GITHUB_WORKFLOW_BUILD_TYPE } from './types.js';

type Env = Record<string, string | undefined>;
type Claims = Record<string, unknown>;

/** Builds the provenance predicate of one run from the claims of its OIDC token and its environment. */
export interface ProvenanceBuilder {
  /** The CI system, for messages. */
  readonly ci: string;
  predicate(claims: Claims): Record<string, unknown>;
}

/** Returns a builder when `env` is a run of its CI system, else undefined. */
export type ProvenanceBuilderFactory = (env: Env) => ProvenanceBuilder | undefined;

/** GitHub Actions (the runner sets GITHUB_ACTIONS=true). */
export const githubProvenanceBuilder: ProvenanceBuilderFactory = (env) => {
  if (env.GITHUB_ACTIONS !== 'true') return undefined;
  const serverURL = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
  return { ci: 'GitHub Actions', predicate: (claims) => githubProvenance(claims, serverURL) };
};

/** In order of precedence. */
export const PROVENANCE_BUILDERS: ReadonlyMap<string, ProvenanceBuilderFactory> = new Map([['github-actions', githubProvenanceBuilder]]);

/** The provenance builder of the CI system `env` belongs to; `provenance` outside a known CI is an input error. */
export function resolveProvenanceBuilder(env: Env, builders: ReadonlyMap<string, ProvenanceBuilderFactory> = PROVENANCE_BUILDERS): ProvenanceBuilder {
  for (const factory of builders.values()) {
    const b = factory(env);
    if (b) return b;
  }
  throw new InputError(
    `the 'provenance' attestation needs a CI system D2 can describe (${[...builders.keys()].join(', ')}); this run is in none of them`,
    'run the publish in GitHub Actions (GITHUB_ACTIONS=true), or drop provenance from attestations',
  );
}

function claim(claims: Claims, name: string): string {
  const v = claims[name];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  throw new D2Error(`the OIDC token has no '${name}' claim, which SLSA provenance of a GitHub Actions run needs`, {
    code: 'ATTESTATION_FAILED',
    hint: 'provenance is built from the GitHub Actions OIDC token: run with `permissions: id-token: write` and without SIGSTORE_ID_TOKEN from another issuer',
  });
}

/** The `actions/attest-build-provenance` predicate from GitHub Actions token claims. */
export function githubProvenance(claims: Claims, serverURL = 'https://github.com'): Record<string, unknown> {
  const repository = claim(claims, 'repository');
  const ref = claim(claims, 'ref');
  // owner/repo/.github/workflows/main.yml@refs/heads/main → .github/workflows/main.yml
  const workflowPath = claim(claims, 'workflow_ref').replace(`${repository}/`, '').split('@')[0];
  return {
    buildDefinition: {
      buildType: GITHUB_WORKFLOW_BUILD_TYPE,
      externalParameters: {
        workflow: { ref, repository: `${serverURL}/${repository}`, path: workflowPath },
      },
      internalParameters: {
        github: {
          event_name: claim(claims, 'event_name'),
          repository_id: claim(claims, 'repository_id'),
          repository_owner_id: claim(claims, 'repository_owner_id'),
          runner_environment: claim(claims, 'runner_environment'),
        },
      },
      resolvedDependencies: [{ uri: `git+${serverURL}/${repository}@${ref}`, digest: { gitCommit: claim(claims, 'sha') } }],
    },
    runDetails: {
      builder: { id: `${serverURL}/${claim(claims, 'job_workflow_ref')}` },
      metadata: { invocationId: `${serverURL}/${repository}/actions/runs/${claim(claims, 'run_id')}/attempts/${claim(claims, 'run_attempt')}` },
    },
  };
}
