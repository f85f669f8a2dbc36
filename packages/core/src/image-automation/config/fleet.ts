/**
 * "Zero extra config for D2 users": the update targets described by the fleet's update cluster directory
 * (e.g. clusters/update), read like the Kind cluster would read it (image-automation.md §0, §5, traps 9, 16), or
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

/** Validates `update.strategy` as IAC does (U13): missing or anything but `Setters` is an error. */
export function checkStrategy(strategy: unknown, where: string): 'Setters' {
  if (strategy !== 'Setters') {
    throw new InputError(`${where}: update strategy ${strategy === undefined ? 'is missing' : `'${String(strategy)}' is not supported`}`, "set spec.update.strategy: Setters");
  }
  return 'Setters';
}

/**
 * Reads the update cluster directory (relative to `fleetRoot`) and returns one target per ImageUpdateAutomation.
 * ResourceSets are expanded, `${VAR}`s in the cluster directory are substituted from flux-system's
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
  for (const iua of objects.filter((o) => kindIs(o, 'ImageUpdateAutomation', 'image.toolkit.fluxcd.io'))) {
    const m = meta(iua);
    const where = `ImageUpdateAutomation ${ns(iua)}/${m.name}`;
    const spec = isObject(iua.spec) ? iua.spec : {};
    if (spec.suspend === true) continue;
    const sourceRef = isObject(spec.sourceRef) ? spec.sourceRef : {};
    if ((str(sourceRef.kind) ?? 'GitRepository') !== 'GitRepository') throw new InputError(`${where}: sourceRef kind ${String(sourceRef.kind)} is not supported`, 'use a GitRepository source');
    const srcNs = str(sourceRef.namespace) ?? ns(iua);
    const gitRepo = find('GitRepository', 'source.toolkit.fluxcd.io', str(sourceRef.name) ?? '', srcNs);
    if (!gitRepo) throw new InputError(`${where}: GitRepository ${srcNs}/${String(sourceRef.name)} not found in ${clusterPath}`, 'define the GitRepository next to the automation, or use the direct inputs');
    const gspec = isObject(gitRepo.spec) ? gitRepo.spec : {};
    const url = str(gspec.url);
    if (!url) throw new InputError(`${where}: GitRepository ${srcNs}/${meta(gitRepo).name} has no spec.url`);
    const gref = isObject(gspec.ref) ? gspec.ref : {};
    const git = isObject(spec.git) ? spec.git : {};
    const checkout = isObject(git.checkout) && isObject(git.checkout.ref) ? git.checkout.ref : gref;
    if (str(checkout.tag) || str(checkout.semver) || str(checkout.commit) || str(checkout.name)) {
      if (!str(checkout.branch)) throw new InputError(`${where}: only branch checkout refs are supported`, 'set spec.git.checkout.ref.branch');
    }
    const checkoutBranch = str(checkout.branch) ?? 'master';
    const push = isObject(git.push) ? git.push : {};
    const pushOptions = Object.entries(stringMap(push.options))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => (v === '' ? k : `${k}=${v}`));
    const commit = isObject(git.commit) ? git.commit : {};
    const author = isObject(commit.author) ? commit.author : {};
    const email = str(author.email);
    if (!email) throw new InputError(`${where}: spec.git.commit.author.email is required`);
    const update = isObject(spec.update) ? spec.update : {};
    const strategy = checkStrategy(update.strategy, where);

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
    const selector = isObject(spec.policySelector) ? (spec.policySelector as LabelSelector) : undefined;
    targets.push({
      automation: { namespace: ns(iua), name: m.name },
      repository: url,
      git: { url, checkoutBranch, pushBranch: str(push.branch) ?? checkoutBranch, refspec: str(push.refspec), pushOptions },
      secretRef,
      policies: { path: str(kspec.path) ?? './', namespace: str(kspec.targetNamespace) ?? ns(ks), substitute },
      update: { path: str(update.path) ?? './', strategy },
      commit: { author: { name: str(author.name) ?? '', email }, messageTemplate: str(commit.messageTemplate), values: stringMap(commit.messageTemplateValues) },
      policySelector: selector,
    });
  }
  if (targets.length === 0) throw new InputError(`no ImageUpdateAutomation found in ${clusterPath}`, 'point `automation` at the update cluster directory (e.g. clusters/update)');
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
