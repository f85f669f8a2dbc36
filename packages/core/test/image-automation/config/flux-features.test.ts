/**
 * The Flux features fleets use (docs/image-automation.md): GitRepository checkout refs with source-controller's
 * precedence and image-automation-controller's push rule, `kind: List` documents, ResourceSet `inputsFrom` with
 * Static providers and both input strategies, `postBuild.substituteFrom` Secrets from the environment, and the
 * per-repository token map. Every bad input is an InputError before anything is cloned.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import {
  checkTokensCover,
  combineInputs,
  expandResourceSet,
  fleetInputProviders,
  inputId,
  loadPolicies,
  normalizeKeyForTemplate,
  parseInputProvider,
  parseObjects,
  parseSubstituteSecrets,
  parseTokenMap,
  readFleetConfig,
  readManifestDir,
  resolveInputProvider,
  secretRedactor,
  selectTags,
  type ProviderFilter,
} from '../../../src/image-automation/config/index.js';
import { compileGoRegexp } from '../../../src/base/index.js';
import { SemverConstraints } from '../../../src/image-automation/policy/semver.js';
import { automationYaml, gitRepositoryYaml, kustomizationYaml, scratchTrees } from './helpers.js';

const tree = scratchTrees('d2-fluxfeat-');


const fleet = (ref: string, git: string, postBuild = '') => tree({ 'c/source.yaml': gitRepositoryYaml(ref), 'c/ks.yaml': kustomizationYaml(postBuild), 'c/auto.yaml': automationYaml(git) });

describe('GitRepository checkout refs (source-controller precedence, IAC push rule)', () => {
  it('tag, semver, commit and name become a checkout ref; the push branch is required and always differs', () => {
    const push = '    push:\n      branch: image-updates\n';
    const [tag] = readFleetConfig(fleet('  ref:\n    tag: v1.0.0\n', push), 'c');
    expect(tag.git).toEqual({ url: 'https://git.example.com/team/repo.git', checkoutRef: { tag: 'v1.0.0' }, pushBranch: 'image-updates', refspec: undefined, pushOptions: [] });
    const [semver] = readFleetConfig(fleet('  ref:\n    semver: ">=1.0.0"\n', push), 'c');
    expect(semver.git.checkoutRef).toEqual({ semver: '>=1.0.0' });
    const sha = 'a'.repeat(40);
    const [commit] = readFleetConfig(fleet(`  ref:\n    branch: main\n    commit: "${sha}"\n`, push), 'c');
    expect(commit.git).toMatchObject({ checkoutBranch: 'main', checkoutRef: { commit: sha } });
    const [name] = readFleetConfig(fleet('  ref:\n    name: refs/tags/v2.0.0\n', push), 'c');
    expect(name.git.checkoutRef).toEqual({ name: 'refs/tags/v2.0.0' });
  });

  it('precedence: commit > name > semver > tag > branch; only the deciding field is kept', () => {
    const push = '    push:\n      branch: updates\n';
    const all = `  ref:\n    branch: main\n    tag: v1\n    semver: "1.x"\n    name: refs/tags/v1\n    commit: "${'b'.repeat(40)}"\n`;
    expect(readFleetConfig(fleet(all, push), 'c')[0].git.checkoutRef).toEqual({ commit: 'b'.repeat(40) });
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n    tag: v1\n    semver: "1.x"\n    name: refs/tags/v1\n', push), 'c')[0].git.checkoutRef).toEqual({ name: 'refs/tags/v1' });
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n    tag: v1\n    semver: "1.x"\n', push), 'c')[0].git.checkoutRef).toEqual({ semver: '1.x' });
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n    tag: v1\n', push), 'c')[0].git.checkoutRef).toEqual({ tag: 'v1' });
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n', push), 'c')[0].git).not.toHaveProperty('checkoutRef');
  });

  it("the automation's checkout ref wins over the GitRepository's", () => {
    const git = '    checkout:\n      ref:\n        tag: v3.0.0\n    push:\n      branch: updates\n';
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n', git), 'c')[0].git.checkoutRef).toEqual({ tag: 'v3.0.0' });
  });

  it('without push.branch the push branch is ref.branch; a tag checkout without either fails with IAC\'s message', () => {
    expect(readFleetConfig(fleet('  ref:\n    branch: main\n', ''), 'c')[0].git).toMatchObject({ checkoutBranch: 'main', pushBranch: 'main' });
    const noPush = /push spec not provided, and cannot be inferred from .spec.git.checkout.ref or GitRepository .spec.ref/;
    expect(() => readFleetConfig(fleet('  ref:\n    tag: v1.0.0\n', ''), 'c')).toThrow(noPush);
    expect(() => readFleetConfig(fleet('', ''), 'c')).toThrow(noPush);
    expect(() => readFleetConfig(fleet('  ref:\n    name: refs/heads/main\n', ''), 'c')).toThrow(noPush);
  });

  it('bad refs are InputErrors naming the field', () => {
    const push = '    push:\n      branch: updates\n';
    expect(() => readFleetConfig(fleet('  ref:\n    commit: abc1234\n', push), 'c')).toThrow(/ref.commit 'abc1234' is not a full commit SHA/);
    expect(() => readFleetConfig(fleet('  ref:\n    semver: "not a range"\n', push), 'c')).toThrow(/semver parse error/);
    expect(() => readFleetConfig(fleet('  ref:\n    tag: "bad..tag"\n', push), 'c')).toThrow(/is not a valid tag name/);
    expect(() => readFleetConfig(fleet('  ref:\n    name: "refs//x"\n', push), 'c')).toThrow(/is not a valid git reference/);
    expect(() => readFleetConfig(fleet('  ref:\n    tag: 3\n', push), 'c')).toThrow(/ref.tag must be a string/);
  });
});

describe('kind: List documents (kustomize inlineAnyEmbeddedLists)', () => {
  it('inlines items (also nested lists, after the file\'s other documents); items: null is empty; a List without items stays', () => {
    const text = `apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}
  - apiVersion: v1
    kind: ConfigMapList
    items:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}
  - {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
---
kind: List
items: null
---
kind: ServiceList
metadata: {name: not-a-collection}
`;
    expect(parseObjects(text, 'l.yaml').map((o) => `${o.kind}/${(o.metadata as { name: string }).name}`)).toEqual([
      'Secret/s',
      'ServiceList/not-a-collection',
      'ConfigMap/a',
      'ConfigMap/b',
      'ConfigMap/c',
    ]);
  });

  it('items that are not a list, or not objects, are errors', () => {
    expect(() => parseObjects('kind: List\nitems: {a: 1}\n', 'l.yaml')).toThrow(/l.yaml: expected array in List\/items/);
    expect(() => parseObjects('kind: List\nitems: [1]\n', 'l.yaml')).toThrow(/List\/items\[0\] is not an object/);
  });

  it('the update cluster and the policies may be Lists', () => {
    const dir = tree({
      'c/all.yaml': `apiVersion: v1
kind: List
items:
${[gitRepositoryYaml('  ref:\n    branch: main\n'), kustomizationYaml(), automationYaml('    push:\n      branch: updates\n')].map((d) => `  - ${d.trimEnd().split('\n').join('\n    ')}`).join('\n')}
`,
      'flux/policies/list.yaml': `apiVersion: v1
kind: List
items:
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImageRepository
    metadata: {name: app}
    spec: {image: registry.example.com/app}
  - apiVersion: image.toolkit.fluxcd.io/v1
    kind: ImagePolicy
    metadata: {name: app}
    spec: {imageRepositoryRef: {name: app}, policy: {semver: {range: 1.x}}}
`,
    });
    const [t] = readFleetConfig(dir, 'c');
    expect(t.git).toMatchObject({ checkoutBranch: 'main', pushBranch: 'updates' });
    const p = loadPolicies(dir, t);
    expect(p.repositories.map((r) => r.name)).toEqual(['app']);
    expect(p.policies.map((x) => `${x.namespace}/${x.name}`)).toEqual(['team/app']);
    expect(readManifestDir(dir, 'flux/policies')).toHaveLength(2);
  });
});

describe('postBuild.substituteFrom Secrets from the environment', () => {
  const postBuild = (optional = false) => `  postBuild:
    substituteFrom:
      - kind: ConfigMap
        name: vars
      - kind: Secret
        name: creds
${optional ? '        optional: true\n' : ''}    substitute:
      INLINE: inline
`;
  const withCm = (pb: string) =>
    tree({
      'c/source.yaml': gitRepositoryYaml('  ref:\n    branch: main\n'),
      'c/ks.yaml': kustomizationYaml(pb),
      'c/auto.yaml': automationYaml(''),
      'c/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: vars\n  namespace: team\ndata:\n  REGISTRY: from-configmap\n  HOST: cm-host\n',
    });

  it('a Secret named in substitute-secrets supplies its keys (later sources win, inline substitute last)', () => {
    const secrets = parseSubstituteSecrets('team/creds.HOST=SECRET_HOST\nteam/creds.TOKEN_PART', { SECRET_HOST: 'secret-host', TOKEN_PART: 's3cr3t' });
    const [t] = readFleetConfig(withCm(postBuild()), 'c', { secrets: secrets.data });
    expect(t.policies.substitute).toEqual({ REGISTRY: 'from-configmap', HOST: 'secret-host', TOKEN_PART: 's3cr3t', INLINE: 'inline' });
    expect(secrets.values).toEqual(['secret-host', 's3cr3t']);
  });

  it('an unmapped Secret is an error naming the input to use, unless optional', () => {
    expect(() => readFleetConfig(withCm(postBuild()), 'c')).toThrow(/Secret team\/creds for post-build substitution not found/);
    let thrown: unknown;
    try {
      readFleetConfig(withCm(postBuild()), 'c');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).hint).toContain('substitute-secrets (team/creds.<KEY>=<ENV_VAR>)');
    expect(readFleetConfig(withCm(postBuild(true)), 'c')[0].policies.substitute).toEqual({ REGISTRY: 'from-configmap', HOST: 'cm-host', INLINE: 'inline' });
  });

  it('bad lines, unset or empty variables are errors that never contain a value', () => {
    const env = { SET: 'value-1', EMPTY: '' };
    expect(() => parseSubstituteSecrets('team-creds.KEY=SET', env)).toThrow(/line 1: expected <namespace>\/<secret-name>.<key>/);
    expect(() => parseSubstituteSecrets('Team/creds.KEY=SET', env)).toThrow(/'Team' is not a valid namespace/);
    expect(() => parseSubstituteSecrets('team/Creds.KEY=SET', env)).toThrow(/'Creds' is not a valid Secret name/);
    expect(() => parseSubstituteSecrets('team/creds.tls-crt=SET', env)).toThrow(/key 'tls-crt' cannot be used as a substitution variable/);
    expect(() => parseSubstituteSecrets('# comment\n\nteam/creds.KEY=NOT_SET', env)).toThrow(/line 3: environment variable NOT_SET \(for team\/creds.KEY\) is not set/);
    expect(() => parseSubstituteSecrets('team/creds.KEY=EMPTY', env)).toThrow(/environment variable EMPTY .* is empty/);
    expect(() => parseSubstituteSecrets('team/creds.KEY=SET\nteam/creds.KEY=SET', env)).toThrow(/line 2: team\/creds.KEY is mapped twice/);
    expect(() => parseSubstituteSecrets('team/creds.KEY=1BAD', env)).toThrow(/'1BAD' is not an environment variable name/);
    for (const bad of ['team/creds.KEY=NOT_SET', 'team/creds.KEY=SET\nteam/creds.KEY=SET']) {
      try {
        parseSubstituteSecrets(bad, env);
      } catch (err) {
        expect(String((err as Error).message) + String((err as InputError).hint)).not.toContain('value-1');
      }
    }
    // A dotted Secret name: the key is after the last dot.
    expect(parseSubstituteSecrets('team/my.creds.KEY=SET', env).data.get('team/my.creds')).toEqual({ KEY: 'value-1' });
  });

  it('the redactor replaces every value, longest first', () => {
    const r = secretRedactor(['abc', 'abcdef', '']);
    expect(r('x abcdef y abc z')).toBe('x *** y *** z');
    expect(secretRedactor([])('abc')).toBe('abc');
  });
});

describe('tokens: a token per repository', () => {
  it('maps URLs, host/owner/name and owner/name (on the run\'s server); others fall back to token', () => {
    const m = parseTokenMap('https://github.com/Org/Apps.git=t-apps\n# comment\n\ngit.example.com:8443/team/infra=t=infra==\norg/fleet = t-fleet\n', {
      fallback: 'fallback',
      serverUrl: 'https://github.example.com',
    });
    expect(m.tokenFor('https://github.com/org/apps')).toBe('t-apps');
    expect(m.tokenFor('https://git.example.com:8443/team/infra.git')).toBe('t=infra==');
    expect(m.tokenFor('https://github.example.com/org/fleet.git')).toBe('t-fleet');
    // owner/name is on GITHUB_SERVER_URL only: never sent to another host.
    expect(m.tokenFor('https://github.com/org/fleet.git')).toBe('fallback');
    expect(m.has('https://github.com/org/fleet.git')).toBe(false);
    expect(m.unused()).toEqual([]);
    expect(parseTokenMap('org/x=t').tokenFor('https://github.com/org/x')).toBe('t');
    expect(parseTokenMap('org/x=t').tokenFor('https://github.com/org/y')).toBeUndefined();
    expect(parseTokenMap('org/x=t\norg/y=u').unused().sort()).toEqual(['github.com/org/x', 'github.com/org/y']);
  });

  it('bad lines are errors that never echo a token', () => {
    const cases: Array<[string, RegExp]> = [
      ['ghp_secret_without_equals', /line 1: expected <repository>=<token>/],
      ['org/repo=', /line 1: the token for org\/repo is empty/],
      ['https://user:pw@github.com/o/r=ghp_x', /must not contain credentials/],
      ['just-a-name=ghp_x', /'just-a-name' does not name a repository/],
      ['org/repo=ghp_a\nORG/REPO.git=ghp_b', /line 2: ORG\/REPO.git is mapped twice/],
      ['ftp://host/o/r=ghp_x', /is not an http\(s\) repository URL/],
    ];
    for (const [text, re] of cases) {
      let thrown: unknown;
      try {
        parseTokenMap(text);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, text).toBeInstanceOf(InputError);
      expect((thrown as Error).message).toMatch(re);
      expect(`${(thrown as Error).message} ${(thrown as InputError).hint ?? ''}`).not.toMatch(/ghp_/);
    }
  });

  it('with a mapping in use, a repository with neither its own token nor the fallback is refused', () => {
    const urls = ['https://github.com/org/apps.git', 'https://github.com/org/infra.git', 'file:///tmp/local.git'];
    expect(() => checkTokensCover(urls, parseTokenMap('org/apps=t'))).toThrow(/no token for github.com\/org\/infra: tokens does not map it and token is empty/);
    expect(() => checkTokensCover(urls, parseTokenMap('org/apps=t', { fallback: 'f' }))).not.toThrow();
    expect(() => checkTokensCover(urls, parseTokenMap('org/apps=t\norg/infra=u'))).not.toThrow();
    // No mapping at all: today's behaviour (the token is optional, e.g. for public repositories or file://).
    expect(() => checkTokensCover(urls, parseTokenMap(''))).not.toThrow();
  });
});

describe('ResourceSetInputProvider validation (CRD enum and CEL rules)', () => {
  const rsip = (spec: string, meta = '') => parseObjects(`apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata:\n  name: p\n  namespace: team\n${meta}spec:\n${spec}`, 'p.yaml')[0];
  const parse = (spec: string) => () => parseInputProvider(rsip(spec), 'p.yaml');

  it('refuses the types it cannot resolve, naming the type', () => {
    for (const type of ['GitHubPullRequest', 'GitLabTag', 'GitLabBranch', 'GiteaTag', 'AzureDevOpsTag', 'AWSCodeCommitBranch', 'ACRArtifactTag', 'ECRArtifactTag', 'GARArtifactTag', 'ExternalService', 'ExternalArtifact']) {
      expect(parse(`  type: ${type}\n  url: https://x.example.com/o/r\n`), type).toThrow(new RegExp(`provider type '${type}' is not supported without a cluster`));
    }
    expect(parse('  type: Foo\n')).toThrow(/spec.type 'Foo' is not a ResourceSetInputProvider type/);
    expect(parse('  url: https://x\n')).toThrow(/spec.type is required/);
  });

  it('mirrors the CEL rules and the operator\'s filter checks', () => {
    expect(parse('  type: Static\n  url: https://x\n')).toThrow(/spec.url must be empty when spec.type is 'Static'/);
    expect(parse('  type: GitHubTag\n')).toThrow(/spec.url must not be empty/);
    expect(parse('  type: GitHubTag\n  url: oci://x/y\n')).toThrow(/must start with 'http:\/\/' or 'https:\/\/' when spec.type is a Git provider/);
    expect(parse('  type: GitHubTag\n  url: https://github.com/only-owner\n')).toThrow(/can't find owner and repository/);
    expect(parse('  type: OCIArtifactTag\n  url: https://ghcr.io/x\n')).toThrow(/must start with 'oci:\/\/'/);
    expect(parse('  type: OCIArtifactTag\n  url: oci://ghcr.io\n')).toThrow(/must include the repository path after the registry host/);
    expect(parse('  type: GitHubTag\n  url: https://github.com/o/r\n  insecure: true\n')).toThrow(/spec.insecure can only be set when spec.type is 'ExternalService' or 'OCIArtifactTag'/);
    expect(parse('  type: Static\n  defaultValues: [1]\n')).toThrow(/invalid default values/);
    expect(parse('  type: GitHubTag\n  url: https://github.com/o/r\n  filter:\n    includeTag: "[("\n')).toThrow(/invalid includeTag regex: error parsing regexp/);
    expect(parse('  type: GitHubTag\n  url: https://github.com/o/r\n  filter:\n    semver: "not a range"\n')).toThrow(/invalid semver expression/);
    expect(parse('  type: GitHubTag\n  url: https://github.com/o/r\n  filter:\n    limit: 10001\n')).toThrow(/spec.filter.limit must be at most 10000/);
    expect(parse('  type: OCIArtifactTag\n  url: oci://r.example.com/a\n  certSecretRef:\n    name: ca\n')).toThrow(/certSecretRef is not supported/);
  });

  it('the last non-empty include/exclude field wins (branch, tag, environment), limit defaults to 100', () => {
    const p = parseInputProvider(rsip('  type: GitHubBranch\n  url: https://github.com/o/r\n  filter:\n    includeBranch: "^a"\n    includeTag: "^b"\n'), 'p.yaml');
    expect(p.filter.include?.source).toBe('^b');
    expect(p.filter.limit).toBe(100);
    expect(p.disabled).toBe(false);
    expect(parseInputProvider(rsip('  type: Static\n', '  annotations:\n    fluxcd.controlplane.io/reconcile: disabled\n'), 'p.yaml').disabled).toBe(true);
  });
});

describe('provider inputs and ResourceSet combination (flux-operator internal/inputs)', () => {
  it('ids are the Adler-32 checksum in decimal', () => {
    expect(inputId('Wikipedia')).toBe('300286872'); // 0x11E60398, the checksum's textbook example
    expect(inputId('')).toBe('1');
  });

  it('tag selection: semver descending (listing order kept for equal versions), else descending bytes; include, exclude, limit', () => {
    const f = (o: Partial<ProviderFilter>): ProviderFilter => ({ limit: 100, ...o });
    const tags = ['1.0.0', 'v1.2.0', 'latest', '1.2.0', '2.0.0-rc.1', '1.10.0', 'v0.9.0'];
    expect(selectTags(tags, f({ semver: SemverConstraints.parse('>=1.0.0') }))).toEqual(['1.10.0', 'v1.2.0', '1.2.0', '1.0.0']);
    expect(selectTags(tags, f({}))).toEqual(['v1.2.0', 'v0.9.0', 'latest', '2.0.0-rc.1', '1.2.0', '1.10.0', '1.0.0']);
    expect(selectTags(tags, f({ include: compileGoRegexp('^v'), exclude: compileGoRegexp('^v0') }))).toEqual(['v1.2.0']);
    expect(selectTags(tags, f({ semver: SemverConstraints.parse('>=1.0.0'), limit: 1 }))).toEqual(['1.10.0']);
  });

  it('a Static provider exports defaultValues and an id; a disabled one nothing', async () => {
    const p = parseInputProvider(parseObjects('kind: ResourceSetInputProvider\napiVersion: fluxcd.controlplane.io/v1\nmetadata: {name: s, namespace: team}\nspec:\n  type: Static\n  defaultValues:\n    env: prod\n    replicas: 2\n    id: user-id\n', 's.yaml')[0], 's.yaml');
    // A default never overrides a value the provider sets.
    expect(await resolveInputProvider(p, {})).toEqual([{ id: inputId('team/s'), env: 'prod', replicas: 2 }]);
    expect(await resolveInputProvider({ ...p, disabled: true }, {})).toEqual([]);
  });

  it('Flatten: the ResourceSet\'s inputs first, then providers by name, each annotated with its provider', () => {
    const rs = { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', metadata: { name: 'rs', namespace: 'team' }, spec: { inputs: [{ a: 1 }] } };
    const prov = (name: string, inputs: object[]) => ({ spec: { apiVersion: 'fluxcd.controlplane.io/v1', namespace: 'team', name }, inputs: inputs as Array<Record<string, unknown>> });
    expect(combineInputs(rs, [prov('zeta', [{ z: 1 }]), prov('alpha', [{ x: 1 }, { x: 2 }])], 'rs')).toEqual([
      { a: 1, provider: { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', name: 'rs', namespace: 'team' } },
      { x: 1, provider: { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSetInputProvider', name: 'alpha', namespace: 'team' } },
      { x: 2, provider: { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSetInputProvider', name: 'alpha', namespace: 'team' } },
      { z: 1, provider: { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSetInputProvider', name: 'zeta', namespace: 'team' } },
    ]);
  });

  it('Permute: the Cartesian product under normalized names, id from name=index, empty providers skipped unless included', () => {
    const rs = (strategy: object, inputs: object[] = [{ id: 'id1' }, { id: 'id2' }]) => ({ apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', metadata: { name: 'my-rset', namespace: 'team' }, spec: { inputStrategy: strategy, inputs } });
    const prov = (name: string, inputs: object[]) => ({ spec: { apiVersion: 'fluxcd.controlplane.io/v1', namespace: 'team', name }, inputs: inputs as Array<Record<string, unknown>> });
    const out = combineInputs(rs({ name: 'Permute' }), [prov('git-tag', [{ tag: 'v1' }]), prov('oci.tag', [{ digest: 'd1' }, { digest: 'd2' }]), prov('empty', [])], 'rs');
    expect(out.map((p) => [p.id, (p.my_rset as { id: string }).id, (p.git_tag as { tag: string }).tag, (p.oci_tag as { digest: string }).digest])).toEqual([
      [inputId('my_rset=0/git_tag=0/oci_tag=0'), 'id1', 'v1', 'd1'],
      [inputId('my_rset=0/git_tag=0/oci_tag=1'), 'id1', 'v1', 'd2'],
      [inputId('my_rset=1/git_tag=0/oci_tag=0'), 'id2', 'v1', 'd1'],
      [inputId('my_rset=1/git_tag=0/oci_tag=1'), 'id2', 'v1', 'd2'],
    ]);
    expect(combineInputs(rs({ name: 'Permute', includeEmptyProviders: true }), [prov('git-tag', [{ tag: 'v1' }]), prov('empty', [])], 'rs')).toEqual([]);
    expect(() => combineInputs(rs({ name: 'Random' }), [], 'rs')).toThrow(/unknown input strategy: 'Random'/);
    const big = Array.from({ length: 101 }, (_, i) => ({ i }));
    expect(() => combineInputs(rs({ name: 'Permute' }, big), [prov('a', big)], 'rs')).toThrow(/would exceed the maximum allowed permutations. max: 10000, got: 10201/);
    expect(normalizeKeyForTemplate('My Rset.v2--x')).toBe('my_rset_v2_x');
  });

  it('inputsFrom by name and by selector in the update cluster; only non-Static providers need resolving', () => {
    const dir = tree({
      'c/providers.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: settings
  namespace: team
  labels: {role: settings}
spec:
  type: Static
  defaultValues:
    pushBranch: image-updates
    branch: main
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: releases
  namespace: team
spec:
  type: OCIArtifactTag
  url: oci://registry.example.com/team/app
---
apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSetInputProvider
metadata:
  name: elsewhere
  namespace: other
  labels: {role: settings}
spec:
  type: GitLabTag
  url: https://gitlab.example.com/o/r
`,
      'c/rs.yaml': `apiVersion: fluxcd.controlplane.io/v1
kind: ResourceSet
metadata:
  name: automation
  namespace: team
spec:
  inputsFrom:
    - kind: ResourceSetInputProvider
      selector:
        matchLabels: {role: settings}
  resources:
    - ${gitRepositoryYaml('  ref:\n    branch: << inputs.branch >>\n').trimEnd().split('\n').join('\n      ')}
    - ${kustomizationYaml().trimEnd().split('\n').join('\n      ')}
    - apiVersion: image.toolkit.fluxcd.io/v1
      kind: ImageUpdateAutomation
      metadata: {name: auto, namespace: team}
      spec:
        sourceRef: {kind: GitRepository, name: repo}
        git:
          commit:
            author: {email: bot@example.com}
            messageTemplateValues:
              provider: << inputs.provider.name >>
          push:
            branch: << inputs.pushBranch >>
`,
    });
    // The GitLabTag provider is in another namespace: not selected, so not refused. The OCI one is not selected.
    expect(fleetInputProviders(dir, 'c')).toEqual([]);
    const [t] = readFleetConfig(dir, 'c');
    expect(t.git).toMatchObject({ checkoutBranch: 'main', pushBranch: 'image-updates' });
    expect(t.commit.values).toEqual({ provider: 'settings' });
  });

  it('a ResourceSet using inputsFrom renders nothing when the providers export nothing; unresolved or missing providers are errors', () => {
    const rs = { apiVersion: 'fluxcd.controlplane.io/v1', kind: 'ResourceSet', metadata: { name: 'rs' }, spec: { inputsFrom: [{ name: 'p' }], resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }] } };
    expect(expandResourceSet(rs, 'rs.yaml', [])).toEqual([]);
    expect(() => expandResourceSet(rs, 'rs.yaml')).toThrow(/uses inputsFrom, whose ResourceSetInputProviders have not been resolved/);
    const dir = tree({
      'c/rs.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata: {name: rs, namespace: team}\nspec:\n  inputsFrom:\n    - name: missing\n  resources: []\n',
    });
    expect(() => readFleetConfig(dir, 'c')).toThrow(/failed to get provider team\/missing: not found in the update cluster/);
    const oci = tree({
      'c/rs.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata: {name: rs, namespace: team}\nspec:\n  inputsFrom:\n    - name: oci\n  resources: []\n',
      'c/p.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata: {name: oci, namespace: team}\nspec:\n  type: OCIArtifactTag\n  url: oci://r.example.com/a/b\n',
    });
    expect(fleetInputProviders(oci, 'c').map((p) => `${p.type} ${p.namespace}/${p.name}`)).toEqual(['OCIArtifactTag team/oci']);
    expect(() => readFleetConfig(oci, 'c')).toThrow(/ResourceSetInputProvider team\/oci \(type OCIArtifactTag\) has not been resolved/);
    const gitlab = tree({
      'c/rs.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSet\nmetadata: {name: rs, namespace: team}\nspec:\n  inputsFrom:\n    - name: gl\n  resources: []\n',
      'c/p.yaml': 'apiVersion: fluxcd.controlplane.io/v1\nkind: ResourceSetInputProvider\nmetadata: {name: gl, namespace: team}\nspec:\n  type: GitLabTag\n  url: https://gitlab.example.com/o/r\n',
    });
    expect(() => fleetInputProviders(gitlab, 'c')).toThrow(/provider type 'GitLabTag' is not supported without a cluster/);
  });

  it('objects annotated reconcile: disabled are left out, and repeats are kept once', () => {
    const rs = {
      apiVersion: 'fluxcd.controlplane.io/v1',
      kind: 'ResourceSet',
      metadata: { name: 'rs' },
      spec: {
        inputs: [{ n: 'a', off: false }, { n: 'a', off: false }, { n: 'b', off: true }],
        resources: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '<< inputs.n >>', annotations: { 'fluxcd.controlplane.io/reconcile': '<< if inputs.off >>disabled<< else >>enabled<< end >>' } } }],
      },
    };
    expect(expandResourceSet(rs, 'rs.yaml').map((o) => (o.metadata as { name: string }).name)).toEqual(['a']);
  });
});
