package debugger

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

// TestFrameArgsValues checks argument values in backtraces against values
// known independently of DWARF: constants the frameargs guest passes, argc
// (the session starts the guest with one argument), and the funcval
// rt0_go hands to newproc, the runtime.mainPC symbol.
func TestFrameArgsValues(t *testing.T) {
	type target struct {
		name string
		bin  func(t *testing.T, guest string) string
	}
	var targets []target
	for _, tc := range toolchains {
		targets = append(targets, target{tc.name, tc.binary})
	}
	targets = append(targets, target{"go1.17", func(t *testing.T, _ string) string { return go117(t) }},
		target{"go1.11", func(t *testing.T, guest string) string {
			root, err := testbin.RepoRoot()
			if err != nil {
				t.Fatal(err)
			}
			return testbin.Go111Guest(t, root, guest, t.TempDir())
		}})
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			guest := "frameargs"
			if tg.name == "go1.17" {
				guest = "hello" // the go1.17 binary is the only one there is
			}
			bin := tg.bin(t, guest)
			f, err := loader.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			mainPC, ok := syms.Lookup("runtime.mainPC")
			if !ok {
				t.Fatal("no runtime.mainPC symbol")
			}
			script := "break runtime.args\nbreak runtime.newproc\ncontinue\nbt\ncontinue\nbt\ndelete\n"
			want := []string{
				"#0  ", " in runtime.args(c=1, v=0x",
				"#0  ", fmt.Sprintf(" in runtime.newproc(fn=%#x) at ", mainPC.Addr),
			}
			switch tg.name {
			case "go1.17":
				// go1.17's newproc still took the size of the arguments.
				want[3] = fmt.Sprintf(" in runtime.newproc(siz=0, fn=%#x) at ", mainPC.Addr)
			case "go1.11":
				// The stack ABI: newproc(siz int32, fn *funcval) with fn at
				// 16(SP) at the entry. add's two ints on one line cannot be
				// told apart in a trimmed build (TestStackABIArgs).
				want[3] = fmt.Sprintf(" in runtime.newproc(siz=0, fn=%#x) at ", mainPC.Addr)
				script += "break main.add\nbreak main.greet\ncontinue\nbt\ncontinue\nbt\ncontinue\nbt\n"
				want = append(want,
					"#0  ", " in main.add(a=?, b=?) at ",
					"#0  ", ` in main.greet(s="hello", n=3) at `,
					"#0  ", " in main.add(a=?, b=?) at ",
					"#1  ", " in main.outer(x=39) at ")
			default:
				script += "break main.add\nbreak main.greet\ncontinue\nbt\ncontinue\nbt\ncontinue\nbt\n"
				want = append(want,
					"#0  ", " in main.add(a=40, b=2) at ",
					"#0  ", ` in main.greet(s="hello", n=3) at `,
					"#0  ", " in main.add(a=39, b=3) at ",
					"#1  ", " in main.outer(x=39) at ")
			}
			out := session(t, bin, script, emu.Config{Env: []string{}, Cpus: 2})
			linesInOrder(t, out, want, func(l, a, b string) bool { return strings.Contains(l, a) && strings.Contains(l, b) })
		})
	}
}

// TestStackABIArgs checks arguments of each kind (argkinds: an int8, an
// int, a string, a slice, a struct, a pointer) at a function's entry and
// from an outer frame, against the constants the guest passes. Under the
// stack ABI (go1.11) every frame has them, read from the caller's frame;
// two ints declared side by side are told apart only by the source, read
// when the binary names a file that exists (an untrimmed build), and are
// "?" otherwise. Under the register ABI an outer frame has only what was
// spilled to its stack (b and p here); go1.19 and later also give the
// struct argument no DWARF location at all.
func TestStackABIArgs(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "testdata", "guests", "argkinds", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	untrimmed := func(tc *testbin.Toolchain) func(t *testing.T) string {
		return func(t *testing.T) string {
			return testbin.Build(t, tc.Need(t), map[string]string{"main.go": string(src)}, tc.Env())
		}
	}
	const (
		all     = `main.kinds(b=-3, n=42, s="gouth", xs=[]int len: 3, cap: 3, [7,8,9], v=main.vec {X: 1, Y: 2, Z: 3}, p=0x`
		regABI  = `main.kinds(b=-3, n=42, s="gouth", xs=[]int len: 3, cap: 3, [7,8,9], v=?, p=0x`
		spilled = `main.kinds(b=-3, n=?, s={?, 0x5}, xs={?, 0x3, ?}, v=?, p=0x`
		// b, n and v could be in one another's slots: unknown, and
		// placed where the first of them could be.
		noSrc = `main.kinds(b=?, n=?, v=?, s="gouth", xs=[]int len: 3, cap: 3, [7,8,9], p=0x`
	)
	targets := []struct {
		name                     string
		bin                      func(t *testing.T) string
		entry, outer, pair, tail string // tail: what follows p's value in kinds' line
	}{
		{"go1.11", untrimmed(testbin.Go111), all, all, "main.pair(a=10, b=4)", ") at "},
		{"go1.11-committed", func(t *testing.T) string { return testbin.CommittedGo111(t, root, "argkinds", t.TempDir()) },
			noSrc, noSrc, "main.pair(a=?, b=?)", ") at "},
		{"go1.19", untrimmed(testbin.Go119Toolchain), regABI, spilled, "main.pair(a=?, b=?)", ") at "},
		{"go-machine", untrimmed(testbin.Machine), regABI, spilled, "main.pair(a=?, b=?)", ") at "},
	}
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			bin := tg.bin(t)
			script := "break main.kinds\nbreak main.leaf\ncontinue\nbt\ncontinue\nbt\ncontinue\nbt\n"
			out := session(t, bin, script, emu.Config{Env: []string{}, Cpus: 2})
			want := []string{"#0  ", tg.entry, "#0  ", "main.leaf(k=42)", "#1  ", tg.outer, "#0  ", "main.leaf(k=6)", "#1  ", tg.pair}
			found := linesInOrder(t, out, want, func(l, a, b string) bool {
				return strings.HasPrefix(strings.TrimLeft(l, "* "), a) && strings.Contains(l, b)
			})
			for i, l := range found {
				if k := want[2*i+1]; strings.Contains(k, "main.kinds(") {
					// p is a heap address: nonzero hex, then the rest.
					_, after, _ := strings.Cut(l, k)
					hex := strings.TrimLeft(after, "0123456789abcdef")
					if len(hex) == len(after) || !strings.HasPrefix(hex, tg.tail) {
						t.Errorf("kinds line %q: want p=0x<address> then %q", l, tg.tail)
					}
				}
			}
		})
	}
}

// TestNeverRunGoroutine checks the location of a goroutine that has not
// run yet: its saved pc is its function's entry (newproc's gostartcallfn),
// not a return address, so it is shown in that function, where `go`
// started it. At runtime.gcenable, runtime.main's init has started
// forcegchelper, which has not run. The running goroutine is on the
// thread that stopped, not on a thread go1.11 has just cloned.
func TestNeverRunGoroutine(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bins := []struct {
		name string
		bin  func(t *testing.T) string
	}{
		{"go1.11", func(t *testing.T) string { return testbin.Go111Guest(t, root, "goroutines", t.TempDir()) }},
		{"go-machine", func(t *testing.T) string { return testbin.Machine.BuildGuest(t, root, "goroutines", t.TempDir()) }},
	}
	for _, b := range bins {
		t.Run(b.name, func(t *testing.T) {
			out := session(t, b.bin(t), "break runtime.gcenable\ncontinue\ngoroutines\ngoroutine 1\n", emu.Config{Env: []string{}, Cpus: 2})
			found := false
			for _, l := range strings.Split(out, "\n") {
				f := strings.Fields(strings.TrimPrefix(l, "*"))
				if len(f) >= 6 && f[3] == "runtime.forcegchelper" {
					found = true
					if f[1] != "runnable" || f[4] != "runtime.forcegchelper" || !strings.HasPrefix(f[5], "runtime/proc.go:") {
						t.Errorf("never-run goroutine: %q, want runnable at runtime.forcegchelper runtime/proc.go:N", l)
					}
				}
			}
			if !found {
				t.Errorf("no forcegchelper goroutine in:\n%s", out)
			}
			if !strings.Contains(out, "goroutine 1, running on thread 1000:") || !strings.Contains(out, "in runtime.gcenable() at ") {
				t.Errorf("goroutine 1 is not shown on thread 1000 in runtime.gcenable:\n%s", out)
			}
		})
	}
}

// TestStackABIArgsFromSource: in a trimmed go1.11 build, runtime.newm(fn
// func(), _p_ *p) has two pointer arguments that DWARF lists by name and
// the binary cannot order; with --src naming the toolchain's source tree
// the declaration order comes from runtime/proc.go, and fn is the funcval
// of runtime.sysmon (newm(sysmon, nil) in runtime.main).
func TestStackABIArgsFromSource(t *testing.T) {
	testbin.Go111.Need(t)
	root := testbin.Go111.GOROOT()
	repo, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := testbin.Go111.BuildGuest(t, repo, "hello", t.TempDir())
	script := "break syscall clone\ncontinue\nbt\n"
	run := func(src string) string {
		f, err := loader.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		s, err := New(Config{File: f, Guest: emu.Config{Args: []string{bin}, Stdout: &out, Stderr: &out, Warn: &out},
			Out: &out, Syntax: disasm.Go, SrcDir: src})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.Script(strings.NewReader(script))
		return out.String()
	}
	newm := regexp.MustCompile(`in runtime\.newm\((.*)\) at runtime/proc\.go`)
	if m := newm.FindStringSubmatch(run("")); m == nil || m[1] != "_p_=?, fn=?" {
		t.Errorf("without --src: newm's arguments %q, want _p_=?, fn=? (tied in a trimmed build)", m)
	}
	m := newm.FindStringSubmatch(run(filepath.Join(root, "src")))
	if m == nil {
		t.Fatal("no runtime.newm frame with --src")
	}
	fv := regexp.MustCompile(`^fn=(0x[0-9a-f]+), _p_=nil$`).FindStringSubmatch(m[1])
	if fv == nil {
		t.Fatalf("with --src: newm's arguments %q, want fn=0x..., _p_=nil", m[1])
	}
	// fn points at a funcval whose first word is runtime.sysmon's entry.
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	sysmon, ok := syms.Lookup("runtime.sysmon")
	if !ok {
		t.Fatal("no runtime.sysmon")
	}
	addr, _ := strconv.ParseUint(fv[1][2:], 16, 64)
	word, ok := f.ReadImage(addr, 8)
	if !ok || binary.LittleEndian.Uint64(word) != sysmon.Addr {
		t.Errorf("fn=%s holds %x, want runtime.sysmon's entry %#x", fv[1], word, sysmon.Addr)
	}
}

// linesInOrder finds, for each pair (want[i], want[i+1]), the next line of
// out that match accepts, after the line found for the pair before; it
// fails the test at the first pair with none and returns the lines found.
func linesInOrder(t *testing.T, out string, want []string, match func(line, a, b string) bool) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	var found []string
	for i := 0; i+1 < len(want); i += 2 {
		for len(lines) > 0 && !match(lines[0], want[i], want[i+1]) {
			lines = lines[1:]
		}
		if len(lines) == 0 {
			t.Fatalf("no frame line with %q and %q (in order) in:\n%s", want[i], want[i+1], out)
		}
		found = append(found, lines[0])
		lines = lines[1:]
	}
	return found
}
