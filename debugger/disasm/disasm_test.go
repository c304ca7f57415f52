package disasm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gouth-emu/gouth-emu/loader"
)

func TestParseSyntax(t *testing.T) {
	tests := []struct {
		in      string
		want    Syntax
		wantErr bool
	}{
		{"go", Go, false},
		{"intel", Intel, false},
		{"att", ATT, false},
		{"ATT", ATT, false},
		{"Intel", Intel, false},
		{"gnu", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseSyntax(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseSyntax(%q): got %v, want an error", tt.in, got)
			} else if msg := err.Error(); !strings.Contains(msg, "go") || !strings.Contains(msg, "intel") || !strings.Contains(msg, "att") {
				t.Errorf("ParseSyntax(%q): got error %q, want it to name go, intel and att", tt.in, msg)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseSyntax(%q): got %v, %v, want %v, nil", tt.in, got, err, tt.want)
		}
		if s, err := ParseSyntax(got.String()); err != nil || s != got {
			t.Errorf("ParseSyntax(%v.String()): got %v, %v, want %v, nil", got, s, err, got)
		}
	}
	if got, want := Syntax(7).String(), "Syntax(7)"; got != want {
		t.Errorf("Syntax(7).String(): got %q, want %q", got, want)
	}
}

// fakeSyms knows two functions, as a loader-backed Symbolizer would.
func fakeSyms(addr uint64) (string, uint64, bool) {
	switch {
	case addr >= 0x44a300 && addr < 0x44a400:
		return "runtime.schedinit", 0x44a300, true
	case addr >= 0x401000 && addr < 0x401100:
		return "main.main", 0x401000, true
	case addr >= 0x500000 && addr < 0x500010:
		return "runtime.writeBarrier", 0x500000, true
	}
	return "", 0, false
}

// rel32 encodes the displacement from the instruction ending at end to
// target.
func rel32(end, target uint64) []byte {
	d := uint32(int32(int64(target - end)))
	return []byte{byte(d), byte(d >> 8), byte(d >> 16), byte(d >> 24)}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestDecode(t *testing.T) {
	// CALL at 0x401010 to runtime.schedinit.
	call := cat([]byte{0xe8}, rel32(0x401015, 0x44a300))
	// LEAQ runtime.writeBarrier+8(SB), AX at 0x401020.
	lea := cat([]byte{0x48, 0x8d, 0x05}, rel32(0x401027, 0x500008))
	// CMPL runtime.writeBarrier(SB), $0 at 0x401030.
	cmp := cat([]byte{0x83, 0x3d}, rel32(0x401037, 0x500000), []byte{0x00})

	tests := []struct {
		name       string
		code       []byte
		pc         uint64
		syn        Syntax
		sym        Symbolizer
		wantText   string
		wantLen    int
		wantTarget uint64
	}{
		{"syscall go", []byte{0x0f, 0x05}, 0x401000, Go, fakeSyms, "SYSCALL", 2, 0},
		{"syscall intel", []byte{0x0f, 0x05}, 0x401000, Intel, fakeSyms, "syscall", 2, 0},
		{"syscall att", []byte{0x0f, 0x05}, 0x401000, ATT, fakeSyms, "syscall", 2, 0},
		{"trailing bytes ignored", []byte{0x0f, 0x05, 0xe8, 0x00}, 0x401000, Go, nil, "SYSCALL", 2, 0},

		{"call go", call, 0x401010, Go, fakeSyms, "CALL runtime.schedinit(SB)", 5, 0x44a300},
		{"call intel", call, 0x401010, Intel, fakeSyms, "call 0x44a300 <runtime.schedinit>", 5, 0x44a300},
		{"call att", call, 0x401010, ATT, fakeSyms, "callq 0x44a300 <runtime.schedinit>", 5, 0x44a300},
		{"call go no symbols", call, 0x401010, Go, nil, "CALL 0x44a300", 5, 0x44a300},
		{"call intel no symbols", call, 0x401010, Intel, nil, "call 0x44a300", 5, 0x44a300},

		// Inside a function, go tool objdump prints the bare address and
		// binutils prints symbol+offset.
		{"jcc go", []byte{0x74, 0x0e}, 0x401010, Go, fakeSyms, "JE 0x401020", 2, 0x401020},
		{"jcc intel", []byte{0x74, 0x0e}, 0x401010, Intel, fakeSyms, "je 0x401020 <main.main+0x20>", 2, 0x401020},
		{"jcc att", []byte{0x74, 0x0e}, 0x401010, ATT, fakeSyms, "je 0x401020 <main.main+0x20>", 2, 0x401020},
		{"jmp backwards go", []byte{0xeb, 0xee}, 0x401010, Go, fakeSyms, "JMP main.main(SB)", 2, 0x401000},

		{"rip-relative go", lea, 0x401020, Go, fakeSyms, "LEAQ runtime.writeBarrier+8(SB), AX", 7, 0},
		{"rip-relative intel", lea, 0x401020, Intel, fakeSyms, "lea rax, [rip + 0xfefe1]  # 0x500008 <runtime.writeBarrier+0x8>", 7, 0},
		{"rip-relative att", lea, 0x401020, ATT, fakeSyms, "leaq 0xfefe1(%rip), %rax  # 0x500008 <runtime.writeBarrier+0x8>", 7, 0},
		{"rip-relative att no symbols", lea, 0x401020, ATT, nil, "leaq 0xfefe1(%rip), %rax  # 0x500008", 7, 0},
		{"rip-relative cmp go", cmp, 0x401030, Go, fakeSyms, "CMPL runtime.writeBarrier(SB), $0x0", 7, 0},
		{"rip-relative cmp intel", cmp, 0x401030, Intel, fakeSyms, "cmp dword ptr [rip + 0xfefc9], 0  # 0x500000 <runtime.writeBarrier>", 7, 0},

		// SSE, as in memmove.
		{"movups go", []byte{0x0f, 0x10, 0x06}, 0x401000, Go, nil, "MOVUPS 0(SI), X0", 3, 0},
		{"movups intel", []byte{0x0f, 0x10, 0x06}, 0x401000, Intel, nil, "movups xmm0, xmmword ptr [rsi]", 3, 0},
		{"movups att", []byte{0x0f, 0x10, 0x06}, 0x401000, ATT, nil, "movups (%rsi), %xmm0", 3, 0},
	}
	// Without cgo x86asm prints Intel and AT&T, a little differently
	// from Capstone.
	x86asmText := map[string]string{
		"jcc intel":                   "jz 0x401020 <main.main+0x20>",
		"rip-relative intel":          "lea rax, ptr [rip+0xfefe1]  # 0x500008 <runtime.writeBarrier+0x8>",
		"rip-relative att":            "lea 0xfefe1(%rip),%rax  # 0x500008 <runtime.writeBarrier+0x8>",
		"rip-relative att no symbols": "lea 0xfefe1(%rip),%rax  # 0x500008",
		"rip-relative cmp intel":      "cmp dword ptr [rip+0xfefc9], 0x0  # 0x500000 <runtime.writeBarrier>",
		"movups att":                  "movups (%rsi),%xmm0",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if alt, ok := x86asmText[tt.name]; ok && backendName == "x86asm" {
				tt.wantText = alt
			}
			got, err := Decode(tt.code, tt.pc, tt.syn, tt.sym)
			if err != nil {
				t.Fatalf("Decode(% x): got error %v, want %q", tt.code, err, tt.wantText)
			}
			if got.Text != tt.wantText {
				t.Errorf("Decode(% x, %v).Text: got %q, want %q", tt.code, tt.syn, got.Text, tt.wantText)
			}
			if got.Len != tt.wantLen || len(got.Bytes) != tt.wantLen || !bytes.Equal(got.Bytes, tt.code[:tt.wantLen]) {
				t.Errorf("Decode(% x, %v): got Len %d Bytes % x, want %d, % x", tt.code, tt.syn, got.Len, got.Bytes, tt.wantLen, tt.code[:tt.wantLen])
			}
			if got.PC != tt.pc {
				t.Errorf("Decode(% x, %v).PC: got %#x, want %#x", tt.code, tt.syn, got.PC, tt.pc)
			}
			if got.Target != tt.wantTarget {
				t.Errorf("Decode(% x, %v).Target: got %#x, want %#x", tt.code, tt.syn, got.Target, tt.wantTarget)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	tests := []struct {
		name string
		code []byte
	}{
		{"push es is invalid in 64-bit mode", []byte{0x06}},
		{"call cut short", []byte{0xe8, 0x00}},
		{"lone prefix", []byte{0xf0}},
	}
	for _, tt := range tests {
		for _, syn := range []Syntax{Go, Intel, ATT} {
			got, err := Decode(tt.code, 0x1000, syn, nil)
			var de *DecodeError
			if !errors.As(err, &de) || de.PC != 0x1000 {
				t.Errorf("%s: Decode(% x, %v): got %+v, %v, want a *DecodeError at 0x1000", tt.name, tt.code, syn, got, err)
			}
		}
	}
	for _, syn := range []Syntax{Go, Intel, ATT} {
		if _, err := Decode(nil, 0x1000, syn, nil); !errors.Is(err, ErrEmpty) {
			t.Errorf("Decode(nil, %v): got %v, want ErrEmpty", syn, err)
		}
		if got := DecodeAll(nil, 0x1000, syn, nil); len(got) != 0 {
			t.Errorf("DecodeAll(nil, %v): got %v, want nothing", syn, got)
		}
	}
	if _, err := Decode([]byte{0x90}, 0, Syntax(9), nil); err == nil {
		t.Errorf("Decode with Syntax(9): got no error, want one")
	}
}

func TestDecodeAll(t *testing.T) {
	// syscall; push es (invalid); nop; a call cut short by the end of code.
	code := []byte{0x0f, 0x05, 0x06, 0x90, 0xe8, 0x00}
	want := map[Syntax][]string{
		Go:    {"SYSCALL", ".byte 0x06", "NOPL", ".byte 0xe8", ".byte 0x00"},
		Intel: {"syscall", ".byte 0x06", "nop", ".byte 0xe8", ".byte 0x00"},
		ATT:   {"syscall", ".byte 0x06", "nop", ".byte 0xe8", ".byte 0x00"},
	}
	wantPC := []uint64{0x1000, 0x1002, 0x1003, 0x1004, 0x1005}
	for syn, wantText := range want {
		got := DecodeAll(code, 0x1000, syn, nil)
		var gotText []string
		var gotPC []uint64
		total := 0
		for _, in := range got {
			gotText = append(gotText, in.Text)
			gotPC = append(gotPC, in.PC)
			total += in.Len
		}
		if fmt.Sprint(gotText) != fmt.Sprint(wantText) {
			t.Errorf("DecodeAll(% x, %v): got %q, want %q", code, syn, gotText, wantText)
		}
		if fmt.Sprint(gotPC) != fmt.Sprint(wantPC) || total != len(code) {
			t.Errorf("DecodeAll(% x, %v): got PCs %#x covering %d bytes, want %#x covering %d", code, syn, gotPC, total, wantPC, len(code))
		}
	}
}

// TestConcurrentDecode checks that the shared Capstone handles are safe
// to use from several goroutines (run with -race to make it count).
func TestConcurrentDecode(t *testing.T) {
	code := cat([]byte{0x0f, 0x05}, []byte{0xe8}, rel32(0x401007, 0x44a300), []byte{0x0f, 0x10, 0x06})
	want := map[Syntax]int{}
	for _, syn := range []Syntax{Go, Intel, ATT} {
		want[syn] = len(DecodeAll(code, 0x401000, syn, fakeSyms))
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		syn := []Syntax{Go, Intel, ATT}[i%3]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				if got := DecodeAll(code, 0x401000, syn, fakeSyms); len(got) != want[syn] {
					t.Errorf("DecodeAll(%v) concurrently: got %d instructions, want %d", syn, len(got), want[syn])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// guestSource is the program the cross-checks disassemble. It calls enough
// of the runtime (allocation, copying, printing) to keep the functions the
// tests look at linked in.
const guestSource = `package main

import (
	"fmt"
	"os"
)

var sink []byte

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func main() {
	b := make([]byte, 100)
	copy(b, os.Args[0])
	sink = b
	switch len(os.Args) {
	case 1:
		fmt.Println("one", fib(10))
	case 2:
		fmt.Println("two", fib(12))
	default:
		fmt.Println("many", len(os.Args))
	}
}
`

var guest struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// guestBinary builds the guest once per test binary run: go build costs
// seconds, and every cross-check reads the same executable.
func guestBinary(t *testing.T) string {
	t.Helper()
	goTool := goCommand(t)
	guest.once.Do(func() {
		guest.dir, guest.err = os.MkdirTemp("", "disasm-test-")
		if guest.err != nil {
			return
		}
		for name, text := range map[string]string{
			"main.go": guestSource,
			"go.mod":  "module guest\n\ngo 1.21\n",
		} {
			if guest.err = os.WriteFile(filepath.Join(guest.dir, name), []byte(text), 0o644); guest.err != nil {
				return
			}
		}
		guest.path = filepath.Join(guest.dir, "guest")
		cmd := exec.Command(goTool, "build", "-o", guest.path, ".")
		cmd.Dir = guest.dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOWORK=off", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			guest.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if guest.err != nil {
		t.Fatalf("building the guest: %v", guest.err)
	}
	return guest.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if guest.dir != "" {
		os.RemoveAll(guest.dir)
	}
	os.Exit(code)
}

func goCommand(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("the go command is not in PATH: %v", err)
	}
	return p
}

// crossFuncs are the functions the cross-checks disassemble: compiled Go,
// assembly with ABI0 names, and SSE/AVX-heavy assembly.
var crossFuncs = []string{
	"main.main",
	"main.fib",
	"runtime.rt0_go", // runtime.rt0_go.abi0 in the ELF symbol table
	"runtime.schedinit",
	"runtime.memmove",
	"runtime.memclrNoHeapPointers",
	"internal/bytealg.IndexByteString",
	"runtime.morestack",
}

// guestFunc is a function of the guest with its code.
type guestFunc struct {
	sym  loader.Symbol
	code []byte
}

func openGuest(t *testing.T) (*loader.Symbols, map[string]guestFunc) {
	t.Helper()
	path := guestBinary(t)
	f, err := loader.Open(path)
	if err != nil {
		t.Fatalf("loader.Open(%s): %v", path, err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("Symbols: %v", err)
	}
	funcs := make(map[string]guestFunc)
	for _, name := range crossFuncs {
		s, ok := syms.Lookup(name)
		if !ok || s.Size == 0 {
			t.Fatalf("Lookup(%q): got %+v, %v, want a sized symbol", name, s, ok)
		}
		code, ok := f.ReadImage(s.Addr, s.Size)
		if !ok {
			t.Fatalf("ReadImage(%#x, %d) for %s: not in the image", s.Addr, s.Size, name)
		}
		funcs[name] = guestFunc{s, code}
	}
	return syms, funcs
}

// symbolizer resolves like go tool objdump's lookup: the symbol must have
// a size and contain addr; markers such as runtime.etext never name an
// address.
func symbolizer(syms *loader.Symbols) Symbolizer {
	return func(addr uint64) (string, uint64, bool) {
		s, _, ok := syms.ByAddr(addr)
		if !ok || s.Size == 0 {
			return "", 0, false
		}
		return s.Name, s.Addr, true
	}
}

// refInst is one instruction of a reference disassembler's listing.
type refInst struct {
	pc   uint64
	len  int
	text string
}

// goObjdump runs go tool objdump on one function. Its lines are
//
//	file.go:17		0x49e1a0		493b6610		CMPQ SP, 0x10(R14)
//
// padded with tabs by a tabwriter; the text itself has no tabs.
func goObjdump(t *testing.T, bin, fn string) []refInst {
	t.Helper()
	cmd := exec.Command(goCommand(t), "tool", "objdump", "-s", "^"+regexp.QuoteMeta(fn)+"$", bin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go tool objdump -s %s: %v", fn, err)
	}
	var insts []refInst
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.HasPrefix(line, "  ") {
			continue // the TEXT header and blank lines
		}
		var fields []string
		for _, f := range strings.Split(line, "\t") {
			if f = strings.TrimSpace(f); f != "" {
				fields = append(fields, f)
			}
		}
		if len(fields) != 4 {
			t.Fatalf("go tool objdump: unexpected line %q", line)
		}
		pc, err := strconv.ParseUint(strings.TrimPrefix(fields[1], "0x"), 16, 64)
		if err != nil {
			t.Fatalf("go tool objdump: bad address in %q", line)
		}
		insts = append(insts, refInst{pc: pc, len: len(fields[2]) / 2, text: fields[3]})
	}
	if len(insts) == 0 {
		t.Fatalf("go tool objdump -s %s: no instructions in output:\n%s", fn, out)
	}
	return insts
}

// TestGoSyntaxMatchesGoObjdump compares the Go syntax with go tool
// objdump: addresses, lengths and text, symbols included.
//
// go tool objdump decodes with the x86asm vendored into the toolchain
// (go1.26 vendors golang.org/x/arch v0.23.0), while we use the version in
// go.mod (v0.33.0). When the versions are the same every instruction must
// match exactly. When they differ, the older decoder's known mistakes are
// settled by GNU objdump instead (see arbitrateGo): the instruction must
// then have binutils' length, and its text must match after oldGoNormalise
// or, for VEX instructions, name the registers binutils names.
func TestGoSyntaxMatchesGoObjdump(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a guest and runs go tool objdump")
	}
	syms, funcs := openGuest(t)
	bin := guestBinary(t)
	sym := symbolizer(syms)
	theirs, ours := toolchainArch(t), ourArch(t)
	sameDecoder := theirs != "" && theirs == ours
	t.Logf("x86asm: go tool objdump uses golang.org/x/arch %q, we use %q", theirs, ours)
	for _, name := range crossFuncs {
		fn := funcs[name]
		t.Run(name, func(t *testing.T) {
			want := make(map[uint64]refInst)
			for _, w := range goObjdump(t, bin, fn.sym.Name) {
				want[w.pc] = w
			}
			var binutils map[uint64]refInst // loaded when first needed
			got := DecodeAll(fn.code, fn.sym.Addr, Go, sym)
			exact, arbitrated := 0, 0
			for i, g := range got {
				w, ok := want[g.PC]
				if ok && g.Len == w.len && g.Text == goObjdumpText(w.text, g) {
					exact++
					continue
				}
				if sameDecoder {
					t.Fatalf("instruction %d: got %#x len %d %q, want %#x len %d %q", i, g.PC, g.Len, g.Text, w.pc, w.len, w.text)
				}
				if binutils == nil {
					if _, err := exec.LookPath("objdump"); err != nil {
						t.Skip("go tool objdump uses an older x86asm and objdump is missing to settle differences: install Debian's binutils package")
					}
					binutils = make(map[uint64]refInst)
					for _, b := range binutilsObjdump(t, bin, fn.sym.Addr, fn.sym.Addr+fn.sym.Size, false) {
						binutils[b.pc] = b
					}
				}
				if err := arbitrateGo(g, w, ok, binutils[g.PC], sym); err != nil {
					t.Errorf("instruction %d: %v", i, err)
				}
				arbitrated++
			}
			if end := got[len(got)-1]; end.PC+uint64(end.Len) != fn.sym.Addr+fn.sym.Size {
				t.Errorf("got listing ending at %#x, want %#x", end.PC+uint64(end.Len), fn.sym.Addr+fn.sym.Size)
			}
			t.Logf("%d instructions: %d match go tool objdump exactly, %d settled by binutils", len(got), exact, arbitrated)
		})
	}
}

// goObjdumpText maps go tool objdump's text for an undecodable byte ("?")
// to ours.
func goObjdumpText(text string, g Inst) string {
	if text == "?" {
		return fmt.Sprintf(".byte %#02x", g.Bytes[0])
	}
	return text
}

// toolchainArch returns the golang.org/x/arch version vendored into the
// Go toolchain that go tool objdump is built from, or "" if unknown.
func toolchainArch(t *testing.T) string {
	out, err := exec.Command(goCommand(t), "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	mods, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "src", "cmd", "vendor", "modules.txt"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(mods), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "#" && f[1] == "golang.org/x/arch" {
			return f[2]
		}
	}
	return ""
}

// ourArch returns the golang.org/x/arch version this package is built
// with, as the go command resolves it from go.mod.
func ourArch(t *testing.T) string {
	out, err := exec.Command(goCommand(t), "list", "-m", "-f", "{{.Version}}", "golang.org/x/arch").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// arbitrateGo checks our Go-syntax instruction g where go tool objdump
// (w, if haveW) disagrees with it, using binutils' instruction b at the
// same address. The older x86asm in the toolchain gets VEX lengths wrong
// (c5 f9 ef c0, VPXOR, comes out as a 3-byte OUTL) and so loses sync for a
// few instructions, prints VEX.L=1 registers as X instead of Y and drops
// VEX.B (R10 printed as DX), prints negative 32-bit displacements as
// 0xfffffff8, and does not symbolise RIP-relative operands with a negative
// displacement.
func arbitrateGo(g Inst, w refInst, haveW bool, b refInst, sym Symbolizer) error {
	if b.text == "" || b.len != g.Len {
		return fmt.Errorf("got %#x len %d %q, go tool objdump has %q len %d, binutils has %q len %d", g.PC, g.Len, g.Text, w.text, w.len, b.text, b.len)
	}
	goOp := strings.ToLower(strings.Fields(g.Text)[0])
	bOp, _ := splitInst(b.text)
	if !sameMnemonic(bOp, goOp) && !(goOp == "ret" && bOp == "ret") {
		return fmt.Errorf("got %#x %q, binutils has %q", g.PC, g.Text, b.text)
	}
	if !haveW || w.len != g.Len {
		return nil // go tool objdump lost sync; binutils agrees with us
	}
	if oldGoNormalise(w.text, g, sym) == oldGoNormalise(g.Text, g, nil) {
		return nil
	}
	if vex := g.Bytes[0] == 0xc4 || g.Bytes[0] == 0xc5; vex {
		for _, m := range goVectorReg.FindAllStringSubmatch(g.Text, -1) {
			want := map[string]string{"X": "%xmm", "Y": "%ymm", "Z": "%zmm", "R": "%r"}[m[1]] + m[2]
			if !regexp.MustCompile(regexp.QuoteMeta(want) + `\b`).MatchString(b.text) {
				return fmt.Errorf("got %#x %q, binutils has %q without %s (go tool objdump: %q)", g.PC, g.Text, b.text, want, w.text)
			}
		}
		return nil
	}
	return fmt.Errorf("got %#x len %d %q, want %q (binutils: %q)", g.PC, g.Len, g.Text, w.text, b.text)
}

// goVectorReg matches the Go-syntax registers whose numbering the older
// x86asm gets wrong in VEX instructions.
var goVectorReg = regexp.MustCompile(`\b([XYZR])(\d+)\b`)

// hexNumber matches a hexadecimal number in Go-syntax text.
var hexNumber = regexp.MustCompile(`-?0x[0-9a-f]+`)

// negIP matches a RIP-relative operand the older x86asm left
// unsymbolised, once oldGoNormalise has made its displacement negative.
var negIP = regexp.MustCompile(`(-0x[0-9a-f]+)\(IP\)`)

// oldGoNormalise rewrites Go-syntax text the way the newer x86asm prints
// it: 32- and 64-bit two's-complement numbers become negative, and, when
// sym is given, RIP-relative operands become symbol references.
func oldGoNormalise(text string, g Inst, sym Symbolizer) string {
	text = hexNumber.ReplaceAllStringFunc(text, func(h string) string {
		if strings.HasPrefix(h, "-") {
			return h
		}
		v, err := strconv.ParseUint(h[2:], 16, 64)
		switch {
		case err != nil:
			return h
		case len(h) == 2+8 && v >= 1<<31:
			return fmt.Sprintf("-%#x", 1<<32-v)
		case len(h) == 2+16 && v >= 1<<63:
			return fmt.Sprintf("-%#x", -v)
		}
		return h
	})
	if sym == nil {
		return text
	}
	return negIP.ReplaceAllStringFunc(text, func(m string) string {
		d, err := strconv.ParseInt(negIP.FindStringSubmatch(m)[1], 0, 64)
		if err != nil {
			return m
		}
		addr := g.PC + uint64(g.Len) + uint64(d)
		name, base, ok := sym(addr)
		if !ok {
			return m
		}
		if addr == base {
			return name + "(SB)"
		}
		return fmt.Sprintf("%s%+d(SB)", name, addr-base)
	})
}

// binutilsLine matches one instruction of objdump -d --no-show-raw-insn:
// "  49e1a0:\tcmp    0x10(%r14),%rsp".
var binutilsLine = regexp.MustCompile(`^\s*([0-9a-f]+):\t(.*)$`)

// binutilsObjdump disassembles [start, end) with GNU objdump.
func binutilsObjdump(t *testing.T, bin string, start, end uint64, intel bool) []refInst {
	t.Helper()
	args := []string{"-d", "--no-show-raw-insn", "-z", fmt.Sprintf("--start-address=%#x", start), fmt.Sprintf("--stop-address=%#x", end)}
	if intel {
		args = append(args, "-M", "intel")
	}
	out, err := exec.Command("objdump", append(args, bin)...).Output()
	if err != nil {
		t.Fatalf("objdump %s: %v", strings.Join(args, " "), err)
	}
	var insts []refInst
	for _, line := range strings.Split(string(out), "\n") {
		m := binutilsLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		pc, _ := strconv.ParseUint(m[1], 16, 64)
		if n := len(insts); n > 0 {
			insts[n-1].len = int(pc - insts[n-1].pc)
		}
		insts = append(insts, refInst{pc: pc, text: strings.TrimSpace(m[2])})
	}
	if n := len(insts); n > 0 {
		insts[n-1].len = int(end - insts[n-1].pc)
	}
	return insts
}

// prefixWords are the prefixes binutils and Capstone print as separate
// words before the mnemonic. Which of them each prints for a given
// encoding differs (binutils shows redundant ones such as "cs" on a NOP
// and "rex.W"), so they are dropped before comparing.
var prefixWords = map[string]bool{
	"rep": true, "repz": true, "repe": true, "repnz": true, "repne": true,
	"lock": true, "data16": true, "data32": true, "addr32": true,
	"cs": true, "ds": true, "es": true, "ss": true, "fs": true, "gs": true,
	"notrack": true, "bnd": true, "xacquire": true, "xrelease": true,
}

// splitInst splits an instruction's text into its mnemonic (prefixes
// dropped) and its operands (comments dropped).
func splitInst(text string) (mnemonic, operands string) {
	if i := strings.Index(text, "#"); i >= 0 {
		text = text[:i]
	}
	if i := strings.Index(text, " <"); i >= 0 && strings.HasSuffix(strings.TrimSpace(text), ">") {
		text = text[:i]
	}
	fields := strings.Fields(text)
	i := 0
	for i < len(fields)-1 && (prefixWords[fields[i]] || strings.HasPrefix(fields[i], "rex")) {
		i++
	}
	if i >= len(fields) {
		return "", ""
	}
	return fields[i], strings.Join(fields[i+1:], " ")
}

// mnemonicAliases maps binutils mnemonics to Capstone's where the two
// name the same instruction differently.
var mnemonicAliases = map[string]string{
	"cqto": "cqo", "cltq": "cdqe", "cltd": "cdq", "cwtl": "cwde",
	"movabs": "movabsq", "movslq": "movsxd",
}

// conditionCodes maps condition-code spellings to one canonical form:
// binutils and Capstone write je and jne where x86asm's Intel syntax
// writes jz and jnz.
var conditionCodes = map[string]string{
	"z": "e", "nz": "ne", "nl": "ge", "nle": "g", "nge": "l", "ng": "le",
	"nb": "ae", "nc": "ae", "nae": "b", "c": "b", "nbe": "a", "na": "be",
	"pe": "p", "po": "np",
}

// canonicalCC rewrites the condition code of a jcc, setcc or cmovcc
// mnemonic with conditionCodes.
func canonicalCC(m string) string {
	for _, p := range []string{"cmov", "set", "j"} {
		if cc, ok := conditionCodes[strings.TrimPrefix(m, p)]; ok && strings.HasPrefix(m, p) {
			return p + cc
		}
	}
	return m
}

// sameMnemonic reports whether binutils' mnemonic b and ours c name the
// same instruction. AT&T operand-size suffixes are where the two differ
// most: binutils omits the suffix when a register operand implies the
// size (mov %rsp,%rbp), Capstone always prints it (movq %rsp, %rbp), so a
// trailing b/w/l/q on one side is ignored.
func sameMnemonic(b, c string) bool {
	b, c = canonicalCC(b), canonicalCC(c)
	if b == c || mnemonicAliases[b] == c || mnemonicAliases[c] == b {
		return true
	}
	trim := func(s string) string {
		if n := len(s); n > 1 && strings.ContainsAny(s[n-1:], "bwlq") {
			return s[:n-1]
		}
		return s
	}
	return trim(b) == c || b == trim(c) || trim(b) == trim(c) && len(b) == len(c)
}

// registerOnly matches operand lists made of registers alone, which both
// disassemblers print the same way once spaces are removed; other operand
// forms differ in ways that are not worth normalising (binutils writes
// 0x0(%rax,%rax,1) and $0xfffffffffffffff8 where Capstone writes
// (%rax,%rax) and $-8; Intel memory operands differ in spacing and case).
var registerOnly = regexp.MustCompile(`^(%?[a-z][a-z0-9]*)(,%?[a-z][a-z0-9]*)*$`)

// binutilsTarget matches a direct branch operand: "49e2e6 <main.main+0x146>".
var binutilsTarget = regexp.MustCompile(`^([0-9a-f]+) <([^>]*)>$`)

// binutilsRIP matches the comment after a RIP-relative operand.
var binutilsRIP = regexp.MustCompile(`# ([0-9a-f]+)`)

// ourRIP matches the same comment in our text.
var ourRIP = regexp.MustCompile(`# 0x([0-9a-f]+)`)

// TestNativeSyntaxesMatchBinutils compares the Intel and AT&T syntaxes
// with GNU objdump. Addresses, lengths and mnemonics must agree (after the
// normalisation in splitInst and sameMnemonic); so must direct branch
// targets, the effective addresses of RIP-relative operands, and operands
// that are only registers. Other operands are not compared: Capstone and
// binutils print immediates, memory operands and spacing differently.
func TestNativeSyntaxesMatchBinutils(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a guest and runs objdump")
	}
	if _, err := exec.LookPath("objdump"); err != nil {
		t.Skip("objdump not found: install Debian's binutils package")
	}
	syms, funcs := openGuest(t)
	bin := guestBinary(t)
	for _, syn := range []Syntax{ATT, Intel} {
		for _, name := range crossFuncs {
			fn := funcs[name]
			t.Run(syn.String()+"/"+name, func(t *testing.T) {
				want := binutilsObjdump(t, bin, fn.sym.Addr, fn.sym.Addr+fn.sym.Size, syn == Intel)
				got := DecodeAll(fn.code, fn.sym.Addr, syn, symbolizer(syms))
				regs := 0
				for i := 0; i < len(got) && i < len(want); i++ {
					g, w := got[i], want[i]
					if g.PC != w.pc || g.Len != w.len {
						t.Fatalf("instruction %d: got %#x len %d %q, want %#x len %d %q", i, g.PC, g.Len, g.Text, w.pc, w.len, w.text)
					}
					gm, gops := splitInst(g.Text)
					wm, wops := splitInst(w.text)
					switch {
					case wm == "(bad)":
						wm = ".byte"
					case wm == "xchg" && (wops == "%ax,%ax" || wops == "ax,ax"):
						// 66 90: binutils shows what the encoding
						// means, Capstone what it is for.
						wm, wops = "nop", ""
					}
					if !sameMnemonic(wm, gm) {
						t.Errorf("%#x: got mnemonic %q (%q), want %q (%q)", g.PC, gm, g.Text, wm, w.text)
						continue
					}
					if m := binutilsTarget.FindStringSubmatch(wops); m != nil {
						target, _ := strconv.ParseUint(m[1], 16, 64)
						if g.Target != target {
							t.Errorf("%#x: got target %#x (%q), want %#x (%q)", g.PC, g.Target, g.Text, target, w.text)
						}
						if wantSym := "<" + m[2] + ">"; !strings.HasSuffix(g.Text, " "+wantSym) {
							t.Errorf("%#x: got %q, want it to end in %q like %q", g.PC, g.Text, wantSym, w.text)
						}
					}
					if m := binutilsRIP.FindStringSubmatch(w.text); m != nil && strings.Contains(w.text, "rip") {
						if o := ourRIP.FindStringSubmatch(g.Text); o == nil || o[1] != strings.TrimLeft(m[1], "0") {
							t.Errorf("%#x: got %q, want the RIP-relative address %s like %q", g.PC, g.Text, m[1], w.text)
						}
					}
					gr, wr := strings.ReplaceAll(gops, " ", ""), strings.ReplaceAll(wops, " ", "")
					if registerOnly.MatchString(wr) && registerOnly.MatchString(gr) {
						regs++
						if gr != wr {
							t.Errorf("%#x: got operands %q (%q), want %q (%q)", g.PC, gops, g.Text, wops, w.text)
						}
					}
				}
				if len(got) != len(want) {
					t.Fatalf("got %d instructions, want %d", len(got), len(want))
				}
				t.Logf("%d instructions, %d with register-only operands compared", len(got), regs)
			})
		}
	}
}
