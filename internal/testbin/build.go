package testbin

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Go119 is Debian's Go 1.19 command (package golang-1.19-go), the second
// toolchain the tests build guests with.
const Go119 = "/usr/lib/go-1.19/bin/go"

// GoTool returns the go command on PATH, the toolchain running the tests.
func GoTool(t TB) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go tool not found: ", err)
	}
	return p
}

// Need119 returns Go119, skipping the test when it is not installed.
func Need119(t TB) string {
	t.Helper()
	if _, err := os.Stat(Go119); err != nil {
		t.Skip("Go 1.19 not installed (", Go119, "); install the golang-1.19-go package")
	}
	return Go119
}

// builds caches Build's results for the whole test binary: each program
// is built once per toolchain, environment and flags.
var builds struct {
	sync.Mutex
	dir  string
	done map[string]built
}

type built struct {
	path string
	err  error
}

// Build builds the Go program made of files (path in the module → text)
// with go command tool, extra environment env and build flags, and returns
// the executable's path. With a go.mod among the files the module's main
// package (".") is built, else the .go files as named. The host's GOROOT,
// GOFLAGS and GOTOOLCHAIN are dropped so that an older go command uses its
// own installation; the build is static (CGO_ENABLED=0) for linux/amd64.
// A build is made once per test binary; RemoveBuilds deletes them all.
func Build(t TB, tool string, files map[string]string, env []string, flags ...string) string {
	t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%q\x00%q\x00", tool, env, flags)
	for _, name := range names {
		fmt.Fprintf(h, "%s\x00%s\x00", name, files[name])
	}
	key := hex.EncodeToString(h.Sum(nil))

	builds.Lock()
	defer builds.Unlock()
	r, ok := builds.done[key]
	if !ok {
		r = build(tool, files, names, env, flags)
		if builds.done == nil {
			builds.done = map[string]built{}
		}
		builds.done[key] = r
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.path
}

// build runs one build; the caller holds builds' lock.
func build(tool string, files map[string]string, names, env, flags []string) built {
	if builds.dir == "" {
		dir, err := os.MkdirTemp("", "gouth-testbin-")
		if err != nil {
			return built{err: err}
		}
		builds.dir = dir
	}
	dir, err := os.MkdirTemp(builds.dir, "prog-")
	if err != nil {
		return built{err: err}
	}
	var goFiles []string
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return built{err: err}
		}
		if err := os.WriteFile(p, []byte(files[name]), 0o644); err != nil {
			return built{err: err}
		}
		if strings.HasSuffix(name, ".go") {
			goFiles = append(goFiles, name)
		}
	}
	if _, ok := files["go.mod"]; ok {
		goFiles = []string{"."}
	}
	out := filepath.Join(dir, "prog")
	args := append(append([]string{"build", "-o", out}, flags...), goFiles...)
	cmd := exec.Command(tool, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOROOT=") && !strings.HasPrefix(kv, "GOFLAGS=") && !strings.HasPrefix(kv, "GOTOOLCHAIN=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOTOOLCHAIN=local", "GO111MODULE=on")
	cmd.Env = append(cmd.Env, env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return built{err: fmt.Errorf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, b)}
	}
	return built{path: out}
}

// RemoveBuilds deletes what Build built; call it from TestMain after the
// tests ran.
func RemoveBuilds() {
	builds.Lock()
	defer builds.Unlock()
	if builds.dir != "" {
		os.RemoveAll(builds.dir)
	}
	builds.dir, builds.done = "", nil
}
