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
	"sync"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts in testdata/transcripts")

// toolchain builds the test guests; binaries are built once per test run.
type toolchain struct {
	name  string // golden file suffix
	goCmd string
	once  sync.Once
	bins  map[string]string
	err   error
}

var (
	toolchains = []*toolchain{
		{name: "go-machine", goCmd: "go"},
		{name: "go1.19", goCmd: testbin.Go119},
	}
	binDir string
)

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

// binary builds testdata/guests/NAME with tc, with -trimpath so that source
// paths in the transcripts do not depend on where the tree is checked out.
func (tc *toolchain) binary(t *testing.T, name string) string {
	t.Helper()
	if _, err := os.Stat(tc.goCmd); tc.goCmd != "go" && err != nil {
		t.Skipf("%s not installed (Debian package golang-1.19-go)", tc.goCmd)
	}
	tc.once.Do(func() {
		tc.bins = map[string]string{}
		for _, g := range []string{"hello", "goroutines", "nilrecover", "numg", "frameargs"} {
			out := filepath.Join(binDir, tc.name+"-"+g)
			cmd := exec.Command(tc.goCmd, "build", "-trimpath", "-o", out, "main.go")
			cmd.Dir = filepath.Join("..", "testdata", "guests", g)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=off", "GOTOOLCHAIN=local",
				"GOCACHE="+filepath.Join(binDir, "cache-"+tc.name), "GOPATH="+filepath.Join(binDir, "gopath"))
			if b, err := cmd.CombinedOutput(); err != nil {
				tc.err = fmt.Errorf("building %s with %s: %v\n%s", g, tc.goCmd, err, b)
				return
			}
			tc.bins[g] = out
		}
	})
	if tc.err != nil {
		t.Fatal(tc.err)
	}
	return tc.bins[name]
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
