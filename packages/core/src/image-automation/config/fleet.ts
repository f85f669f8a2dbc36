/**
 * "Zero extra config for D2 users": the update targets described by the fleet's update cluster directory
 * (e.g. clusters/update), read like the Kind cluster would read it (docs/image-automation.md, "Fleet config"), or
 * built from direct inputs for everyone else.
 */
import { InputError } from '../../errors.js';
import type { GitTarget } from '../git/checkout.js';
import { expandResourceSet, readManifestDir, substituteVariables, substitutionDisabled, type K8sObject, type SourcedObject } from './manifests.js';

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
  commit: { author: { name: string; email: string }; messageTemplate?: string; values: Record<string, string> };
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
 * The branch a checkout ref names. Flux's precedence is commit, name, semver, tag, branch; a `name` of the form
 * `refs/heads/<branch>` is that branch. Tag, semver, commit and other reference names are not supported here.
 * No field at all → `master` (the GitRepository default).
 */
function checkoutBranchOf(ref: K8sObject, where: string): string {
  const name = str(ref.name);
  const other = str(ref.commit) ? 'commit' : name && !name.startsWith('refs/heads/') ? 'name' : !name && str(ref.semver) ? 'semver' : !name && str(ref.tag) ? 'tag' : undefined;
  if (other) throw new InputError(`${where}: only branch checkout refs are supported (got ref.${other})`, 'set spec.git.checkout.ref.branch (or ref.name: refs/heads/<branch>)');
  if (name) {
    const branch = name.slice('refs/heads/'.length);
    if (branch === '') throw new InputError(`${where}: checkout ref.name '${name}' names no branch`, 'e.g. ref.name: refs/heads/main');
    return branch;
  }
  return str(ref.branch) || 'master';
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

/**
 * Reads the update cluster directory (relative to `fleetRoot`) and returns one target per ImageUpdateAutomation that
 * is not suspended (none when all are; a directory without any automation is an error). ResourceSets are expanded, `${VAR}`s in the cluster directory are substituted from flux-system's
 * `flux-runtime-info` ConfigMap, and each automation is joined with its GitRepository and with the Kustomization
 * that applies its policies from the same source.
 */
export function readFleetConfig(fleetRoot: string, clusterPath: string): AutomationTarget[] {
  // First pass: find the runtime info for substitution of the cluster directory itself.
  const raw = readManifestDir(fleetRoot, clusterPath);
  const runtime = raw.find((s) => s.object.kind === 'ConfigMap' && meta(s.object).name === 'flux-runtime-info');
  const runtimeVars = runtime ? stringMap(runtime.object.data) : {};
  const sourced: SourcedObject[] = runtime ? readManifestDir(fleetRoot, clusterPath, (t) => substituteVariables(t, runtimeVars)) : raw;

  const objects: K8sObject[] = [];
  for (const s of sourced) {
    if (kindIs(s.object, 'ResourceSet', 'fluxcd.controlplane.io')) objects.push(...expandResourceSet(s.object, s.file));
    else objects.push(s.object);
  }
  const ns = (o: K8sObject) => meta(o).namespace ?? 'flux-system';
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
    const checkout = isObject(git.checkout) && isObject(git.checkout.ref) ? git.checkout.ref : gref;
    const checkoutBranch = checkoutBranchOf(checkout, where);
    const push = isObject(git.push) ? git.push : {};
    const pushOptions = Object.entries(stringMap(push.options))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
    const commit = isObject(git.commit) ? git.commit : {};
    const author = isObject(commit.author) ? commit.author : {};
    const email = str(author.email);
    if (!email) throw new InputError(`${where}: spec.git.commit.author.email is required`);
    const update = updateSpecOf(spec.update, where);

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
        const data = str(ref.kind) === 'ConfigMap' ? configMapData(str(ref.name) ?? '', ns(ks)) : undefined;
        if (!data && ref.optional !== true) {
          throw new InputError(`${where}: ${String(ref.kind)} ${ns(ks)}/${String(ref.name)} for post-build substitution not found`, 'Secrets cannot be read without a cluster; use a ConfigMap or inline postBuild.substitute');
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
      git: { url, checkoutBranch, pushBranch: str(push.branch) ?? checkoutBranch, refspec: str(push.refspec), pushOptions },
      secretRef,
      policies: { path: str(kspec.path) ?? './', namespace: str(kspec.targetNamespace) ?? ns(ks), substitute },
      update,
      commit: { author: { name: str(author.name) ?? '', email }, messageTemplate: str(commit.messageTemplate), values: stringMap(commit.messageTemplateValues) },
      policySelector: selector,
    });
  }
  // Only suspended automations: nothing to run, as the controller does nothing for them (not an error).
  if (automations.length === 0) throw new InputError(`no ImageUpdateAutomation found in ${clusterPath}`, 'point `automation` at the update cluster directory (e.g. clusters/update)');
  return targets;
}

export interface DirectInputs {
  repository: string;
  policiesPath: string;
  namespace: string;
  updatePath?: string;
  checkoutBranch?: string;
  /** Default `image-updates`. */
  pushBranch?: string;
  commitTemplate?: string;
  authorName?: string;
  authorEmail: string;
  substitute?: Record<string, string>;
}

/** A target from the action's direct inputs (non-D2 users). */
export function directTarget(i: DirectInputs): AutomationTarget {
  if (!i.repository) throw new InputError('repository is required in direct mode', 'set `repository` (git URL) or `automation` (fleet update cluster path)');
  if (!i.policiesPath) throw new InputError('policies-path is required in direct mode', 'set `policies-path` to the directory with the ImageRepository/ImagePolicy manifests');
  if (!i.namespace) throw new InputError('namespace is required in direct mode', 'set `namespace` to the namespace your $imagepolicy markers name (e.g. apps for "apps:podinfo")');
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(i.namespace)) throw new InputError(`namespace '${i.namespace}' is not a valid Kubernetes namespace name`);
  if (!i.authorEmail) throw new InputError('author-email is required');
  return {
    automation: { namespace: i.namespace, name: i.namespace },
    repository: i.repository,
    git: { url: i.repository, checkoutBranch: i.checkoutBranch || undefined, pushBranch: i.pushBranch || 'image-updates' },
    policies: { path: i.policiesPath, namespace: i.namespace, substitute: i.substitute },
    update: { path: i.updatePath || './', strategy: 'Setters' },
    commit: { author: { name: i.authorName ?? '', email: i.authorEmail }, messageTemplate: i.commitTemplate || undefined, values: {} },
  };
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
