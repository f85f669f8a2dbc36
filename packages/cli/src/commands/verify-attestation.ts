import { InputError, clip } from '@d2/core';
import { CYCLONEDX_PREDICATE_TYPE, OPENVEX_PREDICATE_TYPE, SLSA_PROVENANCE_V1, SPDX_PREDICATE_TYPE } from '@d2/core/attest';
import { exactRegExp } from '@d2/core/sign';
import { verifyAttestations } from '@d2/core/verify';
import { EXIT_OK, requirePositional, str, type Command } from '../cli.js';
import { REGISTRY_HELP, parseOci, registryClient, registryOptions, repoOf, timeBudget } from '../wiring.js';

const USAGE =
  'd2 verify-attestation oci://<host>/<repo>@<digest>|:<tag> --type slsaprovenance|cyclonedx|spdx|openvex --certificate-identity-regexp R --certificate-oidc-issuer-regexp R [--trusted-root FILE]';

/**
 * The predicate types each `--type` accepts. cosign's `openvex` is the unversioned namespace; D2 writes OpenVEX v0.2.0,
 * so both are accepted. Any other value is taken as a predicate type URI, as cosign does.
 */
export const ATTESTATION_TYPE_NAMES: Record<string, string[]> = {
  slsaprovenance: [SLSA_PROVENANCE_V1],
  slsaprovenance1: [SLSA_PROVENANCE_V1],
  cyclonedx: [CYCLONEDX_PREDICATE_TYPE],
  spdx: [SPDX_PREDICATE_TYPE],
  spdxjson: [SPDX_PREDICATE_TYPE],
  openvex: [OPENVEX_PREDICATE_TYPE, 'https://openvex.dev/ns'],
};

export function predicateTypesFor(type: string): string[] {
  const known = ATTESTATION_TYPE_NAMES[type];
  if (known) return known;
  if (/^https?:\/\/[^\s/]+\/\S*$/.test(type)) return [type];
  throw new InputError(`--type '${clip(type)}' is not an attestation type`, `use one of ${Object.keys(ATTESTATION_TYPE_NAMES).join(', ')}, or a predicate type URI`);
}

export const verifyAttestationCommand: Command = {
  name: 'verify-attestation',
  summary: 'Verify an artifact attestation (provenance, SBOM, VEX) as cosign verify-attestation does and print its predicate',
  usage: USAGE,
  help: `Checks what cosign v3 verify-attestation checks (docs/attestations.md, "Verifying"): every sigstore bundle
referrer of the manifest whose in-toto statement has the predicate type of --type is verified (Rekor entry, chain to a
trusted Fulcio root, SCT, DSSE signature, the manifest digest among the statement's subjects) and its certificate SAN
and issuer must match the regexes (Go RE2 semantics). Prints the predicate of the first one that verifies (text), or
every verified statement (-o json).

  --type T                               slsaprovenance (SLSA v1), cyclonedx, spdx, openvex, or a predicate type URI
  --certificate-identity-regexp R        SAN regex
  --certificate-oidc-issuer-regexp R     issuer regex
  --certificate-identity S               exact SAN instead of a regex
  --certificate-oidc-issuer S            exact issuer instead of a regex
  --trusted-root FILE                    trusted_root.json (default: the public-good root through TUF)
${REGISTRY_HELP}

Exit codes: 0 verified, 1 no attestation of the type or none verifies (the failing check is named), 2 usage or input
error.

Example:
  d2 verify-attestation oci://ghcr.io/org/fleet:latest-stable --type slsaprovenance \\
    --certificate-identity-regexp '^https://github\\.com/org/fleet/\\.github/workflows/release\\.yaml@refs/tags/.*$' \\
    --certificate-oidc-issuer-regexp '^https://token\\.actions\\.githubusercontent\\.com$'`,
  options: {
    ...registryOptions,
    type: { type: 'string' },
    'certificate-identity-regexp': { type: 'string' },
    'certificate-oidc-issuer-regexp': { type: 'string' },
    'certificate-identity': { type: 'string' },
    'certificate-oidc-issuer': { type: 'string' },
    'trusted-root': { type: 'string' },
  },
  async run(ctx) {
    timeBudget(ctx);
    const ref = parseOci(requirePositional(ctx, 0, 'the artifact (oci://host/repo@digest or :tag)', USAGE));
    const type = str(ctx, 'type');
    if (!type) throw new InputError('--type is required', `one of ${Object.keys(ATTESTATION_TYPE_NAMES).join(', ')}`);
    const predicateTypes = predicateTypesFor(type);
    const exactId = str(ctx, 'certificate-identity');
    const exactIssuer = str(ctx, 'certificate-oidc-issuer');
    const subjectRegExp = str(ctx, 'certificate-identity-regexp') ?? (exactId !== undefined ? exactRegExp(exactId) : undefined);
    const issuerRegExp = str(ctx, 'certificate-oidc-issuer-regexp') ?? (exactIssuer !== undefined ? exactRegExp(exactIssuer) : undefined);
    if (!subjectRegExp) throw new InputError('--certificate-identity-regexp (or --certificate-identity) is required', 'keyless verification needs the identity of the signer');
    if (!issuerRegExp) throw new InputError('--certificate-oidc-issuer-regexp (or --certificate-oidc-issuer) is required', "for GitHub Actions: '^https://token\\.actions\\.githubusercontent\\.com$'");
    if (!ref.digest && !ref.tag) throw new InputError(`'${clip(ctx.positionals[0])}' has no tag or digest`, 'use oci://host/repo@sha256:… or oci://host/repo:tag');
    const repo = repoOf(ref, ctx.values.insecure === true);
    const client = registryClient(ctx, [ref.registry]);
    try {
      let digest = ref.digest;
      if (!digest) {
        const head = await client.headManifest(repo, ref.tag as string);
        if (!head) throw new InputError(`${ref.registry}/${ref.repository}:${ref.tag} does not exist`);
        digest = head.digest;
      }
      const verified = await verifyAttestations({
        registry: client,
        repo,
        digest,
        predicateTypes,
        identity: { subjectRegExp, issuerRegExp },
        trustedRoot: str(ctx, 'trusted-root') ?? ctx.env.D2_TRUSTED_ROOT,
      });
      const name = `${ref.registry}/${ref.repository}`;
      const first = verified[0];
      ctx.log(`verified ${verified.length} ${first.predicateType} attestation(s) of ${name}@${digest}: ${first.identity} (issuer ${first.issuer}, Rekor log index ${first.logIndex})`);
      ctx.result(
        {
          verified: true,
          reference: ctx.positionals[0],
          digest,
          digestUrl: `${name}@${digest}`,
          attestations: verified.map((v) => ({ predicateType: v.predicateType, referrerDigest: v.referrerDigest, identity: v.identity, issuer: v.issuer, logIndex: v.logIndex, statement: v.statement })),
        },
        JSON.stringify(first.predicate, null, 2),
      );
      return EXIT_OK;
    } finally {
      client.close();
    }
  },
};
