package testbin

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// Toolchain is one Go installation that tests build guests with. The list
// is Toolchains; every test package takes its toolchains from there, so a
// new Go version is one more row.
type Toolchain struct {
	// Name is the version the toolchain reports ("go1.11.1", "go1.27.3");
	// for the machine's own go command it is read from `go env GOVERSION`.
	Name string
	// Short is a stable label for golden files and subtests: "go1.11",
	// "go1.19", "go-machine", "go1.27".
	Short string
	// Legacy means the toolchain predates the module-aware build of a
	// single file with this repository's go.mod around it (go1.11, go1.19):
	// guests are built in GOPATH mode (GO111MODULE=off).
	Legacy bool
	// NoTrimpath means `go build -trimpath` does not exist (before go1.13);
	// Build trims through -gcflags/-asmflags instead.
	NoTrimpath bool

	find func() (goCmd string, env []string, missing string)

	once    sync.Once
	goCmd   string
	env     []string
	missing string
}

// The toolchains, oldest first. go1.11.1 is the book's version.
var (
	// Go111 is go1.11.1, unpacked by tools/deps.sh into build/go1.11.1 from
	// the shared toolchain archive, or wherever GO111ROOT points.
	Go111 = &Toolchain{Name: "go1.11.1", Short: "go1.11", Legacy: true, NoTrimpath: true, find: findGo111}
	// Go119Toolchain is Debian's golang-1.19-go.
	Go119Toolchain = &Toolchain{Short: "go1.19", Legacy: true, find: findGo119}
	// Machine is the go command on PATH, the one running the tests.
	Machine = &Toolchain{Short: "go-machine", find: findMachine}
	// Go127 is go1.27.3, fetched by the go command itself (GOTOOLCHAIN)
	// from the module proxy; tools/deps.sh fetches it once per machine.
	Go127 = &Toolchain{Name: "go1.27.3", Short: "go1.27", find: findGo127}

	// Toolchains lists them all.
	Toolchains = []*Toolchain{Go111, Go119Toolchain, Machine, Go127}
)

func (tc *Toolchain) resolve() {
	tc.once.Do(func() {
		tc.goCmd, tc.env, tc.missing = tc.find()
		if tc.Name == "" && tc.goCmd != "" {
			cmd := exec.Command(tc.goCmd, "env", "GOVERSION")
			cmd.Env = tc.environ()
			if out, err := cmd.Output(); err == nil {
				tc.Name = strings.TrimSpace(string(out))
			}
			if tc.Name == "" {
				tc.Name = "go"
			}
		}
	})
}

// Available reports whether the toolchain is installed; if not, the
// string says what is missing and how to get it.
func (tc *Toolchain) Available() (bool, string) {
	tc.resolve()
	return tc.goCmd != "", tc.missing
}

// Need skips the test when the toolchain is not installed, naming the
// missing piece, and returns its go command.
func (tc *Toolchain) Need(t TB) string {
	t.Helper()
	if ok, why := tc.Available(); !ok {
		t.Skip(why)
	}
	return tc.goCmd
}

// GoCmd is the path of the go command, "" if not installed.
func (tc *Toolchain) GoCmd() string {
	tc.resolve()
	return tc.goCmd
}

// Env is the environment to run this toolchain's go command in: the
// host's without the Go settings of other toolchains (GOROOT, GOFLAGS,
// GOTOOLCHAIN, GOEXPERIMENT, ...), plus what the toolchain needs.
func (tc *Toolchain) Env() []string {
	tc.resolve()
	return tc.environ()
}

// environ is Env for a resolved toolchain.
func (tc *Toolchain) environ() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") {
			if !strings.HasPrefix(kv, "GOPATH=") && !strings.HasPrefix(kv, "GOMODCACHE=") &&
				!strings.HasPrefix(kv, "GOPROXY=") && !strings.HasPrefix(kv, "GONOSUMDB=") &&
				!strings.HasPrefix(kv, "GOSUMDB=") && !strings.HasPrefix(kv, "GOCACHE=") {
				continue
			}
		}
		env = append(env, kv)
	}
	env = append(env, "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
	return append(env, tc.env...)
}

// BuildArgs are the go command's arguments that build the main package
// files in srcDir into out with source paths trimmed, so that file names in
// tests read runtime/proc.go and main.go wherever the tree and the
// toolchain are.
func (tc *Toolchain) BuildArgs(out, srcDir string, files ...string) []string {
	args := []string{"build", "-o", out}
	if tc.NoTrimpath {
		// go1.11: the compiler's and assembler's own -trimpath take one
		// prefix: GOROOT/src for the standard library, the source
		// directory for the main package (the last matching flag wins).
		src := tc.goroot() + "/src"
		// An empty build ID: the ID hashes the flags, which name the
		// checkout, and the committed builds should not depend on it.
		args = append(args, "-gcflags=all=-trimpath="+src, "-gcflags=command-line-arguments=-trimpath="+srcDir,
			"-asmflags=all=-trimpath="+src, "-ldflags=-buildid=")
	} else {
		args = append(args, "-trimpath")
	}
	return append(args, files...)
}

// GOROOT is the toolchain's GOROOT, "" if unknown or not installed.
func (tc *Toolchain) GOROOT() string { return tc.goroot() }

// goroot is the toolchain's GOROOT, "" if unknown.
func (tc *Toolchain) goroot() string {
	if tc.GoCmd() == "" {
		return ""
	}
	cmd := exec.Command(tc.goCmd, "env", "GOROOT")
	cmd.Env = tc.Env()
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// BuildGuest builds testdata/guests/NAME (its main.go) with the toolchain
// into dir/SHORT-NAME, trimmed as BuildArgs says, and returns the path.
// repoRoot is the module root. The test is skipped when the toolchain is
// missing.
func (tc *Toolchain) BuildGuest(t TB, repoRoot, name, dir string) string {
	t.Helper()
	goCmd := tc.Need(t)
	out := filepath.Join(dir, tc.Short+"-"+name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	src := filepath.Join(repoRoot, "testdata", "guests", name)
	cmd := exec.Command(goCmd, tc.BuildArgs(out, src, "main.go")...)
	cmd.Dir = src
	cmd.Env = tc.Env()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatal(fmt.Sprintf("%s %s: %v\n%s", goCmd, strings.Join(cmd.Args[1:], " "), err, b))
	}
	return out
}

// RepoRoot returns the module root above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			strings.HasPrefix(string(b), "module github.com/gouth-emu/gouth-emu") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testbin: no gouth-emu go.mod above the working directory")
		}
		dir = parent
	}
}

// go111Path is where tools/deps.sh unpacks go1.11.1, under the module root.
const go111Path = "build/go1.11.1"

// go111Final is the GOROOT go1.11 builds record, wherever the toolchain is.
const go111Final = "/usr/local/go"

func findGo111() (string, []string, string) {
	root := os.Getenv("GO111ROOT")
	if root == "" {
		repo, err := RepoRoot()
		if err != nil {
			return "", nil, err.Error()
		}
		root = filepath.Join(repo, go111Path)
	}
	goCmd := filepath.Join(root, "bin", "go")
	if _, err := os.Stat(goCmd); err != nil {
		return "", nil, fmt.Sprintf("go1.11.1 not found at %s: run tools/deps.sh with ../shared/toolchains/go1.11.1.linux-amd64.tar.xz beside the checkout, or set GO111ROOT to a go1.11 GOROOT", root)
	}
	cache, gopath := toolchainDirs("go1.11.1")
	// go1.11 finds its GOROOT from where it is unpacked, but an explicit
	// one keeps a stray GOROOT of the host from mattering.
	// GOROOT_FINAL: the linker writes it into the binary
	// (runtime/internal/sys.DefaultGoroot), and its length changes how
	// many instructions the boot takes; a fixed one makes builds in any
	// checkout boot the same.
	return goCmd, []string{"GOROOT=" + root, "GOROOT_FINAL=" + go111Final, "GO111MODULE=off", "GOPATH=" + gopath, "GOCACHE=" + cache}, ""
}

func findGo119() (string, []string, string) {
	if _, err := os.Stat(Go119); err != nil {
		return "", nil, fmt.Sprintf("Go 1.19 not installed (%s); install the golang-1.19-go package", Go119)
	}
	cache, gopath := toolchainDirs("go1.19")
	return Go119, []string{"GOTOOLCHAIN=local", "GO111MODULE=off", "GOPATH=" + gopath, "GOCACHE=" + cache}, ""
}

func findMachine() (string, []string, string) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", nil, "no go command on PATH"
	}
	return p, []string{"GOTOOLCHAIN=local"}, ""
}

func findGo127() (string, []string, string) {
	p, err := exec.LookPath("go")
	if err != nil {
		return "", nil, "no go command on PATH"
	}
	env := []string{"GOTOOLCHAIN=go1.27.3"}
	cmd := exec.Command(p, "env", "GOVERSION")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil || strings.TrimSpace(string(out)) != "go1.27.3" {
		return "", nil, "go1.27.3 not available: the go command fetches it with GOTOOLCHAIN=go1.27.3 from the module proxy (tools/deps.sh does it once); " +
			"this machine could not: " + strings.TrimSpace(string(out)) + fmt.Sprint(err)
	}
	return p, env, ""
}

// toolchainDirs returns a build cache and a GOPATH for an old toolchain
// under the user's cache directory (so the standard library is compiled
// once across runs), never shared with another version.
func toolchainDirs(name string) (cache, gopath string) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	base = filepath.Join(base, "gouth-emu-toolchains", name)
	return filepath.Join(base, "build"), filepath.Join(base, "gopath")
}

// CommittedGo111 returns testdata/go111/NAME.gz (a go1.11.1 build of
// testdata/guests/NAME committed to the repository, made by
// testdata/go111/build.sh) decompressed into dir, for machines without the
// go1.11.1 toolchain. The test is skipped when there is no such file.
func CommittedGo111(t TB, repoRoot, name, dir string) string {
	t.Helper()
	src := filepath.Join(repoRoot, "testdata", "go111", name+".gz")
	f, err := os.Open(src)
	if err != nil {
		t.Skip("no committed go1.11.1 build of ", name, " (", src, ")")
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(src, ": ", err)
	}
	out := filepath.Join(dir, "go111-committed-"+name)
	w, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		w.Close()
		t.Fatal(src, ": ", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Go111Guest returns a go1.11.1 build of testdata/guests/NAME: built with
// the toolchain when it is installed, else the committed build.
func Go111Guest(t TB, repoRoot, name, dir string) string {
	t.Helper()
	if ok, _ := Go111.Available(); ok {
		return Go111.BuildGuest(t, repoRoot, name, dir)
	}
	return CommittedGo111(t, repoRoot, name, dir)
}

// GuestLine returns the number of the first line of
// testdata/guests/NAME/main.go that contains text, so that tests name
// source lines by what they say rather than by number.
func GuestLine(t TB, name, text string) int {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "testdata", "guests", name, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(src), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatal(fmt.Sprintf("no line with %q in testdata/guests/%s/main.go", text, name))
	return 0
}
