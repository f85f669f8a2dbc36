/**
 * image-automation-controller `internal/controller/imageupdateautomation_controller_test.go`, over its own
 * `testdata` (appconfig, appconfig-setters-expected, pathconfig; read from ../shared).
 *
 * Where the Go test creates objects in an API server and waits for the reconciler, we write the same objects as an
 * update cluster directory, read it with `readFleetConfig` (CRD defaults applied), and run `runImageUpdate` once per
 * reconciliation against the sandbox git server; the ImagePolicy is elected from the sandbox registry behind a Docker
 * Hub mirror (stack.ts), so `latestRef` is `helloworld:<tag>` exactly as the Go test sets it. Conditions and status
 * fields become what a run reports: a pushed commit (`LastPushCommit`), an error (`Ready=False`/`Stalled`), or
 * neither (up to date); the pushed commit is read back from the bare repository.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCommitSigner } from '../../../src/git/index.js';
import { electPolicies, loadPolicies, readFleetConfig, runImageUpdate, updateSpecOf, type AutomationTarget, type EngineResult } from '../../../src/image-automation/index.js';
import { cleanupScratch, copyTree, diffDirectories, git, iacTestdata, imageToRef, replaceMarker, scratchDir, setterRef } from './fixtures.js';
import {
  commitInRepo,
  gitRepository,
  imageUpdateAutomation,
  initGitRepo,
  loadImages,
  manifests,
  policiesKustomization,
  policyManifests,
  readCommit,
  remoteTip,
  startPeerStack,
  TEST_AUTHOR,
  writeUpdateCluster,
  type PeerStack,
  type SeededRepo,
} from './stack.js';
import { REMOVED_IMAGE_RESULT_TEMPLATE, REMOVED_UPDATED_TEMPLATE, resultV2Template, TEST_COMMIT_TEMPLATE } from '../iac-templates.js';

// testCommitMessageFmt of the Go test (testCommitTemplate: ../iac-templates.ts).
const testCommitMessage = (automationNs: string, policyNs: string, policy: string) => `Commit summary

Automation: ${automationNs}/update-test

Files:
- deploy.yaml
Objects:
- deployment test
Images:
- helloworld:v1.0.0 (${policyNs}:${policy})
`;

let stack: PeerStack;
beforeAll(async () => {
  stack = await startPeerStack();
});
afterAll(async () => {
  await stack?.stop();
  cleanupScratch();
});

/** IAC's repoAndPolicyArgs: unique names per test. */
interface Args {
  namespace: string;
  imagePolicyName: string;
  gitRepoName: string;
  gitRepoNamespace: string;
  branch: string;
  /** The local registry repository that serves `helloworld` for this test. */
  imageRepo: string;
}

let seq = 0;

/**
 * IAC's testWithRepoAndImagePolicy: a repository holding `fixture` on a new branch, a GitRepository for it, and an
 * ImagePolicy whose latest image is `latest` (here: the only tag of its repository; the policy manifests live in the
 * repository under flux/, where our model reads them).
 */
async function withRepoAndImagePolicy(fixture: string, latest: string, o: { gitRepoNamespace?: string } = {}): Promise<{ s: Args; repo: SeededRepo }> {
  const k = ++seq;
  const namespace = `image-auto-test-${k}`;
  const ref = imageToRef(latest);
  const s: Args = {
    namespace,
    imagePolicyName: `policy-${k}x`,
    gitRepoName: `image-auto-test-${k}`,
    gitRepoNamespace: o.gitRepoNamespace ?? namespace,
    branch: `b${k}ranch`,
    imageRepo: `peer${k}/${ref.name}`,
  };
  stack.mirror.route(ref.name, s.imageRepo);
  await loadImages(stack.client, stack.reg.host, s.imageRepo, [ref.tag]);
  const repo = await initGitRepo(stack.server, `flux/config-${k}`, iacTestdata('controller', fixture), ['main', s.branch], {
    'flux/policies.yaml': policyManifests([{ name: s.imagePolicyName, image: ref.name }]),
  });
  return { s, repo };
}

/** The update cluster for `s` with this automation, read as the API server would store it. */
function targetsFor(s: Args, repo: SeededRepo, iua: object): AutomationTarget[] {
  const root = writeUpdateCluster(
    gitRepository(s.gitRepoName, s.gitRepoNamespace, repo.url),
    policiesKustomization(s.namespace, { name: s.gitRepoName, namespace: s.gitRepoNamespace }),
    iua,
  );
  return readFleetConfig(root, 'cluster');
}

/** One reconciliation. */
function reconcile(targets: AutomationTarget[]): Promise<EngineResult> {
  return runImageUpdate({ targets }, { registry: stack.mirror, gitOptions: () => ({ auth: { token: stack.server.token } }), now: () => new Date('2026-07-01T10:00:00Z') });
}

const installMarker = (s: Args) => (dir: string) => replaceMarker(join(dir, 'deploy.yaml'), s.namespace, s.imagePolicyName);

describe('IAC TestImageUpdateAutomationReconciler_Reconcile', () => {
  it('no gitspec results in stalled', () => {
    const root = writeUpdateCluster({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'test-update', namespace: 'test-update' },
      spec: { interval: '1h', sourceRef: { name: 'non-existing', kind: 'GitRepository' } },
    });
    expect(() => readFleetConfig(root, 'cluster')).toThrow(/invalid source configuration/);
  });

  it('invalid policy selector results in stalled', () => {
    const root = writeUpdateCluster({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'test-update', namespace: 'test-update' },
      spec: { interval: '1h', sourceRef: { kind: 'GitRepository', name: 'foo' }, policySelector: { matchLabels: { [`label-too-long-${'0'.repeat(63)}`]: '' } } },
    });
    expect(() => readFleetConfig(root, 'cluster')).toThrow(/failed to parse policy selector/);
  });

  it('non-existing gitrepo results in failure', () => {
    const root = writeUpdateCluster({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'test-update', namespace: 'test-update' },
      spec: { interval: '1h', sourceRef: { name: 'non-existing', kind: 'GitRepository' }, git: { commit: { author: { email: 'aaa' } } } },
    });
    expect(() => readFleetConfig(root, 'cluster')).toThrow(/GitRepository test-update\/non-existing not found/);
  });

  it('source checkout fails', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    const before = remoteTip(stack.server, repo.fullName, s.branch);
    const targets = targetsFor(s, repo, imageUpdateAutomation({ name: 'test-update', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: 'bad-branch', pushBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE }));
    const r = await reconcile(targets);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].message).toMatch(/bad-branch/);
    expect(r.commits).toEqual([]);
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(before);
  });

  it('no marker no update', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    const before = remoteTip(stack.server, repo.fullName, s.branch);
    const targets = targetsFor(s, repo, imageUpdateAutomation({ name: 'test-update', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE }));
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    expect(r.changed).toBe(false);
    expect(r.commits).toEqual([]); // LastPushCommit empty
    expect(r.targets[0].latestRefs).toEqual([{ policy: `${s.namespace}/${s.imagePolicyName}`, ref: 'helloworld:v1.0.0' }]); // ObservedPolicies HaveLen(1)
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(before);
  });

  it('push update (no spec.update: the CRD default Setters applies)', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    const marked = await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const iua = imageUpdateAutomation({ name: 'test-update', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE });
    expect(JSON.stringify(iua)).not.toContain('"update"');
    const targets = targetsFor(s, repo, iua);
    expect(targets[0].update).toEqual({ path: './', strategy: 'Setters' });
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    const tip = remoteTip(stack.server, repo.fullName, s.branch);
    expect(r.commits).toEqual([{ repository: repo.url, branch: s.branch, sha: tip }]); // LastPushCommit
    expect(readCommit(stack.server, repo.fullName, tip as string).parents).toEqual([marked]);
    expect(r.targets[0].latestRefs).toHaveLength(1);
  });

  it('source moves forward & policy updates separately, new observations', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const targets = targetsFor(s, repo, imageUpdateAutomation({ name: 'test-update', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE }));
    const first = await reconcile(targets);
    expect(first.commits).toHaveLength(1);
    const pushed = remoteTip(stack.server, repo.fullName, s.branch);
    expect(first.commits[0].sha).toBe(pushed);

    // A reconcile request with nothing new: nothing else changes.
    const again = await reconcile(targets);
    expect(again.errors).toEqual([]);
    expect(again.commits).toEqual([]);
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(pushed);

    // The source moves forward: the marker now names a policy that does not exist. A new source revision, no update.
    const moved = await commitInRepo(repo, s.branch, 'Update setter marker', (dir) =>
      replaceMarker(join(dir, 'deploy.yaml'), s.namespace, 'non-existing-policy', setterRef(s.namespace, s.imagePolicyName)),
    );
    const third = await reconcile(targets);
    expect(third.errors).toEqual([]);
    expect(third.commits).toEqual([]);
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(moved);

    // The policy updates: a new observation, still no update (no marker names it).
    await loadImages(stack.client, stack.reg.host, s.imageRepo, ['v2.0.0']);
    const fourth = await reconcile(targets);
    expect(fourth.errors).toEqual([]);
    expect(fourth.targets[0].latestRefs).toEqual([{ policy: `${s.namespace}/${s.imagePolicyName}`, ref: 'helloworld:v2.0.0' }]);
    expect(fourth.commits).toEqual([]);
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(moved);
  });
});

describe('IAC TestImageUpdateAutomationReconciler_commitMessage', () => {
  it.each([
    { name: 'template with update Result', template: TEST_COMMIT_TEMPLATE, want: (policy: string, ns: string) => testCommitMessage(ns, ns, policy) },
    {
      name: 'template with update ResultV2',
      template: resultV2Template(true),
      want: (policy: string, ns: string) => `Commit summary with ResultV2

Automation: ${ns}/update-test

- File: deploy.yaml
  - Object: Deployment//test
    Changes:
    - helloworld:1.0.0 -> helloworld:v1.0.0 (${ns}:${policy})
`,
    },
  ])('$name', async (tt) => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const targets = targetsFor(
      s,
      repo,
      imageUpdateAutomation({ name: 'update-test', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: tt.template, update: { strategy: 'Setters' } }),
    );
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    const head = remoteTip(stack.server, repo.fullName, s.branch) as string;
    const commit = readCommit(stack.server, repo.fullName, head);
    expect(commit.message).toBe(tt.want(s.imagePolicyName, s.namespace));
    expect(commit.author.startsWith(`${TEST_AUTHOR.name} <${TEST_AUTHOR.email}> `)).toBe(true);
    expect(r.commits[0].sha).toBe(head); // LastPushCommit
  });
});

describe('IAC TestImageUpdateAutomationReconciler_removedTemplateField', () => {
  it.each([
    {
      name: '.Updated field',
      template: REMOVED_UPDATED_TEMPLATE,
      expectedErrMsg: "template uses removed '.Updated' field",
    },
    {
      name: '.Changed.ImageResult field',
      template: REMOVED_IMAGE_RESULT_TEMPLATE,
      expectedErrMsg: "template uses removed '.Changed.ImageResult' field",
    },
  ])('$name', async (tc) => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    const marked = await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const targets = targetsFor(
      s,
      repo,
      imageUpdateAutomation({ name: 'update-test', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: tc.template, update: { strategy: 'Setters' } }),
    );
    const r = await reconcile(targets);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].message).toContain(tc.expectedErrMsg);
    expect(r.commits).toEqual([]);
    expect(remoteTip(stack.server, repo.fullName, s.branch)).toBe(marked);
  });
});

describe('IAC TestImageUpdateAutomationReconciler_crossNamespaceRef', () => {
  it('a GitRepository in another namespace is used (cross-namespace references allowed)', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0', { gitRepoNamespace: `image-auto-test-other-${seq + 1}` });
    expect(s.gitRepoNamespace).not.toBe(s.namespace);
    await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const targets = targetsFor(
      s,
      repo,
      imageUpdateAutomation({ name: 'update-test', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE, update: { strategy: 'Setters' } }),
    );
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    const commit = readCommit(stack.server, repo.fullName, remoteTip(stack.server, repo.fullName, s.branch) as string);
    expect(commit.message).toBe(testCommitMessage(s.namespace, s.namespace, s.imagePolicyName));
    expect(commit.author.startsWith(`${TEST_AUTHOR.name} <${TEST_AUTHOR.email}> `)).toBe(true);
  });
});

describe('IAC TestImageUpdateAutomationReconciler_updatePath', () => {
  it('only files below spec.update.path are updated', async () => {
    const { s, repo } = await withRepoAndImagePolicy('pathconfig', 'helloworld:v1.0.0');
    await commitInRepo(repo, s.branch, 'Install setter marker', (dir) => replaceMarker(join(dir, 'yes', 'deploy.yaml'), s.namespace, s.imagePolicyName));
    await commitInRepo(repo, s.branch, 'Install setter marker', (dir) => replaceMarker(join(dir, 'no', 'deploy.yaml'), s.namespace, s.imagePolicyName));
    const targets = targetsFor(
      s,
      repo,
      imageUpdateAutomation({ name: 'update-test', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE, update: { strategy: 'Setters', path: './yes' } }),
    );
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    const commit = readCommit(stack.server, repo.fullName, remoteTip(stack.server, repo.fullName, s.branch) as string);
    expect(commit.message).not.toContain('update-no');
    expect(commit.message).toContain('update-yes');
    expect(r.changes.map((c) => c.file)).toEqual(['deploy.yaml']); // relative to the update path
  });
});

describe('IAC TestImageUpdateAutomationReconciler_e2e', () => {
  it('http: the pushed commit carries the message and the repository equals appconfig-setters-expected', async () => {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:1.0.1');
    await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const commitMessage = `Commit a difference ${s.imagePolicyName}`;
    const targets = targetsFor(
      s,
      repo,
      imageUpdateAutomation({ name: `update-${s.imagePolicyName}`, namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.namespace, checkoutBranch: s.branch, commitTemplate: commitMessage, update: { strategy: 'Setters' } }),
    );
    const r = await reconcile(targets);
    expect(r.errors).toEqual([]);
    const head = remoteTip(stack.server, repo.fullName, s.branch) as string;
    expect(readCommit(stack.server, repo.fullName, head).message).toBe(commitMessage);
    expect(r.commits[0].sha).toBe(head);

    // compareRepoWithExpected: a fresh clone of the branch equals the expected fixture with the marker installed
    // (plus the policy manifests our model keeps in the repository).
    const clone = join(scratchDir(), 'clone');
    await git(scratchDir(), 'clone', '-q', '-b', s.branch, stack.server.authUrl(repo.fullName), clone);
    const expected = copyTree(iacTestdata('controller', 'appconfig-setters-expected'), join(scratchDir(), 'expected'));
    installMarker(s)(expected);
    copyTree(join(repo.local, 'flux'), join(expected, 'flux'));
    expect(diffDirectories(clone, expected)).toEqual({ actualOnly: [], expectedOnly: [], different: [] });
  });
});

describe('IAC TestImageUpdateAutomationReconciler_DefaultUpdate / _DefaultStrategy', () => {
  const cluster = (update?: Record<string, unknown>) =>
    writeUpdateCluster(
      gitRepository('garbage', 'image-auto-test', 'https://git.example.invalid/garbage.git'),
      policiesKustomization('image-auto-test', { name: 'garbage', namespace: 'image-auto-test' }),
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImageUpdateAutomation',
        metadata: { name: 'update-default', namespace: 'image-auto-test' },
        spec: {
          sourceRef: { kind: 'GitRepository', name: 'garbage' },
          interval: '2h',
          git: { checkout: { ref: { branch: 'somebranch' } }, commit: { author: { email: TEST_AUTHOR.email }, messageTemplate: 'nothing' } },
          ...(update ? { update } : {}),
        },
      },
    );

  it('DefaultUpdate: without spec.update the automation runs as {strategy: Setters} at the repository root', () => {
    expect(readFleetConfig(cluster(), 'cluster')[0].update).toEqual({ path: './', strategy: 'Setters' });
    expect(updateSpecOf(undefined, 'x')).toEqual({ path: './', strategy: 'Setters' });
    expect(updateSpecOf(null, 'x')).toEqual({ path: './', strategy: 'Setters' });
  });

  it('DefaultStrategy: spec.update with a path and no strategy keeps the path and runs Setters', () => {
    expect(readFleetConfig(cluster({ path: './test-path' }), 'cluster')[0].update).toEqual({ path: './test-path', strategy: 'Setters' });
  });

  it('only an explicit other strategy is refused (the CRD enum admits Setters only)', () => {
    expect(() => readFleetConfig(cluster({ strategy: 'foo' }), 'cluster')).toThrow(/update strategy 'foo' is not supported/);
  });
});

describe('IAC TestImageUpdateAutomationReconciler_suspended', () => {
  it('a suspended automation is not run and is no error', () => {
    const root = writeUpdateCluster({
      apiVersion: 'image.toolkit.fluxcd.io/v1',
      kind: 'ImageUpdateAutomation',
      metadata: { name: 'test-update', namespace: 'default' },
      spec: { interval: '1h', suspend: true },
    });
    expect(readFleetConfig(root, 'cluster')).toEqual([]);
    expect(() => readFleetConfig(writeUpdateCluster(gitRepository('x', 'default', 'https://git.example.invalid/x.git')), 'cluster')).toThrow(/no ImageUpdateAutomation found/);
  });
});

describe('IAC Test_getPolicies', () => {
  // Policies of namespaces foo and bar; p4 has no latest image (its repository has no tags, so its election fails).
  const POLICIES = [
    { name: 'p1', namespace: 'foo', image: 'aaa', tag: 'bbb' },
    { name: 'p2', namespace: 'foo', image: 'ccc', tag: 'ddd' },
    { name: 'p3', namespace: 'bar', image: 'eee', tag: 'fff' },
    { name: 'p4', namespace: 'foo', image: 'ggg', tag: '' },
  ];
  let repoDir: string;
  beforeAll(async () => {
    repoDir = scratchDir();
    for (const p of POLICIES) {
      stack.mirror.route(p.image, `getpolicies/${p.image}`);
      if (p.tag) await loadImages(stack.client, stack.reg.host, `getpolicies/${p.image}`, [p.tag]);
    }
  });

  /** Writes the policies of one namespace (its Kustomization path) with the labels of this case. */
  function write(dir: string, labels: Record<string, Record<string, string>>, names: string[]): void {
    const docs = POLICIES.filter((p) => names.includes(p.name)).flatMap((p) => [
      { apiVersion: 'image.toolkit.fluxcd.io/v1', kind: 'ImageRepository', metadata: { name: `${p.name}-repo` }, spec: { image: p.image } },
      {
        apiVersion: 'image.toolkit.fluxcd.io/v1',
        kind: 'ImagePolicy',
        metadata: { name: p.name, ...(labels[p.name] ? { labels: labels[p.name] } : {}) },
        spec: { imageRepositoryRef: { name: `${p.name}-repo` }, policy: { alphabetical: {} } },
      },
    ]);
    mkdirSync(join(repoDir, dir), { recursive: true });
    writeFileSync(join(repoDir, dir, 'policies.yaml'), manifests(...docs));
  }

  async function getPolicies(listNamespace: string, selector: AutomationTarget['policySelector'], labels: Record<string, Record<string, string>>, policies: string[]): Promise<string[]> {
    const k = ++seq;
    write(`case${k}/foo`, labels, policies.filter((n) => POLICIES.find((p) => p.name === n)?.namespace === 'foo'));
    write(`case${k}/bar`, labels, policies.filter((n) => POLICIES.find((p) => p.name === n)?.namespace === 'bar'));
    const names: string[] = [];
    for (const ns of ['foo', 'bar']) {
      const target: AutomationTarget = {
        automation: { namespace: listNamespace, name: 'auto' },
        repository: 'unused',
        git: { url: 'unused' },
        policies: { path: `case${k}/${ns}`, namespace: ns },
        update: { path: './', strategy: 'Setters' },
        commit: { author: { name: '', email: 'x@example.com' }, values: {} },
        policySelector: selector,
      };
      const loaded = loadPolicies(repoDir, target);
      const { sources } = await electPolicies(loaded.repositories, loaded.policies, stack.mirror);
      names.push(...sources.map((x) => x.name));
    }
    return names.sort();
  }

  it('lists policies with image and in same namespace', async () => {
    expect(await getPolicies('foo', undefined, {}, ['p1', 'p2', 'p3', 'p4'])).toEqual(['p1', 'p2']);
  });

  it('lists policies with label selector in same namespace', async () => {
    expect(await getPolicies('foo', { matchLabels: { label: 'one' } }, { p1: { label: 'one' }, p2: { label: 'false' }, p3: { label: 'one' } }, ['p1', 'p2', 'p3'])).toEqual(['p1']);
  });

  it('no policies in empty namespace', async () => {
    expect(await getPolicies('bar', undefined, {}, ['p1'])).toEqual([]);
  });
});

/**
 * IAC TestImageUpdateAutomationReconciler_signedCommit, _SSH_Ed25519, _SSH_ECDSAP256 and _SSH_Ed25519_Encrypted: an
 * automation with `spec.git.commit.signingKey` pushes a commit whose signature verifies over the commit re-encoded
 * without it. The Go test creates a Secret (`git.asc`, or `identity` and `password`); here the key is the action's
 * `signing-key` input (docs/image-automation.md "Commit signing"), given to the run as its signer. The signature is
 * checked as the Go test checks it: OpenPGP with the public key (OpenPGP.js in place of go-crypto's
 * CheckArmoredDetachedSignature), SSH with `ssh-keygen -Y check-novalidate -n git` in place of sshsig.Verify.
 */
describe('IAC TestImageUpdateAutomationReconciler_signedCommit (gpg; SSH ed25519, ECDSA P-256, encrypted ed25519)', () => {
  const tmpDir = (): string => {
    const d = join(scratchDir(), `sig-${++seq}`);
    mkdirSync(d, { recursive: true });
    return d;
  };

  /** The commit object without its `gpgsig` header (what was signed), and the signature. */
  function splitSigned(raw: string): { payload: string; signature: string } {
    const sep = raw.indexOf('\n\n');
    const lines = raw.slice(0, sep).split('\n');
    const kept: string[] = [];
    const sig: string[] = [];
    let inSig = false;
    for (const l of lines) {
      if (l.startsWith('gpgsig ')) {
        inSig = true;
        sig.push(l.slice('gpgsig '.length));
      } else if (inSig && l.startsWith(' ')) sig.push(l.slice(1));
      else {
        inSig = false;
        kept.push(l);
      }
    }
    return { payload: `${kept.join('\n')}${raw.slice(sep)}`, signature: `${sig.join('\n')}\n` };
  }

  async function signedUpdate(key: string, type: 'gpg' | 'ssh' | undefined, passphrase?: string): Promise<{ raw: string; tip: string; r: EngineResult }> {
    const { s, repo } = await withRepoAndImagePolicy('appconfig', 'helloworld:v1.0.0');
    await commitInRepo(repo, s.branch, 'Install setter marker', installMarker(s));
    const iua = imageUpdateAutomation({ name: 'update-test', namespace: s.namespace, gitRepo: s.gitRepoName, gitRepoNamespace: s.gitRepoNamespace, checkoutBranch: s.branch, pushBranch: s.branch, commitTemplate: TEST_COMMIT_TEMPLATE, update: { strategy: 'Setters' } }) as {
      spec: { git: { commit: Record<string, unknown> } };
    };
    const secretName = `signing-key-secret-${seq}`;
    iua.spec.git.commit.signingKey = { secretRef: { name: secretName }, ...(type ? { type } : {}) };
    const targets = targetsFor(s, repo, iua);
    // The CRD's default type is gpg.
    expect(targets[0].commit.signingKey).toEqual({ secretRef: secretName, type: type ?? 'gpg' });
    const signer = await loadCommitSigner({ key, type: targets[0].commit.signingKey?.type, ...(passphrase ? { passphrase } : {}), source: `Secret ${s.namespace}/${secretName}` });
    const r = await runImageUpdate({ targets }, { registry: stack.mirror, gitOptions: () => ({ auth: { token: stack.server.token } }), now: () => new Date(), signer: () => signer });
    expect(r.errors).toEqual([]);
    const tip = remoteTip(stack.server, repo.fullName, s.branch) as string;
    expect(r.commits).toEqual([{ repository: repo.url, branch: s.branch, sha: tip }]);
    const raw = execFileSync('git', ['cat-file', 'commit', tip], { cwd: stack.server.repoPath(repo.fullName), encoding: 'utf8' });
    return { raw, tip, r };
  }

  it('signedCommit: the OpenPGP signature verifies with the public key over the commit without it', async () => {
    const { privateKey, publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: TEST_AUTHOR.name, email: TEST_AUTHOR.email }], date: new Date('2025-06-01T00:00:00Z'), format: 'armored' });
    const { raw } = await signedUpdate(privateKey, undefined);
    const { payload, signature } = splitSigned(raw);
    expect(signature).toMatch(/^-----BEGIN PGP SIGNATURE-----/);
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ binary: new TextEncoder().encode(payload) }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: publicKey }),
    });
    await expect(verified.signatures[0].verified).resolves.toBe(true);
    // Any other payload does not verify: the signature covers exactly the commit without its gpgsig header.
    const tampered = await openpgp.verify({
      message: await openpgp.createMessage({ binary: new TextEncoder().encode(payload.replace('Commit summary', 'Commit summarY')) }),
      signature: await openpgp.readSignature({ armoredSignature: signature }),
      verificationKeys: await openpgp.readKey({ armoredKey: publicKey }),
    });
    await expect(tampered.signatures[0].verified).rejects.toThrow();
  });

  for (const [name, keyType, bits, passphrase] of [
    ['SSH_Ed25519', 'ed25519', undefined, ''],
    ['SSH_ECDSAP256', 'ecdsa', 256, ''],
    ['SSH_Ed25519_Encrypted', 'ed25519', undefined, 'abcde12345'],
  ] as const) {
    it(`signedCommit_${name}: an SSH signature (namespace git) that verifies with the public key`, async () => {
      const d = tmpDir();
      execFileSync('ssh-keygen', ['-q', '-t', keyType, ...(bits ? ['-b', String(bits)] : []), '-N', passphrase, '-C', 'd2', '-f', join(d, 'id')]);
      const identity = readFileSync(join(d, 'id'), 'utf8');
      const { raw } = await signedUpdate(identity, 'ssh', passphrase || undefined);
      const { payload, signature } = splitSigned(raw);
      expect(signature).toMatch(/^-----BEGIN SSH SIGNATURE-----/);
      writeFileSync(join(d, 'commit.sig'), signature);
      const check = (data: string) =>
        spawnSync('ssh-keygen', ['-Y', 'check-novalidate', '-n', 'git', '-s', join(d, 'commit.sig')], { input: data, encoding: 'utf8' });
      const ok = check(payload);
      expect(ok.status, ok.stderr).toBe(0);
      expect(check(`${payload}tampered`).status).not.toBe(0);
    });
  }
});
