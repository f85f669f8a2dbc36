/**
 * Flux Operator `ResourceSetInputProvider` objects read from the fleet repository and resolved without a cluster
 * (docs/image-automation.md "ResourceSet inputsFrom"): what the operator would export in `status.exportedInputs`,
 * computed from the registry (OCIArtifactTag, through our OCI client) or the forge (GitHubTag, GitHubBranch, through
 * the GitHub REST API), or from `spec.defaultValues` alone (Static). Every other provider type is refused by name.
 *
 * Semantics follow flux-operator `internal/controller/resourcesetinputprovider_controller.go` (`makeFilters`,
 * `callOCIProvider`, the Static case), `internal/filtering` (`Filters.Tags`), `internal/gitprovider` (`ListTags`,
 * `ListBranches`, the tag selector, `Result.ToMap`, `MakeInputs`) and `internal/inputs/id.go` (Adler-32 ids); the
 * validation mirrors the CRD's CEL rules.
 */
import { D2Error, InputError } from '../../errors.js';
import { compileGoRegexp, GoRegexpError, type GoRegexp } from '../../base/index.js';
import { compareVersions, SemverConstraints, SemverSyntaxError, tryParseTagVersion, type SemVersion } from '../policy/semver.js';
import type { ManifestHeader, TagLister } from '../reflector/types.js';
import type { K8sObject } from '../k8s/index.js';

/** One exported input set (`status.exportedInputs[i]`): JSON values. */
export type ProviderInput = Record<string, unknown>;

/** Every `spec.type` the CRD admits (its enum). */
export const INPUT_PROVIDER_TYPES = [
  'Static',
  'GitHubBranch',
  'GitHubTag',
  'GitHubPullRequest',
  'GitLabBranch',
  'GitLabTag',
  'GitLabMergeRequest',
  'GitLabEnvironment',
  'AzureDevOpsBranch',
  'AzureDevOpsTag',
  'AzureDevOpsPullRequest',
  'AWSCodeCommitBranch',
  'AWSCodeCommitTag',
  'AWSCodeCommitPullRequest',
  'GiteaBranch',
  'GiteaTag',
  'GiteaPullRequest',
  'OCIArtifactTag',
  'ACRArtifactTag',
  'ECRArtifactTag',
  'GARArtifactTag',
  'ExternalService',
  'ExternalArtifact',
] as const;

/** The types resolved here; the others are refused with an error naming the type. */
export const SUPPORTED_INPUT_PROVIDER_TYPES = ['Static', 'OCIArtifactTag', 'GitHubTag', 'GitHubBranch'] as const;
export type SupportedInputProviderType = (typeof SUPPORTED_INPUT_PROVIDER_TYPES)[number];

/** The operator's default and maximum `spec.filter.limit`. */
export const DEFAULT_PROVIDER_LIMIT = 100;
export const MAX_PROVIDER_LIMIT = 10_000;
/** GitHub pages of 100, at most 1,000 pages (the operator's pagination guard). */
const GITHUB_PAGE_SIZE = 100;
const MAX_GITHUB_PAGES = 1000;

export interface ProviderFilter {
  include?: GoRegexp;
  exclude?: GoRegexp;
  semver?: SemverConstraints;
  limit: number;
}

/** A validated ResourceSetInputProvider. */
export interface InputProviderSpec {
  apiVersion: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  type: SupportedInputProviderType;
  /** `spec.url` (absent for Static). */
  url?: string;
  insecure: boolean;
  /** `spec.defaultValues`: added to every exported input that lacks the key. */
  defaults: ProviderInput;
  filter: ProviderFilter;
  /** `fluxcd.controlplane.io/reconcile: disabled`: the operator never reconciles it, so it exports nothing. */
  disabled: boolean;
  /** The file it was read from (for messages). */
  source: string;
}

/** `namespace/name`, the key of a provider's exported inputs. */
export const providerKey = (p: { namespace: string; name: string }): string => `${p.namespace}/${p.name}`;

const isObject = (v: unknown): v is K8sObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** flux-operator `inputs.ID`: the Adler-32 checksum of the UTF-8 bytes, in decimal. */
export function inputId(s: string): string {
  const MOD = 65521;
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % MOD;
    b = (b + a) % MOD;
  }
  return String(((b << 16) | a) >>> 0);
}

function stringField(spec: K8sObject, field: string, where: string): string | undefined {
  const v = spec[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InputError(`${where}: spec.${field} must be a string`);
  return v;
}

function compileFilterRegexp(pattern: string, field: string, where: string): GoRegexp {
  try {
    return compileGoRegexp(pattern);
  } catch (err) {
    if (!(err instanceof GoRegexpError)) throw err;
    throw new InputError(`${where}: invalid ${field} regex: ${err.message}`, `spec.filter.${field} is a Go regular expression (RE2 syntax)`);
  }
}

/**
 * The operator's `makeFilters`: one include and one exclude regex (the branch, tag and environment fields share
 * them; a later non-empty field replaces an earlier one in the order branch, tag, environment), the semver range
 * and the limit (default 100, at most 10,000 as the CRD validates).
 */
function parseFilter(value: unknown, where: string): ProviderFilter {
  if (value === undefined || value === null) return { limit: DEFAULT_PROVIDER_LIMIT };
  if (!isObject(value)) throw new InputError(`${where}: spec.filter must be a mapping`);
  const out: ProviderFilter = { limit: DEFAULT_PROVIDER_LIMIT };
  if (value.limit !== undefined && value.limit !== null) {
    const n = value.limit;
    if (typeof n !== 'number' || !Number.isInteger(n)) throw new InputError(`${where}: spec.filter.limit must be a whole number`);
    if (n > MAX_PROVIDER_LIMIT) throw new InputError(`${where}: spec.filter.limit must be at most ${MAX_PROVIDER_LIMIT}, got ${n}`);
    if (n > 0) out.limit = n;
  }
  for (const [kind, field] of [
    ['include', 'includeBranch'],
    ['include', 'includeTag'],
    ['include', 'includeEnvironment'],
    ['exclude', 'excludeBranch'],
    ['exclude', 'excludeTag'],
    ['exclude', 'excludeEnvironment'],
  ] as const) {
    const pattern = value[field];
    if (pattern === undefined || pattern === null || pattern === '') continue;
    if (typeof pattern !== 'string') throw new InputError(`${where}: spec.filter.${field} must be a string`);
    out[kind] = compileFilterRegexp(pattern, field, where);
  }
  if (value.semver !== undefined && value.semver !== null && value.semver !== '') {
    if (typeof value.semver !== 'string') throw new InputError(`${where}: spec.filter.semver must be a string`);
    try {
      out.semver = SemverConstraints.parse(value.semver);
    } catch (err) {
      if (!(err instanceof SemverSyntaxError)) throw err;
      throw new InputError(`${where}: invalid semver expression: ${err.message}`, 'spec.filter.semver is a Masterminds/semver range, e.g. ">=1.0.0" or "1.x"');
    }
  }
  if (value.labels !== undefined && value.labels !== null && !(Array.isArray(value.labels) && value.labels.length === 0)) {
    throw new InputError(`${where}: spec.filter.labels applies to pull requests, which are not supported here`, 'remove spec.filter.labels');
  }
  return out;
}

/** The JSON round trip the API server applies to `spec.defaultValues` (numbers stay numbers, dates become strings). */
function jsonValues(v: K8sObject, where: string): ProviderInput {
  try {
    return JSON.parse(JSON.stringify(v)) as ProviderInput;
  } catch (err) {
    throw new InputError(`${where}: invalid default values: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Parses and validates a ResourceSetInputProvider as the API server (CRD enum and CEL rules) and the operator would,
 * before any request: an unknown type, a type this tool cannot resolve, a malformed URL, an invalid regex or semver
 * range are all InputErrors naming the object.
 */
export function parseInputProvider(obj: K8sObject, source: string, defaultNamespace = 'flux-system'): InputProviderSpec {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  const name = typeof meta.name === 'string' ? meta.name : '';
  const namespace = typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : defaultNamespace;
  const where = `ResourceSetInputProvider ${namespace}/${name} (${source})`;
  const spec = isObject(obj.spec) ? obj.spec : {};
  const type = stringField(spec, 'type', where);
  if (!type) throw new InputError(`${where}: spec.type is required`, `one of ${SUPPORTED_INPUT_PROVIDER_TYPES.join(', ')}`);
  if (!(INPUT_PROVIDER_TYPES as readonly string[]).includes(type)) {
    throw new InputError(`${where}: spec.type '${type}' is not a ResourceSetInputProvider type`, `the supported types are ${SUPPORTED_INPUT_PROVIDER_TYPES.join(', ')}`);
  }
  if (!(SUPPORTED_INPUT_PROVIDER_TYPES as readonly string[]).includes(type)) {
    throw new InputError(
      `${where}: provider type '${type}' is not supported without a cluster`,
      `the supported types are ${SUPPORTED_INPUT_PROVIDER_TYPES.join(', ')}; list the inputs inline in the ResourceSet's spec.inputs instead`,
    );
  }
  const url = stringField(spec, 'url', where);
  if (type === 'Static' && url) throw new InputError(`${where}: spec.url must be empty when spec.type is 'Static'`);
  if (type !== 'Static' && !url) throw new InputError(`${where}: spec.url must not be empty when spec.type is not 'Static' or 'ExternalArtifact'`);
  if (type.startsWith('Git') && !/^https?:\/\//.test(url ?? '')) throw new InputError(`${where}: spec.url must start with 'http://' or 'https://' when spec.type is a Git provider`);
  if (type === 'OCIArtifactTag') {
    if (!url?.startsWith('oci://')) throw new InputError(`${where}: spec.url must start with 'oci://' when spec.type is an OCI provider`, 'e.g. oci://ghcr.io/org/app');
    if (!url.slice('oci://'.length).includes('/')) throw new InputError(`${where}: spec.url must include the repository path after the registry host when spec.type is an OCI provider`);
  }
  if (type.startsWith('GitHub')) parseGitHubUrl(url ?? '', where);
  const insecure = spec.insecure === true;
  if (insecure && type !== 'OCIArtifactTag') throw new InputError(`${where}: spec.insecure can only be set when spec.type is 'ExternalService' or 'OCIArtifactTag'`);
  if (spec.selectors !== undefined && spec.selectors !== null) throw new InputError(`${where}: spec.selectors must not be set when spec.type is not 'ExternalArtifact'`);
  if (isObject(spec.certSecretRef)) {
    throw new InputError(`${where}: spec.certSecretRef is not supported without a cluster`, 'the registry or forge must present a certificate the runner trusts (NODE_EXTRA_CA_CERTS)');
  }
  if (spec.defaultValues !== undefined && spec.defaultValues !== null && !isObject(spec.defaultValues)) {
    throw new InputError(`${where}: invalid default values: spec.defaultValues must be a mapping`);
  }
  const labels: Record<string, string> = {};
  if (isObject(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (typeof v === 'string') labels[k] = v;
  const annotations = isObject(meta.annotations) ? meta.annotations : {};
  const reconcile = annotations['fluxcd.controlplane.io/reconcile'];
  return {
    apiVersion: typeof obj.apiVersion === 'string' ? obj.apiVersion : 'fluxcd.controlplane.io/v1',
    namespace,
    name,
    labels,
    type: type as SupportedInputProviderType,
    ...(url ? { url } : {}),
    insecure,
    defaults: isObject(spec.defaultValues) ? jsonValues(spec.defaultValues, where) : {},
    filter: parseFilter(spec.filter, where),
    disabled: typeof reconcile === 'string' && reconcile.toLowerCase() === 'disabled',
    source,
  };
}

/** flux-operator `parseGitHubURL`: `scheme://host/<owner>/<repo>`, exactly two path segments. */
export function parseGitHubUrl(url: string, where = 'GitHub URL'): { origin: string; owner: string; repo: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError(`${where}: invalid URL "${url}"`);
  }
  if (u.username || u.password) throw new InputError(`${where}: spec.url must not contain credentials`, 'the token comes from the `tokens` or `token` input');
  const parts = u.pathname.replace(/^\/+/, '').split('/');
  if (parts.length !== 2 || parts.some((p) => p === '')) throw new InputError(`${where}: invalid GitHub URL "${url}": can't find owner and repository`, 'e.g. https://github.com/org/repo');
  return { origin: u.origin, owner: decodeURIComponent(parts[0]), repo: decodeURIComponent(parts[1]) };
}

/** `NewResourceSetInput(defaults, m)`: the result's keys, then every default whose key is missing. */
function withDefaults(result: ProviderInput, defaults: ProviderInput): ProviderInput {
  const out: ProviderInput = { ...result };
  for (const [k, v] of Object.entries(defaults)) if (!(k in out)) out[k] = v;
  return out;
}

/**
 * Tags kept by a filter, best first: include/exclude, then the semver range (tags that fluxcd/pkg `ParseVersion`
 * rejects are dropped) sorted by version descending with the listing order kept between equal versions, or without
 * a range every tag in descending byte order; then the limit. (`Filters.Tags`; the git providers' tag selector
 * yields the same order.)
 */
export function selectTags(tags: readonly string[], filter: ProviderFilter): string[] {
  const matched = tags.filter((t) => (!filter.include || filter.include.test(t)) && !(filter.exclude && filter.exclude.test(t)));
  let ordered: string[];
  if (filter.semver) {
    const semver = filter.semver;
    const parsed: Array<{ tag: string; v: SemVersion }> = [];
    for (const tag of matched) {
      const v = tryParseTagVersion(tag);
      if (v && semver.check(v)) parsed.push({ tag, v });
    }
    // Array.prototype.sort is stable: equal versions keep the listing order.
    ordered = parsed.sort((a, b) => compareVersions(b.v, a.v)).map((p) => p.tag);
  } else {
    ordered = [...matched].sort((a, b) => Buffer.compare(Buffer.from(b, 'utf8'), Buffer.from(a, 'utf8')));
  }
  return ordered.slice(0, filter.limit);
}

/** A tag or branch as the forge lists it. */
export interface ForgeRef {
  name: string;
  /** The commit it points at. */
  sha: string;
}

/** What the GitHub providers need from the forge, page by page in the API's order (consumer-declared). */
export interface ForgeClient {
  /** `GET /repos/{owner}/{repo}/tags` page `page` (1-based) of `perPage`. */
  listTags(owner: string, repo: string, page: number, perPage: number): Promise<ForgeRef[]>;
  /** `GET /repos/{owner}/{repo}/branches` page `page` (1-based) of `perPage`. */
  listBranches(owner: string, repo: string, page: number, perPage: number): Promise<ForgeRef[]>;
}

export interface InputProviderDeps {
  /** The registry client (OCIArtifactTag). */
  registry?: TagLister & ManifestHeader;
  /** A GitHub client for a provider URL (GitHubTag, GitHubBranch); the caller picks the API URL and the token. */
  github?: (url: string) => ForgeClient;
}

async function allPages(fetchPage: (page: number) => Promise<ForgeRef[]>, what: string, stop?: (soFar: number) => boolean): Promise<ForgeRef[]> {
  const out: ForgeRef[] = [];
  for (let page = 1; page <= MAX_GITHUB_PAGES; page++) {
    const items = await fetchPage(page);
    out.push(...items);
    if (items.length < GITHUB_PAGE_SIZE || stop?.(out.length)) return out;
  }
  throw new D2Error(`${what}: pagination exceeds maximum of ${MAX_GITHUB_PAGES} pages`, { code: 'PROVIDER_FAILED' });
}

function providerError(p: InputProviderSpec, what: string, err: unknown): D2Error {
  const message = err instanceof Error ? err.message : String(err);
  return new D2Error(`ResourceSetInputProvider ${providerKey(p)}: ${what}: ${message}`, {
    code: err instanceof D2Error ? err.code : 'PROVIDER_FAILED',
    hint: err instanceof D2Error && err.hint ? err.hint : p.type === 'OCIArtifactTag' ? 'check registry-credentials for the registry' : 'check the token mapped to the repository (tokens / token)',
    cause: err,
  });
}

/** The exported inputs of a Static or disabled provider (no request needed); see resolveInputProvider. */
export function staticProviderInputs(p: InputProviderSpec): ProviderInput[] {
  if (p.disabled) return [];
  if (p.type !== 'Static') throw new D2Error(`ResourceSetInputProvider ${providerKey(p)}: type ${p.type} needs a request`, { code: 'PROVIDER_FAILED' });
  return [withDefaults({ id: inputId(providerKey(p)) }, p.defaults)];
}

/**
 * The provider's `status.exportedInputs`, computed now. Static: one input, `defaultValues` plus `id` (the Adler-32
 * of `namespace/name`: a cluster uses the object's UID, which does not exist outside one). A disabled provider
 * exports nothing, as on a fresh cluster.
 */
export async function resolveInputProvider(p: InputProviderSpec, deps: InputProviderDeps): Promise<ProviderInput[]> {
  if (p.disabled) return [];
  switch (p.type) {
    case 'Static':
      return staticProviderInputs(p);
    case 'OCIArtifactTag': {
      if (!deps.registry) throw new D2Error(`ResourceSetInputProvider ${providerKey(p)}: no registry client to list OCI tags`, { code: 'PROVIDER_FAILED' });
      const ref = (p.url ?? '').slice('oci://'.length);
      const slash = ref.indexOf('/');
      const repo = { registry: ref.slice(0, slash), repository: ref.slice(slash + 1), ...(p.insecure ? { insecure: true } : {}) };
      let tags: string[];
      try {
        tags = await deps.registry.listTags(repo);
      } catch (err) {
        throw providerError(p, `failed to list OCI tags for '${ref}'`, err);
      }
      const out: ProviderInput[] = [];
      for (const tag of selectTags(tags, p.filter)) {
        let digest: string | undefined;
        try {
          digest = (await deps.registry.headManifest(repo, tag))?.digest;
        } catch (err) {
          throw providerError(p, `failed to get digest for tag '${tag}' in repository '${ref}'`, err);
        }
        if (!digest) throw providerError(p, `failed to get digest for tag '${tag}' in repository '${ref}'`, 'manifest not found');
        out.push(withDefaults({ id: inputId(tag), tag, digest }, p.defaults));
      }
      return out;
    }
    case 'GitHubTag':
    case 'GitHubBranch': {
      if (!deps.github) throw new D2Error(`ResourceSetInputProvider ${providerKey(p)}: no GitHub client`, { code: 'PROVIDER_FAILED' });
      const { owner, repo } = parseGitHubUrl(p.url ?? '');
      const client = deps.github(p.url ?? '');
      if (p.type === 'GitHubTag') {
        let refs: ForgeRef[];
        try {
          refs = await allPages((page) => client.listTags(owner, repo, page, GITHUB_PAGE_SIZE), 'GitHub tags');
        } catch (err) {
          throw providerError(p, 'failed to list tags', err);
        }
        // Duplicate names keep the last listing's commit, as the operator's selector does.
        const sha = new Map(refs.map((r) => [r.name, r.sha]));
        return selectTags(
          refs.map((r) => r.name),
          p.filter,
        ).map((tag) => withDefaults({ id: inputId(tag), sha: sha.get(tag) ?? '', tag }, p.defaults));
      }
      // Branches: the API's order, include/exclude, stop at the limit (`ListBranches`).
      const out: ProviderInput[] = [];
      const keep = (b: ForgeRef) => (!p.filter.include || p.filter.include.test(b.name)) && !(p.filter.exclude && p.filter.exclude.test(b.name));
      try {
        await allPages(
          async (page) => {
            const items = await client.listBranches(owner, repo, page, GITHUB_PAGE_SIZE);
            for (const b of items) if (out.length < p.filter.limit && keep(b)) out.push(withDefaults({ id: inputId(b.name), sha: b.sha, branch: b.name }, p.defaults));
            return items;
          },
          'GitHub branches',
          () => out.length >= p.filter.limit,
        );
      } catch (err) {
        throw providerError(p, 'failed to list branches', err);
      }
      return out;
    }
  }
}
