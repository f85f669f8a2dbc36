import { describe, expect, it } from 'vitest';
import { UpdateResult } from '../../../src/image-automation/setters/types.js';
import { DEFAULT_COMMIT_TEMPLATE, renderCommitMessage, Template, TemplateError } from '../../../src/image-automation/template/index.js';
import { D2_MESSAGE_TEMPLATE } from '@d2/sandbox/d2-repos';
import { thrownAs } from '../../support/failures.js';
import { resultV2Changes, TEST_COMMIT_TEMPLATE } from '../iac-templates.js';

type Row = [file: string, apiVersion: string, kind: string, name: string, oldValue: string, newValue: string, setter: string];

function result(rows: Row[]): UpdateResult {
  const r = new UpdateResult();
  for (const [file, APIVersion, Kind, Name, OldValue, NewValue, Setter] of rows) r.addChange(file, { APIVersion, Kind, Name, Namespace: '' }, { OldValue, NewValue, Setter });
  return r;
}

// The d2 fleet's messageTemplate (D2F clusters/update/automation.yaml, a `|` block: it ends in a newline), as the
// sandbox's D2 fleet (and so d2 demo) carries it: rendering it must give the spec's output byte for byte.
const D2_TEMPLATE = D2_MESSAGE_TEMPLATE;

const OCI = 'source.toolkit.fluxcd.io/v1';

describe('the d2 template renders byte-identically to Flux (docs/image-automation.md "Commit messages")', () => {
  it('one bump on frontend/base/podinfo.yaml (no blank line before Objects:)', () => {
    const msg = renderCommitMessage(D2_TEMPLATE, {
      automation: { namespace: 'apps', name: 'apps' },
      result: result([['frontend/base/podinfo.yaml', OCI, 'OCIRepository', 'podinfo-chart', '6.14.0', '6.15.0', 'apps:frontend-podinfo:tag']]),
    });
    expect(msg).toBe('Automated image update\n\nFiles:\n- frontend/base/podinfo.yaml\nObjects:\n- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0\n');
  });

  it('three files sorted by path, objects by identifier; two changes in one object are separated by a blank line', () => {
    const msg = renderCommitMessage(D2_TEMPLATE, {
      automation: { namespace: 'apps', name: 'apps' },
      result: result([
        ['frontend/base/podinfo.yaml', OCI, 'OCIRepository', 'podinfo-chart', '6.14.0', '6.15.0', 'apps:frontend-podinfo:tag'],
        ['backend/base/redis.yaml', OCI, 'OCIRepository', 'redis-chart', '27.0.12', '27.1.0', 'apps:backend-redis:tag'],
        ['backend/base/memcached.yaml', OCI, 'OCIRepository', 'memcached-chart', '7.0.0', '7.1.0', 'apps:backend-memcached:tag'],
        ['backend/base/memcached.yaml', OCI, 'OCIRepository', 'memcached-chart', 'a', 'b', 'apps:backend-memcached:name'],
      ]),
    });
    expect(msg).toBe(
      'Automated image update\n\nFiles:\n- backend/base/memcached.yaml\n- backend/base/redis.yaml\n- frontend/base/podinfo.yaml\n' +
        'Objects:\n- OCIRepository memcached-chart\n  Changes:\n    - 7.0.0 -> 7.1.0\n\n    - a -> b\n' +
        '- OCIRepository podinfo-chart\n  Changes:\n    - 6.14.0 -> 6.15.0\n- OCIRepository redis-chart\n  Changes:\n    - 27.0.12 -> 27.1.0\n',
    );
  });

  it('a values-file object (empty identity) renders "-  \\n  Changes:"', () => {
    const msg = renderCommitMessage(D2_TEMPLATE, { automation: { namespace: 'apps', name: 'apps' }, result: result([['values.yaml', '', '', '', '1', '2', 'apps:x:tag']]) });
    expect(msg).toContain('Objects:\n-  \n  Changes:\n    - 1 -> 2\n');
  });
});

describe('IAC commit-message cases', () => {
  const u = () => result([['deploy.yaml', 'apps/v1', 'Deployment', 'test', 'helloworld:1.0.0', 'helloworld:v1.0.0', 'ns-x:policy-y']]);

  it('U14: summary, automation, files, lowercased Deployment, images with setters', () => {
    // IAC's testCommitTemplate (../iac-templates.ts).
    expect(renderCommitMessage(TEST_COMMIT_TEMPLATE, { automation: { namespace: 'ns-x', name: 'update-test' }, result: u() })).toBe(
      'Commit summary\n\nAutomation: ns-x/update-test\n\nFiles:\n- deploy.yaml\nObjects:\n- deployment test\nImages:\n- helloworld:v1.0.0 (ns-x:policy-y)\n',
    );
  });

  it('U15: ResultV2 template gives `- Object: Deployment//test` for a namespace-less Deployment', () => {
    expect(renderCommitMessage(resultV2Changes(false), { automation: { namespace: 'ns-x', name: 'update-test' }, result: u() })).toBe(
      '- File: deploy.yaml\n  - Object: Deployment//test\n    Changes:\n    - helloworld:1.0.0 -> helloworld:v1.0.0\n',
    );
  });

  it('the default template has no trailing newline', () => {
    expect(renderCommitMessage(undefined, { automation: { namespace: 'a', name: 'b' }, result: u() })).toBe(DEFAULT_COMMIT_TEMPLATE);
    expect(DEFAULT_COMMIT_TEMPLATE).toBe('Update from image update automation');
  });

  it('an identifier printed directly gives {{{apps/v1 Deployment} {test }}}; .Values missing keys give <no value>', () => {
    const out = renderCommitMessage('{{ range $o, $_ := .Changed.Objects }}{{ $o }}{{ end }}|{{ .Values.nope }}|{{ .Values.cluster }}', {
      automation: { namespace: 'a', name: 'b' },
      values: { cluster: 'prod' },
      result: u(),
    });
    expect(out).toBe('{{{apps/v1 Deployment} {test }}}|<no value>|prod');
  });

  it('removed fields (.Updated, .Changed.ImageResult) fail with Flux\'s message and an actionable hint', () => {
    for (const [tpl, flux] of [
      ['{{ .Updated }}', "template uses removed '.Updated' field"],
      ['{{ range .Updated.Images }}{{ . }}{{ end }}', "template uses removed '.Updated' field"],
      ['{{ .Changed.ImageResult }}', "template uses removed '.Changed.ImageResult' field"],
      ['{{ with .Changed }}{{ .ImageResult.Files }}{{ end }}', "template uses removed '.Changed.ImageResult' field"],
    ]) {
      const err = thrownAs(TemplateError, () => renderCommitMessage(tpl, { automation: { namespace: 'a', name: 'b' }, result: u() }));
      expect(err.code).toBe('TEMPLATE_REMOVED_FIELD');
      expect(err.message).toContain(flux);
      expect(err.hint).toMatch(/\.Changed\.FileChanges/);
    }
  });

  it('the same names elsewhere are ordinary evaluation errors (IAC matches the receiver type too)', () => {
    for (const tpl of ['{{ .Changed.Updated }}', '{{ .AutomationObject.ImageResult }}']) {
      const err = thrownAs(TemplateError, () => renderCommitMessage(tpl, { automation: { namespace: 'a', name: 'b' }, result: u() }));
      expect(err.code).toBe('TEMPLATE_ERROR');
      expect(err.message).toMatch(/can't evaluate field (Updated in type update\.Result|ImageResult in type types\.NamespacedName)/);
    }
    expect(() => new Template('{{ .Updated }}').execute({ x: 1 })).toThrow(/can't evaluate field Updated in type struct/);
  });

  it.each([
    ['{{ nosuchfunc 1 }}', /function "nosuchfunc" not defined/],
    ['{{ if }}x{{ end }}', /missing value/],
    ['{{ range .Values }}', /unexpected EOF/],
    ['{{ .Changed.Nope }}', /can't evaluate field Nope/],
    ['{{ $x }}', /undefined variable/],
    ['{{ template "none" }}', /no such template/],
  ])('errors: %s', (tpl, re) => {
    expect(() => renderCommitMessage(tpl, { automation: { namespace: 'a', name: 'b' }, result: u() })).toThrow(re);
  });
});

// [derived] Expected outputs produced by Go 1.26 text/template + sprig v3.3.0 HermeticTxtFuncMap over IAC-shaped
// TemplateData (types.NamespacedName, ResultV2 with kyaml ResourceIdentifier keys), with the documented deterministic
// order for .Changed.Changes / .Changed.Objects.
const LANG_ROWS: Row[] = [
  ["frontend/base/podinfo.yaml", "source.toolkit.fluxcd.io/v1", "OCIRepository", "podinfo-chart", "6.14.0", "6.15.0", "apps:frontend-podinfo:tag"],
  ["backend/base/redis.yaml", "source.toolkit.fluxcd.io/v1", "OCIRepository", "redis-chart", "27.0.12", "27.1.0", "apps:backend-redis:tag"],
  ["backend/base/memcached.yaml", "source.toolkit.fluxcd.io/v1", "OCIRepository", "memcached-chart", "7.0.0", "7.1.0", "apps:backend-memcached:tag"],
  ["backend/base/memcached.yaml", "source.toolkit.fluxcd.io/v1", "OCIRepository", "memcached-chart", "a", "b", "apps:backend-memcached:name"],
  ["values.yaml", "", "", "", "1", "2", "apps:x:tag"],
  ["deploy.yaml", "apps/v1", "Deployment", "test", "helloworld:1.0.0", "helloworld:v1.0.0", "ns:policy"]
];

describe('Go text/template semantics (derived from Go text/template + sprig)', () => {
  const data = () => ({ automation: { namespace: 'apps', name: 'apps' }, result: result(LANG_ROWS) });
  it('actions, variables, trimming, comments, if/with/range/else, break/continue, define/template/block, builtins, printf verbs', () => {
    expect(renderCommitMessage("{{/* comment */}}A {{- /* trimmed comment */ -}} B\n{{ $x := 5 }}{{ $x }} {{ $x = 7 }}{{ $x }} {{ printf \"%d|%5d|%-4s|%q|%v|%s|%x|%05.2f|%t|%c\" 42 7 \"ab\" \"q\\\"x\" .Values \"s\" 255 3.14159 true 65 }}\n{{ with .Values.cluster }}cluster={{ . }}{{ else }}none{{ end }} {{ with .Values.nope }}X{{ else with .Values.x }}y={{ . }}{{ end }}\n{{ .Values.missing }} {{ index .Values \"cluster\" }} {{ len .Values }} {{ .AutomationObject.Namespace }}/{{ .AutomationObject.Name }}\n{{ range $i, $c := .Changed.Changes }}{{ if $i }}, {{ end }}{{ $i }}:{{ $c.Setter }}{{ end }}\n{{ range $k, $v := .Changed.Objects }}{{ $k }}={{ len $v }};{{ end }}\n{{ range .Changed.Changes }}{{ . }}{{ break }}{{ end }}\n{{ if and .Values (not .Values.missing) }}and-ok{{ end }} {{ or \"\" 0 \"z\" }} {{ and 1 0 2 }}\n{{ if eq .AutomationObject.Name \"apps\" \"other\" }}eq-multi{{ end }} {{ lt 1 2 }} {{ ge \"b\" \"a\" }} {{ ne 1 2 }}\n{{ print 1 2 \"a\" \"b\" 3 }}|{{ println \"x\" 1 }}|{{ print nil }}\n{{ define \"item\" }}[{{ .Kind }}]{{ end }}{{ range $o, $_ := .Changed.Objects }}{{ template \"item\" $o }}{{ end }}\n{{ block \"blk\" .AutomationObject }}block:{{ .Name }}{{ end }}\n{{ slice (list 1 2 3 4) 1 3 }} {{ index (list 1 2 3) 1 }} {{ html \"<a&b>\" }} {{ js \"a'b\" }} {{ urlquery \"a b&c\" }}\n{{ range 3 }}{{ . }}{{ end }} {{ range $i, $e := list \"a\" \"b\" }}{{ $i }}{{ $e }}{{ else }}empty{{ end }} {{ range list }}x{{ else }}empty{{ end }}\n{{- range $i, $e := list 1 2 3 4 }}{{ if eq $e 2 }}{{ continue }}{{ end }}{{ $e }}{{ end }}\n{{ 1.5 }} {{ 0x1F }} {{ 'a' }} {{ -3 }} {{ 1e3 }} {{ true }} {{ \"\\u00e9\\t|\" }} {{ `raw\\n` }}\n{{ .Changed.FileChanges }}\n", data())).toBe("AB\n5 7 42|    7|ab  |\"q\\\"x\"|map[]|s|ff|03.14|true|A\nnone \n<no value>  0 apps/apps\n0:apps:backend-memcached:tag, 1:apps:backend-memcached:name, 2:apps:backend-redis:tag, 3:ns:policy, 4:apps:frontend-podinfo:tag, 5:apps:x:tag\n{{{ } { }}}=1;{{{apps/v1 Deployment} {test }}}=1;{{{source.toolkit.fluxcd.io/v1 OCIRepository} {memcached-chart }}}=2;{{{source.toolkit.fluxcd.io/v1 OCIRepository} {podinfo-chart }}}=1;{{{source.toolkit.fluxcd.io/v1 OCIRepository} {redis-chart }}}=1;\n{7.0.0 7.1.0 apps:backend-memcached:tag}\n z 0\neq-multi true true true\n1 2ab3|x 1\n|<nil>\n[][Deployment][OCIRepository][OCIRepository][OCIRepository]\nblock:apps\n[2 3] 2 &lt;a&amp;b&gt; a\\'b a+b%26c\n012 0a1b empty134\n1.5 31 97 -3 1000 true é\t| raw\\n\nmap[backend/base/memcached.yaml:map[{{{source.toolkit.fluxcd.io/v1 OCIRepository} {memcached-chart }}}:[{7.0.0 7.1.0 apps:backend-memcached:tag} {a b apps:backend-memcached:name}]] backend/base/redis.yaml:map[{{{source.toolkit.fluxcd.io/v1 OCIRepository} {redis-chart }}}:[{27.0.12 27.1.0 apps:backend-redis:tag}]] deploy.yaml:map[{{{apps/v1 Deployment} {test }}}:[{helloworld:1.0.0 helloworld:v1.0.0 ns:policy}]] frontend/base/podinfo.yaml:map[{{{source.toolkit.fluxcd.io/v1 OCIRepository} {podinfo-chart }}}:[{6.14.0 6.15.0 apps:frontend-podinfo:tag}]] values.yaml:map[{{{ } { }}}:[{1 2 apps:x:tag}]]]\n");
  });
  it('hermetic sprig functions', () => {
    expect(renderCommitMessage("{{ \"  hi  \" | trim }}|{{ trimSuffix \"-x\" \"a-x\" }}|{{ trimPrefix \"v\" \"v1.2\" }}|{{ upper \"a\" }}{{ lower \"B\" }}|{{ title \"hello world-foo bar_baz\" }}\n{{ replace \".\" \"-\" \"1.2.3\" }}|{{ contains \"ell\" \"hello\" }}|{{ hasPrefix \"he\" \"hello\" }}|{{ hasSuffix \"lo\" \"hello\" }}\n{{ join \", \" (list \"a\" \"b\" 3) }}|{{ (split \"/\" \"a/b/c\")._1 }}|{{ splitList \",\" \"x,y\" }}|{{ quote \"a\\\"b\" 1 }}|{{ squote \"x\" }}\n{{ default \"dflt\" .Values.missing }}|{{ default \"dflt\" \"\" }}|{{ default \"dflt\" \"set\" }}|{{ empty \"\" }}|{{ empty 0 }}|{{ empty (list) }}|{{ empty .AutomationObject }}\n{{ list 1 \"a\" }}|{{ dict \"b\" 1 \"a\" \"x\" }}|{{ toJson (dict \"k\" \"<v>\" \"a\" (list 1 true nil)) }}|{{ toJson .Changed.Changes }}\n{{ \"a\\nb\" | indent 2 }}|{{ \"a\\nb\" | nindent 4 }}|{{ repeat 3 \"ab\" }}|{{ substr 1 3 \"hello\" }}|{{ trunc 3 \"hello\" }}|{{ trunc -2 \"hello\" }}\n{{ sortAlpha (list \"b\" \"a\" \"C\") }}|{{ uniq (list 1 2 1 \"1\") }}|{{ first (list 9 8) }}|{{ last (list 9 8) }}|{{ add 1 2 3 }}|{{ sub 5 7 }}|{{ mul 2 3 }}|{{ div 7 2 }}|{{ mod 7 3 }}|{{ max 1 5 3 }}|{{ min 4 2 }}\n{{ regexReplaceAll \"v(\\\\d+)\" \"v12 v3\" \"n$1\" }}|{{ regexMatch \"^[a-z]+$\" \"abc\" }}|{{ regexFind \"[0-9]+\" \"ab12cd34\" }}|{{ b64enc \"hi\" }}|{{ sha256sum \"x\" }}\n{{ ternary \"y\" \"n\" true }}|{{ coalesce \"\" \"second\" }}|{{ cat \"a\" nil \"b\" }}|{{ snakecase \"FooBar\" }}|{{ kebabcase \"FooBar\" }}|{{ camelcase \"foo_bar\" }}|{{ nospace \"a b c\" }}\n{{ keys (dict \"b\" 1 \"a\" 2) | sortAlpha }}|{{ hasKey (dict \"a\" 1) \"a\" }}|{{ get (dict \"a\" \"x\") \"a\" }}|{{ until 3 }}|{{ toString 12 }}|{{ atoi \"42\" }}|{{ int \"7\" }}\n{{ range $f, $o := .Changed.FileChanges }}{{ $f | trimSuffix \".yaml\" | upper }} {{ end }}\n", data())).toBe("hi|a|1.2|Ab|Hello World-Foo Bar_baz\n1-2-3|true|true|true\na, b, 3|b|[x y]|\"a\\\"b\" \"1\"|'x'\ndflt|dflt|set|true|true|true|false\n[1 a]|map[a:x b:1]|{\"a\":[1,true,null],\"k\":\"\\u003cv\\u003e\"}|[{\"OldValue\":\"7.0.0\",\"NewValue\":\"7.1.0\",\"Setter\":\"apps:backend-memcached:tag\"},{\"OldValue\":\"a\",\"NewValue\":\"b\",\"Setter\":\"apps:backend-memcached:name\"},{\"OldValue\":\"27.0.12\",\"NewValue\":\"27.1.0\",\"Setter\":\"apps:backend-redis:tag\"},{\"OldValue\":\"helloworld:1.0.0\",\"NewValue\":\"helloworld:v1.0.0\",\"Setter\":\"ns:policy\"},{\"OldValue\":\"6.14.0\",\"NewValue\":\"6.15.0\",\"Setter\":\"apps:frontend-podinfo:tag\"},{\"OldValue\":\"1\",\"NewValue\":\"2\",\"Setter\":\"apps:x:tag\"}]\n  a\n  b|\n    a\n    b|ababab|el|hel|lo\n[C a b]|[1 2 1]|9|8|6|-2|6|3|1|5|2\nn12 n3|true|12|aGk=|2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881\ny|second|a b|foo_bar|foo-bar|FooBar|abc\n[a b]|true|x|[0 1 2]|12|42|7\nBACKEND/BASE/MEMCACHED BACKEND/BASE/REDIS DEPLOY FRONTEND/BASE/PODINFO VALUES \n");
  });
  it('Template can be used directly with plain data and custom functions', () => {
    const t = new Template('{{ range $k, $v := . }}{{ $k }}={{ $v | twice }};{{ end }}', { twice: (s) => `${String(s)}${String(s)}` });
    expect(t.execute(new Map([['b', 'x'], ['a', 'y']]))).toBe('a=yy;b=xx;');
  });
});
