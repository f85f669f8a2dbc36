/**
 * Publishing a Flux artifact (docs/security.md, "Ordering guarantees"): build → compare with diff-tag by content → push blobs and
 * the manifest BY DIGEST → sign → verify → attest (and verify the attestations) → only then move the tags. Nothing is half-done: when any step before the
 * tag moves fails, no tag changes; a tag moves only to a digest that was pushed (and signed, when signing).
 */
import { ANNOTATION_BUNDLE_PREDICATE_TYPE, COSIGN_SIGN_PREDICATE_TYPE, OCI_MANIFEST_MEDIA_TYPE, settleLimit, signatureTag, type Logger, type Repository } from '../base/index.js';
import { D2Error } from '../errors.js';
import { buildArtifact, type BuiltArtifact } from '../flux/index.js';
import { inspectRemote } from './remote.js';
import type { ComponentFailure, PublishAllResult, PublishOptions, PublishRegistry, PublishResult, PublishTarget, RemoteArtifact } from './types.js';

const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {} };

export function splitRepository(repository: string): Repository {
  const i = repository.indexOf('/');
  if (i <= 0) throw new D2Error(`'${repository}' is not a repository reference (host/path)`, { code: 'INPUT_INVALID' });
  return { registry: repository.slice(0, i), repository: repository.slice(i + 1) };
}

/** The tags a publish moves: diffTag first, then tags, de-duplicated; `latest` when none is given (Flux's default). */
export function effectiveTags(opts: Pick<PublishOptions, 'diffTag' | 'tags'>): string[] {
  const all = [opts.diffTag, ...(opts.tags ?? [])].filter((t): t is string => !!t);
  const unique = [...new Set(all)];
  return unique.length ? unique : ['latest'];
}

export async function publishArtifact(registry: PublishRegistry, target: PublishTarget, opts: PublishOptions): Promise<PublishResult> {
  const log = opts.logger ?? silent;
  const repo = splitRepository(target.repository);
  const tags = effectiveTags(opts);
  const built = await (opts.builder ?? buildArtifact)(target.path, opts.build);
  try {
    log.info(`built ${target.displayPath ?? target.path}: ${built.files} files, layer ${built.layerDigest} (${built.layerSize} bytes), tar ${built.tarDigest}`);
    const current = opts.diffTag
      ? await inspectRemote(registry, repo, opts.diffTag, { withTar: true, knownLayer: { digest: built.layerDigest, tarDigest: built.tarDigest } })
      : undefined;
    const unchanged = !!current && current.tarDigest === built.tarDigest;
    if (opts.diffTag) {
      log.info(current ? (unchanged ? `no changes against :${opts.diffTag} (${current.digest})` : `changes against :${opts.diffTag} (${current.digest})`) : `:${opts.diffTag} does not exist yet`);
    }
    await opts.guard?.({
      repo,
      built: { tarDigest: built.tarDigest, manifestDigest: built.manifestDigest, annotations: built.annotations },
      current,
      unchanged,
      inspect: (reference) => inspectRemote(registry, repo, reference, { withTar: true, knownLayer: { digest: built.layerDigest, tarDigest: built.tarDigest } }),
    });

    // Where the tags point now, read while the artifact is pushed, signed and verified (reads only: nothing moves before
    // the end, docs/security.md "Ordering guarantees"); a tag found at the digest is not PUT again. The diff tag's is known.
    const heads = opts.moveTags ? undefined : headTags(registry, repo, tags, opts.diffTag ? new Map([[opts.diffTag, current?.digest]]) : undefined);
    heads?.catch(() => undefined); // awaited when the tags move; not an unhandled rejection if a step before fails

    let digest: string;
    let manifest: { bytes: Buffer; mediaType: string };
    let pushed = false;
    if (unchanged && current) {
      digest = current.digest;
      manifest = current.manifest;
    } else {
      digest = await pushBuilt(registry, repo, built);
      manifest = { bytes: built.manifest, mediaType: OCI_MANIFEST_MEDIA_TYPE };
      pushed = true;
      log.info(`pushed ${target.repository}@${digest}`);
    }

    // Just pushed: the signer and the attestor get the manifest's descriptor instead of asking the registry for it.
    const subject = pushed ? { mediaType: manifest.mediaType, digest, size: manifest.bytes.length } : undefined;
    let signature: PublishResult['signature'];
    let alreadySigned: boolean | undefined;
    if (opts.signer) {
      // An unchanged artifact was signed when it was first published by us; sign it now only if it has no
      // signature yet (e.g. it was pushed by another tool), so that no tag ever points at unsigned content.
      if (!pushed && (await hasSignature(registry, repo, digest, opts.signer.format))) {
        alreadySigned = true;
        log.info(`${target.repository}@${digest} is already signed`);
      } else {
        signature = await opts.signer.sign(repo, digest, subject);
        log.info(`signed ${target.repository}@${digest}: ${signature.signature} (Rekor log index ${signature.rekorLogIndex})`);
        if (opts.verifier) await opts.verifier(repo, digest, signature);
      }
    }
    // Attestations carry the signature's identity and are verified before any tag moves (docs/attestations.md).
    const attestations = opts.attestor
      ? await opts.attestor.attest({
          repo,
          digest,
          path: target.path,
          ...(opts.version ? { version: opts.version } : {}),
          ...(opts.build?.ignorePaths ? { ignorePaths: opts.build.ignorePaths } : {}),
          ...(opts.build?.sourceignore ? { sourceignore: true } : {}),
          ...(subject ? { subject } : {}),
          logger: log,
        })
      : undefined;

    const moves = opts.moveTags
      ? await opts.moveTags({
          repo,
          digest,
          tags,
          logger: log,
          head: async (tag) => (await registry.headManifest(repo, tag))?.digest,
          inspect: (tag) => inspectRemote(registry, repo, tag),
          put: (tag) => putTag(registry, repo, tag, digest, manifest),
        })
      : { movedTags: await moveTags(registry, repo, tags, digest, manifest, await heads), tags };
    const movedTags = moves.movedTags;
    if (movedTags.length) log.info(`tagged ${target.repository}@${digest} as ${movedTags.map((t) => `:${t}`).join(', ')}`);
    return {
      component: target.component,
      repository: target.repository,
      path: target.displayPath ?? target.path,
      pushed,
      digest,
      digestUrl: `${target.repository}@${digest}`,
      tags: moves.tags,
      movedTags,
      layerDigest: built.layerDigest,
      tarDigest: built.tarDigest,
      size: built.layerSize,
      files: built.files,
      signature,
      alreadySigned,
      ...(attestations ? { attestations } : {}),
    };
  } finally {
    await built.cleanup();
  }
}

/** Blobs first (config and layer), then the manifest by digest: nothing ever points at missing blobs. */
export async function pushBuilt(registry: PublishRegistry, repo: Repository, built: BuiltArtifact): Promise<string> {
  await Promise.all([
    registry.pushBlob(repo, { data: built.config }, built.configDigest, built.config.length),
    registry.pushBlob(repo, { path: built.layerPath }, built.layerDigest, built.layerSize),
  ]);
  const digest = await registry.putManifest(repo, built.manifestDigest, built.manifest, OCI_MANIFEST_MEDIA_TYPE);
  if (digest !== built.manifestDigest) {
    throw new D2Error(`the registry stored ${repo.registry}/${repo.repository} under ${digest}, expected ${built.manifestDigest}`, { code: 'REGISTRY_DIGEST_MISMATCH' });
  }
  return digest;
}

/** The digest already carries the signature(s) the format asks for: the `.sig` tag and/or a referrer. */
async function hasSignature(registry: PublishRegistry, repo: Repository, digest: string, format: 'legacy' | 'bundle' | 'both'): Promise<boolean> {
  if (format !== 'bundle' && !(await registry.headManifest(repo, signatureTag(digest)))) return false;
  // A referrer listed with another predicate type (an attestation) is not a signature; one listed without annotations
  // (cosign's fallback index entries carry none) may be.
  if (format !== 'legacy' && !(await registry.referrers(repo, digest)).some((d) => (d.annotations?.[ANNOTATION_BUNDLE_PREDICATE_TYPE] ?? COSIGN_SIGN_PREDICATE_TYPE) === COSIGN_SIGN_PREDICATE_TYPE)) return false;
  return true;
}

/** Each tag's digest (undefined: no such tag), the ones in `known` without asking, the others HEADed at once. */
async function headTags(registry: PublishRegistry, repo: Repository, tags: string[], known = new Map<string, string | undefined>()): Promise<Map<string, string | undefined>> {
  const out = new Map(known);
  await Promise.all(tags.filter((t) => !out.has(t)).map(async (t) => out.set(t, (await registry.headManifest(repo, t))?.digest)));
  return out;
}

/**
 * Re-PUTs the exact manifest bytes under each tag that does not already point at digest; returns the moved tags.
 * `heads`: where the tags pointed when read (earlier, by the caller); a tag not in it is HEADed here.
 */
export async function moveTags(registry: PublishRegistry, repo: Repository, tags: string[], digest: string, manifest: { bytes: Buffer; mediaType: string }, heads?: Map<string, string | undefined>): Promise<string[]> {
  const moved: string[] = [];
  for (const tag of tags) {
    const head = heads?.has(tag) ? heads.get(tag) : (await registry.headManifest(repo, tag))?.digest;
    if (head === digest) continue;
    await putTag(registry, repo, tag, digest, manifest);
    moved.push(tag);
  }
  return moved;
}

/** PUTs the exact manifest bytes under `tag`; the registry must resolve the tag to `digest`. */
export async function putTag(registry: PublishRegistry, repo: Repository, tag: string, digest: string, manifest: { bytes: Buffer; mediaType: string }): Promise<void> {
  const got = await registry.putManifest(repo, tag, manifest.bytes, manifest.mediaType);
  if (got !== digest) throw new D2Error(`tag ${tag} of ${repo.registry}/${repo.repository} resolved to ${got}, expected ${digest}`, { code: 'REGISTRY_DIGEST_MISMATCH' });
}

/**
 * Publishes several targets with bounded concurrency. One failing target does not stop the others; failures are
 * collected (the caller fails the step at the end with a per-component report).
 */
export interface PublishAllHooks {
  /** A logger per target (e.g. buffered, to print each component's log as one group when it is done). */
  loggerFor?: (target: PublishTarget) => Logger;
  /** Called when a target is done, with its result or error. */
  onSettled?: (target: PublishTarget, outcome: { result?: PublishResult; error?: Error }) => void;
}

export async function publishAll(registry: PublishRegistry, targets: PublishTarget[], opts: PublishOptions, concurrency = 4, hooks: PublishAllHooks = {}): Promise<PublishAllResult> {
  // Failures in the order they happen (the order of the report); results in the order of the targets.
  const failures: ComponentFailure[] = [];
  const settled = await settleLimit(targets, concurrency, async (t) => {
    try {
      const result = await publishArtifact(registry, t, hooks.loggerFor ? { ...opts, logger: hooks.loggerFor(t) } : opts);
      hooks.onSettled?.(t, { result });
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      failures.push({ component: t.component, repository: t.repository, path: t.displayPath ?? t.path, error });
      hooks.onSettled?.(t, { error });
      throw error;
    }
  });
  return { results: settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])), failures };
}

/** The fix an error carries (D2Error's hint), if any. */
export function errorHint(error: Error): string | undefined {
  return error instanceof D2Error ? error.hint : undefined;
}

/** One failed component for a report: `- name (repository): message`, then its hint on the next line when it has one. */
export function failureLine(f: ComponentFailure, indent = '  '): string {
  const hint = errorHint(f.error);
  return `${indent}- ${f.component ?? f.path} (${f.repository}): ${f.error.message}${hint ? `\n${indent}  hint: ${hint}` : ''}`;
}

/** The error a publish of several targets ends with when some failed: every failed component with its own hint. */
export function publishFailedError(failures: ComponentFailure[], total: number): D2Error {
  const hinted = failures.some((f) => errorHint(f.error));
  return new D2Error(`${failures.length} of ${total} artifact(s) failed; no tag was moved for them:\n${failures.map((f) => failureLine(f)).join('\n')}`, {
    code: 'PUBLISH_FAILED',
    hint: `${hinted ? 'do what the hint of each failed component says' : 'fix the causes above'}, then re-run: artifacts are pushed by digest, so the components that were published stay as they are`,
  });
}

export type { RemoteArtifact };
