/**
 * image-automation-controller `internal/source/source_test.go`, over its own `testdata/appconfig` (read from
 * ../shared). IAC's SourceManager reads the GitRepository and the automation's git spec (NewSourceManager), clones
 * (CheckoutSource), and commits and pushes what ApplyPolicies changed (CommitAndPush). Ours: `readFleetConfig` reads the
 * same objects, `AutomationCheckout` clones and switches to the push branch, and `runImageUpdate` runs the whole chain
 * against the sandbox git server; the ImagePolicy is elected from the sandbox registry behind a Docker Hub mirror so
 * that its latestRef is `helloworld:<tag>` as in the Go test (stack.ts).
 *
 * The API server requires `spec.git.commit.author.email` (CRD `required`); IAC's unit tests build objects in memory
 * without one, so the automations here carry the author of the controller tests.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutomationCheckout,
  readFleetConfig,
  renderCommitMessage,
  runImageUpdate,
  UpdateResult,
  type AutomationTarget,
  type EngineResult,
} from '../../../src/image-automation/index.js';
import { cleanupScratch, copyTree, git, iacTestdata, imageToRef, replaceMarker, scratchDir } from './fixtures.js';
import {
  commitInRepo,
  gitRepository,
  initGitRepo,
  isAncestor,
  loadImages,
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
import { REMOVED_IMAGE_RESULT_TEMPLATE, REMOVED_UPDATED_TEMPLATE, resultV2Template } from '../iac-templates.js';

const TEST_NS = 'test-ns';
/** IAC's defaultMessageTemplate. */
const DEFAULT_MESSAGE = 'Update from image update automation';

// testCommitTemplateResultV2 of source_test.go (without the setter, unlike the controller test's).
const RESULT_V2_TEMPLATE = resultV2Template(false);


let stack: PeerStack;
beforeAll(async () => {
  stack = await startPeerStack();
});
afterAll(async () => {
  await stack?.stop();
  cleanupScratch();
});

let seq = 0;

function automation(gitSpec: Record<string, unknown> | undefined, o: { sourceNamespace?: string; update?: boolean } = {}): object {
  return {
    apiVersion: 'image.toolkit.fluxcd.io/v1',
    kind: 'ImageUpdateAutomation',
    metadata: { name: 'test-update', namespace: TEST_NS },
    spec: {
      interval: '1h',
      sourceRef: { kind: 'GitRepository', name: 'test-repo', ...(o.sourceNamespace ? { namespace: o.sourceNamespace } : {}) },
      ...(gitSpec ? { git: gitSpec } : {}),
      ...(o.update === false ? {} : { update: { strategy: 'Setters' } }),
    },
  };
}

/** readFleetConfig over a GitRepository `test-repo`, the policies Kustomization and `iua`. */
function targetsFor(url: string, gitRepoRef: Record<string, string> | undefined, iua: object, sourceNamespace = TEST_NS): AutomationTarget[] {
  const root = writeUpdateCluster(
    gitRepository('test-repo', sourceNamespace, url, gitRepoRef ? { ref: gitRepoRef } : {}),
    policiesKustomization(TEST_NS, { name: 'test-repo', namespace: sourceNamespace }),
    iua,
  );
  return readFleetConfig(root, 'cluster');
}

describe('IAC TestTemplateMsgAggregatesObjectChangesAcrossFiles', () => {
  it('an object changed in two files lists the changes of both', () => {
    const id = { APIVersion: 'apps/v1', Kind: 'Deployment', Namespace: 'default', Name: 'podinfo' };
    const result = new UpdateResult();
    result.addChange('base/deployment.yaml', id, { OldValue: 'podinfo:v1.0.0', NewValue: 'podinfo:v1.0.1', Setter: 'flux-system:podinfo' });
    result.addChange('overlays/prod/deployment.yaml', id, { OldValue: '1', NewValue: '2', Setter: 'flux-system:replicas' });
    const msg = renderCommitMessage(RESULT_V2_TEMPLATE, { automation: { namespace: 'flux-system', name: 'podinfo' }, result });
    expect(msg).toContain('- podinfo:v1.0.0 -> podinfo:v1.0.1');
    expect(msg).toContain('- 1 -> 2');
  });
});

describe('IAC TestNewSourceManager', () => {
  const url = 'https://example.com';

  it('unsupported source ref kind', () => {
    const iua = automation({ commit: { author: TEST_AUTHOR } }) as { spec: { sourceRef: Record<string, string> } };
    iua.spec.sourceRef.kind = 'HelmChart';
    expect(() => targetsFor(url, { branch: 'main' }, iua)).toThrow(/sourceRef kind HelmChart is not supported/);
  });

  it('empty gitSpec', () => {
    expect(() => targetsFor(url, { branch: 'main' }, automation(undefined))).toThrow(/invalid source configuration/);
  });

  it('refer cross namespace source', () => {
    const [t] = targetsFor(url, { branch: 'main' }, automation({ commit: { author: TEST_AUTHOR } }, { sourceNamespace: 'foo-ns' }), 'foo-ns');
    expect(t.repository).toBe(url);
    expect(t.git.checkoutBranch).toBe('main');
  });
});

describe('IAC TestSourceManager_CheckoutSource (http)', () => {
  interface Case {
    name: string;
    gitSpec: Record<string, unknown>;
    gitRepoRef?: Record<string, string>;
    wantRef?: string;
    wantErr?: RegExp;
  }
  const CASES: Case[] = [
    { name: 'checkout for single branch', gitSpec: { push: { branch: 'main' }, checkout: { ref: { branch: 'main' } } }, wantRef: 'main' },
    { name: 'checkout for reference name', gitSpec: { push: { branch: 'main' }, checkout: { ref: { name: 'refs/heads/main' } } }, wantRef: 'main' },
    { name: 'checkout for different push branch', gitSpec: { push: { branch: 'foo' }, checkout: { ref: { branch: 'main' } } }, wantRef: 'foo' },
    { name: 'checkout from gitrepo ref', gitSpec: { push: { branch: 'main' } }, gitRepoRef: { branch: 'main' }, wantRef: 'main' },
    // Our checkout is always shallow (depth 1), IAC's with WithCheckoutOptionShallowClone.
    { name: 'with shallow clone', gitSpec: { push: { branch: 'main' }, checkout: { ref: { branch: 'main' } } }, wantRef: 'main' },
    { name: 'checkout non-existing branch', gitSpec: { push: { branch: 'main' }, checkout: { ref: { branch: 'non-existing' } } }, wantErr: /non-existing/ },
  ];

  it.each(CASES)('$name', async (tt) => {
    const k = ++seq;
    const repo = await initGitRepo(stack.server, `source/checkout-${k}`, iacTestdata('source', 'appconfig'), ['main', `r${k}ndom`]);
    const head = remoteTip(stack.server, repo.fullName, 'main');
    const [target] = targetsFor(repo.url, tt.gitRepoRef, automation({ ...tt.gitSpec, commit: { author: TEST_AUTHOR } }));
    const dir = join(scratchDir(), 'work');
    const checkout = AutomationCheckout.clone(target.git, dir, { auth: { token: stack.server.token } });
    if (tt.wantErr) {
      await expect(checkout).rejects.toThrow(tt.wantErr);
      return;
    }
    const co = await checkout;
    await co.switchToPushBranch();
    expect((await git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).trim()).toBe(tt.wantRef);
    expect((await git(dir, 'rev-parse', 'HEAD')).trim()).toBe(head); // a concrete commit: the checkout branch's tip
    expect((await git(dir, 'rev-parse', '--is-shallow-repository')).trim()).toBe('true');
  });
});

describe('IAC TestSourceManager_CommitAndPush (http)', () => {
  interface Case {
    name: string;
    gitSpec: Record<string, unknown>;
    gitRepoRef: Record<string, string>;
    latestImage: string;
    noChange?: boolean;
    wantErr?: string;
    wantCommitMsg?: string;
    checkRefSpecBranch?: string;
  }
  const WITH_VALUES_TEMPLATE = `Commit summary

Automation: {{ .AutomationObject }}

Cluster: {{ index .Values "cluster" }}
Testing: {{ .Values.testing }}
`;
  const main = { branch: 'main' };
  const CASES: Case[] = [
    { name: 'push to cloned branch with removed template field', gitSpec: { push: main, commit: { messageTemplate: REMOVED_UPDATED_TEMPLATE } }, gitRepoRef: main, latestImage: 'helloworld:1.0.1', wantErr: "template uses removed '.Updated' field" },
    { name: 'push to cloned branch with removed ImageResult field', gitSpec: { push: main, commit: { messageTemplate: REMOVED_IMAGE_RESULT_TEMPLATE } }, gitRepoRef: main, latestImage: 'helloworld:1.0.1', wantErr: "template uses removed '.Changed.ImageResult' field" },
    {
      name: 'commit with update ResultV2 template',
      gitSpec: { push: main, commit: { messageTemplate: RESULT_V2_TEMPLATE } },
      gitRepoRef: main,
      latestImage: 'helloworld:1.0.1',
      wantCommitMsg: `Commit summary with ResultV2

Automation: test-ns/test-update

- File: deploy.yaml
  - Object: Deployment//test
    Changes:
    - helloworld:1.0.0 -> helloworld:1.0.1
`,
    },
    {
      name: 'push to cloned branch with template and values',
      gitSpec: { push: main, commit: { messageTemplate: WITH_VALUES_TEMPLATE, messageTemplateValues: { cluster: 'prod', testing: 'value' } } },
      gitRepoRef: main,
      latestImage: 'helloworld:1.0.1',
      wantCommitMsg: `Commit summary

Automation: test-ns/test-update

Cluster: prod
Testing: value
`,
    },
    { name: 'push to different branch', gitSpec: { push: { branch: 'main2' } }, gitRepoRef: main, latestImage: 'helloworld:1.0.1', wantCommitMsg: DEFAULT_MESSAGE },
    {
      name: 'push to cloned branch+refspec',
      gitSpec: { push: { branch: 'main', refspec: 'refs/heads/main:refs/heads/smth/else' } },
      gitRepoRef: main,
      latestImage: 'helloworld:1.0.1',
      wantCommitMsg: DEFAULT_MESSAGE,
      checkRefSpecBranch: 'smth/else',
    },
    {
      name: 'push to different branch+refspec',
      gitSpec: { push: { branch: 'auto', refspec: 'refs/heads/auto:refs/heads/smth/else' } },
      gitRepoRef: main,
      latestImage: 'helloworld:1.0.1',
      wantCommitMsg: DEFAULT_MESSAGE,
      checkRefSpecBranch: 'smth/else',
    },
    // The GitRepository checks out tag v1.0.0 (on main's head); the update is committed on top and pushed to main2.
    { name: 'push to branch from tag', gitSpec: { push: { branch: 'main2' } }, gitRepoRef: { tag: 'v1.0.0' }, latestImage: 'helloworld:1.0.1', wantCommitMsg: DEFAULT_MESSAGE },
    { name: 'no change to push', gitSpec: { push: main }, gitRepoRef: main, latestImage: 'helloworld:1.0.0', noChange: true },
  ];

  it.each(CASES)('$name', async (tt) => {
    const k = ++seq;
    const ref = imageToRef(tt.latestImage);
    stack.mirror.route(ref.name, `commitpush${k}/${ref.name}`);
    await loadImages(stack.client, stack.reg.host, `commitpush${k}/${ref.name}`, [ref.tag]);
    // The fixture with the setter marker of test-ns/policy1, committed on main.
    const work = join(scratchDir(), 'fixture');
    copyTree(iacTestdata('source', 'appconfig'), work);
    replaceMarker(join(work, 'deploy.yaml'), TEST_NS, 'policy1');
    const repo = await initGitRepo(stack.server, `source/commit-${k}`, work, ['main'], { 'flux/policies.yaml': policyManifests([{ name: 'policy1', image: ref.name }]) });
    const before = remoteTip(stack.server, repo.fullName, 'main');
    // testutil.TagCommit on the head commit.
    if (tt.gitRepoRef.tag) await git(repo.local, 'push', '-q', 'origin', `HEAD:refs/tags/${tt.gitRepoRef.tag}`);

    const gitSpec = { ...tt.gitSpec, commit: { author: TEST_AUTHOR, ...((tt.gitSpec.commit as object | undefined) ?? {}) } };
    const targets = targetsFor(repo.url, tt.gitRepoRef, automation(gitSpec));
    const r = await runImageUpdate({ targets }, { registry: stack.mirror, gitOptions: () => ({ auth: { token: stack.server.token } }) });

    if (tt.wantErr) {
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0].message).toContain(tt.wantErr);
      expect(r.commits).toEqual([]);
      expect(remoteTip(stack.server, repo.fullName, 'main')).toBe(before);
      return;
    }
    expect(r.errors).toEqual([]);
    if (tt.noChange) {
      expect(r.changed).toBe(false);
      expect(r.commits).toEqual([]); // pushResult nil
      expect(remoteTip(stack.server, repo.fullName, 'main')).toBe(before);
      return;
    }
    const pushBranch = (tt.gitSpec.push as { branch: string }).branch;
    const head = remoteTip(stack.server, repo.fullName, pushBranch) as string;
    expect(r.commits).toEqual([{ repository: repo.url, branch: pushBranch, sha: head }]);
    expect(readCommit(stack.server, repo.fullName, head).message).toBe(tt.wantCommitMsg);
    expect(readCommit(stack.server, repo.fullName, head).parents).toEqual([before]);
    if (tt.checkRefSpecBranch) expect(remoteTip(stack.server, repo.fullName, tt.checkRefSpecBranch)).toBe(head);
    if (pushBranch !== 'main') expect(remoteTip(stack.server, repo.fullName, 'main')).toBe(before);
  });
});

describe('IAC Test_pushBranchUpdateScenarios (http; both Go variants — default, and shallow clone + force push — are our one behaviour)', () => {
  it('a separate push branch is created, then updated, and still updated after it was merged', async () => {
    const k = ++seq;
    stack.mirror.route('helloworld', `scenarios${k}/helloworld`);
    await loadImages(stack.client, stack.reg.host, `scenarios${k}/helloworld`, ['1.0.1']);
    const repo: SeededRepo = await initGitRepo(stack.server, `source/scenarios-${k}`, iacTestdata('source', 'appconfig'), ['main'], {
      'flux/policies.yaml': policyManifests([{ name: 'policy1', image: 'helloworld' }]),
    });
    const pushBranch = `pr-${k}abcd`;
    const commitTemplate = `Commit a difference ${k}abcd`;
    const targets = targetsFor(repo.url, { branch: 'main' }, automation({ push: { branch: pushBranch }, commit: { messageTemplate: commitTemplate, author: TEST_AUTHOR } }));
    const run = (): Promise<EngineResult> => runImageUpdate({ targets }, { registry: stack.mirror, gitOptions: () => ({ auth: { token: stack.server.token } }) });
    await commitInRepo(repo, 'main', 'Install setter marker', (dir) => replaceMarker(join(dir, 'deploy.yaml'), TEST_NS, 'policy1'));

    // Scenario 1: push to a separate push branch.
    let checkoutHead = remoteTip(stack.server, repo.fullName, 'main') as string;
    expect((await run()).errors).toEqual([]);
    let pushHead = remoteTip(stack.server, repo.fullName, pushBranch) as string;
    expect(readCommit(stack.server, repo.fullName, pushHead).message).toBe(commitTemplate);
    expect(isAncestor(stack.server, repo.fullName, checkoutHead, pushHead)).toBe(true); // previous commits not squashed

    // Scenario 2: the push branch gets updated.
    checkoutHead = remoteTip(stack.server, repo.fullName, 'main') as string;
    await loadImages(stack.client, stack.reg.host, `scenarios${k}/helloworld`, ['v1.3.0']);
    expect((await run()).errors).toEqual([]);
    let newPushHead = remoteTip(stack.server, repo.fullName, pushBranch) as string;
    expect(newPushHead).not.toBe(pushHead);
    expect(readCommit(stack.server, repo.fullName, newPushHead).parents).toEqual([pushHead]);
    expect(isAncestor(stack.server, repo.fullName, checkoutHead, newPushHead)).toBe(true);

    // Scenario 3: still pushes to the push branch after it was merged into the checkout branch.
    pushHead = newPushHead;
    await git(repo.local, 'fetch', '-q', 'origin', `+refs/heads/${pushBranch}:refs/remotes/origin/${pushBranch}`);
    await git(repo.local, 'push', '-q', 'origin', `refs/remotes/origin/${pushBranch}:refs/heads/main`);
    checkoutHead = remoteTip(stack.server, repo.fullName, 'main') as string;
    expect(checkoutHead).toBe(pushHead);
    await loadImages(stack.client, stack.reg.host, `scenarios${k}/helloworld`, ['v1.3.1']);
    expect((await run()).errors).toEqual([]);
    newPushHead = remoteTip(stack.server, repo.fullName, pushBranch) as string;
    expect(newPushHead).not.toBe(pushHead);
    expect(isAncestor(stack.server, repo.fullName, checkoutHead, newPushHead)).toBe(true);
  });
});
