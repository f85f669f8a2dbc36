// Reference archiver for the differential test (packages/core/test/flux/differential.test.ts).
//
// It runs Flux's own code — fluxcd/pkg tar v1.2.0 (tar.Tar) and sourceignore v0.18.0, the versions Flux 2.9.x
// uses (flux-artifact.md §0) — wired the way fluxcd/pkg oci v0.69.0 build() wires them: `--path` made absolute,
// a single file staged in os.MkdirTemp, patterns joined with "\n" and read with the absolute directory as domain.
// It writes the plain tar (or, with "gz", Flux's gzip layer) to stdout. With "writes" it prints instead the size of
// each non-empty Write call tar.Tar's archive/tar writer makes, one per line: with WithSkipGzip those calls reach our
// writer exactly as they would reach gzip.Writer otherwise, and Go's deflate output can depend on where they end
// (docs/flate.md, "Write boundaries"). Empty writes (archive/tar flushes a zero-length padding) are left out: both
// gzip.Writer and flate ignore them.
//
// Usage: fluxref <path> <ignore-paths: "-" for Flux's default, "" for none, else comma-separated> [gz|writes]
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fluxcd/pkg/sourceignore"
	"github.com/fluxcd/pkg/tar"
)

const fluxDefault = ".git/,.gitignore,.gitmodules,.gitattributes,*.jpg,*.jpeg,*.gif,*.png,*.wmv,*.flv,*.tar.gz,*.zip"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 3 {
		return fmt.Errorf("usage: fluxref <path> <ignore-paths> [gz]")
	}
	var ignorePaths []string
	switch os.Args[2] {
	case "-":
		ignorePaths = strings.Split(fluxDefault, ",")
	case "":
	default:
		ignorePaths = strings.Split(os.Args[2], ",")
	}
	absSrc, err := filepath.Abs(os.Args[1])
	if err != nil {
		return err
	}
	srcInfo, err := os.Stat(absSrc)
	if err != nil {
		return err
	}
	tarDir := absSrc
	if !srcInfo.IsDir() {
		stage, err := os.MkdirTemp("", "oci-build-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(stage)
		if err := stageFile(filepath.Join(stage, srcInfo.Name()), absSrc, srcInfo.Mode()); err != nil {
			return err
		}
		tarDir = stage
	}
	domain := strings.Split(filepath.Clean(tarDir), string(filepath.Separator))
	matcher := sourceignore.NewMatcher(sourceignore.ReadPatterns(strings.NewReader(strings.Join(ignorePaths, "\n")), domain))
	opts := []tar.Option{tar.WithFilter(func(p string, fi os.FileInfo) bool {
		return matcher.Match(strings.Split(p, string(filepath.Separator)), fi.IsDir())
	})}
	mode := ""
	if len(os.Args) > 3 {
		mode = os.Args[3]
	}
	if mode != "gz" {
		opts = append(opts, tar.WithSkipGzip())
	}
	if mode == "writes" {
		rec := &writeRecorder{}
		if _, err := tar.Tar(tarDir, rec, opts...); err != nil {
			return err
		}
		out := bufio.NewWriter(os.Stdout)
		for _, n := range rec.sizes {
			fmt.Fprintln(out, n)
		}
		return out.Flush()
	}
	_, err = tar.Tar(tarDir, os.Stdout, opts...)
	return err
}

// writeRecorder records the size of every non-empty Write call.
type writeRecorder struct{ sizes []int }

func (r *writeRecorder) Write(p []byte) (int, error) {
	if len(p) > 0 {
		r.sizes = append(r.sizes, len(p))
	}
	return len(p), nil
}

func stageFile(dst, src string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode.Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
