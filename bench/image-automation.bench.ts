/**
 * image-automation bench (200 policies × 1,000 tags and 2,000 YAML files). One automation run without the
 * network: elect 200 semver policies over 1,000 tags each, rewrite the setter markers in 2,000 files (1,000 marked,
 * 1,000 screened out by the `"$imagepolicy"` token) and render the d2 commit template. Side by side with the
 * reference for the setter phase: a Go program using kyaml v0.21.1 + go-yaml v3.0.4 the way image-automation-controller
 * does (ByteReader → fieldmeta setters → FormatNonStringStyle → ByteWriter re-emitting whole files), built with the
 * local Go toolchain when available (module proxy), else skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyElector, type ImagePolicySpec } from '../packages/core/src/image-automation/policy/index.js';
import { updateWithSetters, type PolicySetterSource } from '../packages/core/src/image-automation/setters/index.js';
import { renderCommitMessage } from '../packages/core/src/image-automation/template/index.js';
import { fmtMs, median, ratio, selfPeakRssMiB, timeAsync, timeCommand, writeSection, type Stats } from './harness.js';
import { prngInt as prng } from '../packages/sandbox/src/random.js';
import { D2_MESSAGE_TEMPLATE } from '../packages/sandbox/src/d2-repos.js';

const POLICIES = 200;
const RUNS = 7;
const TAGS = 1000;
const FILES = 2000;


function tagList(seed: number): string[] {
  const r = prng(seed);
  const tags = new Set<string>();
  while (tags.size < TAGS) {
    const k = r(6);
    const v = `${r(4)}.${r(30)}.${r(40)}`;
    if (k < 3) tags.add(v);
    else if (k < 4) tags.add(`${v}-rc.${r(9)}`);
    else if (k < 5) tags.add(`sha256-${r(1 << 30).toString(16)}.sig`);
    else tags.add(`main-${r(1 << 30).toString(16)}`);
  }
  return [...tags].sort().reverse();
}

function deployment(i: number, marked: boolean): string {
  const p = i % POLICIES;
  const marker = marked ? ` # {"$imagepolicy": "bench:p${p}"}` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  namespace: bench
spec:
  replicas: 2
  selector:
    matchLabels:
      app: app-${i}
  template:
    metadata:
      labels:
        app: app-${i}
    spec:
      containers:
        - name: app
          image: registry.example.com/team/app-${p}:0.0.1${marker}
          ports:
            - containerPort: 8080
          env:
            - name: TAG
              value: "0.0.1"${marked ? ` # {"$imagepolicy": "bench:p${p}:tag"}` : ''}
`;
}

function writeFiles(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < FILES; i++) {
    const sub = join(dir, `team-${i % 20}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `app-${i}.yaml`), deployment(i, i % 2 === 0));
  }
}

const GO_MOD = `module d2setterbench

go 1.22

require sigs.k8s.io/kustomize/kyaml v0.21.1
`;

// A setter pass with kyaml's public API, following image-automation-controller's code path (reader, setters, writer).
const MAIN_GO = `package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/kube-openapi/pkg/validation/spec"
	"sigs.k8s.io/kustomize/kyaml/fieldmeta"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func main() {
	fieldmeta.SetShortHandRef("$imagepolicy")
	openapi.SuppressBuiltInSchemaUse()
	values := map[string]string{}
	b, _ := os.ReadFile(os.Args[2])
	_ = json.Unmarshal(b, &values)
	defs := map[string]spec.Schema{}
	for k, v := range values {
		s := spec.StringProperty()
		s.Extensions = map[string]interface{}{}
		s.Extensions.Add("x-k8s-cli", map[string]interface{}{"setter": map[string]string{"name": k, "value": v}})
		defs[fieldmeta.SetterDefinitionPrefix+k] = *s
	}
	schema := &spec.Schema{}
	schema.Definitions = defs
	token := []byte("\\"$imagepolicy\\"")
	_ = filepath.Walk(os.Args[1], func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() { return err }
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" { return nil }
		data, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(data, token) { return nil }
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true}).Read()
		if err != nil { return nil }
		changed := false
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			switch n.Kind {
			case yaml.DocumentNode, yaml.SequenceNode:
				for _, c := range n.Content { walk(c) }
			case yaml.MappingNode:
				for i := 1; i < len(n.Content); i += 2 { walk(n.Content[i]) }
			case yaml.ScalarNode:
				fm := fieldmeta.FieldMeta{SettersSchema: schema}
				if err := fm.Read(yaml.NewRNode(n)); err != nil || fm.IsEmpty() { return }
				if fm.Schema.Ref.String() != "" {
					if s, err := openapi.Resolve(&fm.Schema.Ref, schema); err == nil && s != nil { fm.Schema = *s }
				}
				ext, ok := fm.Schema.Extensions["x-k8s-cli"]
				if !ok { return }
				eb, _ := json.Marshal(ext)
				var e struct{ Setter struct{ Name, Value string } }
				_ = json.Unmarshal(eb, &e)
				if n.Value != e.Setter.Value { changed = true }
				n.Value = e.Setter.Value
				yaml.FormatNonStringStyle(n, fm.Schema)
			}
		}
		for _, n := range nodes { walk(n.YNode()) }
		if !changed { return nil }
		var out bytes.Buffer
		if err := (kio.ByteWriter{Writer: &out}).Write(nodes); err != nil { return err }
		return os.WriteFile(p, []byte(strings.TrimLeft(out.String(), "\\n")), 0o644)
	})
}
`;

function buildGoReference(dir: string): string | { binary: string } {
  if (spawnSync('go', ['version'], { encoding: 'utf8' }).status !== 0) return 'Go toolchain not found';
  writeFileSync(join(dir, 'go.mod'), GO_MOD);
  writeFileSync(join(dir, 'main.go'), MAIN_GO);
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  const tidy = spawnSync('go', ['mod', 'tidy'], { cwd: dir, encoding: 'utf8', env, timeout: 300_000 });
  if (tidy.status !== 0) return `go mod tidy failed: ${tidy.stderr.slice(-300)}`;
  const bin = join(dir, 'setters');
  const b = spawnSync('go', ['build', '-o', bin, '.'], { cwd: dir, encoding: 'utf8', env, timeout: 300_000 });
  return b.status === 0 ? { binary: bin } : `go build failed: ${b.stderr.slice(-300)}`;
}

const D2_TEMPLATE = D2_MESSAGE_TEMPLATE;

function statsOf(ms: number[]): Stats {
  return { runs: ms.length, medianMs: median(ms), minMs: Math.min(...ms), maxMs: Math.max(...ms) };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'd2-bench-ia-'));
  const files = join(work, 'repo');
  try {
    const specs: ImagePolicySpec[] = Array.from({ length: POLICIES }, (_, i) => ({ imageRepositoryRef: { name: `p${i}` }, policy: { semver: { range: i % 3 === 0 ? '>=1.0.0' : i % 3 === 1 ? '2.x' : '>=0.5.0-0 <3.0.0' } } }));
    const tagLists = specs.map((_, i) => tagList(1000 + i));
    let sources: PolicySetterSource[] = [];
    const elect = async () => {
      sources = specs.map((spec, i) => {
        const { tag } = new PolicyElector(spec, `bench/p${i}`).elect(tagLists[i], { presorted: true });
        return { namespace: 'bench', name: `p${i}`, latestRef: { name: `registry.example.com/team/app-${i}`, tag } };
      });
    };
    await elect();
    let message = '';
    const full = async () => {
      await elect();
      const run = await updateWithSetters(files, sources);
      message = renderCommitMessage(D2_TEMPLATE, { automation: { namespace: 'bench', name: 'bench' }, result: run.result });
    };
    const electStats = await timeAsync(elect, 5, 1);
    const values: Record<string, string> = {};
    for (const s of sources) {
      values[`bench:${s.name}`] = `${s.latestRef?.name}:${s.latestRef?.tag}`;
      values[`bench:${s.name}:tag`] = s.latestRef?.tag ?? '';
    }
    const valuesFile = join(work, 'values.json');
    writeFileSync(valuesFile, JSON.stringify(values));
    const goDir = join(work, 'go');
    mkdirSync(goDir);
    const ref = buildGoReference(goDir);

    // The setter runs of D2 and of the reference alternate (one warm-up round first), so that the load of a shared
    // machine hits both alike.
    const ours: number[] = [];
    const theirs: Stats[] = [];
    for (let i = -1; i < RUNS; i++) {
      const d2 = await timeAsync(() => updateWithSetters(files, sources), 1, 0, () => writeFiles(files));
      if (i >= 0) ours.push(d2.medianMs);
      if (typeof ref === 'string') continue;
      const go = timeCommand(`"${ref.binary}" "${files}" "${valuesFile}"`, 1, 0, () => writeFiles(files));
      if (i >= 0) theirs.push(go);
    }
    const settersStats = statsOf(ours);
    const fullStats = await timeAsync(full, 5, 1, () => writeFiles(files));
    const rss = selfPeakRssMiB();

    const lines = [
      `## Image automation (${POLICIES} policies × ${TAGS.toLocaleString('en')} tags, ${FILES.toLocaleString('en')} YAML files)`,
      '',
      `${FILES / 2} files carry two markers each (full image and :tag), ${FILES / 2} have none and are screened out by the`,
      '`"$imagepolicy"` token. Tags are in memory (the registry scan is measured by the reflector tests, not here).',
      `The setter runs of D2 and of the reference alternate, ${RUNS} each after a warm-up round, on freshly written files.`,
      '',
      '| phase | D2 (in-process) | reference | ratio |',
      '|---|---|---|---|',
      `| election: ${POLICIES} semver policies × ${TAGS} tags | ${fmtMs(electStats)} | see image-policies section | |`,
    ];
    if (typeof ref === 'string') {
      lines.push(`| setters: ${FILES} files, minimal diffs | ${fmtMs(settersStats)} | skipped: ${ref} | |`);
    } else {
      const go = { ...statsOf(theirs.map((t) => t.medianMs)), peakRssMiB: Math.max(...theirs.map((t) => t.peakRssMiB ?? 0)) };
      lines.push(`| setters: ${FILES} files | ${fmtMs(settersStats)} (minimal diffs) | ${fmtMs(go)}, peak RSS ${go.peakRssMiB?.toFixed(0) ?? '?'} MiB (kyaml v0.21.1 whole-file re-emission, process) | ${ratio(settersStats, go)} |`);
    }
    lines.push(`| full run: election + setters + d2 commit template | ${fmtMs(fullStats)} | — | |`);
    lines.push('', `D2 process peak RSS after all phases: ${rss.toFixed(0)} MiB. Commit message: ${message.split('\n').length} lines.`);
    writeSection('image-automation', lines.join('\n'));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
