package loader

import (
	"bytes"
	"encoding/binary"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// pclnBinary is a real binary the function table is checked on: the
// hello guest built by one toolchain (or GOROOT's go1.17 hello).
type pclnBinary struct {
	name   string // the toolchain's Short label, or "go1.17"
	magic  uint32 // the pclntab format its linker writes
	binary func(*testing.T) string
	// mainLine and callLine are the lines of func main and of its call
	// of fmt.Println.
	mainLine, callLine int
	// tc is the toolchain that built it, nil for go1.17's.
	tc *testbin.Toolchain
}

// objdump disassembles b's binary at path with go tool objdump of the
// toolchain that built it where its go command alone selects it (go1.11,
// go1.19), else with the machine's (see testbin.Objdump).
func (b pclnBinary) objdump(t *testing.T, path, re string) (map[string][]insn, map[string]string) {
	t.Helper()
	if b.tc != nil && b.tc.Legacy {
		return testbin.Objdump(t, b.tc.Need(t), path, re)
	}
	return objdump(t, path, re)
}

// pclnBinaries are the hello guest of every toolchain of
// testbin.Toolchains, then the go1.17 build shipped in GOROOT.
var pclnBinaries = func() []pclnBinary {
	magics := map[string]uint32{"go1.11": pclntab12, "go1.19": pclntab118, "go-machine": pclntab120, "go1.27": pclntab120}
	var list []pclnBinary
	for _, tc := range testbin.Toolchains {
		list = append(list, pclnBinary{tc.Short, magics[tc.Short], func(t *testing.T) string { return guestBinary(t, tc, "hello") }, 6, 7, tc})
	}
	return append(list, pclnBinary{"go1.17", pclntab116, go117Binary, 0, 0, nil})
}()

// allFuncs lists every function of the table, in table order.
func allFuncs(t *testing.T, f *File) []*Func {
	t.Helper()
	tab, err := f.pclntab()
	if err != nil {
		t.Fatalf("pclntab: %v", err)
	}
	var fns []*Func
	for i := 0; i < tab.nfunc; i++ {
		fn, ok := tab.funcIndex(i)
		if !ok {
			t.Fatalf("function %d of %d: unreadable", i, tab.nfunc)
		}
		fns = append(fns, fn)
	}
	if len(fns) < 500 {
		t.Fatalf("only %d functions", len(fns))
	}
	return fns
}

func openT(t *testing.T, path string) *File {
	t.Helper()
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPCLNFuncs checks the function table against the ELF symbol table,
// gosym's line table and the stack pointer deltas at entries.
func TestPCLNFuncs(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			f := openT(t, b.binary(t))
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, s := range syms.All() {
				if s.Kind != 'T' {
					continue
				}
				fn, ok := f.FuncAt(s.Addr)
				if !ok {
					continue
				}
				found++
				if fn.Entry != s.Addr && s.Size != 0 {
					t.Errorf("FuncAt(%#x) for symbol %s: got %s at %#x", s.Addr, s.Name, fn.Name, fn.Entry)
				}
			}
			if found < 500 {
				t.Errorf("FuncAt found only %d text symbols", found)
			}

			fns := allFuncs(t, f)
			for i, fn := range fns {
				if i > 0 && fn.Entry < fns[i-1].End {
					t.Errorf("%s at %#x overlaps %s ending at %#x", fn.Name, fn.Entry, fns[i-1].Name, fns[i-1].End)
				}
				for _, pc := range []uint64{fn.Entry, (fn.Entry + fn.End) / 2, fn.End - 1} {
					if got, ok := f.FuncAt(pc); !ok || got.Entry != fn.Entry || got.Name != fn.Name {
						t.Errorf("FuncAt(%#x) inside %s: got %v, %v", pc, fn.Name, got, ok)
					}
				}
				if fn.Name == "go:textfipsstart" || fn.Name == "go:textfipsend" {
					continue // markers, with no tables
				}
				if d, ok := f.SPDelta(fn.Entry); !ok || d != 0 {
					t.Errorf("SPDelta at the entry of %s: got %d, %v, want 0, true", fn.Name, d, ok)
				}
				// The line table that gosym reads independently.
				span := fn.End - fn.Entry
				for _, pc := range []uint64{fn.Entry, fn.Entry + span/4, fn.Entry + span/2, fn.Entry + 3*span/4} {
					wfile, wline, wfn := syms.LineForPC(pc)
					file, line, ok := f.FileLine(pc)
					if wline <= 0 {
						continue // padding after the code
					}
					if !ok || file != wfile || line != wline || wfn != fn.Name {
						t.Errorf("FileLine(%#x) in %s: got %s:%d, %v, want %s:%d in %s", pc, fn.Name, file, line, ok, wfile, wline, wfn)
					}
				}
			}
			if _, ok := f.FuncAt(fns[0].Entry - 1); ok {
				t.Errorf("FuncAt before the first function: found one")
			}
			if _, ok := f.FuncAt(fns[len(fns)-1].End); ok {
				t.Errorf("FuncAt at the end of the last function: found one")
			}
			if _, ok := f.FuncAt(0); ok {
				t.Errorf("FuncAt(0): found a function")
			}
		})
	}
}

// TestPCLNFlags checks the flags and FuncIDs of the functions that end
// stacks or switch them.
func TestPCLNFlags(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			f := openT(t, b.binary(t))
			tab, err := f.pclntab()
			if err != nil {
				t.Fatal(err)
			}
			top := map[string]bool{}
			ids := map[string]uint8{}
			for _, fn := range allFuncs(t, f) {
				if fn.Flag&FuncFlagTopFrame != 0 {
					top[fn.Name] = true
				}
				if fn.Name == "runtime.systemstack" && fn.Flag&FuncFlagSPWrite == 0 && fn.FuncID == ids["runtime.systemstack"] {
					t.Errorf("%s: no SPWrite flag", fn.Name)
				}
				if fn.FuncID != 0 && ids[fn.Name] == 0 {
					ids[fn.Name] = fn.FuncID
				}
			}
			// A stack ends at goexit (goroutines), mstart (threads),
			// rt0_go (the first thread) or sigtramp (signal handlers,
			// since go1.18). The Go 1.2 layout has no flags.
			if tab.flag < 0 && len(top) != 0 {
				t.Errorf("the layout of %s has no flags, got top frames %v", tab.versions, top)
			}
			for name := range top {
				switch name {
				case "runtime.goexit", "runtime.mstart", "runtime.rt0_go", "runtime.sigtramp":
				default:
					t.Errorf("%s is a top frame", name)
				}
			}
			for _, name := range []string{"runtime.goexit", "runtime.mstart", "runtime.rt0_go"} {
				if !top[name] && tab.flag >= 0 {
					t.Errorf("%s is not a top frame", name)
				}
			}
			for _, name := range []string{"runtime.goexit", "runtime.mstart", "runtime.morestack", "runtime.systemstack", "runtime.sigpanic"} {
				if ids[name] == 0 {
					t.Errorf("%s has no FuncID", name)
				}
			}
			if id := ids["main.main"]; id != 0 {
				t.Errorf("main.main has FuncID %d, want 0", id)
			}
		})
	}
}

// TestPCLNVersions checks fields that only some formats have.
func TestPCLNVersions(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			f := openT(t, b.binary(t))
			tab, err := f.pclntab()
			if err != nil {
				t.Fatal(err)
			}
			want := b.magic
			if tab.magic != want {
				t.Errorf("magic %#x, want %#x", tab.magic, want)
			}
			if v := f.Version(); !tab.versions.Contains(v) {
				t.Errorf("%s binary read with the layout of %s", v, tab.versions)
			}
			fn, ok := f.FuncAt(mustSym(t, f, "main.main").Addr)
			if !ok {
				t.Fatal("no main.main")
			}
			wantLine := int32(0)
			if want == pclntab120 {
				wantLine = int32(b.mainLine)
			}
			if fn.StartLine != wantLine || fn.Args != 0 {
				t.Errorf("main.main: StartLine %d, Args %d, want %d, 0", fn.StartLine, fn.Args, wantLine)
			}
			// runtime.memmove(to, from unsafe.Pointer, n uintptr) is in
			// assembly with a declared frame of 24 bytes of arguments.
			if fn, ok := f.FuncAt(mustSym(t, f, "runtime.memmove").Addr); !ok || fn.Args != 24 {
				t.Errorf("runtime.memmove: %v, %v, want Args 24", fn, ok)
			}
		})
	}
}

func mustSym(t *testing.T, f *File, name string) Symbol {
	t.Helper()
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	s, ok := syms.Lookup(name)
	if !ok {
		t.Fatalf("no symbol %s", name)
	}
	return s
}

// TestPCLNStripped checks that a binary without an ELF symbol table has
// the same functions as with one.
func TestPCLNStripped(t *testing.T) {
	full := openT(t, helloBinary(t))
	stripped := openT(t, buildHello(t, goTool(t), nil, "-ldflags=-s -w"))
	a, b := allFuncs(t, full), allFuncs(t, stripped)
	if len(a) != len(b) {
		t.Fatalf("%d functions, %d when stripped", len(a), len(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Entry != b[i].Entry || a[i].End != b[i].End {
			t.Errorf("function %d: %s [%#x, %#x), stripped %s [%#x, %#x)", i, a[i].Name, a[i].Entry, a[i].End, b[i].Name, b[i].Entry, b[i].End)
		}
	}
}

// TestPCLNAgainstNm compares the table with the text symbols go tool nm
// lists.
func TestPCLNAgainstNm(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			path := b.binary(t)
			f := openT(t, path)
			out, err := exec.Command(goTool(t), "tool", "nm", path).Output()
			if err != nil {
				t.Fatalf("go tool nm: %v", err)
			}
			nm := map[uint64][]string{}
			for _, line := range strings.Split(string(out), "\n") {
				m := nmLine.FindStringSubmatch(line)
				if m == nil || (m[2] != "T" && m[2] != "t") {
					continue
				}
				addr, err := strconv.ParseUint(m[1], 16, 64)
				if err != nil {
					t.Fatalf("nm line %q: %v", line, err)
				}
				name := strings.TrimSuffix(m[3], ".abi0")
				nm[addr] = append(nm[addr], name, arrayLen.ReplaceAllString(name, "[...]"))
			}
			matched := 0
			for addr, names := range nm {
				fn, ok := f.FuncAt(addr)
				if !ok || fn.Entry != addr {
					continue
				}
				matched++
				if !contains(names, nmName(fn.Name)) {
					t.Errorf("FuncAt(%#x): %s, nm says %v", addr, fn.Name, names)
				}
			}
			for _, fn := range allFuncs(t, f) {
				if _, ok := nm[fn.Entry]; !ok {
					t.Errorf("%s at %#x: no text symbol", fn.Name, fn.Entry)
				}
			}
			if matched < 500 {
				t.Errorf("only %d symbols at function entries", matched)
			}
		})
	}
}

// nmLine matches a line of go tool nm: address, kind, name (which may
// contain spaces).
var nmLine = regexp.MustCompile(`^\s*([0-9a-f]+) ([A-Za-z]) (.+)$`)

// arrayLen matches the length of an array type in a symbol name.
var arrayLen = regexp.MustCompile(`\[[0-9]+\]`)

// nmName maps a name as the pclntab has it to the ELF symbol table's
// spelling, for the generated functions where they differ: go1.19 writes
// "[...]" for array lengths, go1.26 keeps "·" for the closure separator.
func nmName(s string) string {
	return strings.ReplaceAll(s, "·", ".")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// insn is an instruction from go tool objdump.
type insn = testbin.Insn

// objdump disassembles the functions of path that match re (all for "")
// with the toolchain running the tests; see testbin.Objdump.
func objdump(t *testing.T, path, re string) (code map[string][]insn, src map[string]string) {
	return testbin.Objdump(t, goTool(t), path, re)
}

var (
	subSP  = regexp.MustCompile(`^(?:SUBQ \$|ADDQ \$-)(0x[0-9a-f]+), SP$`)
	saveBP = regexp.MustCompile(`^MOVQ BP, 0x[0-9a-f]+\(SP\)$`)
)

// prologueFrame reads the frame size from a compiler-generated prologue:
// an optional stack check, then either PUSHQ BP; MOVQ SP, BP; SUBQ $n, SP
// (go1.21 and later) or SUBQ $n, SP; MOVQ BP, n-8(SP) (earlier; the
// stack check loads g from TLS first before go1.17). It
// returns the checks to make, pc → SP delta, and the whole frame size.
func prologueFrame(code []insn) (map[uint64]int64, int64, bool) {
	checks := map[uint64]int64{}
	delta := int64(0)
	i := 0
	for i < len(code) && (strings.HasPrefix(code[i].Asm, "CMPQ") || strings.HasPrefix(code[i].Asm, "MOVQ FS:") || strings.HasPrefix(code[i].Asm, "LEAQ -") ||
		strings.HasPrefix(code[i].Asm, "JBE") || strings.HasPrefix(code[i].Asm, "JLS")) {
		i++
	}
	if i+2 < len(code) && code[i].Asm == "PUSHQ BP" && code[i+1].Asm == "MOVQ SP, BP" {
		delta = 8
		checks[code[i].Addr+code[i].Size] = delta
		checks[code[i+1].Addr+code[i+1].Size] = delta
		i += 2
		if m := subSP.FindStringSubmatch(code[i].Asm); m != nil {
			n, _ := strconv.ParseInt(m[1], 0, 64)
			delta += n
			checks[code[i].Addr+code[i].Size] = delta
		}
		return checks, delta, true
	}
	if i+1 < len(code) && saveBP.MatchString(code[i+1].Asm) {
		if m := subSP.FindStringSubmatch(code[i].Asm); m != nil {
			n, _ := strconv.ParseInt(m[1], 0, 64)
			checks[code[i].Addr+code[i].Size] = n
			return checks, n, true
		}
	}
	return nil, 0, false
}

// TestSPDeltaPrologues checks SPDelta after the instructions of function
// prologues, decoded by go tool objdump, and that no function pushes more
// than its prologue.
func TestSPDeltaPrologues(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			path := b.binary(t)
			f := openT(t, path)
			code, src := b.objdump(t, path, "")
			checked, sched := 0, false
			for name, insns := range code {
				checks, frame, ok := prologueFrame(insns)
				if !ok {
					continue
				}
				fn, ok := f.FuncAt(insns[0].Addr)
				if !ok || fn.Entry != insns[0].Addr {
					t.Errorf("%s: no function at %#x", name, insns[0].Addr)
					continue
				}
				checked++
				for pc, want := range checks {
					if got, ok := fn.SPDelta(pc); !ok || got != want {
						t.Errorf("%s: SPDelta(%#x) = %d, %v, want %d (after the prologue instruction)", name, pc, got, ok, want)
					}
				}
				max := int64(-1)
				for _, in := range insns {
					if d, ok := fn.SPDelta(in.Addr); ok && d > max {
						max = d
					}
				}
				if max != frame && !strings.HasSuffix(src[name], ".s") {
					t.Errorf("%s: largest SPDelta %d, frame %d", name, max, frame)
				}
				if name == "runtime.schedinit" {
					sched = true
					t.Logf("runtime.schedinit: frame %d bytes (including the saved BP), largest SPDelta %d", frame, max)
				}
			}
			if !sched {
				t.Error("runtime.schedinit: no prologue found")
			}
			t.Logf("%d prologues checked", checked)
			if checked < 300 {
				t.Errorf("only %d functions with a recognized prologue", checked)
			}
		})
	}
}

// TestSourceFramesInlined checks the expansion of an inlined call:
// fmt.Println in the hello world's main.main.
func TestSourceFramesInlined(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			if b.callLine == 0 {
				t.Skip("GOROOT's go1.17 hello is another program")
			}
			path := b.binary(t)
			f := openT(t, path)
			var at *insn
			all, _ := b.objdump(t, path, `^main\.main$`)
			code := all["main.main"]
			for i, in := range code {
				if strings.HasPrefix(in.Pos, "print.go:") {
					at = &code[i]
					break
				}
			}
			if at == nil {
				t.Skip("fmt.Println is not inlined into main.main")
			}
			got := f.SourceFrames(at.Addr)
			line, _ := strconv.Atoi(strings.TrimPrefix(at.Pos, "print.go:"))
			if len(got) != 2 ||
				got[0].Func != "fmt.Println" || !got[0].Inlined || !strings.HasSuffix(got[0].File, "fmt/print.go") || got[0].Line != line ||
				got[1].Func != "main.main" || got[1].Inlined || filepath.Base(got[1].File) != "main.go" || got[1].Line != b.callLine {
				t.Errorf("SourceFrames(%#x): got %+v, want fmt.Println at print.go:%d inlined into main.main at main.go:%d", at.Addr, got, line, b.callLine)
			}
			// Outside inlined code, the function alone.
			if got := f.SourceFrames(code[0].Addr); len(got) != 1 || got[0].Func != "main.main" || got[0].Inlined {
				t.Errorf("SourceFrames(entry): got %+v, want main.main alone", got)
			}
		})
	}
}

// A synthetic function for the table builder.
type synthFunc struct {
	name           string
	start, end     uint32 // offsets from the text start
	pcsp, file, ln []pcv
	inl            []pcv // the inlining index table, or nil
	inlName        string
	inlParent      int32
	args           int32
	funcID, flag   uint8
	startLine      int32
	fileNames      []string
}

// pcv is one step of a pc-value table: val holds for n bytes.
type pcv struct {
	val int32
	n   uint32
}

func encodePCValue(steps []pcv) []byte {
	var b []byte
	prev := int32(-1)
	for _, s := range steps {
		d := s.val - prev
		b = binary.AppendUvarint(b, uint64(uint32(d<<1)^uint32(d>>31)))
		b = binary.AppendUvarint(b, uint64(s.n))
		prev = s.val
	}
	return append(b, 0)
}

const synthText = 0x401000
const synthAddr = 0x500000 // where the synthetic table is loaded

// synthPCLN builds a pclntab in the given format. Inlining trees are
// placed at the end of the table itself, so that a reader of the table's
// bytes at synthAddr finds them.
func synthPCLN(magic uint32, funcs []synthFunc) []byte {
	le := binary.LittleEndian
	l, _ := layoutOf(magic)
	nwords := l.words
	hdr := make([]byte, 8+8*nwords)
	le.PutUint32(hdr, magic)
	hdr[6], hdr[7] = 1, 8
	le.PutUint64(hdr[8:], uint64(len(funcs)))

	var names, cutab, filetab, pctab []byte
	pctab = []byte{0} // offset 0 means "no table"
	type recInfo struct{ nameOff, pcsp, pcfile, pcln, inl, cu uint32 }
	infos := make([]recInfo, len(funcs))
	for i, fn := range funcs {
		in := &infos[i]
		in.nameOff = uint32(len(names))
		names = append(append(names, fn.name...), 0)
		in.cu = uint32(len(cutab) / 4)
		for _, fname := range fn.fileNames {
			cutab = le.AppendUint32(cutab, uint32(len(filetab)))
			filetab = append(append(filetab, fname...), 0)
		}
		add := func(steps []pcv) uint32 {
			if steps == nil {
				return 0
			}
			off := uint32(len(pctab))
			pctab = append(pctab, encodePCValue(steps)...)
			return off
		}
		in.pcsp, in.pcfile, in.pcln, in.inl = add(fn.pcsp), add(fn.file), add(fn.ln), add(fn.inl)
	}
	var inlNames []uint32
	for _, fn := range funcs {
		inlNames = append(inlNames, uint32(len(names)))
		names = append(append(names, fn.inlName...), 0)
	}
	offs := []uint64{}
	body := []byte{}
	for _, tab := range [][]byte{names, cutab, filetab, pctab} {
		offs = append(offs, uint64(len(hdr)+len(body)))
		body = append(body, tab...)
	}
	for len(body)%8 != 0 {
		body = append(body, 0)
	}
	functabOff := len(hdr) + len(body)
	offs = append(offs, uint64(functabOff))

	entSize := 8
	recSize := map[uint32]int{pclntab116: 44, pclntab118: 40, pclntab120: 44}[magic]
	if magic == pclntab116 {
		entSize = 16
	}
	functab := make([]byte, (len(funcs)+1)*entSize)
	treeAt := make([]int, len(funcs)) // record offset of each tree's funcdata slot
	for i, fn := range funcs {
		for len(functab)%8 != 0 {
			functab = append(functab, 0)
		}
		recOff := len(functab)
		rec := make([]byte, recSize)
		s := 0
		if magic == pclntab116 {
			s = 4
			le.PutUint64(functab[16*i:], synthText+uint64(fn.start))
			le.PutUint64(functab[16*i+8:], uint64(recOff))
			le.PutUint64(rec, synthText+uint64(fn.start))
		} else {
			le.PutUint32(functab[8*i:], fn.start)
			le.PutUint32(functab[8*i+4:], uint32(recOff))
			le.PutUint32(rec, fn.start)
		}
		in := infos[i]
		le.PutUint32(rec[4+s:], in.nameOff)
		le.PutUint32(rec[8+s:], uint32(fn.args))
		le.PutUint32(rec[16+s:], in.pcsp)
		le.PutUint32(rec[20+s:], in.pcfile)
		le.PutUint32(rec[24+s:], in.pcln)
		le.PutUint32(rec[32+s:], in.cu)
		id := 36 + s
		if magic == pclntab120 {
			le.PutUint32(rec[36:], uint32(fn.startLine))
			id = 40
		}
		rec[id], rec[id+1] = fn.funcID, fn.flag
		if fn.inl != nil {
			le.PutUint32(rec[28+s:], 3) // npcdata
			rec[id+3] = 4               // nfuncdata
			rec = le.AppendUint32(rec, 0)
			rec = le.AppendUint32(rec, 0)
			rec = le.AppendUint32(rec, in.inl)
			if magic == pclntab116 {
				for (synthAddr+functabOff+recOff+len(rec))%8 != 0 {
					rec = append(rec, 0)
				}
				rec = append(rec, make([]byte, 3*8)...)
				treeAt[i] = recOff + len(rec)
				rec = append(rec, make([]byte, 8)...)
			} else {
				rec = append(rec, make([]byte, 3*4)...)
				treeAt[i] = recOff + len(rec)
				rec = append(rec, make([]byte, 4)...)
			}
		}
		functab = append(functab, rec...)
	}
	last := funcs[len(funcs)-1].end
	if magic == pclntab116 {
		le.PutUint64(functab[16*len(funcs):], synthText+uint64(last))
	} else {
		le.PutUint32(functab[8*len(funcs):], last)
	}
	// The inlining trees: one node per function that has one.
	for i, fn := range funcs {
		if fn.inl == nil {
			continue
		}
		for len(functab)%8 != 0 {
			functab = append(functab, 0)
		}
		node := make([]byte, 20)
		if magic == pclntab120 {
			node = node[:16]
			le.PutUint32(node[4:], inlNames[i])
			le.PutUint32(node[8:], uint32(fn.inlParent))
		} else {
			le.PutUint32(node[12:], inlNames[i])
			le.PutUint32(node[16:], uint32(fn.inlParent))
		}
		treeOff := uint64(functabOff + len(functab)) // offset in the section
		if magic == pclntab116 {
			le.PutUint64(functab[treeAt[i]:], synthAddr+treeOff)
		} else {
			le.PutUint32(functab[treeAt[i]:], uint32(treeOff)) // go:func.* is the section
		}
		functab = append(functab, node...)
	}
	if magic != pclntab116 {
		le.PutUint64(hdr[8+16:], synthText)
		for j, off := range offs {
			le.PutUint64(hdr[8+8*(3+j):], off)
		}
	} else {
		for j, off := range offs {
			le.PutUint64(hdr[8+8*(2+j):], off)
		}
	}
	le.PutUint64(hdr[16:], uint64(len(cutab)/4)) // nfiles
	out := append(hdr, body...)
	return append(out, functab...)
}

// synthPCLN12 builds a table in the Go 1.2 layout as go1.11's linker
// writes it (cmd/link/internal/ld/pcln.go): the header and nfunc, the
// (entry, funcoff) pairs, the end address and the file table's offset,
// then the records, each followed by its pcdata offsets and its
// 8-aligned funcdata pointers. Names, pc-value tables, the file table and
// the inlining trees are in the same section, at section offsets. File
// numbers are global, from 1.
func synthPCLN12(funcs []synthFunc) []byte {
	le := binary.LittleEndian
	nf := len(funcs)
	d := make([]byte, 16+16*nf+8+4)
	le.PutUint32(d, pclntab12)
	d[6], d[7] = 1, 8
	le.PutUint64(d[8:], uint64(nf))
	pad8 := func() {
		for len(d)%8 != 0 {
			d = append(d, 0)
		}
	}
	// Global file numbers: each function's files in turn, from 1.
	base := make([]int32, nf)
	next := int32(1)
	for i, fn := range funcs {
		base[i] = next
		next += int32(len(fn.fileNames))
	}
	type patch struct{ at, fn int }
	var names, tables, trees []patch // record fields to fill once the data is placed
	recs := make([]int, nf)
	for i, fn := range funcs {
		pad8()
		recs[i] = len(d)
		le.PutUint64(d[16+16*i:], synthText+uint64(fn.start))
		le.PutUint64(d[16+16*i+8:], uint64(len(d)))
		rec := make([]byte, 40)
		le.PutUint64(rec, synthText+uint64(fn.start))
		le.PutUint32(rec[12:], uint32(fn.args))
		le.PutUint32(rec[16:], uint32(fn.funcID))
		if fn.inl != nil {
			le.PutUint32(rec[32:], 2) // npcdata: InlTreeIndex is 1
			le.PutUint32(rec[36:], 3) // nfuncdata: InlTree is 2
			rec = append(rec, make([]byte, 8)...)
			if (len(d)+len(rec))%8 != 0 {
				rec = append(rec, 0, 0, 0, 0)
			}
			rec = append(rec, make([]byte, 3*8)...)
		}
		d = append(d, rec...)
		names = append(names, patch{recs[i] + 8, i})
		tables = append(tables, patch{recs[i] + 20, i})
		if fn.inl != nil {
			trees = append(trees, patch{len(d) - 8, i})
		}
	}
	le.PutUint64(d[16+16*nf:], synthText+uint64(funcs[nf-1].end))
	str := func(s string) uint32 {
		off := uint32(len(d))
		d = append(append(d, s...), 0)
		return off
	}
	for _, p := range names {
		le.PutUint32(d[p.at:], str(funcs[p.fn].name))
	}
	pcvals := func(steps []pcv, add int32) uint32 {
		if steps == nil {
			return 0
		}
		off := uint32(len(d))
		shifted := make([]pcv, len(steps))
		for i, st := range steps {
			shifted[i] = pcv{st.val + add, st.n}
		}
		d = append(d, encodePCValue(shifted)...)
		return off
	}
	for _, p := range tables {
		fn := funcs[p.fn]
		le.PutUint32(d[p.at:], pcvals(fn.pcsp, 0))
		le.PutUint32(d[p.at+4:], pcvals(fn.file, base[p.fn]))
		le.PutUint32(d[p.at+8:], pcvals(fn.ln, 0))
		if fn.inl != nil {
			le.PutUint32(d[recs[p.fn]+40+4:], pcvals(fn.inl, 0))
		}
	}
	pad8()
	filetab := len(d)
	le.PutUint32(d[16+16*nf+8:], uint32(filetab))
	d = le.AppendUint32(d, uint32(next)) // the count: files and the unused 0
	d = append(d, make([]byte, 4*(next-1))...)
	for i, fn := range funcs {
		for j, name := range fn.fileNames {
			le.PutUint32(d[filetab+4*(int(base[i])+j):], str(name))
		}
	}
	// One node per tree, {parent, file, line, func_}: the call is on the
	// line of the parent pc, in the function's first file.
	for _, p := range trees {
		fn := funcs[p.fn]
		pad8()
		le.PutUint64(d[p.at:], synthAddr+uint64(len(d)))
		line := int32(0)
		for off, i := uint32(0), 0; i < len(fn.ln); off, i = off+fn.ln[i].n, i+1 {
			if uint32(fn.inlParent) < off+fn.ln[i].n {
				line = fn.ln[i].val
				break
			}
		}
		node := make([]byte, 16)
		le.PutUint32(node, ^uint32(0))
		le.PutUint32(node[4:], uint32(base[p.fn]))
		le.PutUint32(node[8:], uint32(line))
		at := len(d)
		d = append(d, node...)
		name := str(fn.inlName)
		le.PutUint32(d[at+12:], name)
		// FUNCDATA 0, the argument pointer maps: two maps of two words,
		// the second word a pointer in one of them.
		pad8()
		le.PutUint64(d[p.at-16:], synthAddr+uint64(len(d)))
		d = le.AppendUint32(d, 2)
		d = le.AppendUint32(d, 2)
		d = append(d, 0, 2)
	}
	return d
}

// synthFuncs are two functions: a with a 3-instruction prologue (delta 0
// for 1 byte, 8 for 4 bytes, 40 for the rest), b with an inlined call.
var synthFuncs = []synthFunc{
	{
		name: "main.a", start: 0, end: 0x20, args: 16, funcID: 0, flag: FuncFlagTopFrame, startLine: 10,
		pcsp:      []pcv{{0, 1}, {8, 4}, {40, 0x1b}},
		file:      []pcv{{0, 0x20}},
		ln:        []pcv{{10, 5}, {11, 0x10}, {12, 0xb}},
		fileNames: []string{"/src/a.go"},
	},
	{
		name: "main.b", start: 0x20, end: 0x1020, args: -0x80000000, funcID: 7, flag: FuncFlagSPWrite, startLine: 20,
		pcsp:      []pcv{{0, 0x200}, {1000, 0xe00}},
		file:      []pcv{{0, 0x10}, {1, 0x10}, {0, 0xfe0}},
		ln:        []pcv{{20, 0x10}, {300, 0x10}, {21, 0xfe0}},
		inl:       []pcv{{-1, 0x10}, {0, 0x10}, {-1, 0xfe0}},
		inlName:   "pkg.inlined",
		inlParent: 0x30,
		fileNames: []string{"/src/b.go", "/src/inl.go"},
	},
}

// synthTable parses a synthetic table, with a reader for its inlining
// trees.
func synthTable(t testing.TB, magic uint32) *pclnTable {
	d := synthBytes(magic)
	tab, err := parsePCLN(d, synthText)
	if err != nil {
		t.Fatalf("parsePCLN: %v", err)
	}
	attachReader(tab, d)
	return tab
}

// synthBytes builds synthFuncs in the format of magic.
func synthBytes(magic uint32) []byte {
	if magic == pclntab12 {
		return synthPCLN12(synthFuncs)
	}
	return synthPCLN(magic, synthFuncs)
}

// synthMagics are the formats the synthetic tables are built in.
var synthMagics = []uint32{pclntab12, pclntab116, pclntab118, pclntab120}

func attachReader(tab *pclnTable, d []byte) {
	tab.addr, tab.gofunc = synthAddr, synthAddr
	tab.read = func(addr, n uint64) ([]byte, bool) {
		if addr < synthAddr || addr-synthAddr > uint64(len(d)) || n > uint64(len(d))-(addr-synthAddr) {
			return nil, false
		}
		return d[addr-synthAddr : addr-synthAddr+n], true
	}
}

func TestPCLNSynthetic(t *testing.T) {
	for _, magic := range synthMagics {
		t.Run(strconv.FormatUint(uint64(magic), 16), func(t *testing.T) {
			tab := synthTable(t, magic)
			wantFlag := func(f uint8) uint8 {
				if magic == pclntab12 {
					return 0 // no flags in the Go 1.2 layout
				}
				return f
			}
			a, ok := tab.funcAt(synthText + 0x1f)
			if !ok || a.Name != "main.a" || a.Entry != synthText || a.End != synthText+0x20 || a.Args != 16 || a.Flag != wantFlag(FuncFlagTopFrame) {
				t.Fatalf("funcAt(a): got %+v, %v", a, ok)
			}
			wantStart := int32(0)
			if magic == pclntab120 {
				wantStart = 10
			}
			if a.StartLine != wantStart {
				t.Errorf("a.StartLine = %d, want %d", a.StartLine, wantStart)
			}
			for _, c := range []struct {
				off  uint64
				want int64
			}{{0, 0}, {1, 8}, {4, 8}, {5, 40}, {0x1f, 40}} {
				if got, ok := a.SPDelta(synthText + c.off); !ok || got != c.want {
					t.Errorf("a.SPDelta(+%#x) = %d, %v, want %d", c.off, got, ok, c.want)
				}
			}
			if file, line, ok := a.FileLine(synthText + 5); !ok || file != "/src/a.go" || line != 11 {
				t.Errorf("a.FileLine(+5) = %s:%d, %v", file, line, ok)
			}
			if got := a.SourceFrames(synthText + 5); len(got) != 1 || got[0] != (SourceFrame{"main.a", "/src/a.go", 11, false}) {
				t.Errorf("a.SourceFrames = %+v", got)
			}

			b, ok := tab.funcAt(synthText + 0x20)
			if !ok || b.Name != "main.b" || b.End != synthText+0x1020 || b.Args != -0x80000000 || b.FuncID != 7 || b.Flag != wantFlag(FuncFlagSPWrite) {
				t.Fatalf("funcAt(b): got %+v, %v", b, ok)
			}
			if got, ok := b.SPDelta(synthText + 0x20 + 0x200); !ok || got != 1000 {
				t.Errorf("b.SPDelta(+0x200) = %d, %v, want 1000 (multi-byte varints)", got, ok)
			}
			if ptrs, ok := b.ArgPointers(); magic == pclntab12 && (!ok || len(ptrs) != 2 || ptrs[0] || !ptrs[1]) {
				t.Errorf("b.ArgPointers() = %v, %v, want [false true]", ptrs, ok)
			}
			if _, ok := a.ArgPointers(); ok {
				t.Error("a.ArgPointers(): found maps in a function without funcdata")
			}
			want := []SourceFrame{{"pkg.inlined", "/src/inl.go", 300, true}, {"main.b", "/src/b.go", 21, false}}
			if got := b.SourceFrames(synthText + 0x20 + 0x18); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
				t.Errorf("b.SourceFrames(inlined) = %+v, want %+v", got, want)
			}
			if _, ok := tab.funcAt(synthText + 0x1020); ok {
				t.Error("funcAt(end of text): found a function")
			}
			if _, ok := tab.funcAt(synthText - 1); ok {
				t.Error("funcAt(before text): found a function")
			}
		})
	}
}

func TestParsePCLNErrors(t *testing.T) {
	good := synthPCLN(pclntab120, synthFuncs)
	mod := func(f func(d []byte) []byte) []byte {
		return f(bytes.Clone(good))
	}
	le := binary.LittleEndian
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"unknown magic", mod(func(d []byte) []byte { le.PutUint32(d, 0x12345678); return d }), "unknown magic"},
		{"32-bit", mod(func(d []byte) []byte { d[7] = 4; return d }), "pointer size"},
		{"zero quantum", mod(func(d []byte) []byte { d[6] = 0; return d }), "quantum"},
		{"header cut", good[:40], "truncated"},
		{"huge nfunc", mod(func(d []byte) []byte { le.PutUint64(d[8:], 1<<40); return d }), "do not fit"},
		{"table offset", mod(func(d []byte) []byte { le.PutUint64(d[8+8*5:], 1<<40); return d }), "outside"},
		{"functab cut", good[:le.Uint64(good[8+8*7:])+8], "truncated"},
	}
	// The Go 1.2 layout has its function table after the header and the
	// file table's offset after that.
	good12 := synthPCLN12(synthFuncs)
	ftabEnd := 16 + 16*len(synthFuncs) + 8
	tests = append(tests, []struct {
		name string
		data []byte
		want string
	}{
		{"go1.2 functab cut", good12[:ftabEnd], "truncated"},
		{"go1.2 file table", func() []byte {
			d := bytes.Clone(good12)
			le.PutUint32(d[ftabEnd:], uint32(len(d)))
			return d
		}(), "file table offset"},
		{"go1.2 huge nfunc", func() []byte {
			d := bytes.Clone(good12)
			le.PutUint64(d[8:], uint64(len(d)/16))
			return d
		}(), "truncated"},
	}...)
	for _, tt := range tests {
		if _, err := parsePCLN(tt.data, synthText); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestPCValueEncoding(t *testing.T) {
	tab := &pclnTable{quantum: 1}
	tab.pctab = append([]byte{0}, encodePCValue([]pcv{{5, 2}, {-3, 200}, {70000, 1}})...)
	for _, c := range []struct {
		pc   uint64
		want int32
		ok   bool
	}{{99, 0, false}, {100, 5, true}, {101, 5, true}, {102, -3, true}, {301, -3, true}, {302, 70000, true}, {303, 0, false}} {
		if got, ok := tab.pcvalue(1, 100, c.pc); got != c.want || ok != c.ok {
			t.Errorf("pcvalue(%d) = %d, %v, want %d, %v", c.pc, got, ok, c.want, c.ok)
		}
	}
	tab.pctab = []byte{0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01} // a varint too long for 32 bits
	if _, ok := tab.pcvalue(1, 100, 100); ok {
		t.Error("pcvalue accepted an overlong varint")
	}
	if _, ok := tab.pcvalue(0, 100, 100); ok {
		t.Error("pcvalue accepted offset 0 (no table)")
	}
}

// FuzzPCLN checks that no table makes the reader panic or loop.
func FuzzPCLN(f *testing.F) {
	for _, magic := range synthMagics {
		f.Add(synthBytes(magic))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := parsePCLN(data, synthText)
		if err != nil {
			return
		}
		attachReader(tab, data)
		tab.buildInlineIndex()
		for i := 0; i < tab.nfunc && i < 64; i++ {
			fn, ok := tab.funcIndex(i)
			if !ok {
				continue
			}
			for _, pc := range []uint64{fn.Entry, fn.Entry + 1, fn.Entry + 0x18, fn.End - 1} {
				got, ok := tab.funcAt(pc)
				if !ok {
					continue
				}
				got.SPDelta(pc)
				got.FileLine(pc)
				got.SourceFrames(pc)
				got.ArgPointers()
			}
		}
	})
}

// TestSourceFramesAgainstObjdump checks inlined calls in the whole
// runtime: a call instruction that go tool objdump places in another file
// than its function's comes from an inlined call, whose position is the
// innermost source frame. (Other instructions, such as register reloads
// after a call, can keep the position of an inlined call while the
// inlining index says they are not in one: the runtime reports those
// without the inlined frame too.)
func TestSourceFramesAgainstObjdump(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			path := b.binary(t)
			f := openT(t, path)
			code, src := b.objdump(t, path, `^runtime\.`)
			checked := 0
			for name, insns := range code {
				if name == "runtime.init" {
					continue // initializers of variables in every file of the package
				}
				base := filepath.Base(src[name])
				for _, in := range insns {
					file, lineText, _ := strings.Cut(in.Pos, ":")
					if file == base || strings.HasSuffix(src[name], ".s") || !strings.HasPrefix(in.Asm, "CALL ") {
						continue
					}
					line, _ := strconv.Atoi(lineText)
					frames := f.SourceFrames(in.Addr)
					checked++
					if len(frames) < 2 || !frames[0].Inlined || filepath.Base(frames[0].File) != file || frames[0].Line != line ||
						frames[len(frames)-1].Inlined || frames[len(frames)-1].Func != strings.TrimSuffix(name, ".abi0") {
						t.Errorf("SourceFrames(%#x) in %s at %s: got %+v", in.Addr, name, in.Pos, frames)
					}
				}
			}
			t.Logf("%d calls in inlined code", checked)
			// go1.11 inlines only leaf functions: few calls are in
			// inlined code.
			min := 500
			if b.magic == pclntab12 {
				min = 50
			}
			if checked < min {
				t.Errorf("only %d calls in inlined code", checked)
			}
		})
	}
}
