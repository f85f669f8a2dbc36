/**
 * Flux Operator `ResourceSet` expansion (docs/image-automation.md "Fleet config", "ResourceSet inputsFrom"): every
 * resource template is rendered once per input set with Go templates delimited by `<<` and `>>`, the sprig functions
 * and the input set as the function `inputs`. The input sets are the ResourceSet's own `spec.inputs` and the exported
 * inputs of the ResourceSetInputProviders its `spec.inputsFrom` selects, combined as flux-operator
 * `internal/inputs` does: each set is annotated with `provider` (apiVersion, kind, name, namespace of the object it
 * came from), the ResourceSet first and then the providers sorted by namespace and name, and either concatenated
 * (`inputStrategy.name: Flatten`, the default) or permuted (`Permute`: the Cartesian product, each set under the
 * provider's normalized name, `id` = Adler-32 of `name=index/…`).
 */
import { parseAllDocuments, stringify as yamlStringify } from 'yaml';
import { clip, InputError } from '../../errors.js';
import { documentToJS, type K8sObject } from '../k8s/index.js';
import { Template } from '../template/exec.js';
import { sprigFuncs } from '../template/sprig.js';
import { inputId, type InputProviderSpec, type ProviderInput } from './providers.js';

/** The Permute strategy's bound (`maxPermutations`). */
export const MAX_PERMUTATIONS = 10_000;

/** A provider selected by `inputsFrom`, with its exported inputs. */
export interface ResolvedProvider {
  spec: Pick<InputProviderSpec, 'apiVersion' | 'namespace' | 'name'>;
  inputs: readonly ProviderInput[];
}

const isObject = (v: unknown): v is K8sObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function toGo(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toGo);
  if (isObject(v)) return new Map(Object.entries(v).map(([k, x]) => [k, toGo(x)]));
  return v;
}

/**
 * flux-operator `NormalizeKeyForTemplate`: lower case; white space and punctuation become `_`; anything else outside
 * `[a-z0-9]` is dropped; runs of `_` collapse and leading/trailing ones go.
 */
export function normalizeKeyForTemplate(key: string): string {
  let out = '';
  for (const ch of key) {
    const c = ch.toLowerCase();
    if (/^[\s\u0085\u00a0]$/u.test(c) || /^\p{P}$/u.test(c)) out += '_';
    else if (/^[a-z0-9]$/.test(c)) out += c;
  }
  return out
    .split('_')
    .filter((w) => w !== '')
    .join('_');
}

/** The Cartesian product of the providers' input sets, as `Permuter` computes it. */
function permute(providers: Array<{ name: string; inputs: readonly ProviderInput[] }>, includeEmpty: boolean, where: string): ProviderInput[] {
  const scoped: Array<{ key: string; sets: ProviderInput[] }> = [];
  let expected = 0;
  for (const p of providers) {
    if (!includeEmpty && p.inputs.length === 0) continue;
    expected = scoped.length === 0 ? p.inputs.length : expected * p.inputs.length;
    if (expected > MAX_PERMUTATIONS) {
      throw new InputError(
        `${where}: adding provider '${p.name}' with ${p.inputs.length} inputs would exceed the maximum allowed permutations. max: ${MAX_PERMUTATIONS}, got: ${expected}`,
        'filter the providers down to one input set each (spec.filter.limit: 1)',
      );
    }
    const key = normalizeKeyForTemplate(p.name);
    if (key === '') throw new InputError(`${where}: normalized provider name is empty: '${p.name}'`);
    scoped.push({ key, sets: p.inputs.map((s) => ({ [key]: s })) });
  }
  if (scoped.length === 0 || scoped.some((s) => s.sets.length === 0)) return [];
  const out: ProviderInput[] = [];
  const pick = new Array<number>(scoped.length).fill(0);
  for (;;) {
    const perm: ProviderInput = {};
    const idParts: string[] = [];
    scoped.forEach((s, i) => {
      Object.assign(perm, s.sets[pick[i]]);
      idParts.push(`${s.key}=${pick[i]}`);
    });
    perm.id = inputId(idParts.join('/'));
    out.push(perm);
    // Odometer, last provider fastest (the operator's backtracking order).
    let i = scoped.length - 1;
    while (i >= 0 && ++pick[i] === scoped[i].sets.length) pick[i--] = 0;
    if (i < 0) return out;
  }
}

/** The ResourceSet's input sets combined with its providers' (flux-operator `inputs.Combine`). */
export function combineInputs(rs: K8sObject, providers: readonly ResolvedProvider[], where: string): ProviderInput[] {
  const spec = isObject(rs.spec) ? rs.spec : {};
  const meta = isObject(rs.metadata) ? rs.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'flux-system';
  const own = (Array.isArray(spec.inputs) ? spec.inputs : []).map((x, i) => {
    if (!isObject(x)) throw new InputError(`${where}: spec.inputs[${i}] must be a mapping`);
    return JSON.parse(JSON.stringify(x)) as ProviderInput;
  });
  const annotate = (sets: readonly ProviderInput[], p: { apiVersion: string; kind: string; name: string; namespace: string }) =>
    sets.map((s) => ({ ...s, provider: { apiVersion: p.apiVersion, kind: p.kind, name: p.name, namespace: p.namespace } }));
  const sorted = [...providers].sort((a, b) => cmp(a.spec.namespace, b.spec.namespace) || cmp(a.spec.name, b.spec.name));
  const all = [
    { name, inputs: annotate(own, { apiVersion: String(rs.apiVersion ?? 'fluxcd.controlplane.io/v1'), kind: 'ResourceSet', name, namespace }) },
    ...sorted.map((p) => ({ name: p.spec.name, inputs: annotate(p.inputs, { apiVersion: p.spec.apiVersion, kind: 'ResourceSetInputProvider', name: p.spec.name, namespace: p.spec.namespace }) })),
  ];
  const strategy = isObject(spec.inputStrategy) ? spec.inputStrategy : {};
  const strategyName = strategy.name === undefined || strategy.name === null || strategy.name === '' ? 'Flatten' : strategy.name;
  if (strategyName === 'Flatten') return all.flatMap((p) => p.inputs);
  if (strategyName === 'Permute') return permute(all, strategy.includeEmptyProviders === true, where);
  throw new InputError(`${where}: unknown input strategy: '${String(strategyName)}'`, 'spec.inputStrategy.name is Flatten or Permute');
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Expands a ResourceSet. `providers` are the ResourceSetInputProviders its `inputsFrom` selects, with their exported
 * inputs; a ResourceSet with `inputsFrom` and no resolved providers is refused (see loadFleetConfig). With
 * `inputsFrom` and no input set at all, nothing is rendered (the operator reconciles an empty set); without
 * `inputsFrom` and without inputs, each resource is rendered once.
 */
export function expandResourceSet(rs: K8sObject, source: string, providers?: readonly ResolvedProvider[]): K8sObject[] {
  const spec = isObject(rs.spec) ? rs.spec : {};
  const name = isObject(rs.metadata) ? String(rs.metadata.name ?? '') : '';
  const where = `ResourceSet ${clip(name)} (${clip(source)})`;
  const usesProviders = Array.isArray(spec.inputsFrom) && spec.inputsFrom.length > 0;
  if (usesProviders && providers === undefined) {
    throw new InputError(`${where} uses inputsFrom, whose ResourceSetInputProviders have not been resolved`, 'read the fleet with loadFleetConfig (the e2e-update action and `d2 update` do)');
  }
  const combined = combineInputs(rs, providers ?? [], where);
  const inputs: ProviderInput[] = combined.length > 0 ? combined : usesProviders ? [] : [{}];
  const resources = Array.isArray(spec.resources) ? spec.resources : [];
  const out: K8sObject[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    for (const res of resources) {
      const text = yamlStringify(res, { lineWidth: 0, minContentWidth: 0 });
      let rendered: string;
      try {
        // Flux Operator exposes the input set as the function `inputs` (`<< inputs.name >>`).
        const data = toGo(input);
        rendered = new Template(text, { ...sprigFuncs(), inputs: () => data }, { left: '<<', right: '>>' }).execute(data);
      } catch (err) {
        throw new InputError(`${where}: template error: ${clip(err instanceof Error ? err.message : String(err))}`, 'check the templates of the ResourceSet');
      }
      const d = parseAllDocuments(rendered)[0];
      if (!d || d.errors.length > 0) throw new InputError(`${where} rendered invalid YAML: ${clip(d?.errors[0]?.message ?? 'empty')}`, 'check the templates of the ResourceSet');
      const obj: unknown = documentToJS(d, `${where}: a rendered resource`);
      if (!isObject(obj)) continue;
      // As the operator: objects annotated `fluxcd.controlplane.io/reconcile: disabled` are left out, and an object
      // rendered again (same apiVersion, kind, namespace and name) is kept once.
      const m = isObject(obj.metadata) ? obj.metadata : {};
      if (isObject(m.annotations) && m.annotations['fluxcd.controlplane.io/reconcile'] === 'disabled') continue;
      const key = JSON.stringify([obj.apiVersion, obj.kind, m.namespace ?? '', m.name ?? '']);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(obj);
    }
  }
  return out;
}
