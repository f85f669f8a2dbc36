/**
 * The attestations of a publish (docs/attestations.md): after the artifact is pushed, signed and verified and before
 * any tag moves, build the requested in-toto statements (provenance, SBOM, VEX), skip the predicate types already
 * attached by the same identity, sign the rest with the signature's keyless identity, attach them, and verify each new
 * one as `cosign verify-attestation` would. Any failure throws, so the caller moves no tag.
 */
import type { TrustMaterial } from '@sigstore/verify';
import { D2Error } from '../errors.js';
import { decodeJwtClaims, expectedSignerIdentity, type IdentityProvider } from '../oidc/index.js';
import { exactRegExp } from '../base/index.js';
import type { ProvenanceBuilder } from './provenance.js';
import { inTotoStatement } from './statement.js';
import {
  CYCLONEDX_PREDICATE_TYPE,
  OPENVEX_PREDICATE_TYPE,
  SLSA_PROVENANCE_V1,
  SPDX_PREDICATE_TYPE,
  type AttestationConfig,
  type AttestationRegistry,
  type AttestationResult,
  type AttestationType,
  type AttestContext,
  type SbomGenerator,
  type StatementSigner,
} from './types.js';

export interface AttestorOptions {
  config: AttestationConfig;
  signer: StatementSigner;
  registry: AttestationRegistry;
  /** The signer's OIDC token source: its claims give the provenance and the identity the idempotence check compares. */
  identity: IdentityProvider;
  /** Required with `provenance` (resolveProvenanceBuilder). */
  provenance?: ProvenanceBuilder;
  /** Required with `sbom`. */
  sbom?: SbomGenerator;
  /** Trust for the idempotence check and the verification of new attestations (loaded once, lazily). */
  trust: () => Promise<TrustMaterial>;
  /** Verify every new attestation before returning (default true). */
  verifyAfterAttest?: boolean;
}

/** The predicate type an attestation type is written with. */
export function predicateTypeOf(type: AttestationType, config: Pick<AttestationConfig, 'sbomFormat'>): string {
  if (type === 'provenance') return SLSA_PROVENANCE_V1;
  if (type === 'vex') return OPENVEX_PREDICATE_TYPE;
  return config.sbomFormat === 'spdx' ? SPDX_PREDICATE_TYPE : CYCLONEDX_PREDICATE_TYPE;
}

/**
 * The verification of attestation bundles (@sigstore/verify), imported when an attestation is checked: this module is
 * reached from the input checks of every publish (its barrel), which a split bundle keeps light (docs/architecture.md,
 * "Action start-up").
 */
const verification = () => import('../verify/index.js');

export class Attestor {
  constructor(private readonly opts: AttestorOptions) {}

  async attest(ctx: AttestContext): Promise<AttestationResult[]> {
    const { config, signer } = this.opts;
    if (config.types.length === 0) return [];
    const base = `${ctx.repo.registry}/${ctx.repo.repository}`;
    const claims = decodeJwtClaims(await this.opts.identity.getToken());
    const identity = expectedSignerIdentity(claims);
    const issuer = typeof claims.iss === 'string' ? claims.iss : undefined;

    // Idempotence: a predicate type already attached by this identity (and verifying) is not attached again.
    const results: AttestationResult[] = [];
    const todo: AttestationType[] = [];
    const existing = identity && issuer ? await this.existing(ctx, identity, issuer) : new Map<string, AttestationResult>();
    if (!identity) ctx.logger.info('the OIDC token does not name the certificate identity in advance: attestations are attached without looking for earlier ones');
    for (const type of config.types) {
      const found = existing.get(predicateTypeOf(type, config));
      if (found) {
        results.push({ ...found, type });
        ctx.logger.info(`${base}@${ctx.digest} already has a ${type} attestation by ${found.certificateIdentity} (${found.referrerDigest})`);
      } else todo.push(type);
    }
    if (todo.length === 0) return results;

    const statements = [];
    for (const type of todo) {
      const predicateType = predicateTypeOf(type, config);
      const predicate = await this.predicate(type, ctx, claims);
      statements.push({ predicateType: predicate.predicateType ?? predicateType, statement: inTotoStatement(ctx.repo, ctx.digest, predicate.predicateType ?? predicateType, predicate.predicate) });
    }
    const attested = await signer.attest(ctx.repo, ctx.digest, statements, { legacy: signer.format !== 'bundle', ...(ctx.subject ? { subject: ctx.subject } : {}) });
    const fresh: AttestationResult[] = attested.map((a, i) => ({ ...a, type: todo[i], existing: false }));

    if (this.opts.verifyAfterAttest ?? true) {
      const trust = await this.opts.trust();
      const { bundleReferrers, verifyAttestationBundle } = await verification();
      const byDigest = new Map((await bundleReferrers(this.opts.registry, ctx.repo, ctx.digest)).map((r) => [r.referrerDigest, r]));
      for (const a of fresh) {
        const r = byDigest.get(a.referrerDigest);
        if (!r) {
          throw new D2Error(`the ${a.type} attestation ${a.referrerDigest} is not listed among the referrers of ${base}@${ctx.digest}`, {
            code: 'ATTESTATION_FAILED',
            hint: 'the registry did not keep the referrer (or its fallback index): no tag was moved; re-run the job',
          });
        }
        const v = verifyAttestationBundle(r.bundle, {
          digest: ctx.digest,
          trust,
          identity: { subjectRegExp: exactRegExp(a.certificateIdentity), issuerRegExp: exactRegExp(a.certificateOidcIssuer) },
        });
        if (v.predicateType !== a.predicateType) {
          throw new D2Error(`the ${a.type} attestation ${a.referrerDigest} reads back with predicate type ${v.predicateType}`, {
            code: 'ATTESTATION_FAILED',
            hint: 'the registry returned another bundle for the referrer digest: no tag was moved; check the registry',
          });
        }
      }
      ctx.logger.info(`verified ${fresh.length} new attestation(s) of ${base}@${ctx.digest} as cosign verify-attestation would`);
    }
    return [...results, ...fresh].sort((a, b) => config.types.indexOf(a.type) - config.types.indexOf(b.type));
  }

  private async predicate(type: AttestationType, ctx: AttestContext, claims: Record<string, unknown>): Promise<{ predicateType?: string; predicate: unknown }> {
    const { config } = this.opts;
    if (type === 'provenance') {
      if (!this.opts.provenance) throw new D2Error('internal: provenance requested without a provenance builder', { code: 'ATTESTATION_FAILED' });
      return { predicate: this.opts.provenance.predicate(claims) };
    }
    if (type === 'vex') {
      if (!config.vex) throw new D2Error('internal: vex requested without a validated document', { code: 'ATTESTATION_FAILED' });
      return { predicate: config.vex };
    }
    if (!this.opts.sbom) throw new D2Error('internal: sbom requested without an SBOM generator', { code: 'ATTESTATION_FAILED' });
    const sbom = await this.opts.sbom({
      dir: ctx.path,
      name: `${ctx.repo.registry}/${ctx.repo.repository}`,
      version: ctx.version,
      format: config.sbomFormat,
      ...(ctx.ignorePaths ? { ignorePaths: ctx.ignorePaths } : {}),
      ...(ctx.sourceignore ? { sourceignore: true } : {}),
    });
    const want = predicateTypeOf('sbom', config);
    if (sbom.predicateType !== want) {
      throw new D2Error(`the SBOM generator returned predicate type ${sbom.predicateType}, expected ${want} for sbom-format ${config.sbomFormat}`, {
        code: 'ATTESTATION_FAILED',
        hint: 'the SBOM generator wired in the composition root does not honour sbom-format',
      });
    }
    return sbom;
  }

  /** The attestations already attached by `identity`: predicate type → the first one that verifies. */
  private async existing(ctx: AttestContext, identity: string, issuer: string): Promise<Map<string, AttestationResult>> {
    const wanted = new Set(this.opts.config.types.map((t) => predicateTypeOf(t, this.opts.config)));
    const { bundleReferrers, verifyAttestationBundle, VerificationFailure } = await verification();
    const candidates = (await bundleReferrers(this.opts.registry, ctx.repo, ctx.digest)).filter((r) => r.predicateType && wanted.has(r.predicateType));
    const out = new Map<string, AttestationResult>();
    if (candidates.length === 0) return out;
    const trust = await this.opts.trust();
    const base = `${ctx.repo.registry}/${ctx.repo.repository}`;
    for (const r of candidates) {
      try {
        const v = verifyAttestationBundle(r.bundle, { digest: ctx.digest, trust, identity: { subjectRegExp: exactRegExp(identity), issuerRegExp: exactRegExp(issuer) } });
        if (!wanted.has(v.predicateType) || out.has(v.predicateType)) continue;
        out.set(v.predicateType, {
          type: 'provenance',
          predicateType: v.predicateType,
          referrer: `${base}@${r.referrerDigest}`,
          referrerDigest: r.referrerDigest,
          rekorLogIndex: v.logIndex,
          certificateIdentity: v.identity,
          certificateOidcIssuer: v.issuer,
          existing: true,
        });
      } catch (err) {
        // Another signer's attestation, or a broken one: it does not count as ours.
        if (!(err instanceof VerificationFailure) && !(err instanceof D2Error)) throw err;
      }
    }
    return out;
  }
}
