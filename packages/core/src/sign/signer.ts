/**
 * Keyless, cosign-compatible signing of a pushed artifact's manifest digest (docs/signing.md): GitHub OIDC →
 * Fulcio (FulcioSigner) → Rekor v1 (RekorWitness) with `@sigstore/sign`, stored as the legacy `.sig` tag and/or
 * a DSSE v0.3 bundle referrer (docs/signing.md, "Signature layouts").
 *
 * Ordering is the caller's job (docs/security.md, "Ordering guarantees"): push by digest → sign() → only then move tags. sign() throws a D2Error when
 * Sigstore or the registry fails, after bounded retries.
 */
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, RekorWitness, TSAWitness, type Signer, type Witness } from '@sigstore/sign';
import { ReusableCertificateSigner } from './keyholder.js';
import {
  ANNOTATION_CERTIFICATE,
  ANNOTATION_SIGNATURE,
  assertDigest,
  attestationTag,
  BUNDLE_V03_MEDIA_TYPE,
  COSIGN_SIGN_PREDICATE_TYPE,
  certificateIdentity,
  IN_TOTO_PAYLOAD_TYPE,
  mapLimit,
  OCI_INDEX_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  parseCertificate,
  pemToDer,
  sha256Digest,
  signatureTag,
  type Descriptor,
  type Logger,
  type Repository,
} from '../base/index.js';
import { D2Error } from '../errors.js';
import { decodeJwtClaims, githubIdentityProvider, isPrivateRepository, type IdentityProvider } from '../oidc/index.js';
import { cosignAnnotationsFromBundle, cosignAttestationLayer } from './annotations.js';
import { buildSignatureImage, referrersFallbackTag, simpleSigningPayload, type SignatureLayer } from './cosign.js';
import { addToReferrersIndex } from '../oci/index.js';
import { bundleReferrerManifest, cosignSignStatement, OCI_EMPTY_BLOB, OCI_EMPTY_DIGEST } from './referrer.js';
import {
  DEFAULT_FULCIO_URL,
  DEFAULT_REKOR_URL,
  manifestIfAny,
  SIGNATURE_FORMATS,
  type ArtifactSignerOptions,
  type AttestedStatement,
  type SignatureFormat,
  type SignatureRegistry,
  type SignResult,
  type StatementToSign,
} from './types.js';

const SIG_WRITE_ATTEMPTS = 3;

/** A signature image already under its tag: what an append keeps. */
interface ExistingImage {
  manifest: Buffer;
  config: Buffer;
}

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {} };

export class ArtifactSigner {
  private readonly registry: SignatureRegistry;
  private readonly fulcioURL: string;
  private readonly rekorURL: string;
  private readonly tsaURL?: string;
  readonly format: SignatureFormat;
  private readonly identityProvider: IdentityProvider;
  private readonly fetchOpts: { timeout: number; retry: { retries: number; factor: number; minTimeout: number; maxTimeout: number } };
  private readonly dsseEntryType: 'dsse' | 'intoto';
  private readonly logger: Logger;
  private readonly env: Record<string, string | undefined>;
  private readonly now: () => Date;
  private privacyWarned = false;
  private holder?: ReusableCertificateSigner;

  constructor(opts: ArtifactSignerOptions) {
    const format = opts.format ?? 'legacy';
    if (!SIGNATURE_FORMATS.includes(format)) {
      throw new D2Error(`signature format must be one of legacy, bundle, both; got '${String(format)}'`, { code: 'INPUT_INVALID' });
    }
    this.registry = opts.registry;
    this.fulcioURL = trimSlash(opts.fulcioURL ?? DEFAULT_FULCIO_URL);
    this.rekorURL = trimSlash(opts.rekorURL ?? DEFAULT_REKOR_URL);
    this.tsaURL = opts.tsaURL ? trimSlash(opts.tsaURL) : undefined;
    for (const [name, u] of [['Fulcio', this.fulcioURL], ['Rekor', this.rekorURL], ['TSA', this.tsaURL]] as const) {
      if (u !== undefined && !/^https?:\/\/[^/\s]+/.test(u)) {
        throw new D2Error(`${name} URL is not an http(s) URL: '${u}'`, { code: 'INPUT_INVALID', hint: 'e.g. https://fulcio.sigstore.dev' });
      }
    }
    this.format = format;
    this.identityProvider = opts.identityProvider ?? githubIdentityProvider();
    const r = opts.retry ?? {};
    this.fetchOpts = {
      timeout: opts.timeoutMs ?? 15_000,
      retry: { retries: (r.attempts ?? 4) - 1, factor: r.factor ?? 2, minTimeout: r.baseMs ?? 500, maxTimeout: r.maxMs ?? 5_000 },
    };
    this.dsseEntryType = opts.dsseEntryType ?? 'dsse';
    this.logger = opts.logger ?? silent;
    this.env = opts.env ?? process.env;
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Signs the manifest `digest` in `repo` (which must exist there) in the configured format(s). `subject` is its
   * descriptor when the caller has just pushed it (the PUT by digest answered with that digest): the signer then does
   * not ask the registry for it again (a request less per artifact); without it, the signer HEADs the manifest and
   * refuses a digest the registry does not have.
   */
  async sign(repo: Repository, digest: string, subject?: Descriptor): Promise<SignResult> {
    return this.signOne(repo, digest, subject);
  }

  /** The descriptor of the manifest to sign or attest; it must be in the registry already (pushed by digest). */
  private async subjectOf(repo: Repository, digest: string, verb: 'sign' | 'attest', known?: Descriptor): Promise<Descriptor> {
    assertDigest(digest);
    if (known) {
      if (known.digest !== digest) throw new D2Error(`internal: the subject descriptor names ${known.digest}, not ${digest}`, { code: 'SIGNING_FAILED' });
      return known;
    }
    const subject = await this.registry.headManifest(repo, digest);
    if (!subject) {
      throw new D2Error(`cannot ${verb} ${repo.registry}/${repo.repository}@${digest}: the manifest is not in the registry`, {
        code: 'SIGNING_FAILED',
        hint: `push the artifact by digest first, then ${verb === 'sign' ? 'sign it' : 'sign and attest it'}, then move tags`,
      });
    }
    return subject;
  }

  private async signOne(repo: Repository, digest: string, known?: Descriptor): Promise<SignResult> {
    const subject = await this.subjectOf(repo, digest, 'sign', known);
    this.warnIfPrivate(undefined);
    return this.signWith(repo, digest, subject, this.keyHolder());
  }

  /**
   * The one ephemeral key and Fulcio certificate of this signer: every sign(), signAll() and attest() call, and both
   * recipes of `both`, use it, as `cosign sign ref1 ref2 …` does within one run (renewed when under 3 minutes of validity
   * remain; a failed certificate request is asked again by the next call). One signer serves one run of an action or
   * of a `d2` command, so a step of 50 components asks Fulcio once, not 50 times.
   */
  private keyHolder(): ReusableCertificateSigner {
    this.holder ??= new ReusableCertificateSigner({ identityProvider: this.watchingProvider(), fulcioBaseURL: this.fulcioURL, ...this.fetchOpts });
    return this.holder;
  }

  private async signWith(repo: Repository, digest: string, subject: Descriptor, signer: Signer): Promise<SignResult> {
    const base = `${repo.registry}/${repo.repository}`;

    let legacy: { logIndex: number; certPem: string } | undefined;
    if (this.format !== 'bundle') legacy = await this.signLegacy(repo, digest, signer);
    let bundle: { referrer: string; logIndex: number; certDer: Buffer } | undefined;
    if (this.format !== 'legacy') bundle = await this.signBundle(repo, subject, signer);

    const certDer = legacy ? pemToDer(legacy.certPem) : (bundle as { certDer: Buffer }).certDer;
    const id = certificateIdentity(parseCertificate(certDer));
    const result: SignResult = {
      signature: legacy ? `${base}:${signatureTag(digest)}` : `${base}@${bundle?.referrer}`,
      rekorLogIndex: legacy ? legacy.logIndex : (bundle as { logIndex: number }).logIndex,
      certificateIdentity: id.sans[0] ?? '',
      certificateOidcIssuer: id.issuer ?? '',
      format: this.format,
    };
    if (bundle) result.bundleReferrer = `${base}@${bundle.referrer}`;
    this.logger.info(`signed ${base}@${digest} as ${result.certificateIdentity} (Rekor log index ${result.rekorLogIndex})`);
    return result;
  }

  /**
   * Signs several artifacts with bounded concurrency (default 4) and the signer's one ephemeral key and Fulcio
   * certificate, as `cosign sign ref1 ref2 …` does (renewed when it has under 3 minutes left); results in input order. All-or-nothing
   * for the caller: if any signature fails, the in-flight ones finish and the first error is thrown, so no tag moves.
   */
  async signAll(items: { repo: Repository; digest: string }[], concurrency = 4): Promise<SignResult[]> {
    return mapLimit(items, concurrency, (item) => this.signOne(item.repo, item.digest));
  }

  private witnesses(entryType?: 'dsse' | 'intoto'): Witness[] {
    const w: Witness[] = [
      new RekorWitness({ rekorBaseURL: this.rekorURL, majorApiVersion: 1, entryType, fetchOnConflict: true, ...this.fetchOpts }),
    ];
    if (this.tsaURL) w.push(new TSAWitness({ tsaBaseURL: this.tsaURL, ...this.fetchOpts }));
    return w;
  }

  /** The legacy format: hashedrekord message signature over the simple-signing payload, appended to the `.sig` tag. */
  private async signLegacy(repo: Repository, digest: string, signer: Signer): Promise<{ logIndex: number; certPem: string }> {
    const payload = simpleSigningPayload(repo, digest);
    const tag = signatureTag(digest);
    // The signature image there now is read while Sigstore signs (a read only: a Sigstore failure still writes nothing).
    const existing = this.readSignatureImage(repo, tag);
    existing.catch(() => undefined); // awaited by appendLayers; not an unhandled rejection if signing fails first
    const builder = new MessageSignatureBundleBuilder({ signer, witnesses: this.witnesses() });
    const bundle = bundleToJSON(await this.sigstoreCall(() => builder.create({ data: payload }))) as SerializedBundle;
    const annotations = cosignAnnotationsFromBundle(bundle);
    await this.appendLayers(repo, digest, tag, [{ payload, annotations }], existing);
    return { logIndex: Number(bundle.verificationMaterial.tlogEntries[0].logIndex), certPem: annotations[ANNOTATION_CERTIFICATE] };
  }

  /**
   * Read-modify-write of `sha256-<hex>.sig` (or `.att`): append, never replace. cosign does not lock; we read back after
   * the PUT and redo the append if a concurrent signer's write replaced ours (last writer wins).
   */
  private async appendLayers(repo: Repository, digest: string, tag: string, add: SignatureLayer[], read?: Promise<ExistingImage | undefined>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const existing = await (attempt === 1 && read ? read : this.readSignatureImage(repo, tag));
      const img = buildSignatureImage(add, existing);
      // Small and almost always new (a fresh signature, a config listing it): uploaded without asking first.
      await Promise.all([
        ...img.blobs.map((b) => this.registry.pushBlob(repo, { data: b.data }, b.digest, b.data.length, { dedup: false })),
        this.registry.pushBlob(repo, { data: img.config }, img.configDigest, img.config.length, { dedup: false }),
      ]);
      await this.registry.putManifest(repo, tag, img.manifest, img.manifestMediaType);

      const after = await this.registry.getManifest(repo, tag);
      const layers = (JSON.parse(after.bytes.toString('utf8')) as { layers?: Descriptor[] }).layers ?? [];
      // A layer is ours when its payload and signature annotation are: `.sig` payloads are shared by every signer of the
      // digest (the signature tells them apart), `.att` payloads carry their own signature (the annotation is "").
      const ours = (l: SignatureLayer) => layers.some((d) => d.digest === sha256Digest(l.payload) && d.annotations?.[ANNOTATION_SIGNATURE] === l.annotations[ANNOTATION_SIGNATURE]);
      if (add.every(ours)) return;
      if (attempt >= SIG_WRITE_ATTEMPTS) {
        throw new D2Error(`the signature for ${digest} was overwritten by a concurrent writer of ${tag} ${attempt} times`, {
          code: 'SIGNING_FAILED',
          hint: 'do not sign the same digest from several jobs at the same time',
        });
      }
      this.logger.warn(`${tag} was replaced by a concurrent signer; appending again`);
    }
  }

  /** The image under a `.sig` / `.att` tag (its manifest and config), or undefined when the tag does not exist: one GET. */
  private async readSignatureImage(repo: Repository, tag: string): Promise<ExistingImage | undefined> {
    const m = await manifestIfAny(this.registry, repo, tag);
    if (!m) return undefined;
    const parsed = JSON.parse(m.bytes.toString('utf8')) as { config?: Descriptor };
    if (!parsed.config?.digest) throw new D2Error(`${tag} is not an image manifest`, { code: 'SIGNATURE_INVALID', hint: `delete the tag ${tag} and sign again` });
    return { manifest: m.bytes, config: await this.registry.fetchBlob(repo, parsed.config.digest) };
  }

  /** The bundle format: DSSE in-toto statement in a v0.3 bundle, pushed as a referrer of the signed manifest. */
  private async signBundle(repo: Repository, subject: Descriptor, signer: Signer): Promise<{ referrer: string; logIndex: number; certDer: Buffer }> {
    const builder = new DSSEBundleBuilder({ signer, witnesses: this.witnesses(this.dsseEntryType) });
    const statement = cosignSignStatement(subject.digest);
    const bundle = bundleToJSON(await this.sigstoreCall(() => builder.create({ data: statement, type: IN_TOTO_PAYLOAD_TYPE }))) as SerializedBundle;
    if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE || !bundle.verificationMaterial.certificate) {
      throw new D2Error(`internal: expected a v0.3 bundle with a single certificate, got ${bundle.mediaType}`, { code: 'SIGNING_FAILED' });
    }
    const digest = await this.pushBundleReferrer(repo, subject, bundle, COSIGN_SIGN_PREDICATE_TYPE);
    return {
      referrer: digest,
      logIndex: Number(bundle.verificationMaterial.tlogEntries[0].logIndex),
      certDer: Buffer.from(bundle.verificationMaterial.certificate.rawBytes, 'base64'),
    };
  }

  /** Pushes a v0.3 bundle as a referrer of `subject` (blobs first, then the manifest by digest, then the listing). */
  private async pushBundleReferrer(repo: Repository, subject: Descriptor, bundle: SerializedBundle, predicateType: string): Promise<string> {
    const bundleBytes = Buffer.from(JSON.stringify(bundle), 'utf8');
    const { bytes, digest } = bundleReferrerManifest(bundleBytes, subject, this.now(), predicateType);
    await Promise.all([
      this.registry.pushBlob(repo, { data: OCI_EMPTY_BLOB }, OCI_EMPTY_DIGEST, OCI_EMPTY_BLOB.length),
      this.registry.pushBlob(repo, { data: bundleBytes }, sha256Digest(bundleBytes), bundleBytes.length),
    ]);
    if (this.registry.pushReferrer) {
      await this.registry.pushReferrer(repo, bytes, OCI_MANIFEST_MEDIA_TYPE, subject);
    } else {
      await this.registry.putManifest(repo, digest, bytes, OCI_MANIFEST_MEDIA_TYPE);
      await this.ensureReferrerListed(repo, subject.digest, { mediaType: OCI_MANIFEST_MEDIA_TYPE, size: bytes.length, digest, artifactType: BUNDLE_V03_MEDIA_TYPE });
    }
    return digest;
  }

  /**
   * Signs in-toto statements about the manifest `digest` with the signature's keyless identity (the signer's one
   * ephemeral key and Fulcio certificate) and attaches them (docs/attestations.md, "On the registry"): each as a DSSE v0.3
   * bundle referrer annotated with its predicate type, and with `legacy` also as one layer each of cosign's
   * `sha256-<hex>.att` image (appended, never replaced). All statements are signed before anything is written, so a
   * Sigstore failure leaves the registry untouched; a registry failure throws (the caller moves no tag).
   */
  async attest(repo: Repository, digest: string, statements: StatementToSign[], opts: { legacy: boolean; subject?: Descriptor }): Promise<AttestedStatement[]> {
    const subject = await this.subjectOf(repo, digest, 'attest', opts.subject);
    const signer = this.keyHolder();
    const builder = new DSSEBundleBuilder({ signer, witnesses: this.witnesses(this.dsseEntryType) });
    const signed: { st: StatementToSign; bundle: SerializedBundle }[] = [];
    for (const st of statements) {
      const bundle = bundleToJSON(await this.sigstoreCall(() => builder.create({ data: st.statement, type: IN_TOTO_PAYLOAD_TYPE }))) as SerializedBundle;
      if (bundle.mediaType !== BUNDLE_V03_MEDIA_TYPE || !bundle.verificationMaterial.certificate) {
        throw new D2Error(`internal: expected a v0.3 bundle with a single certificate, got ${bundle.mediaType}`, { code: 'SIGNING_FAILED' });
      }
      signed.push({ st, bundle });
    }
    const base = `${repo.registry}/${repo.repository}`;
    const out: AttestedStatement[] = [];
    for (const { st, bundle } of signed) {
      const referrer = await this.pushBundleReferrer(repo, subject, bundle, st.predicateType);
      const cert = certificateIdentity(parseCertificate(Buffer.from(bundle.verificationMaterial.certificate?.rawBytes ?? '', 'base64')));
      out.push({
        predicateType: st.predicateType,
        referrer: `${base}@${referrer}`,
        referrerDigest: referrer,
        rekorLogIndex: Number(bundle.verificationMaterial.tlogEntries[0]?.logIndex ?? -1),
        certificateIdentity: cert.sans[0] ?? '',
        certificateOidcIssuer: cert.issuer ?? '',
      });
    }
    if (opts.legacy) {
      const tag = attestationTag(digest);
      await this.appendLayers(repo, digest, tag, signed.map(({ st, bundle }) => cosignAttestationLayer(bundle, st.predicateType)));
      for (const a of out) a.legacyTag = `${base}:${tag}`;
    }
    for (const a of out) this.logger.info(`attested ${base}@${digest}: ${a.predicateType} as ${a.certificateIdentity} (referrer ${a.referrerDigest}, Rekor log index ${a.rekorLogIndex})`);
    return out;
  }

  /**
   * A registry with the referrers API lists the new manifest by itself; otherwise (distribution 2.8, GHCR) add it to the
   * fallback tag index `sha256-<hex>`, read-modify-write with a read-back check like the `.sig` tag.
   */
  private async ensureReferrerListed(repo: Repository, subjectDigest: string, entry: Descriptor): Promise<void> {
    const tag = referrersFallbackTag(subjectDigest);
    for (let attempt = 1; ; attempt++) {
      const listed = await this.registry.referrers(repo, subjectDigest);
      if (listed.some((d) => d.digest === entry.digest)) return;
      if (attempt > SIG_WRITE_ATTEMPTS) {
        throw new D2Error(`the bundle referrer ${entry.digest} could not be listed in ${tag}`, { code: 'SIGNING_FAILED', hint: 'retry the job' });
      }
      const existing = (await this.registry.headManifest(repo, tag)) ? (await this.registry.getManifest(repo, tag)).bytes : undefined;
      await this.registry.putManifest(repo, tag, addToReferrersIndex(existing, entry), OCI_INDEX_MEDIA_TYPE);
    }
  }

  /** Wraps the identity provider to warn once when the token says the repository is private (Rekor entries are public). */
  private watchingProvider(): IdentityProvider {
    return {
      getToken: async () => {
        const token = await this.identityProvider.getToken();
        this.warnIfPrivate(decodeJwtClaims(token));
        return token;
      },
    };
  }

  private warnIfPrivate(claims: Record<string, unknown> | undefined): void {
    if (this.privacyWarned) return;
    if (!isPrivateRepository({ claims, env: this.env })) return;
    this.privacyWarned = true;
    this.logger.warn(
      `the repository is private, but keyless signatures are recorded in the public transparency log ${this.rekorURL}: ` +
        'the entry reveals the repository and workflow names. Set `sign: false` to opt out.',
    );
  }

  /** Runs a @sigstore/sign call and turns its errors into D2Errors naming the service and the fix. */
  private async sigstoreCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof D2Error) throw err;
      const code = (err as { code?: string }).code ?? '';
      const cause = (err as { cause?: unknown }).cause;
      const status = (cause as { statusCode?: number } | undefined)?.statusCode;
      const detail = `${err instanceof Error ? err.message : String(err)}${status ? ` (HTTP ${status})` : ''}`;
      if (code === 'CA_CREATE_SIGNING_CERTIFICATE_ERROR') {
        throw new D2Error(`Fulcio (${this.fulcioURL}) did not issue a signing certificate: ${detail}`, {
          code: 'SIGNING_FAILED',
          cause: err,
          hint: status && status < 500 ? 'check the OIDC token: audience `sigstore` and `permissions: id-token: write`' : 'Sigstore may be unavailable; re-run the job (no tag was moved)',
        });
      }
      if (code === 'TLOG_CREATE_ENTRY_ERROR' || code === 'TLOG_FETCH_ENTRY_ERROR') {
        throw new D2Error(`Rekor (${this.rekorURL}) did not record the signature: ${detail}`, {
          code: 'SIGNING_FAILED',
          cause: err,
          hint: 'Sigstore may be unavailable; re-run the job (no tag was moved)',
        });
      }
      if (code === 'TSA_CREATE_TIMESTAMP_ERROR') {
        throw new D2Error(`the timestamp authority (${this.tsaURL}) failed: ${detail}`, { code: 'SIGNING_FAILED', cause: err });
      }
      if (code === 'IDENTITY_TOKEN_READ_ERROR' || code === 'IDENTITY_TOKEN_PARSE_ERROR') {
        throw new D2Error(`could not get an OIDC identity token: ${detail}`, {
          code: 'SIGNING_FAILED',
          cause: err,
          hint: 'add `permissions: id-token: write` to the job, or set `sign: false`',
        });
      }
      throw new D2Error(`signing failed: ${detail}`, { code: 'SIGNING_FAILED', cause: err });
    }
  }
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
