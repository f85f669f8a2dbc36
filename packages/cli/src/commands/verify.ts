import { InputError } from '@d2/core';
import { exactRegExp } from '@d2/core/sign';
import { verifyArtifact } from '@d2/core/verify';
import { EXIT_OK, requirePositional, str, type Command } from '../cli.js';
import { REGISTRY_HELP, parseOci, registryClient, registryOptions, repoOf, timeBudget } from '../wiring.js';

const USAGE = 'd2 verify oci://<host>/<repo>@<digest>|:<tag> --certificate-identity-regexp R --certificate-oidc-issuer-regexp R [--trusted-root FILE]';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'Verify an artifact signature exactly as Flux (cosign provider) and cosign do',
  usage: USAGE,
  help: `Checks what cosign v3 and Flux ≥ 2.8 check (docs/signing.md): the sigstore bundle referrers first, and only
them when any exists; else every layer of the legacy sha256-<hex>.sig (payload digest = manifest digest, signature
with the certificate key, Rekor SET by logID, chain to a trusted Fulcio root, SCT, validity at integratedTime). The
certificate SAN and issuer must match the regexes (Go RE2 semantics, like Flux's matchOIDCIdentity).

  --certificate-identity-regexp R        SAN regex (Flux matchOIDCIdentity.subject)
  --certificate-oidc-issuer-regexp R     issuer regex (Flux matchOIDCIdentity.issuer)
  --certificate-identity S               exact SAN instead of a regex
  --certificate-oidc-issuer S            exact issuer instead of a regex
  --trusted-root FILE                    trusted_root.json (default: the public-good root through TUF)
  --format legacy|bundle                 only look at one signature format
${REGISTRY_HELP}

Exit codes: 0 verified, 1 verification failed (the failing check is named) or the registry failed, 2 usage or input
error (e.g. an invalid regex).

Example (D2 production identity):
  d2 verify oci://ghcr.io/org/apps/frontend:latest-stable \\
    --certificate-identity-regexp '^https://github\\.com/org/apps/\\.github/workflows/release-artifact\\.yaml@refs/tags/.*$' \\
    --certificate-oidc-issuer-regexp '^https://token\\.actions\\.githubusercontent\\.com$'`,
  options: {
    ...registryOptions,
    'certificate-identity-regexp': { type: 'string' },
    'certificate-oidc-issuer-regexp': { type: 'string' },
    'certificate-identity': { type: 'string' },
    'certificate-oidc-issuer': { type: 'string' },
    'trusted-root': { type: 'string' },
    format: { type: 'string' },
  },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const ref = parseOci(requirePositional(ctx, 0, 'the artifact (oci://host/repo@digest or :tag)', USAGE));
    const exactId = str(ctx, 'certificate-identity');
    const exactIssuer = str(ctx, 'certificate-oidc-issuer');
    const subjectRegExp = str(ctx, 'certificate-identity-regexp') ?? (exactId !== undefined ? exactRegExp(exactId) : undefined);
    const issuerRegExp = str(ctx, 'certificate-oidc-issuer-regexp') ?? (exactIssuer !== undefined ? exactRegExp(exactIssuer) : undefined);
    if (!subjectRegExp) throw new InputError('--certificate-identity-regexp (or --certificate-identity) is required', 'Flux and cosign refuse keyless verification without an identity');
    if (!issuerRegExp) throw new InputError('--certificate-oidc-issuer-regexp (or --certificate-oidc-issuer) is required', "for GitHub Actions: '^https://token\\.actions\\.githubusercontent\\.com$'");
    const format = str(ctx, 'format');
    if (format !== undefined && format !== 'legacy' && format !== 'bundle') throw new InputError(`--format must be legacy or bundle, got '${format}'`);
    if (!ref.digest && !ref.tag) throw new InputError(`'${ctx.positionals[0]}' has no tag or digest`, 'use oci://host/repo@sha256:… or oci://host/repo:tag');
    const repo = repoOf(ref, ctx.values.insecure === true);
    const client = registryClient(ctx, [ref.registry]);
    let digest = ref.digest;
    if (!digest) {
      const head = await client.headManifest(repo, ref.tag as string);
      if (!head) throw new InputError(`${ref.registry}/${ref.repository}:${ref.tag} does not exist`);
      digest = head.digest;
    }
    const result = await verifyArtifact({
      registry: client,
      repo,
      digest,
      identity: { subjectRegExp, issuerRegExp },
      trustedRoot: str(ctx, 'trusted-root') ?? ctx.env.D2_TRUSTED_ROOT,
      ...(format ? { format } : {}),
    });
    client.close();
    const name = `${ref.registry}/${ref.repository}`;
    ctx.result(
      { ...result, reference: ctx.positionals[0], digest, digestUrl: `${name}@${digest}` },
      `verified ${name}@${digest} (${result.format}): ${result.identity} (issuer ${result.issuer}, Rekor log index ${result.logIndex})`,
    );
    return EXIT_OK;
  },
};
