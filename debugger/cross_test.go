package debugger

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// Cross-checks of the debugger's views against independent tools on the
// same binary.

// newSession starts a session on bin with argv[0] the binary's path.
func newSession(t *testing.T, bin string) (*Session, *bytes.Buffer) { return openSession(t, bin, bin) }

// openSession starts a session on bin with argv [argv0] and an empty
// environment; the guest's output and the session's go to one buffer.
// The session is closed when the test ends.
func openSession(t *testing.T, bin, argv0 string) (*Session, *bytes.Buffer) {
	return sessionWith(t, bin, argv0, nil)
}

// sessionWith is openSession with stdin as the guest's (nil: none).
func sessionWith(t *testing.T, bin, argv0 string, stdin io.Reader) (*Session, *bytes.Buffer) {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := New(Config{File: f, Guest: emu.Config{Args: []string{argv0}, Env: []string{}, Stdin: stdin, Stdout: &out, Stderr: &out, Warn: &out},
		Out: &out, Syntax: disasm.Go})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &out
}

// TestExamineMatchesFile: x/32bx of main.main shows the executable's bytes.
func TestExamineMatchesFile(t *testing.T) {
	bin := machine.binary(t, "hello")
	s, out := newSession(t, bin)
	f, _ := loader.Open(bin)
	syms, _ := f.Symbols()
	mm, ok := syms.Lookup("main.main")
	if !ok {
		t.Fatal("no main.main")
	}
	want, ok := f.ReadImage(mm.Addr, 32)
	if !ok {
		t.Fatal("cannot read main.main from the file")
	}
	if err := s.Exec("x/32bx main.main"); err != nil {
		t.Fatal(err)
	}
	var got []byte
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		fields := strings.Fields(line)
		for _, b := range fields[1:] {
			v, err := strconv.ParseUint(b, 0, 8)
			if err != nil {
				t.Fatalf("bad x output %q", line)
			}
			got = append(got, byte(v))
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("x/32bx main.main = % x, want the file's % x", got, want)
	}
}

// TestLocationsMatchNm: breakpoint locations resolve to the addresses
// `go tool nm` gives.
func TestLocationsMatchNm(t *testing.T) {
	bin := machine.binary(t, "hello")
	s, _ := newSession(t, bin)
	nm, err := exec.Command("go", "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	addrs := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(nm))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[1] == "T" {
			v, _ := strconv.ParseUint(f[0], 16, 64)
			addrs[f[2]] = v
		}
	}
	for _, name := range []string{"runtime.schedinit", "runtime.newproc", "runtime.main", "main.main",
		"runtime.mstart", "runtime.rt0_go", "runtime.osinit", "runtime.gcenable", "runtime.newm", "runtime.clone"} {
		want, ok := addrs[name]
		if !ok {
			want, ok = addrs[name+".abi0"]
		}
		if !ok {
			t.Errorf("go tool nm has no %s", name)
			continue
		}
		got, _, err := s.location(name)
		if err != nil || got != want {
			t.Errorf("location(%s) = %#x, %v; want %#x as go tool nm says", name, got, err, want)
		}
	}
}

// TestListMatchesSource: list main.main shows the guest's own source lines.
func TestListMatchesSource(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("..", "testdata", "guests", "hello", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command("go", "build", "-o", out, src) // no -trimpath: list reads the recorded path
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	s, buf := newSession(t, out)
	if err := s.Exec("list main.main"); err != nil {
		t.Fatal(err)
	}
	lines, _ := os.ReadFile(src)
	for i, want := range strings.Split(strings.TrimRight(string(lines), "\n"), "\n") {
		line := fmt.Sprintf("%d\t%s", i+1, want)
		if !strings.Contains(buf.String(), line) {
			t.Errorf("list main.main is missing %q:\n%s", line, buf.String())
		}
	}
}

// TestListTrimmedSource: on a binary with trimmed paths, list with a
// source tree (step --src) shows that toolchain's runtime source around
// the line the pclntab gives, on every toolchain.
func TestListTrimmedSource(t *testing.T) {
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "hello")
			root := tc.goroot(t)
			f, err := loader.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			s, err := New(Config{File: f, Guest: emu.Config{Args: []string{bin}, Env: []string{}, Stdout: &out, Stderr: &out, Warn: &out},
				Out: &out, Syntax: disasm.Go, SrcDir: filepath.Join(root, "src")})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			addr, _, err := s.location("runtime.schedinit")
			if err != nil {
				t.Fatal(err)
			}
			file, line, _ := s.syms.LineForPC(addr)
			if file != "runtime/proc.go" {
				t.Fatalf("runtime.schedinit is in %q, want the trimmed runtime/proc.go", file)
			}
			if err := s.Exec("list runtime.schedinit"); err != nil {
				t.Fatal(err)
			}
			src, err := os.ReadFile(filepath.Join(root, "src", "runtime", "proc.go"))
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(src), "\n")
			if line < 1 || line > len(lines) || !strings.HasPrefix(lines[line-1], "func schedinit()") {
				t.Fatalf("proc.go:%d of %s is %q, want func schedinit()", line, root, lines[line-1])
			}
			if want := fmt.Sprintf("=> %d\t%s\n", line, lines[line-1]); !strings.Contains(out.String(), want) {
				t.Errorf("list runtime.schedinit: got\n%s\nwant a line %q", out.String(), want)
			}
		})
	}
}

// TestStrippedDWARF: print on a binary without DWARF is one line.
func TestStrippedDWARF(t *testing.T) {
	src := filepath.Join("..", "testdata", "guests", "hello")
	out := filepath.Join(t.TempDir(), "hello-w")
	cmd := exec.Command("go", "build", "-ldflags=-w", "-o", out, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	s, _ := newSession(t, out)
	err := s.Exec("print runtime.physPageSize")
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "DWARF") {
		t.Fatalf("print without DWARF: got %v, want one line naming DWARF", err)
	}
	if err := s.Exec("si"); err != nil {
		t.Fatalf("the session did not go on after the error: %v", err)
	}
}
