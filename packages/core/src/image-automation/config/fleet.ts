/**
 * "Zero extra config for D2 users": the update targets described by the fleet's update cluster directory
 * (e.g. clusters/update), read like the Kind cluster would read it (docs/image-automation.md, "Fleet config"), or
 * built from direct inputs for everyone else.
 */
import { InputError } from '../../errors.js';
import type { GitTarget } from '../git/checkout.js';
import { checkoutRefKind, validateCheckoutRef, type CheckoutRef } from '../git/ref.js';
import { readManifestDir, substituteVariables, substitutionDisabled, type K8sObject, type SourcedObject } from './manifests.js';
import { parseInputProvider, providerKey, resolveInputProvider, staticProviderInputs, type InputProviderDeps, type InputProviderSpec, type ProviderInput } from './providers.js';
import { expandResourceSet, type ResolvedProvider } from './resourceset.js';
import type { SecretData } from './secrets.js';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** One ImageUpdateAutomation to run: where its policies come from and how it commits. */
export interface AutomationTarget {
  /** The automation object (`.AutomationObject` in templates). */
  automation: { namespace: string; name: string };
  /** Git URL of the repository that is read and updated. */
  repository: string;
  git: GitTarget;
  /** The GitRepository secretRef name (its token is the action's `token` input). */
  secretRef?: string;
  policies: {
    /** Directory (in the target repository) with the ImageRepository/ImagePolicy manifests. */
    path: string;
    /** Namespace the policies get (Kustomization targetNamespace): the namespace markers must carry. */
    namespace: string;
    /** Post-build substitution variables; undefined = no substitution. */
    substitute?: Record<string, string>;
  };
  update: { path: string; strategy: 'Setters' };
  commit: {
    author: { name: string; email: string };
    messageTemplate?: string;
    values: Record<string, string>;
    /** `spec.git.commit.signingKey`: the Secret's name and the key type (Flux's default gpg); the key comes from the action's inputs. */
    signingKey?: { secretRef: string; type: 'gpg' | 'ssh' };
  };
  policySelector?: LabelSelector;
}

const isObject = (v: unknown): v is K8sObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined);

function meta(o: K8sObject): { name: string; namespace?: string; annotations: Record<string, string> } {
  const m = isObject(o.metadata) ? o.metadata : {};
  const annotations: Record<string, string> = {};
  if (isObject(m.annotations)) for (const [k, v] of Object.entries(m.annotations)) if (typeof v === 'string') annotations[k] = v;
  return { name: str(m.name) ?? '', namespace: str(m.namespace), annotations };
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, x] of Object.entries(v)) if (str(x) !== undefined) out[k] = str(x) as string;
  return out;
}

const kindIs = (o: K8sObject, kind: string, group: string) => o.kind === kind && typeof o.apiVersion === 'string' && o.apiVersion.startsWith(`${group}/`);

/**
 * `spec.update` as the API server stores it: the CRD defaults `update` to `{strategy: Setters}` and `strategy` to
 * `Setters` (a missing or null value is defaulted), and its enum admits only `Setters`, so only an explicit other
 * strategy is an error (U13). `path` defaults to the repository root.
 */
export function updateSpecOf(update: unknown, where: string): { path: string; strategy: 'Setters' } {
  if (update !== undefined && update !== null && !isObject(update)) {
    throw new InputError(`${where}: spec.update must be a mapping`, 'e.g. update: {path: ./components, strategy: Setters}');
  }
  const u = isObject(update) ? update : {};
  return { path: str(u.path) ?? './', strategy: checkStrategy(u.strategy, where) };
}

/** `spec.update.strategy` after CRD defaulting: missing or null → `Setters`; anything but `Setters` is an error (U13). */
export function checkStrategy(strategy: unknown, where: string): 'Setters' {
  if (strategy === undefined || strategy === null || strategy === 'Setters') return 'Setters';
  throw new InputError(`${where}: update strategy '${String(strategy)}' is not supported`, 'Setters is the only strategy (spec.update.strategy: Setters, or leave it out)');
}

/**
 * `spec.git.commit.signingKey` (IAC api/v1 SigningKey): `secretRef.name` is required, `type` is `gpg` (the default) or
 * `ssh`. The Secret is not in git: its key is the action's `signing-key` input.
 */
export function signingKeyOf(value: unknown, where: string): { secretRef: string; type: 'gpg' | 'ssh' } | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new InputError(`${where}: spec.git.commit.signingKey must be a mapping`, 'e.g. signingKey: {secretRef: {name: signing-key}, type: gpg}');
  const name = isObject(value.secretRef) ? str(value.secretRef.name) : undefined;
  if (!name) throw new InputError(`${where}: spec.git.commit.signingKey.secretRef.name is required`, 'name the Secret that holds git.asc (gpg) or identity (ssh)');
  const type = value.type === undefined || value.type === null || value.type === '' ? 'gpg' : value.type;
  if (type !== 'gpg' && type !== 'ssh') throw new InputError(`${where}: unknown signing key type ${JSON.stringify(type)}`, 'spec.git.commit.signingKey.type is gpg or ssh');
  return { secretRef: name, type };
}

/**
 * A GitRepositoryRef (`spec.ref`, or the automation's `spec.git.checkout.ref`) as a checkout: source-controller's
 * precedence is commit, name, semver, tag, then branch; `name: refs/heads/<branch>` is cloned as that branch. No field
 * at all → `master` (the GitRepository default).
 */
function checkoutOf(ref: K8sObject, where: string): { branch: string; refBranch?: string; ref?: CheckoutRef } {
  const field = (f: 'branch' | 'tag' | 'semver' | 'commit' | 'name'): string | undefined => {
    const v = ref[f];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') throw new InputError(`${where}: checkout ref.${f} must be a string`);
    return v;
  };
  const branch = field('branch');
  const other: CheckoutRef = {};
  for (const f of ['tag', 'semver', 'commit', 'name'] as const) {
    const v = field(f);
    if (v !== undefined) other[f] = v;
  }
  const kind = checkoutRefKind(other);
  if (kind === 'name' && other.name?.startsWith('refs/heads/')) {
    const b = other.name.slice('refs/heads/'.length);
    if (b === '') throw new InputError(`${where}: checkout ref.name '${other.name}' names no branch`, 'e.g. ref.name: refs/heads/main');
    return { branch: b, refBranch: branch };
  }
  if (!kind) return { branch: branch ?? 'master', refBranch: branch };
  // Only the deciding field is cloned (as in Flux); ref.branch is the branch a commit must be in, and the push
  // branch's default and comparison point whatever the kind (IAC configurePush).
  const chosen: CheckoutRef = { [kind]: other[kind] };
  validateCheckoutRef(chosen, where);
  return { branch: branch ?? '', refBranch: branch, ref: chosen };
}

// Kubernetes label syntax (apimachinery validation): a qualified name with an optional DNS-subdomain prefix for keys,
// at most 63 characters of [A-Za-z0-9._-] starting and ending alphanumeric for names and values.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix === '' || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return `prefix of key '${key}' must be a DNS subdomain`;
  if (name.length === 0 || name.length > 63) return `name part of key '${key}' must be 1 to 63 characters`;
  if (!LABEL_NAME.test(name)) return `name part of key '${key}' must consist of alphanumerics, '-', '_' or '.' and start and end with an alphanumeric`;
  return undefined;
}

function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return `value '${value}' must be at most 63 characters`;
  if (!LABEL_NAME.test(value)) return `value '${value}' must consist of alphanumerics, '-', '_' or '.' and start and end with an alphanumeric`;
  return undefined;
}

/**
 * A `metav1.LabelSelector`, validated as `LabelSelectorAsSelector` does (IAC stalls with "failed to parse policy
 * selector"): label keys and values, known operators, values only (and required) for In/NotIn.
 */
export function parseLabelSelector(value: unknown, where: string): LabelSelector {
  const fail = (reason: string): never => {
    throw new InputError(`${where}: failed to parse policy selector: ${reason}`, 'label keys are [prefix/]name with a name of at most 63 characters; values at most 63 characters');
  };
  if (!isObject(value)) fail('must be a mapping with matchLabels and/or matchExpressions');
  const sel = value as K8sObject;
  const out: LabelSelector = {};
  if (sel.matchLabels !== undefined && sel.matchLabels !== null) {
    if (!isObject(sel.matchLabels)) fail('matchLabels must be a mapping');
    out.matchLabels = {};
    for (const [k, v] of Object.entries(sel.matchLabels as K8sObject)) {
      const val = str(v) ?? (v === null ? '' : fail(`matchLabels.${k} must be a string`));
      const err = labelKeyError(k) ?? labelValueError(val);
      if (err) fail(err);
      out.matchLabels[k] = val;
    }
  }
  if (sel.matchExpressions !== undefined && sel.matchExpressions !== null) {
    if (!Array.isArray(sel.matchExpressions)) fail('matchExpressions must be a list');
    out.matchExpressions = (sel.matchExpressions as unknown[]).map((e, i) => {
      if (!isObject(e)) return fail(`matchExpressions[${i}] must be a mapping`);
      const key = str(e.key) ?? '';
      const operator = str(e.operator) ?? '';
      const values = Array.isArray(e.values) ? e.values.map((x) => str(x) ?? '') : [];
      if (!(SELECTOR_OPERATORS as readonly string[]).includes(operator)) fail(`matchExpressions[${i}]: '${operator}' is not a valid label selector operator`);
      const keyErr = labelKeyError(key);
      if (keyErr) fail(keyErr);
      if ((operator === 'In' || operator === 'NotIn') && values.length === 0) fail(`matchExpressions[${i}]: values must be non-empty for ${operator}`);
      if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) fail(`matchExpressions[${i}]: values must be empty for ${operator}`);
      for (const v of values) {
        const err = labelValueError(v);
        if (err) fail(err);
      }
      return { key, operator: operator as (typeof SELECTOR_OPERATORS)[number], ...(values.length > 0 ? { values } : {}) };
    });
  }
  return out;
}

const ns = (o: K8sObject) => meta(o).namespace ?? 'flux-system';
const isResourceSet = (o: K8sObject) => kindIs(o, 'ResourceSet', 'fluxcd.controlplane.io');
const isProvider = (o: K8sObject) => kindIs(o, 'ResourceSetInputProvider', 'fluxcd.controlplane.io');
const usesProviders = (o: K8sObject) => isObject(o.spec) && Array.isArray(o.spec.inputsFrom) && o.spec.inputsFrom.length > 0;

/** Options of readFleetConfig. */
export interface FleetOptions {
  /** Exported inputs of the ResourceSetInputProviders that need a registry or forge, by `namespace/name` (resolveFleetInputs). */
  providerInputs?: ReadonlyMap<string, readonly ProviderInput[]>;
  /** Secret data for `postBuild.substituteFrom` (parseSubstituteSecrets), by `namespace/name`. */
  secrets?: SecretData;
}

/**
 * The cluster directory's objects: `${VAR}`s substituted from flux-system's `flux-runtime-info` ConfigMap, list
 * documents inlined, and the ResourceSets without `inputsFrom` expanded. The ResourceSets with `inputsFrom` are
 * returned apart: they are expanded once their providers (found among the other objects) are resolved.
 */
function clusterObjects(fleetRoot: string, clusterPath: string): { objects: Array<{ object: K8sObject; file: string }>; pending: SourcedObject[] } {
  // First pass: find the runtime info for substitution of the cluster directory itself.
  const raw = readManifestDir(fleetRoot, clusterPath);
  const runtime = raw.find((s) => s.object.kind === 'ConfigMap' && meta(s.object).name === 'flux-runtime-info');
  const runtimeVars = runtime ? stringMap(runtime.object.data) : {};
  const sourced: SourcedObject[] = runtime ? readManifestDir(fleetRoot, clusterPath, (t) => substituteVariables(t, runtimeVars)) : raw;
  const objects: Array<{ object: K8sObject; file: string }> = [];
  const pending: SourcedObject[] = [];
  for (const s of sourced) {
    if (isResourceSet(s.object) && usesProviders(s.object)) pending.push(s);
    else if (isResourceSet(s.object)) objects.push(...expandResourceSet(s.object, s.file).map((object) => ({ object, file: s.file })));
    else objects.push(s);
  }
  return { objects, pending };
}

/**
 * The ResourceSetInputProviders a ResourceSet's `inputsFrom` selects (by name, or by label selector, in the
 * ResourceSet's namespace), parsed and validated. A provider named but missing is an error.
 */
function selectedProviders(rs: SourcedObject, candidates: ReadonlyArray<{ object: K8sObject; file: string }>): InputProviderSpec[] {
  const namespace = ns(rs.object);
  const where = `ResourceSet ${namespace}/${meta(rs.object).name} (${rs.file})`;
  const inNamespace = candidates.filter((c) => isProvider(c.object) && ns(c.object) === namespace);
  const chosen = new Map<string, InputProviderSpec>();
  const add = (c: { object: K8sObject; file: string }) => {
    const p = parseInputProvider(c.object, c.file);
    chosen.set(providerKey(p), p);
  };
  const refs = (isObject(rs.object.spec) && Array.isArray(rs.object.spec.inputsFrom) ? rs.object.spec.inputsFrom : []) as unknown[];
  refs.forEach((ref, i) => {
    if (!isObject(ref)) throw new InputError(`${where}: spec.inputsFrom[${i}] must be a mapping`);
    const kind = str(ref.kind);
    if (kind !== undefined && kind !== 'ResourceSetInputProvider') throw new InputError(`${where}: spec.inputsFrom[${i}].kind must be ResourceSetInputProvider, got '${kind}'`);
    const name = str(ref.name);
    if (name) {
      const found = inNamespace.find((c) => meta(c.object).name === name);
      if (!found) throw new InputError(`${where}: failed to get provider ${namespace}/${name}: not found in the update cluster`, 'define the ResourceSetInputProvider next to the ResourceSet, in the same namespace');
      add(found);
    } else if (ref.selector !== undefined && ref.selector !== null) {
      const sel = parseLabelSelector(ref.selector, `${where}: spec.inputsFrom[${i}].selector`);
      for (const c of inNamespace) if (matchesSelector(stringMap(isObject(c.object.metadata) ? c.object.metadata.labels : undefined), sel)) add(c);
    } else {
      throw new InputError(`${where}: input provider reference must have either name or selector set`, `spec.inputsFrom[${i}]`);
    }
  });
  return [...chosen.values()];
}

/**
 * The ResourceSetInputProviders that the update cluster's ResourceSets use and that need a registry or the forge to
 * resolve, validated (no request is made). Static providers and disabled ones are resolved by readFleetConfig itself.
 */
export function fleetInputProviders(fleetRoot: string, clusterPath: string): InputProviderSpec[] {
  const { objects, pending } = clusterObjects(fleetRoot, clusterPath);
  const all = new Map<string, InputProviderSpec>();
  for (const rs of pending) for (const p of selectedProviders(rs, objects)) all.set(providerKey(p), p);
  return [...all.values()].filter((p) => p.type !== 'Static' && !p.disabled);
}

/** Resolves the providers of fleetInputProviders (registry and forge requests), one at a time. */
export async function resolveFleetInputs(providers: readonly InputProviderSpec[], deps: InputProviderDeps): Promise<Map<string, ProviderInput[]>> {
  const out = new Map<string, ProviderInput[]>();
  for (const p of providers) out.set(providerKey(p), await resolveInputProvider(p, deps));
  return out;
}

/**
 * readFleetConfig with the ResourceSetInputProviders resolved: the providers are validated first (no request is made
 * for a bad one), then the registry and the forge are asked for their inputs (read-only requests), then the targets are
 * built and checked. Nothing is cloned or pushed here.
 */
export async function loadFleetConfig(fleetRoot: string, clusterPath: string, deps: InputProviderDeps, opts: Omit<FleetOptions, 'providerInputs'> = {}): Promise<AutomationTarget[]> {
  const providerInputs = await resolveFleetInputs(fleetInputProviders(fleetRoot, clusterPath), deps);
  return readFleetConfig(fleetRoot, clusterPath, { ...opts, providerInputs });
}

/**
 * Reads the update cluster directory (relative to `fleetRoot`) and returns one target per ImageUpdateAutomation that
 * is not suspended (none when all are; a directory without any automation is an error). `${VAR}`s in the cluster
 * directory are substituted from flux-system's `flux-runtime-info` ConfigMap, ResourceSets are expanded (with their
 * ResourceSetInputProviders' inputs: Static ones here, the others from `opts.providerInputs`), and each automation is
 * joined with its GitRepository and with the Kustomization that applies its policies from the same source.
 */
export function readFleetConfig(fleetRoot: string, clusterPath: string, opts: FleetOptions = {}): AutomationTarget[] {
  const { objects: expanded, pending } = clusterObjects(fleetRoot, clusterPath);
  const objects: K8sObject[] = expanded.map((o) => o.object);
  for (const rs of pending) {
    const resolved: ResolvedProvider[] = selectedProviders(rs, expanded).map((p) => {
      if (p.type === 'Static' || p.disabled) return { spec: p, inputs: staticProviderInputs(p) };
      const inputs = opts.providerInputs?.get(providerKey(p));
      if (!inputs) {
        throw new InputError(`ResourceSetInputProvider ${providerKey(p)} (type ${p.type}) has not been resolved`, 'read the fleet with loadFleetConfig, which asks the registry or the forge');
      }
      return { spec: p, inputs };
    });
    objects.push(...expandResourceSet(rs.object, rs.file, resolved));
  }
  const find = (kind: string, group: string, name: string, namespace: string) =>
    objects.find((o) => kindIs(o, kind, group) && meta(o).name === name && ns(o) === namespace);

  const configMapData = (name: string, namespace: string): Record<string, string> | undefined => {
    const cm = objects.find((o) => o.kind === 'ConfigMap' && meta(o).name === name && ns(o) === namespace);
    if (!cm) return undefined;
    const from = meta(cm).annotations['fluxcd.controlplane.io/copyFrom'];
    if (from) {
      const [fns, fname] = from.split('/');
      const src = objects.find((o) => o.kind === 'ConfigMap' && meta(o).name === fname && ns(o) === fns);
      if (src) return stringMap(src.data);
    }
    return stringMap(cm.data);
  };

  const targets: AutomationTarget[] = [];
  const automations = objects.filter((o) => kindIs(o, 'ImageUpdateAutomation', 'image.toolkit.fluxcd.io'));
  for (const iua of automations) {
    const m = meta(iua);
    const where = `ImageUpdateAutomation ${ns(iua)}/${m.name}`;
    const spec = isObject(iua.spec) ? iua.spec : {};
    if (spec.suspend === true) continue;
    const sourceRef = isObject(spec.sourceRef) ? spec.sourceRef : {};
    if ((str(sourceRef.kind) ?? 'GitRepository') !== 'GitRepository') throw new InputError(`${where}: sourceRef kind ${String(sourceRef.kind)} is not supported`, 'use a GitRepository source');
    // IAC's order: the policy selector, then the source configuration (spec.git), then the GitRepository.
    const selector = spec.policySelector === undefined || spec.policySelector === null ? undefined : parseLabelSelector(spec.policySelector, `${where}: spec.policySelector`);
    if (!isObject(spec.git)) throw new InputError(`${where}: invalid source configuration: spec.git is required`, 'set spec.git.commit.author.email (and optionally checkout/push)');
    const srcNs = str(sourceRef.namespace) ?? ns(iua);
    const gitRepo = find('GitRepository', 'source.toolkit.fluxcd.io', str(sourceRef.name) ?? '', srcNs);
    if (!gitRepo) throw new InputError(`${where}: GitRepository ${srcNs}/${String(sourceRef.name)} not found in ${clusterPath}`, 'define the GitRepository next to the automation, or use the direct inputs');
    const gspec = isObject(gitRepo.spec) ? gitRepo.spec : {};
    const url = str(gspec.url);
    if (!url) throw new InputError(`${where}: GitRepository ${srcNs}/${meta(gitRepo).name} has no spec.url`);
    const gref = isObject(gspec.ref) ? gspec.ref : {};
    const git = spec.git;
    const checkoutSpec = isObject(git.checkout) && isObject(git.checkout.ref) ? git.checkout.ref : gref;
    const checkout = checkoutOf(checkoutSpec, where);
    const push = isObject(git.push) ? git.push : {};
    // IAC configurePush: without push.branch, the push branch is the checkout ref's branch, which must then be set.
    const pushBranch = str(push.branch) || checkout.refBranch;
    if (!pushBranch) {
      throw new InputError(
        `${where}: push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref`,
        checkout.ref ? 'a checkout by tag, semver range, commit or reference name needs spec.git.push.branch' : 'set spec.git.push.branch, or ref.branch in the checkout ref',
      );
    }
    const pushOptions = Object.entries(stringMap(push.options))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
    const commit = isObject(git.commit) ? git.commit : {};
    const author = isObject(commit.author) ? commit.author : {};
    const email = str(author.email);
    if (!email) throw new InputError(`${where}: spec.git.commit.author.email is required`);
    const update = updateSpecOf(spec.update, where);
    const signingKey = signingKeyOf(commit.signingKey, where);

    // The Kustomization that applies this automation's policies: same namespace, same GitRepository source.
    const kustomizations = objects.filter((o) => {
      if (!kindIs(o, 'Kustomization', 'kustomize.toolkit.fluxcd.io') || ns(o) !== ns(iua)) return false;
      const ks = isObject(o.spec) ? o.spec : {};
      const ref = isObject(ks.sourceRef) ? ks.sourceRef : {};
      return str(ref.kind) === 'GitRepository' && str(ref.name) === meta(gitRepo).name && (str(ref.namespace) ?? ns(o)) === srcNs;
    });
    if (kustomizations.length === 0) {
      throw new InputError(`${where}: no Kustomization in namespace ${ns(iua)} applies policies from GitRepository ${meta(gitRepo).name}`, 'add it to the update cluster, or use the direct inputs (policies-path, namespace)');
    }
    const ks = kustomizations[0];
    const kspec = isObject(ks.spec) ? ks.spec : {};
    const postBuild = isObject(kspec.postBuild) ? kspec.postBuild : undefined;
    let substitute: Record<string, string> | undefined;
    if (postBuild) {
      substitute = {};
      for (const ref of Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom : []) {
        if (!isObject(ref)) continue;
        const kind = str(ref.kind);
        const name = str(ref.name) ?? '';
        // ConfigMaps come from the update cluster directory; Secrets from the job's environment (substitute-secrets).
        const data = kind === 'ConfigMap' ? configMapData(name, ns(ks)) : kind === 'Secret' ? opts.secrets?.get(`${ns(ks)}/${name}`) : undefined;
        if (kind !== 'ConfigMap' && kind !== 'Secret') throw new InputError(`${where}: post-build substituteFrom kind '${String(ref.kind)}' is not supported`, 'kind is ConfigMap or Secret');
        if (!data && ref.optional !== true) {
          throw new InputError(
            `${where}: ${kind} ${ns(ks)}/${name} for post-build substitution not found`,
            kind === 'Secret'
              ? `Secrets are not in git: map its keys to environment variables with substitute-secrets (${ns(ks)}/${name}.<KEY>=<ENV_VAR>), or mark it optional`
              : 'define the ConfigMap in the update cluster directory, or mark it optional',
          );
        }
        Object.assign(substitute, data ?? {});
      }
      Object.assign(substitute, stringMap(postBuild.substitute));
      if (substitutionDisabled(ks)) substitute = undefined;
    }
    const secretRef = isObject(gspec.secretRef) ? str(gspec.secretRef.name) : undefined;
    targets.push({
      automation: { namespace: ns(iua), name: m.name },
      repository: url,
      git: {
        url,
        // A tag, semver, commit or name checkout keeps ref.branch only (the branch a commit must be in).
        ...(checkout.ref ? { ...(checkout.refBranch ? { checkoutBranch: checkout.refBranch } : {}), checkoutRef: checkout.ref } : { checkoutBranch: checkout.branch }),
        pushBranch,
        refspec: str(push.refspec),
        pushOptions,
      },
      secretRef,
      policies: { path: str(kspec.path) ?? './', namespace: str(kspec.targetNamespace) ?? ns(ks), substitute },
      update,
      commit: { author: { name: str(author.name) ?? '', email }, messageTemplate: str(commit.messageTemplate), values: stringMap(commit.messageTemplateValues), ...(signingKey ? { signingKey } : {}) },
      policySelector: selector,
    });
  }
  // Only suspended automations: nothing to run, as the controller does nothing for them (not an error).
  if (automations.length === 0) throw new InputError(`no ImageUpdateAutomation found in ${clusterPath}`, 'point `automation` at the update cluster directory (e.g. clusters/update)');
  return targets;
}

/** Kubernetes label selector matching (empty selector matches everything). */
export function matchesSelector(labels: Readonly<Record<string, string>>, sel: LabelSelector | undefined): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const vals = e.values ?? [];
    if (e.operator === 'In' && !(has && vals.includes(labels[e.key]))) return false;
    if (e.operator === 'NotIn' && has && vals.includes(labels[e.key])) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}
