/**
 * `d2 migrate`: rewrites the workflows of an existing D2 repository to this suite's actions (docs/adopt.md
 * "d2 migrate"). Each workflow is edited through the `yaml` Document API, so comments, quoting and layout of what is
 * not rewritten stay as they were; a file without a recognised job is returned byte for byte. Kept unchanged, always:
 * the file name and the triggers (together the signing identity the clusters' matchOIDCIdentity accepts), the
 * permissions, the job names, every secret a job passes, and every step that is not recognised (reported).
 *
 *   push job     setup-flux + cosign-installer + docker/login-action + distribution/actions/push + cosign sign
 *                → one push-artifact step (a matrix over `component` becomes its `components` input)
 *   release job  the bash `cut` of <component>/<version> + the same push and sign → release-artifact
 *   PR job       gh pr create → image-updates-pr
 *   Kind job that runs the image automation → e2e-update with `automation: clusters/update`
 * Other Kind jobs (e2e tests of reconciliation) and jobs with nothing to replace (validate) are left as they are.
 */
import { existsSync } from 'node:fs';
import { lstat, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTwoFilesPatch, diffLines } from 'diff';
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { clip, InputError } from '@d2/core';
import { DEFAULT_SUITE, usesOf, type Suite } from '../suite.js';
import { callsTools, classifyStep, commands, ghFlags, type StepInfo } from './steps.js';

export type NoteKind = 'migrated' | 'removed' | 'kept' | 'left-as-is' | 'warning';

export interface MigrationNote {
  file: string;
  job?: string;
  kind: NoteKind;
  message: string;
}

export interface FileMigration {
  /** Path relative to the repository, e.g. .github/workflows/push-artifact.yaml. */
  path: string;
  before: string;
  after: string;
  changed: boolean;
}

export interface Migration {
  dir: string;
  files: FileMigration[];
  notes: MigrationNote[];
}

/** Inputs of distribution/actions/push that push-artifact takes with the same meaning. */
const PUSH_INPUTS = new Set(['repository', 'path', 'diff-tag', 'tags', 'ignore-paths', 'annotations', 'provider', 'source', 'revision', 'reproducible']);
const RELEASE_KEEP_INPUTS = new Set(['ignore-paths', 'annotations', 'source', 'revision', 'reproducible']);

const WORKFLOWS = '.github/workflows';

type Json = Record<string, unknown>;

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

/** `${{ <expr> }}` with any inner spacing, as a regular expression source. */
const expr = (inner: string) => `\\$\\{\\{\\s*${inner}\\s*\\}\\}`;
const DEFAULT_TOKEN = new RegExp(`^${expr('(secrets\\.GITHUB_TOKEN|github\\.token)')}$`);

function secretsOf(value: unknown): Set<string> {
  return new Set([...JSON.stringify(value).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
}

class JobRewriter {
  readonly notes: MigrationNote[] = [];
  changed = false;

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly suite: Suite,
    private readonly repoDir: string,
  ) {}

  private note(job: string, kind: NoteKind, message: string): void {
    this.notes.push({ file: this.file, job, kind, message });
  }

  rewrite(jobName: string, job: YAMLMap): void {
    const stepsNode = job.get('steps', true);
    if (!isSeq(stepsNode)) {
      this.note(jobName, 'left-as-is', 'no steps (a reusable workflow call or an empty job): left as it is');
      return;
    }
    const steps: StepInfo[] = (stepsNode as YAMLSeq).items.map((n) => classifyStep(isMap(n) ? (n.toJSON() as Json) : {}));
    const roles = new Set(steps.map((s) => s.role));
    const jobText = JSON.stringify(job.toJSON());
    if (roles.has('kind')) {
      if (/ImageUpdateAutomation|image-automation|bootstrap-update|GH_UPDATE_TOKEN/.test(jobText)) this.e2eUpdate(jobName, job, stepsNode as YAMLSeq, steps, jobText);
      else this.note(jobName, 'left-as-is', 'a Kind cluster test of the reconciliation: these actions do not replace it, left as it is');
      return;
    }
    const push = steps.findIndex((s) => s.role === 'distribution-push');
    if (push >= 0) {
      if (steps.filter((s) => s.role === 'distribution-push').length > 1) {
        this.note(jobName, 'warning', 'more than one distribution/actions/push step: left as it is, migrate it by hand (docs/adopt.md)');
        return;
      }
      const prep = this.releasePrep(steps, steps[push]);
      if (prep >= 0) this.release(jobName, job, stepsNode as YAMLSeq, steps, push, prep);
      else this.push(jobName, job, stepsNode as YAMLSeq, steps, push);
      return;
    }
    const pr = steps.findIndex((s) => s.role === 'gh-pr-create');
    if (pr >= 0) {
      this.pullRequest(jobName, stepsNode as YAMLSeq, steps, pr);
      return;
    }
    this.note(jobName, 'left-as-is', 'no step these actions replace: left as it is');
  }

  /** Index of the step whose outputs component and version (a `cut` of the ref name) feed the push, or -1. */
  private releasePrep(steps: StepInfo[], push: StepInfo): number {
    const withText = JSON.stringify(push.data.with ?? {});
    return steps.findIndex((s) => {
      const id = str(s.data.id);
      const run = str(s.data.run) ?? '';
      return (
        s.role === 'other' &&
        id !== undefined &&
        /\bcut\s+-d/.test(run) &&
        /GITHUB_OUTPUT/.test(run) &&
        new RegExp(expr(`steps\\.${id}\\.outputs\\.component`)).test(withText) &&
        new RegExp(expr(`steps\\.${id}\\.outputs\\.version`)).test(withText)
      );
    });
  }

  /**
   * The login step's credentials as push-artifact inputs: nothing for ghcr.io with the workflow token (the action's
   * default), registry-username/password when it logs in to the registry of the push, undefined (keep the step) else.
   */
  private loginInputs(login: StepInfo, repository: string | undefined): Json | undefined {
    const w = isJson(login.data.with) ? login.data.with : {};
    const registry = str(w.registry) ?? 'docker.io';
    const host = repository?.split('/')[0];
    if (host !== registry) return undefined;
    const user = str(w.username);
    const pass = str(w.password);
    if (registry === 'ghcr.io' && pass !== undefined && DEFAULT_TOKEN.test(pass) && (user === undefined || new RegExp(`^${expr('github\\.actor')}$`).test(user))) return {};
    const out: Json = {};
    if (user !== undefined) out['registry-username'] = user;
    if (pass !== undefined) out['registry-password'] = pass;
    return out;
  }

  /**
   * The shared part of push and release jobs: which steps go (installers, login, cosign sign), which stay, and the
   * registry inputs the login turns into. Installers stay when a kept step still calls their tool.
   */
  private common(jobName: string, steps: StepInfo[], pushIndex: number, drop: Set<number>): Json {
    const push = steps[pushIndex];
    const repository = str(isJson(push.data.with) ? push.data.with.repository : undefined);
    let registryInputs: Json = {};
    steps.forEach((s, i) => {
      if (s.role === 'registry-login') {
        const inputs = this.loginInputs(s, repository);
        if (inputs === undefined) {
          this.note(jobName, 'kept', `step '${s.label}': a login to another registry than the push's, kept`);
        } else {
          registryInputs = { ...registryInputs, ...inputs };
          drop.add(i);
          this.note(jobName, 'removed', `step '${s.label}': push-artifact logs in itself${Object.keys(inputs).length ? ' (registry-username/registry-password)' : ' with the workflow token'}`);
        }
      }
      if (s.role === 'cosign-sign') {
        drop.add(i);
        this.note(jobName, 'removed', `step '${s.label}': signing is built in (sign: true), and tags move only after the signature verifies`);
      }
    });
    const kept = steps.filter((_, i) => i !== pushIndex && !drop.has(i));
    const stillCalls = (tool: 'flux' | 'cosign') => kept.some((s) => s.role !== 'flux-setup' && s.role !== 'cosign-setup' && callsTools(s.data) && new RegExp(`(^|\\s)${tool}\\s`, 'm').test(str(s.data.run) ?? ''));
    steps.forEach((s, i) => {
      const tool = s.role === 'flux-setup' ? 'flux' : s.role === 'cosign-setup' ? 'cosign' : undefined;
      if (!tool) return;
      if (stillCalls(tool)) {
        this.note(jobName, 'kept', `step '${s.label}': another step of the job still runs ${tool}`);
      } else {
        drop.add(i);
        this.note(jobName, 'removed', `step '${s.label}': no ${tool} binary is needed`);
      }
    });
    return registryInputs;
  }

  private reportKept(jobName: string, steps: StepInfo[], drop: Set<number>, replaced: number[]): void {
    steps.forEach((s, i) => {
      if (drop.has(i) || replaced.includes(i) || s.role === 'checkout' || s.role === 'flux-setup' || s.role === 'cosign-setup' || s.role === 'registry-login') return;
      this.note(jobName, 'kept', `step '${s.label}': not recognised, kept as it is`);
    });
  }

  /** Replaces the steps: `replace` maps an index to its new step (a new node, or the old one edited); `drop` go. */
  private splice(stepsNode: YAMLSeq, replace: Map<number, Json | YAMLMap>, drop: Set<number>, jobName?: string): void {
    const before = secretsOf(stepsNode.toJSON());
    const items = stepsNode.items.flatMap((node, i) => {
      const r = replace.get(i);
      if (r !== undefined) return [isMap(r) ? r : this.doc.createNode(r)];
      return drop.has(i) ? [] : [node];
    });
    stepsNode.items = items;
    this.changed = true;
    // GITHUB_TOKEN is the actions' default token: every other secret a removed step used is reported.
    const after = secretsOf(stepsNode.toJSON());
    for (const name of before) {
      if (!after.has(name) && name !== 'GITHUB_TOKEN') this.note(jobName ?? '', 'warning', `secret ${name} was used only by replaced steps and is no longer passed: check whether the new step needs it`);
    }
  }

  /**
   * The step node edited in place to use `uses` with `inputs`: its name, id, condition, comments and the quoting of
   * the inputs it keeps stay; `remove` keys (run, env of a script step) go; inputs not in `inputs` go.
   */
  private editStep(stepsNode: YAMLSeq, index: number, uses: string, inputs: Json, remove: string[] = []): YAMLMap {
    const node = stepsNode.items[index] as YAMLMap;
    for (const k of remove) node.delete(k);
    if (node.has('uses')) node.set('uses', uses);
    else node.add(this.doc.createPair('uses', uses));
    const w = node.get('with', true);
    if (Object.keys(inputs).length === 0) {
      node.delete('with');
      return node;
    }
    if (!isMap(w)) {
      node.set('with', this.doc.createNode(inputs));
      return node;
    }
    const withMap = w as YAMLMap;
    for (const item of [...withMap.items]) {
      const key = str((item.key as { value?: unknown })?.value) ?? String(item.key);
      if (!(key in inputs)) withMap.delete(key);
    }
    for (const [k, v] of Object.entries(inputs)) {
      const cur = withMap.get(k, true);
      if (isScalar(cur)) {
        if (cur.value !== v) cur.value = v;
      } else {
        withMap.set(k, v);
      }
    }
    return node;
  }

  private push(jobName: string, job: YAMLMap, stepsNode: YAMLSeq, steps: StepInfo[], pushIndex: number): void {
    const drop = new Set<number>();
    const registryInputs = this.common(jobName, steps, pushIndex, drop);
    const old = steps[pushIndex];
    const w: Json = isJson(old.data.with) ? { ...old.data.with } : {};
    const provider = str(w.provider);
    if (provider !== undefined && provider !== 'generic') this.note(jobName, 'warning', `provider: ${clip(provider, 32)}: push-artifact logs in with registry-username/registry-password or the Docker config, not a cloud provider; check the registry credentials`);
    for (const k of Object.keys(w)) if (!PUSH_INPUTS.has(k)) this.note(jobName, 'warning', `input '${k}' of distribution/actions/push is not a push-artifact input: kept, check it (actions/push-artifact/README.md)`);
    // A matrix over `component` alone, used only in the push inputs, becomes one step that pushes every component.
    const matrix = this.componentMatrix(job, steps, pushIndex);
    if (matrix) {
      const re = new RegExp(expr('matrix\\.component'), 'g');
      for (const k of ['repository', 'path']) if (typeof w[k] === 'string') w[k] = (w[k] as string).replace(re, '{component}');
      const inputs: Json = {};
      for (const [k, v] of Object.entries(w)) {
        inputs[k] = v;
        if (k === 'path') inputs.components = matrix.join(',');
      }
      if (!('components' in inputs)) inputs.components = matrix.join(',');
      job.delete('strategy');
      this.note(jobName, 'migrated', `the matrix over component (${matrix.join(', ')}) is one step: components: ${matrix.join(',')}`);
      this.splice(stepsNode, new Map([[pushIndex, this.editStep(stepsNode, pushIndex, usesOf(this.suite, 'push-artifact'), { ...inputs, ...registryInputs })]]), drop, jobName);
    } else {
      this.splice(stepsNode, new Map([[pushIndex, this.editStep(stepsNode, pushIndex, usesOf(this.suite, 'push-artifact'), { ...w, ...registryInputs })]]), drop, jobName);
    }
    this.note(jobName, 'migrated', `step '${old.label}': distribution/actions/push → push-artifact (same inputs and outputs; signed before any tag moves)`);
    this.reportKept(jobName, steps, drop, [pushIndex]);
  }

  /** The component list of `strategy.matrix.component` when the matrix has no other dimension and only the push uses it. */
  private componentMatrix(job: YAMLMap, steps: StepInfo[], pushIndex: number): string[] | undefined {
    const strategy = job.toJSON() as Json;
    const s = isJson(strategy.strategy) ? strategy.strategy : undefined;
    const m = s && isJson(s.matrix) ? s.matrix : undefined;
    if (!m || Object.keys(m).length !== 1 || !Array.isArray(m.component) || !m.component.every((c) => typeof c === 'string')) return undefined;
    if (Object.keys(s as Json).some((k) => k !== 'matrix' && k !== 'fail-fast')) return undefined;
    const elsewhere = { ...strategy, strategy: undefined, steps: steps.filter((_, i) => i !== pushIndex).map((x) => x.data) };
    if (/matrix\./.test(JSON.stringify(elsewhere))) return undefined;
    const w = JSON.stringify(steps[pushIndex].data.with ?? {});
    if (new RegExp(expr('matrix\\.(?!component\\s*\\}\\})')).test(w)) return undefined;
    return m.component as string[];
  }

  private release(jobName: string, job: YAMLMap, stepsNode: YAMLSeq, steps: StepInfo[], pushIndex: number, prepIndex: number): void {
    void job;
    const drop = new Set<number>([prepIndex]);
    const registryInputs = this.common(jobName, steps, pushIndex, drop);
    const old = steps[pushIndex];
    const prepId = str(steps[prepIndex].data.id) as string;
    const w: Json = isJson(old.data.with) ? old.data.with : {};
    const component = new RegExp(expr(`steps\\.${prepId}\\.outputs\\.component`), 'g');
    const inputs: Json = {};
    const repo = str(w.repository);
    const path = str(w.path);
    const defaultRepo = new RegExp(`^ghcr\\.io/${expr('github\\.repository')}/\\{component\\}$`);
    if (repo !== undefined && !defaultRepo.test(repo.replace(component, '{component}'))) inputs.repository = repo.replace(component, '{component}');
    if (path !== undefined && !/^(\.\/)?components\/\{component\}\/?$/.test(path.replace(component, '{component}'))) inputs.path = path.replace(component, '{component}');
    const tags = (str(w.tags) ?? '').split(/[,\n]/).map((t) => t.trim()).filter(Boolean);
    if (tags.length > 0 && tags[0] !== 'latest-stable') inputs['stable-tag'] = tags[0];
    if (tags.length > 1) this.note(jobName, 'warning', `tags lists ${tags.length} tags (${clip(tags.join(', '), 128)}): release-artifact moves one stable tag (stable-tag: ${tags[0]}); move the others with d2 tag`);
    for (const [k, v] of Object.entries(w)) {
      if (RELEASE_KEEP_INPUTS.has(k)) inputs[k] = v;
      else if (!['repository', 'path', 'tags', 'diff-tag', 'provider'].includes(k)) this.note(jobName, 'warning', `input '${k}' of distribution/actions/push has no release-artifact counterpart: dropped, check it (actions/release-artifact/README.md)`);
    }
    const still = steps.some((s, i) => i !== prepIndex && i !== pushIndex && !drop.has(i) && new RegExp(`steps\\.${prepId}\\.`).test(JSON.stringify(s.data)));
    if (still) {
      drop.delete(prepIndex);
      this.note(jobName, 'kept', `step '${steps[prepIndex].label}': other steps read its outputs, kept`);
    } else {
      this.note(jobName, 'removed', `step '${steps[prepIndex].label}': release-artifact reads <component>/<version> from the tag itself`);
    }
    const step = this.editStep(stepsNode, pushIndex, usesOf(this.suite, 'release-artifact'), { ...inputs, ...registryInputs });
    this.splice(stepsNode, new Map([[pushIndex, step]]), drop, jobName);
    this.note(jobName, 'migrated', `step '${old.label}': the release push → release-artifact (version tag and latest-stable, signed; immutable versions, downgrade guard)`);
    this.reportKept(jobName, steps, drop, [pushIndex, prepIndex]);
  }

  private pullRequest(jobName: string, stepsNode: YAMLSeq, steps: StepInfo[], prIndex: number): void {
    const old = steps[prIndex];
    const flags = ghFlags(commands(str(old.data.run) ?? '')[0]);
    const env = isJson(old.data.env) ? old.data.env : {};
    const resolveEnv = (v: string) => v.replace(/^\$\{?([A-Z_][A-Z0-9_]*)\}?$/, (_, name: string) => str(env[name]) ?? `$${name}`);
    const first = (k: string, short?: string) => flags.get(k)?.[0] ?? (short ? flags.get(short)?.[0] : undefined);
    const inputs: Json = {};
    const head = first('head', 'H');
    const base = first('base', 'B');
    if (head !== undefined && head !== 'image-updates') inputs.head = resolveEnv(head);
    if (base !== undefined) inputs.base = resolveEnv(base);
    const title = first('title', 't');
    const body = first('body', 'b');
    if (title !== undefined) inputs.title = resolveEnv(title);
    if (body !== undefined) inputs.body = resolveEnv(body);
    const labels = [...(flags.get('label') ?? []), ...(flags.get('l') ?? [])];
    if (labels.length) inputs.labels = labels.join(',');
    const reviewers = [...(flags.get('reviewer') ?? []), ...(flags.get('r') ?? [])];
    if (reviewers.length) inputs.reviewers = reviewers.join(',');
    const assignees = [...(flags.get('assignee') ?? []), ...(flags.get('a') ?? [])];
    if (assignees.length) inputs.assignees = assignees.join(',');
    if (flags.has('draft') || flags.has('d')) inputs.draft = 'true';
    const token = str(env.GH_TOKEN) ?? str(env.GITHUB_TOKEN);
    if (token !== undefined && !DEFAULT_TOKEN.test(token)) inputs.token = token;
    const repo = first('repo', 'R');
    if (repo !== undefined && !new RegExp(`^(${expr('github\\.repository')})$`).test(resolveEnv(repo))) {
      this.note(jobName, 'warning', `gh pr create --repo ${clip(repo, 64)}: image-updates-pr opens the PR in the repository of the run`);
    }
    const known = new Set(['head', 'H', 'base', 'B', 'repo', 'R', 'title', 't', 'body', 'b', 'label', 'l', 'reviewer', 'r', 'assignee', 'a', 'draft', 'd', 'fill-first', 'fill', 'f']);
    for (const k of flags.keys()) if (!known.has(k)) this.note(jobName, 'warning', `gh pr create --${k} has no image-updates-pr counterpart: dropped`);
    const step = this.editStep(stepsNode, prIndex, usesOf(this.suite, 'image-updates-pr'), inputs, ['run', 'env', 'shell', 'working-directory']);
    this.splice(stepsNode, new Map([[prIndex, step]]), new Set(), jobName);
    this.note(jobName, 'migrated', `step '${old.label}': gh pr create → image-updates-pr (creates, refreshes or closes the PR; title and body as --fill-first)`);
    this.reportKept(jobName, steps, new Set(), [prIndex]);
  }

  private e2eUpdate(jobName: string, job: YAMLMap, stepsNode: YAMLSeq, steps: StepInfo[], jobText: string): void {
    void job;
    const replaced = new Set(['flux-setup', 'helm-setup', 'kind', 'kind-bootstrap', 'kubectl', 'cosign-setup']);
    const drop = new Set<number>();
    steps.forEach((s, i) => {
      if (replaced.has(s.role)) drop.add(i);
    });
    const automation = 'clusters/update';
    if (!existsSync(join(this.repoDir, automation))) {
      this.note(jobName, 'warning', `${automation} does not exist in this repository: set the e2e-update input automation to the update cluster's directory`);
    }
    const inputs: Json = { automation };
    const token = /secrets\.GH_UPDATE_TOKEN/.test(jobText) ? '${{ secrets.GH_UPDATE_TOKEN }}' : undefined;
    if (token) inputs.token = token;
    else this.note(jobName, 'warning', 'no GH_UPDATE_TOKEN secret in the job: e2e-update pushes with the workflow token, which cannot write to other repositories (set its input token)');
    if (steps.some((s, i) => drop.has(i) && /secrets\.GITHUB_TOKEN|github\.token/.test(JSON.stringify(s.data)))) {
      this.note(jobName, 'warning', "the Kind bootstrap got the workflow token (registry access): if the update policies scan private ghcr.io packages, give e2e-update registry-credentials and the job packages: read (actions/e2e-update/README.md)");
    }
    const checkout = steps.findIndex((s) => s.role === 'checkout');
    const step: Json = { name: 'Run image automation', uses: usesOf(this.suite, 'e2e-update'), with: inputs };
    const at = drop.size > 0 ? Math.min(...drop) : steps.length;
    if (checkout < 0) {
      this.note(jobName, 'warning', 'no actions/checkout step: e2e-update reads clusters/update from the workspace, add one before it');
    }
    // The new step takes the place of the first Kind step; the others go.
    drop.delete(at);
    this.splice(stepsNode, new Map([[at, step]]), drop, jobName);
    this.note(jobName, 'migrated', `Kind + Flux Operator + image automation controllers (${[...drop, at].length} steps) → e2e-update with automation: ${automation}`);
    this.reportKept(jobName, steps, drop, [at]);
  }
}

/** `.github/workflows/*.yml|yaml` of `dir`, parsed; a missing directory or an unparsable file is an InputError. */
async function readWorkflows(dir: string): Promise<Array<{ path: string; text: string; doc: Document }>> {
  const wfDir = join(dir, WORKFLOWS);
  let entries: string[];
  try {
    if (!(await lstat(wfDir)).isDirectory()) throw new Error('not a directory');
    entries = (await readdir(wfDir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  } catch {
    throw new InputError(`${clip(dir, 128)} has no ${WORKFLOWS} directory`, 'run d2 migrate in the root of a D2 repository (d2-fleet, d2-apps or d2-infra), or point --dir at it');
  }
  if (entries.length === 0) throw new InputError(`${clip(wfDir, 128)} holds no workflow (.yaml or .yml)`, 'run d2 migrate in the root of a D2 repository, or point --dir at it');
  const out: Array<{ path: string; text: string; doc: Document }> = [];
  for (const f of entries) {
    const path = `${WORKFLOWS}/${f}`;
    const text = await readFile(join(dir, path), 'utf8');
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new InputError(`${path} is not valid YAML: ${clip(doc.errors[0].message.split('\n')[0], 200)}`, 'fix the file (GitHub would not run it either); nothing was changed');
    }
    out.push({ path, text, doc });
  }
  return out;
}

const squash = (line: string) => line.replace(/\s+/g, ' ').trim();

/**
 * `printed` with every run of lines that differs from `original` only in whitespace (a file that mixes indented and
 * flush sequences, aligned comments, trailing blanks) put back as it was, so the diff shows the rewrite and nothing
 * else. Kept only when the result still means the same YAML as `printed`.
 */
function keepLayout(original: string, printed: string): string {
  const parts = diffLines(original, printed);
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const next = parts[i + 1];
    if (p.removed && next?.added) {
      const a = p.value.split('\n');
      const b = next.value.split('\n');
      if (a.length === b.length && a.every((l, j) => squash(l) === squash(b[j]))) out += p.value;
      else out += next.value;
      i++;
    } else if (!p.removed) out += p.value;
  }
  const same = JSON.stringify(parseDocument(out).toJSON()) === JSON.stringify(parseDocument(printed).toJSON());
  return same ? out : printed;
}

/** The migration of every workflow of `dir`, computed in memory: nothing is written. */
export async function planMigration(dir: string, suite: Suite = DEFAULT_SUITE): Promise<Migration> {
  const workflows = await readWorkflows(dir);
  const files: FileMigration[] = [];
  const notes: MigrationNote[] = [];
  for (const w of workflows) {
    const jobs = isMap(w.doc.contents) ? w.doc.contents.get('jobs', true) : undefined;
    if (!isMap(jobs)) {
      notes.push({ file: w.path, kind: 'left-as-is', message: 'no jobs: left as it is' });
      files.push({ path: w.path, before: w.text, after: w.text, changed: false });
      continue;
    }
    const rw = new JobRewriter(w.doc, w.path, suite, dir);
    for (const item of (jobs as YAMLMap).items) {
      const name = str((item.key as { value?: unknown })?.value) ?? String(item.key);
      if (isMap(item.value)) rw.rewrite(name, item.value as YAMLMap);
    }
    notes.push(...rw.notes);
    // Sequences indented under their key or not, as the file has them.
    const indentSeq = !/^([ \t]*)[\w-]+:[ \t]*(#.*)?\r?\n\1- /m.test(w.text);
    const after = rw.changed ? keepLayout(w.text, w.doc.toString({ lineWidth: 0, indentSeq })) : w.text;
    files.push({ path: w.path, before: w.text, after, changed: after !== w.text });
  }
  return { dir, files, notes };
}

/** A unified diff of every changed file (a/ and b/ prefixes, as git prints them). */
export function migrationDiff(m: Migration): string {
  return m.files
    .filter((f) => f.changed)
    .map((f) => createTwoFilesPatch(`a/${f.path}`, `b/${f.path}`, f.before, f.after, undefined, undefined, { context: 3 }).replace(/^=+\n/, ''))
    .join('');
}

/**
 * Writes the changed files. Each goes to a temporary file next to it first; only when all are written are they
 * renamed over the originals, so a failure leaves the workflows as they were.
 */
export async function writeMigration(m: Migration): Promise<string[]> {
  const changed = m.files.filter((f) => f.changed);
  const temps: Array<{ tmp: string; path: string }> = [];
  try {
    for (const f of changed) {
      const path = join(m.dir, f.path);
      const tmp = `${path}.d2-migrate.tmp`;
      await writeFile(tmp, f.after);
      temps.push({ tmp, path });
    }
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t.tmp, { force: true })));
    throw err;
  }
  for (const t of temps) await rename(t.tmp, t.path);
  return changed.map((f) => f.path);
}
