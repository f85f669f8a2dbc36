import { InputError } from '@d2/core';
import { fluxVerifyBlock, generalisedIdentityRegExp } from '@d2/core/sign';
import { EXIT_OK, requirePositional, type Command } from '../cli.js';
import { REGISTRY_HELP, SIGN_HELP, parseOci, registryOptions, repoOf, signOptions, timeBudget, wireSigning } from '../wiring.js';

const USAGE = 'd2 sign oci://<host>/<repo>@<digest> [--signature-format legacy|bundle|both]';

export const signCommand: Command = {
  name: 'sign',
  summary: 'Sign an artifact keylessly (cosign-compatible) and verify the signature as Flux would',
  usage: USAGE,
  help: `Signs the manifest digest with a short-lived Fulcio certificate for the OIDC identity, logs it in Rekor and stores
it as cosign does (docs/signing.md): the legacy sha256-<hex>.sig tag (appended to, never replaced) and/or a
DSSE bundle referrer. A tag reference is resolved to its digest first (prefer a digest: it cannot move under you).
Then the signature is verified with the exact identity it was made with (--skip-verify to skip).

${SIGN_HELP}
${REGISTRY_HELP}

Exit codes: 0 signed (and verified), 1 Sigstore, the registry or the verification failed, 2 usage or input error
(including: no OIDC token).

Examples:
  d2 sign oci://ghcr.io/org/apps/frontend@sha256:…             # inside GitHub Actions (id-token: write)
  SIGSTORE_ID_TOKEN=$SIGSTORE_ID_TOKEN d2 sign oci://registry.gitlab.com/org/app@sha256:…   # GitLab CI id_tokens`,
  options: { ...registryOptions, ...signOptions },
  async run(ctx) {
    timeBudget(ctx); // rejects a bad --timeout first, and starts the command's time limit
    const ref = parseOci(requirePositional(ctx, 0, 'the artifact to sign (oci://host/repo@digest)', USAGE));
    if (!ref.digest && !ref.tag) throw new InputError(`'${ctx.positionals[0]}' has no digest`, 'use oci://host/repo@sha256:… (or :tag, resolved now)');
    const repo = repoOf(ref, ctx.values.insecure === true);
    const { client, signer, verifier: verify } = await wireSigning(ctx, [ref.registry]);
    let digest = ref.digest;
    if (!digest) {
      const head = await client.headManifest(repo, ref.tag as string);
      if (!head) throw new InputError(`${ref.registry}/${ref.repository}:${ref.tag} does not exist`);
      digest = head.digest;
      ctx.log(`  resolved :${ref.tag} to ${digest}`);
    } else if (!(await client.headManifest(repo, digest))) {
      throw new InputError(`${ref.registry}/${ref.repository}@${digest} does not exist`, 'push it first (d2 push)');
    }
    const signed = await signer.sign(repo, digest);
    ctx.log(`  signed ${ref.registry}/${ref.repository}@${digest} as ${signed.certificateIdentity} (Rekor log index ${signed.rekorLogIndex})`);
    if (verify) await verify(repo, digest, signed);
    client.close();
    const result = {
      digest,
      digestUrl: `${ref.registry}/${ref.repository}@${digest}`,
      signature: signed.signature,
      rekorLogIndex: signed.rekorLogIndex,
      certificateIdentity: signed.certificateIdentity,
      certificateOidcIssuer: signed.certificateOidcIssuer,
      format: signed.format,
      ...(signed.bundleReferrer ? { bundleReferrer: signed.bundleReferrer } : {}),
      verified: !!verify,
      fluxVerify: fluxVerifyBlock(signed.certificateIdentity, signed.certificateOidcIssuer, { subjectRegExp: generalisedIdentityRegExp(signed.certificateIdentity) }),
    };
    ctx.result(result, `${result.signature}\n\nFlux OCIRepository spec:\n${result.fluxVerify.trimEnd()}`);
    return EXIT_OK;
  },
};
