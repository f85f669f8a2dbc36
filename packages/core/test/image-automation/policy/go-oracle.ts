/**
 * The Go oracle for the policy tests: a small program built with the local Go toolchain against the module
 * image-reflector-controller v1.2.0 uses (github.com/Masterminds/semver/v3 v3.5.0, from the Go module cache or the Go
 * module proxy), plus Go's own strconv and regexp. It answers JSON lines:
 *  - `semver`: IRC's SemVer.Latest over the tags sorted descending by bytes (fluxcd/pkg ParseVersion: three parts);
 *  - `float`: strconv.ParseFloat(s, 64), as the hex of its IEEE bits ("NaN" for NaN);
 *  - `expand`: regexp.Compile + FindStringSubmatchIndex + ExpandString;
 *  - `exclude`: IRC filterOutTags (MatchString with every pattern).
 * Tests skip, with a message, when Go is missing or the module cannot be fetched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GO_MOD = `module d2policyoracle

go 1.22

require github.com/Masterminds/semver/v3 v3.5.0
`;

const GO_SUM = `github.com/Masterminds/semver/v3 v3.5.0 h1:kQceYJfbupGfZOKZQg0kou0DgAKhzDg2NZPAwZ/2OOE=
github.com/Masterminds/semver/v3 v3.5.0/go.mod h1:4V+yj/TJE1HU9XfppCwVMZq3I84lprf4nC11bSS5beM=
`;

const MAIN_GO = `package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

type request struct {
	Kind     string   \`json:"kind"\`
	Range    string   \`json:"range"\`
	Tags     []string \`json:"tags"\`
	S        string   \`json:"s"\`
	Pattern  string   \`json:"pattern"\`
	Template string   \`json:"template"\`
	Patterns []string \`json:"patterns"\`
}

type response struct {
	Result string   \`json:"result"\`
	List   []string \`json:"list"\`
	Err    string   \`json:"err"\`
}

func parseVersion(v string) (*semver.Version, error) {
	if len(strings.SplitN(v, ".", 3)) != 3 {
		return nil, semver.ErrInvalidSemVer
	}
	return semver.NewVersion(v)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for in.Scan() {
		var q request
		if err := json.Unmarshal(in.Bytes(), &q); err != nil {
			panic(err)
		}
		var r response
		switch q.Kind {
		case "semver":
			c, err := semver.NewConstraint(q.Range)
			if err != nil {
				r.Err = "invalid policy: " + err.Error()
				break
			}
			tags := append([]string{}, q.Tags...)
			sort.SliceStable(tags, func(i, j int) bool { return strings.Compare(tags[i], tags[j]) > 0 })
			var latest *semver.Version
			for _, t := range tags {
				if v, err := parseVersion(t); err == nil && c.Check(v) && (latest == nil || v.GreaterThan(latest)) {
					latest = v
				}
			}
			if latest == nil {
				r.Err = "unable to determine latest version from provided list"
			} else {
				r.Result = latest.Original()
			}
		case "float":
			f, err := strconv.ParseFloat(q.S, 64)
			switch {
			case err != nil:
				r.Err = err.Error()
			case math.IsNaN(f):
				r.Result = "NaN"
			default:
				r.Result = strconv.FormatUint(math.Float64bits(f), 16)
			}
		case "expand":
			re, err := regexp.Compile(q.Pattern)
			if err != nil {
				r.Err = err.Error()
				break
			}
			m := re.FindStringSubmatchIndex(q.S)
			if m == nil {
				r.Err = "no match"
				break
			}
			r.Result = string(re.ExpandString(nil, q.Template, q.S, m))
		case "exclude":
			r.List = []string{}
			var res []*regexp.Regexp
			for _, p := range q.Patterns {
				re, err := regexp.Compile(p)
				if err != nil {
					r.Err = err.Error()
					break
				}
				res = append(res, re)
			}
			for _, t := range q.Tags {
				drop := false
				for _, re := range res {
					if re.MatchString(t) {
						drop = true
						break
					}
				}
				if !drop {
					r.List = append(r.List, t)
				}
			}
		}
		if err := enc.Encode(r); err != nil {
			panic(err)
		}
	}
}
`;

export type OracleRequest =
  | { kind: 'semver'; range: string; tags: string[] }
  | { kind: 'float'; s: string }
  | { kind: 'expand'; pattern: string; template: string; s: string }
  | { kind: 'exclude'; patterns: string[]; tags: string[] };

export interface OracleResponse {
  result: string;
  list: string[] | null;
  err: string;
}

export interface PolicyOracle {
  /** The built program (reads requests on stdin, one JSON object per line). */
  binary: string;
  run(requests: OracleRequest[]): OracleResponse[];
  dispose(): void;
}

/** Builds the oracle (once per test file); returns the reason instead when it cannot be built here. */
export function policyOracle(): PolicyOracle | string {
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  const v = spawnSync('go', ['version'], { encoding: 'utf8', env });
  if (v.error || v.status !== 0) return '`go` is not on PATH';
  const dir = mkdtempSync(join(tmpdir(), 'd2-policy-oracle-'));
  writeFileSync(join(dir, 'go.mod'), GO_MOD);
  writeFileSync(join(dir, 'go.sum'), GO_SUM);
  writeFileSync(join(dir, 'main.go'), MAIN_GO);
  const b = spawnSync('go', ['build', '-o', join(dir, 'oracle'), '.'], { cwd: dir, encoding: 'utf8', env, timeout: 180_000 });
  if (b.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `building the Go oracle failed (module cache/proxy unavailable?): ${b.stderr.trim().split('\n').at(-1)}`;
  }
  return {
    binary: join(dir, 'oracle'),
    run(requests) {
      const input = requests.map((r) => JSON.stringify(r)).join('\n') + '\n';
      const r = spawnSync(join(dir, 'oracle'), { input, maxBuffer: 1 << 28 });
      if (r.status !== 0) throw new Error(`Go oracle failed: ${r.stderr.toString()}`);
      return r.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as OracleResponse);
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
