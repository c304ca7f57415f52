package debugger

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// toolchain is one of testbin.Toolchains as the debugger tests use it:
// name is the golden file suffix (testbin's Short: "go1.11", "go1.19",
// "go-machine", "go1.27").
type toolchain struct {
	tc   *testbin.Toolchain
	name string
}

var (
	// toolchains are testbin.Toolchains, oldest first; machine is the one
	// of the go command running the tests, for tests that need just one.
	toolchains []*toolchain
	machine    *toolchain
	binDir     string
)

func init() {
	for _, tc := range testbin.Toolchains {
		toolchains = append(toolchains, &toolchain{tc: tc, name: tc.Short})
		if tc == testbin.Machine {
			machine = toolchains[len(toolchains)-1]
		}
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "gouth-debugger-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds testdata/guests/NAME with tc (once per run), trimmed so
// that source paths in the transcripts do not depend on where the tree is
// checked out. Without the go1.11.1 toolchain it takes the committed
// go1.11.1 build, or skips when there is none of NAME.
func (tc *toolchain) binary(t *testing.T, name string) string {
	t.Helper()
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if tc.tc == testbin.Go111 {
		return testbin.Go111Guest(t, root, name, binDir) // GOPATH mode, as build below
	}
	out := filepath.Join(binDir, tc.name+"-"+name)
	if _, err := os.Stat(out); err == nil {
		return out
	}
	tc.build(t, filepath.Join(root, "testdata", "guests", name), out)
	return out
}

// build builds main.go of srcDir into out with tc, trimmed, adding flags,
// and checks that the binary is of tc's release.
//
// Every toolchain builds in GOPATH mode: in module mode this repository's
// go.mod would choose the guest's language version and GODEBUG defaults,
// so the boot in the goldens would change with the go line of go.mod.
// GOPATH mode also turns off GOTOOLCHAIN's switch to another release, so
// the toolchain's own go command runs, from its GOROOT.
func (tc *toolchain) build(t *testing.T, srcDir, out string, flags ...string) {
	t.Helper()
	goCmd := tc.tc.Need(t)
	env := tc.tc.Env()
	if !tc.tc.Legacy {
		goCmd = filepath.Join(tc.goroot(t), "bin", "go")
		env = append(env, "GOTOOLCHAIN=local")
	}
	cmd := exec.Command(goCmd, tc.tc.BuildArgs(out, srcDir, append(flags, "main.go")...)...)
	cmd.Dir = srcDir
	cmd.Env = append(env, "GO111MODULE=off")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s with %s: %v\n%s", srcDir, tc.tc.Name, err, b)
	}
	f, err := loader.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := f.Version(), tc.version(t); got != want {
		t.Fatalf("%s built by the %s toolchain is of %v, want %v", out, tc.name, got, want)
	}
}

// goroot is the toolchain's GOROOT; the test is skipped when the
// toolchain is not installed.
func (tc *toolchain) goroot(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(tc.tc.Need(t), "env", "GOROOT")
	cmd.Env = tc.tc.Env()
	root, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s env GOROOT: %v", tc.tc.Name, err)
	}
	return strings.TrimSpace(string(root))
}

// version is the toolchain's release, for tests whose expectations differ
// between versions.
func (tc *toolchain) version(t *testing.T) loader.Version {
	t.Helper()
	if tc.tc == testbin.Go111 {
		return loader.MustVersion(tc.tc.Name) // also when only the committed builds are there
	}
	tc.tc.Need(t)
	v, ok := loader.ParseVersion(tc.tc.Name)
	if !ok {
		t.Fatalf("toolchain %s reports version %q", tc.name, tc.tc.Name)
	}
	return v
}

// go117 decodes the go1.17 binary shipped in GOROOT.
func go117(t *testing.T) string { return testbin.Go117Binary(t, "") }

// session runs script against bin in batch mode and returns the transcript.
func session(t *testing.T, bin, script string, guest emu.Config) string {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	// The path is on the initial stack (argv[0], AT_EXECFN): a temporary
	// directory's name would shift every stack address from run to run.
	f.Path = "/gouth/" + filepath.Base(bin)
	var out bytes.Buffer
	guest.Args = []string{f.Path}
	guest.Stdout, guest.Stderr, guest.Warn = &out, &out, &out
	guest.History = 64
	s, err := New(Config{File: f, Guest: guest, Out: &out, Syntax: disasm.Go})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Banner()
	s.Script(strings.NewReader(script))
	return out.String()
}

// normalize replaces the parts of a transcript that depend on where the
// test runs: the temporary binary's path.
func normalize(s, bin string) string {
	s = strings.ReplaceAll(s, "/gouth/"+filepath.Base(bin), "BINARY")
	return regexp.MustCompile(`gouth-debugger-test-\d+`).ReplaceAllString(s, "TMP")
}

func TestTranscripts(t *testing.T) {
	scripts, err := filepath.Glob("testdata/transcripts/*.gouth")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no scripts in testdata/transcripts: %v", err)
	}
	type target struct {
		name string
		bin  func(t *testing.T, guest string) string
	}
	var targets []target
	for _, tc := range toolchains {
		tc := tc
		targets = append(targets, target{tc.name, tc.binary})
	}
	targets = append(targets, target{"go1.17", func(t *testing.T, _ string) string { return go117(t) }})
	for _, tg := range targets {
		for _, sc := range scripts {
			name := strings.TrimSuffix(filepath.Base(sc), ".gouth")
			tg, sc := tg, sc
			t.Run(tg.name+"/"+name, func(t *testing.T) {
				script, err := os.ReadFile(sc)
				if err != nil {
					t.Fatal(err)
				}
				guest := "hello"
				for _, g := range []string{"goroutines", "nilrecover", "frameargs"} {
					if strings.Contains(string(script), "guest: "+g) {
						guest = g
					}
				}
				bin := tg.bin(t, guest)
				cfg := emu.Config{Env: []string{}, Cpus: 2}
				if strings.Contains(string(script), "--cpus 3") {
					cfg.Cpus = 3
				}
				got := normalize(session(t, bin, string(script), cfg), bin)
				checkGolden(t, strings.TrimSuffix(sc, ".gouth")+"."+tg.name+".golden", got)
			})
		}
	}
}

// checkGolden compares got with the golden file, or rewrites the file with
// -update (then read the diff before committing it).
func checkGolden(t *testing.T, golden, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run 'go test ./debugger -update' and read the diff)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", golden, lineDiff(got, string(want)))
	}
}

// lineDiff shows the first differing lines.
func lineDiff(got, want string) string {
	var b strings.Builder
	for i, d := range testbin.DiffLines(got, want) {
		if i == 8 {
			break
		}
		fmt.Fprintf(&b, "line %d:\n  got:  %s\n  want: %s\n", d.N, d.Got, d.Want)
	}
	return b.String()
}
