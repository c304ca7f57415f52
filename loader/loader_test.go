package loader

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

const helloSrc = `package main

import "fmt"

func main() { fmt.Println("hello, guest") }
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loader-guests")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	guestDir = dir
	code := m.Run()
	testbin.RemoveBuilds()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guestDir holds the guests built by guestBinary, for the whole run.
var guestDir string

// guestBinary builds testdata/guests/NAME with tc, once per run (for
// go1.11.1, the committed build when the toolchain is missing).
func guestBinary(t *testing.T, tc *testbin.Toolchain, name string) string {
	t.Helper()
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if tc == testbin.Go111 {
		return testbin.Go111Guest(t, root, name, guestDir)
	}
	return tc.BuildGuest(t, root, name, guestDir)
}

func goTool(t *testing.T) string  { return testbin.GoTool(t) }
func need119(t *testing.T) string { return testbin.Need119(t) }

// goEnv returns `go env NAME` for the given go command.
func goEnv(t *testing.T, tool, name string) string {
	t.Helper()
	out, err := exec.Command(tool, "env", name).Output()
	if err != nil {
		t.Fatalf("%s env %s: %v", tool, name, err)
	}
	return strings.TrimSpace(string(out))
}

// buildHello builds the hello-world guest with the given go command,
// extra environment and build flags, once per test run, and returns the
// path of the executable.
func buildHello(t *testing.T, tool string, env []string, flags ...string) string {
	t.Helper()
	return testbin.Build(t, tool, map[string]string{"main.go": helloSrc}, env, flags...)
}

// helloBinary returns the default build of the hello-world guest with the
// toolchain running the tests.
func helloBinary(t *testing.T) string {
	return buildHello(t, goTool(t), nil)
}

// go117Binary decodes the go1.17 hello world shipped in GOROOT for the
// debug/buildinfo tests.
func go117Binary(t *testing.T) string { return testbin.Go117Binary(t, goTool(t)) }

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenGoBinaries(t *testing.T) {
	tests := []struct {
		name        string
		binary      func(t *testing.T) string
		wantVersion func(t *testing.T, v string)
	}{
		{
			name:        "current",
			binary:      helloBinary,
			wantVersion: exactVersion(func(t *testing.T) string { return goEnv(t, goTool(t), "GOVERSION") }),
		},
		{
			name: "current stripped",
			binary: func(t *testing.T) string {
				return buildHello(t, goTool(t), nil, "-ldflags=-s -w")
			},
			wantVersion: exactVersion(func(t *testing.T) string { return goEnv(t, goTool(t), "GOVERSION") }),
		},
		{
			name:        "go1.19",
			binary:      func(t *testing.T) string { return buildHello(t, need119(t), nil) },
			wantVersion: prefixVersion("go1.19"),
		},
		{
			name:        "go1.19 stripped",
			binary:      func(t *testing.T) string { return buildHello(t, need119(t), nil, "-ldflags=-s -w") },
			wantVersion: prefixVersion("go1.19"),
		},
		{
			name:   "go1.17 from GOROOT testdata",
			binary: go117Binary,
			// `go version` on this file reports exactly "go1.17".
			wantVersion: exactVersion(func(*testing.T) string { return "go1.17" }),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.binary(t)
			f, err := Open(path)
			if err != nil {
				t.Fatalf("Open: got error %v, want nil", err)
			}
			tt.wantVersion(t, f.GoVersion)
			checkSegments(t, f)
			checkPhdr(t, f)

			syms, err := f.Symbols()
			if err != nil {
				t.Fatalf("Symbols: got error %v, want nil", err)
			}
			rt0, ok := syms.Lookup("_rt0_amd64_linux")
			if !ok {
				t.Fatalf("Lookup(_rt0_amd64_linux): not found")
			}
			if f.Entry != rt0.Addr {
				t.Errorf("Entry: got %#x, want _rt0_amd64_linux at %#x", f.Entry, rt0.Addr)
			}
			if sym, ok := syms.Lookup("runtime.rt0_go"); !ok || sym.Kind != 'T' {
				t.Errorf("Lookup(runtime.rt0_go): got %+v, %v, want a text symbol", sym, ok)
			}
			mainSym, ok := syms.Lookup("main.main")
			if !ok {
				t.Fatalf("Lookup(main.main): not found")
			}
			file, line, fn := syms.LineForPC(mainSym.Addr)
			if !strings.HasSuffix(file, ".go") || line <= 0 || fn != "main.main" {
				t.Errorf("LineForPC(main.main): got %q, %d, %q, want FILE.go, LINE > 0, main.main", file, line, fn)
			}
			if got, off, ok := syms.ByAddr(mainSym.Addr); !ok || got.Name != "main.main" || off != 0 {
				t.Errorf("ByAddr(main.main): got %+v, %#x, %v, want main.main, 0, true", got, off, ok)
			}
			// A second call returns the cached table.
			if again, _ := f.Symbols(); again != syms {
				t.Errorf("Symbols: got a new table on the second call, want the cached one")
			}
		})
	}
}

func exactVersion(want func(*testing.T) string) func(*testing.T, string) {
	return func(t *testing.T, got string) {
		t.Helper()
		if w := want(t); got != w {
			t.Errorf("GoVersion: got %q, want %q", got, w)
		}
	}
}

func prefixVersion(prefix string) func(*testing.T, string) {
	return func(t *testing.T, got string) {
		t.Helper()
		if !strings.HasPrefix(got, prefix) {
			t.Errorf("GoVersion: got %q, want prefix %q", got, prefix)
		}
	}
}

// checkSegments checks the usual layout of a Go executable: an r-x text
// segment holding the entry point and an rw- data segment, with Data
// matching the file.
func checkSegments(t *testing.T, f *File) {
	t.Helper()
	var text, data bool
	for _, s := range f.Segments {
		switch s.Prot {
		case abi.ProtRead | abi.ProtExec:
			text = text || s.Contains(f.Entry)
		case abi.ProtRead | abi.ProtWrite:
			data = true
		}
		if uint64(len(s.Data)) != s.Filesz {
			t.Errorf("segment at %#x: got %d bytes of Data, want Filesz %d", s.Vaddr, len(s.Data), s.Filesz)
		}
	}
	if !text || !data {
		t.Errorf("segments %v: got r-x with entry %v, rw- %v, want both", f.Segments, text, data)
	}
}

// checkPhdr compares Phdr, Phent and Phnum with what debug/elf reports.
func checkPhdr(t *testing.T, f *File) {
	t.Helper()
	ef, err := elf.Open(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	if f.Phent != 56 || f.Phnum != uint64(len(ef.Progs)) {
		t.Errorf("Phent, Phnum: got %d, %d, want 56, %d", f.Phent, f.Phnum, len(ef.Progs))
	}
	for _, p := range ef.Progs {
		if p.Type == elf.PT_PHDR && f.Phdr != p.Vaddr {
			t.Errorf("Phdr: got %#x, want PT_PHDR vaddr %#x", f.Phdr, p.Vaddr)
		}
	}
}

func TestSymbols(t *testing.T) {
	f, err := Open(helloBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	mainSym, _ := syms.Lookup("main.main")
	bv, ok := syms.Lookup("runtime.buildVersion")
	if !ok || bv.Kind != 'D' || bv.Size != 16 {
		t.Fatalf("Lookup(runtime.buildVersion): got %+v, %v, want a 16-byte 'D' symbol", bv, ok)
	}
	tests := []struct {
		addr     uint64
		wantName string // "" for no symbol
		wantOff  uint64
	}{
		{mainSym.Addr, "main.main", 0},
		{mainSym.Addr + 3, "main.main", 3},
		{mainSym.Addr + mainSym.Size - 1, "main.main", mainSym.Size - 1},
		{bv.Addr + 8, "runtime.buildVersion", 8},
		{0, "", 0},
		{UserTop, "", 0},
	}
	for _, tt := range tests {
		got, off, ok := syms.ByAddr(tt.addr)
		if ok != (tt.wantName != "") || got.Name != tt.wantName || off != tt.wantOff {
			t.Errorf("ByAddr(%#x): got %q+%#x, %v, want %q+%#x", tt.addr, got.Name, off, ok, tt.wantName, tt.wantOff)
		}
	}

	lookups := []struct {
		name, want string
	}{
		{"runtime.rt0_go", "runtime.rt0_go.abi0"},
		{"runtime.rt0_go.abi0", "runtime.rt0_go.abi0"},
		{"main.main", "main.main"},
		{"main.main.abi0", ""},
		{"no.such.symbol", ""},
	}
	for _, tt := range lookups {
		got, ok := syms.Lookup(tt.name)
		if ok != (tt.want != "") || got.Name != tt.want {
			t.Errorf("Lookup(%q): got %q, %v, want %q", tt.name, got.Name, ok, tt.want)
		}
	}

	if file, line, fn := syms.LineForPC(0); file != "" || line != 0 || fn != "" {
		t.Errorf("LineForPC(0): got %q, %d, %q, want nothing", file, line, fn)
	}
	if len(syms.All()) == 0 {
		t.Errorf("All: got no symbols")
	}
}

func TestReadImage(t *testing.T) {
	f, err := Open(helloBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	var data *Segment
	for i := range f.Segments {
		if s := &f.Segments[i]; s.Memsz > s.Filesz {
			data = s
		}
	}
	if data == nil {
		t.Fatal("no segment with bss")
	}
	tests := []struct {
		name   string
		addr   uint64
		n      uint64
		want   []byte
		wantOK bool
	}{
		{"file bytes", data.Vaddr, 4, data.Data[:4], true},
		{"bss", data.Vaddr + data.Filesz, 8, make([]byte, 8), true},
		{"straddles end", data.End() - 4, 8, nil, false},
		{"unmapped", 0, 1, nil, false},
	}
	for _, tt := range tests {
		got, ok := f.ReadImage(tt.addr, tt.n)
		if ok != tt.wantOK || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: ReadImage(%#x, %d): got %x, %v, want %x, %v", tt.name, tt.addr, tt.n, got, ok, tt.want, tt.wantOK)
		}
	}
}

// image is a copy of an executable with helpers to patch its headers.
type image struct {
	b     []byte
	phoff uint64
	progs []*elf.Prog
}

func loadImage(t *testing.T, path string) *image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ef, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return &image{b: b, phoff: binary.LittleEndian.Uint64(b[32:]), progs: ef.Progs}
}

func (im *image) put16(off uint64, v uint16) { binary.LittleEndian.PutUint16(im.b[off:], v) }
func (im *image) put64(off uint64, v uint64) { binary.LittleEndian.PutUint64(im.b[off:], v) }

// Offsets of Elf64_Phdr fields.
const (
	phType   = 0
	phOffset = 8
	phVaddr  = 16
	phFilesz = 32
	phMemsz  = 40
)

// setPhdr patches field of program header i.
func (im *image) setPhdr(i int, field uint64, v uint64) {
	off := im.phoff + uint64(i)*56 + field
	if field == phType {
		binary.LittleEndian.PutUint32(im.b[off:], uint32(v))
		return
	}
	im.put64(off, v)
}

// load returns the index in the program header table of the n-th PT_LOAD.
func (im *image) load(t *testing.T, n int) int {
	t.Helper()
	for i, p := range im.progs {
		if p.Type == elf.PT_LOAD {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("no PT_LOAD #%d", n)
	return -1
}

func (im *image) index(t *testing.T, typ elf.ProgType) int {
	t.Helper()
	for i, p := range im.progs {
		if p.Type == typ {
			return i
		}
	}
	t.Fatalf("no %v program header", typ)
	return -1
}

// minimalELF returns a tiny static x86-64 executable that is not a Go
// binary: one r-x PT_LOAD holding the headers and a `jmp .` at the entry.
func minimalELF() []byte {
	const base = 0x400000
	code := []byte{0xeb, 0xfe}
	size := uint64(ehdrSize + phdrSize + len(code))
	b := make([]byte, size)
	copy(b, "\x7fELF\x02\x01\x01")
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(elf.ET_EXEC))
	le.PutUint16(b[18:], uint16(elf.EM_X86_64))
	le.PutUint32(b[20:], uint32(elf.EV_CURRENT))
	le.PutUint64(b[24:], base+ehdrSize+phdrSize) // e_entry
	le.PutUint64(b[32:], ehdrSize)               // e_phoff
	le.PutUint16(b[52:], ehdrSize)               // e_ehsize
	le.PutUint16(b[54:], phdrSize)
	le.PutUint16(b[56:], 1) // e_phnum
	ph := b[ehdrSize:]
	le.PutUint32(ph[0:], uint32(elf.PT_LOAD))
	le.PutUint32(ph[4:], uint32(elf.PF_R|elf.PF_X))
	le.PutUint64(ph[16:], base) // p_vaddr
	le.PutUint64(ph[24:], base) // p_paddr
	le.PutUint64(ph[32:], size) // p_filesz
	le.PutUint64(ph[40:], size) // p_memsz
	le.PutUint64(ph[48:], 0x1000)
	copy(b[ehdrSize+phdrSize:], code)
	return b
}

// tinyGoELF returns a small static executable that looks like a Go binary
// to the loader: a .gopclntab in the go1.20 format describing one function,
// main.main at the entry point (file main.go, line 5), and an ELF symbol
// table with runtime.buildVersion pointing at "go1.99.0". It tests the
// symbol paths without a toolchain and gives the fuzzer a seed that reaches
// debug/elf's section parsing and debug/gosym.
func tinyGoELF() []byte {
	const (
		base     = 0x400000
		textOff  = 120 // right after the headers: jmp .
		verOff   = 128 // "go1.99.0"
		hdrOff   = 136 // Go string header for runtime.buildVersion
		pclnOff  = 152
		pclnSize = 160
	)
	le := binary.LittleEndian
	b := minimalELF()
	b = append(b, make([]byte, pclnOff+pclnSize-len(b))...)
	copy(b[verOff:], "go1.99.0")
	le.PutUint64(b[hdrOff:], base+verOff)
	le.PutUint64(b[hdrOff+8:], 8)

	// The pclntab: a header of 8 bytes plus 8 words, then its tables at
	// the offsets the words give.
	pcln := b[pclnOff:]
	copy(pcln, "\xf1\xff\xff\xff\x00\x00\x01\x08") // go1.20 magic, quantum 1, 8-byte pointers
	for i, w := range []uint64{
		1,   // number of functions
		1,   // number of files
		0,   // text start (gosym uses the caller's value)
		72,  // funcnametab
		84,  // cutab
		88,  // filetab
		96,  // pctab
		104, // functab and func data
	} {
		le.PutUint64(pcln[8+8*i:], w)
	}
	copy(pcln[72:], "main.main\x00")
	le.PutUint32(pcln[84:], 0) // compilation unit 0, file 0 is filetab offset 0
	copy(pcln[88:], "main.go\x00")
	// Value tables start at pctab offset 1 (0 means "no table"): each step
	// is a zigzag value delta from -1 and a pc delta, then a 0 terminator.
	copy(pcln[97:], []byte{2, 2, 0})   // pcfile: file 0 for 2 bytes
	copy(pcln[100:], []byte{12, 2, 0}) // pcln: line 5 for 2 bytes
	for i, w := range []uint32{
		0, 12, // functab: entry offset 0, _func at offset 12
		2,                               // end of text
		0, 0, 0, 0, 0, 1, 4, 0, 0, 5, 0, // _func: entry, name, args, deferreturn, pcsp, pcfile, pcln, npcdata, cu, startLine, flags
	} {
		le.PutUint32(pcln[104+4*i:], w)
	}

	strtab := "\x00runtime.buildVersion\x00main.main\x00runtime.text\x00"
	symtabOff := len(b)
	sym := func(name, info byte, shndx uint16, value, size uint64) []byte {
		e := make([]byte, 24)
		e[0] = name
		e[4] = info
		le.PutUint16(e[6:], shndx)
		le.PutUint64(e[8:], value)
		le.PutUint64(e[16:], size)
		return e
	}
	global := byte(elf.STB_GLOBAL) << 4
	b = append(b, make([]byte, 24)...) // the null symbol
	b = append(b, sym(1, global|byte(elf.STT_OBJECT), 2, base+hdrOff, 16)...)
	b = append(b, sym(22, global|byte(elf.STT_FUNC), 1, base+textOff, 2)...)
	b = append(b, sym(32, byte(elf.STT_NOTYPE), 1, base+textOff, 0)...)
	strtabOff := len(b)
	b = append(b, strtab...)
	shstrtab := "\x00.text\x00.data\x00.gopclntab\x00.symtab\x00.strtab\x00.shstrtab\x00"
	shstrtabOff := len(b)
	b = append(b, shstrtab...)
	for len(b)%8 != 0 {
		b = append(b, 0)
	}

	shoff := len(b)
	sec := func(name uint32, typ elf.SectionType, flags elf.SectionFlag, addr, off, size uint64, link, info uint32, entsize uint64) {
		h := make([]byte, 64)
		le.PutUint32(h[0:], name)
		le.PutUint32(h[4:], uint32(typ))
		le.PutUint64(h[8:], uint64(flags))
		le.PutUint64(h[16:], addr)
		le.PutUint64(h[24:], off)
		le.PutUint64(h[32:], size)
		le.PutUint32(h[40:], link)
		le.PutUint32(h[44:], info)
		le.PutUint64(h[48:], 1)
		le.PutUint64(h[56:], entsize)
		b = append(b, h...)
	}
	sec(0, elf.SHT_NULL, 0, 0, 0, 0, 0, 0, 0)
	sec(1, elf.SHT_PROGBITS, elf.SHF_ALLOC|elf.SHF_EXECINSTR, base+textOff, textOff, 2, 0, 0, 0)
	sec(7, elf.SHT_PROGBITS, elf.SHF_ALLOC|elf.SHF_WRITE, base+verOff, verOff, 24, 0, 0, 0)
	sec(13, elf.SHT_PROGBITS, elf.SHF_ALLOC, base+pclnOff, pclnOff, pclnSize, 0, 0, 0)
	sec(24, elf.SHT_SYMTAB, 0, 0, uint64(symtabOff), 4*24, 5, 1, 24)
	sec(32, elf.SHT_STRTAB, 0, 0, uint64(strtabOff), uint64(len(strtab)), 0, 0, 0)
	sec(40, elf.SHT_STRTAB, 0, 0, uint64(shstrtabOff), uint64(len(shstrtab)), 0, 0, 0)
	le.PutUint64(b[40:], uint64(shoff)) // e_shoff
	le.PutUint16(b[58:], 64)            // e_shentsize
	le.PutUint16(b[60:], 7)             // e_shnum
	le.PutUint16(b[62:], 6)             // e_shstrndx

	// One r-x segment maps everything up to the symbol table.
	le.PutUint64(b[ehdrSize+32:], uint64(symtabOff))
	le.PutUint64(b[ehdrSize+40:], uint64(symtabOff))
	return b
}

func TestTinyGoELF(t *testing.T) {
	f, err := Open(writeTemp(t, "tiny", tinyGoELF()))
	if err != nil {
		t.Fatalf("Open: got error %v, want nil", err)
	}
	if f.GoVersion != "go1.99.0" {
		t.Errorf("GoVersion: got %q, want %q", f.GoVersion, "go1.99.0")
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatalf("Symbols: got error %v, want nil", err)
	}
	tests := []struct {
		name     string
		wantAddr uint64
		wantKind byte
	}{
		{"main.main", f.Entry, 'T'},
		{"runtime.text", f.Entry, 'T'},
		{"runtime.buildVersion", 0x400000 + 136, 'D'},
	}
	for _, tt := range tests {
		sym, ok := syms.Lookup(tt.name)
		if !ok || sym.Addr != tt.wantAddr || sym.Kind != tt.wantKind {
			t.Errorf("Lookup(%q): got %+v, %v, want addr %#x kind %c", tt.name, sym, ok, tt.wantAddr, tt.wantKind)
		}
	}
	// main.main wins over the zero-size runtime.text marker at the same
	// address.
	if sym, off, ok := syms.ByAddr(f.Entry + 1); !ok || sym.Name != "main.main" || off != 1 {
		t.Errorf("ByAddr(entry+1): got %+v, %d, %v, want main.main+1", sym, off, ok)
	}
	if file, line, fn := syms.LineForPC(f.Entry + 1); file != "main.go" || line != 5 || fn != "main.main" {
		t.Errorf("LineForPC(entry+1): got %q, %d, %q, want main.go, 5, main.main", file, line, fn)
	}
}

// interpOf returns the PT_INTERP path of the ELF file at path, or "".
func interpOf(t *testing.T, path string) string {
	t.Helper()
	ef, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	for _, p := range ef.Progs {
		if p.Type == elf.PT_INTERP {
			b := make([]byte, p.Filesz)
			if _, err := p.ReadAt(b, 0); err != nil {
				t.Fatal(err)
			}
			return string(bytes.TrimRight(b, "\x00"))
		}
	}
	return ""
}

const (
	pieReason     = "position-independent executable (ET_DYN); gouth-emu runs static non-PIE Go binaries (build with CGO_ENABLED=0, default -buildmode=exe)"
	dynamicReason = "dynamically linked (PT_INTERP %s); gouth-emu runs static Go binaries"
)

func TestOpenErrors(t *testing.T) {
	// Each setup returns the file to open and the expected reason, which
	// Open must report as "PATH: REASON".
	type setup func(t *testing.T) (path, reason string)

	bytesCase := func(data []byte, reason string) setup {
		return func(t *testing.T) (string, string) { return writeTemp(t, "input", data), reason }
	}
	// patch builds a corrupted copy of the hello-world binary; mutate
	// returns the expected reason.
	patch := func(mutate func(t *testing.T, im *image) string) setup {
		return func(t *testing.T) (string, string) {
			im := loadImage(t, helloBinary(t))
			reason := mutate(t, im)
			return writeTemp(t, "patched", im.b), reason
		}
	}

	tests := []struct {
		name  string
		setup setup
	}{
		{"empty file", bytesCase(nil, "empty file, not an ELF executable")},
		{"text file", bytesCase([]byte("#!/bin/sh\necho hello\n"), "not an ELF file")},
		{"prefix of magic", bytesCase([]byte("\x7fEL"), "not an ELF file")},
		{"truncated header", bytesCase([]byte("\x7fELF\x02\x01\x01\x00\x00\x00"), "truncated ELF header (10 bytes)")},
		{"63-byte header", bytesCase(minimalELF()[:63], "truncated ELF header (63 bytes)")},
		{"missing file", func(t *testing.T) (string, string) {
			return filepath.Join(t.TempDir(), "missing"), "no such file"
		}},
		{"directory", func(t *testing.T) (string, string) { return t.TempDir(), "is a directory" }},
		{"permission denied", func(t *testing.T) (string, string) {
			p := writeTemp(t, "secret", minimalELF())
			if err := os.Chmod(p, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := os.ReadFile(p); err == nil {
				t.Skip("file mode 000 is still readable (running as root)")
			}
			return p, "permission denied"
		}},
		{"32-bit", patch(func(t *testing.T, im *image) string {
			im.b[elf.EI_CLASS] = byte(elf.ELFCLASS32)
			return "32-bit ELF; gouth-emu runs 64-bit x86-64 binaries"
		})},
		{"invalid class", patch(func(t *testing.T, im *image) string {
			im.b[elf.EI_CLASS] = 7
			return "invalid ELF class 7 in e_ident"
		})},
		{"big-endian", patch(func(t *testing.T, im *image) string {
			im.b[elf.EI_DATA] = byte(elf.ELFDATA2MSB)
			return "big-endian ELF; gouth-emu runs little-endian x86-64 binaries"
		})},
		{"ident version", patch(func(t *testing.T, im *image) string {
			im.b[elf.EI_VERSION] = 2
			return "unsupported ELF version 2 in e_ident"
		})},
		{"arm64 Go binary", func(t *testing.T) (string, string) {
			return buildHello(t, goTool(t), []string{"GOARCH=arm64"}), "ELF for EM_AARCH64; gouth-emu runs x86-64 binaries"
		}},
		{"e_machine EM_AARCH64", patch(func(t *testing.T, im *image) string {
			im.put16(18, uint16(elf.EM_AARCH64))
			return "ELF for EM_AARCH64; gouth-emu runs x86-64 binaries"
		})},
		{"e_machine EM_386", patch(func(t *testing.T, im *image) string {
			im.put16(18, uint16(elf.EM_386))
			return "ELF for EM_386; gouth-emu runs x86-64 binaries"
		})},
		{"e_machine unknown", patch(func(t *testing.T, im *image) string {
			im.put16(18, 0xbeef)
			return "ELF for machine 48879; gouth-emu runs x86-64 binaries"
		})},
		{"e_version", patch(func(t *testing.T, im *image) string {
			im.b[20] = 9
			return "unsupported ELF version 9 in e_version"
		})},
		{"ET_REL", patch(func(t *testing.T, im *image) string {
			im.put16(16, uint16(elf.ET_REL))
			return "ELF type ET_REL is not an executable"
		})},
		{"ET_CORE", patch(func(t *testing.T, im *image) string {
			im.put16(16, uint16(elf.ET_CORE))
			return "ELF type ET_CORE is not an executable"
		})},
		{"static ET_DYN", patch(func(t *testing.T, im *image) string {
			im.put16(16, uint16(elf.ET_DYN))
			return pieReason
		})},
		{"go build -buildmode=pie", func(t *testing.T) (string, string) {
			p := buildHello(t, goTool(t), nil, "-buildmode=pie")
			// Internal linking of a PIE still asks for the dynamic
			// loader on linux/amd64; if a toolchain ever makes a
			// static-pie instead, the PIE message applies.
			if interp := interpOf(t, p); interp != "" {
				return p, fmt.Sprintf(dynamicReason, interp)
			}
			return p, pieReason
		}},
		{"system dynamic binary", func(t *testing.T) (string, string) {
			const p = "/bin/true"
			ef, err := elf.Open(p)
			if err != nil {
				t.Skipf("%s: %v", p, err)
			}
			m := ef.Machine
			ef.Close()
			if m != elf.EM_X86_64 {
				t.Skipf("%s is for %v", p, m)
			}
			interp := interpOf(t, p)
			if interp == "" {
				t.Skipf("%s is statically linked", p)
			}
			return p, fmt.Sprintf(dynamicReason, interp)
		}},
		{"PT_INTERP in ET_EXEC, unprintable", patch(func(t *testing.T, im *image) string {
			// The Go build ID note starts with n_namesz = 4: the
			// "interpreter" is then "\x04".
			im.setPhdr(im.index(t, elf.PT_NOTE), phType, uint64(elf.PT_INTERP))
			return `dynamically linked (PT_INTERP "\x04"); gouth-emu runs static Go binaries`
		})},
		{"PT_INTERP outside file", patch(func(t *testing.T, im *image) string {
			i := im.index(t, elf.PT_NOTE)
			im.setPhdr(i, phType, uint64(elf.PT_INTERP))
			im.setPhdr(i, phOffset, 1<<40)
			return "dynamically linked (PT_INTERP); gouth-emu runs static Go binaries"
		})},
		{"e_phentsize", patch(func(t *testing.T, im *image) string {
			im.put16(54, 32)
			return "e_phentsize 32, want 56"
		})},
		{"e_phnum past end of file", patch(func(t *testing.T, im *image) string {
			im.put16(56, 0xffff)
			return fmt.Sprintf("program header table (e_phoff 0x40, e_phnum 65535) extends past end of file (%#x bytes)", len(im.b))
		})},
		{"e_phoff wraps", patch(func(t *testing.T, im *image) string {
			im.put64(32, ^uint64(0)-0x10)
			return fmt.Sprintf("program header table (e_phoff 0xffffffffffffffef, e_phnum %d) extends past end of file (%#x bytes)", len(im.progs), len(im.b))
		})},
		{"no PT_LOAD", patch(func(t *testing.T, im *image) string {
			for i, p := range im.progs {
				if p.Type == elf.PT_LOAD {
					im.setPhdr(i, phType, uint64(elf.PT_NULL))
				}
			}
			return "no PT_LOAD segments"
		})},
		{"p_filesz > p_memsz", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 0)
			p := im.progs[i]
			im.setPhdr(i, phFilesz, p.Memsz+0x1000)
			return fmt.Sprintf("program header %d: p_filesz %#x > p_memsz %#x", i, p.Memsz+0x1000, p.Memsz)
		})},
		{"p_offset past end of file", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 1)
			p := im.progs[i]
			im.setPhdr(i, phOffset, uint64(len(im.b)))
			return fmt.Sprintf("program header %d: p_offset %#x + p_filesz %#x extends past end of file (%#x bytes)", i, len(im.b), p.Filesz, len(im.b))
		})},
		{"p_offset + p_filesz wraps", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 1)
			p := im.progs[i]
			im.setPhdr(i, phOffset, ^uint64(0)-0xfff)
			return fmt.Sprintf("program header %d: p_offset 0xfffffffffffff000 + p_filesz %#x extends past end of file (%#x bytes)", i, p.Filesz, len(im.b))
		})},
		{"p_vaddr + p_memsz wraps", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 2)
			p := im.progs[i]
			memsz := ^uint64(0) - p.Vaddr + 2
			im.setPhdr(i, phMemsz, memsz)
			return fmt.Sprintf("program header %d: p_vaddr %#x + p_memsz %#x overflows", i, p.Vaddr, memsz)
		})},
		{"segment above user space", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 2)
			p := im.progs[i]
			const vaddr = 0x7ffffffff000
			im.setPhdr(i, phVaddr, vaddr)
			return fmt.Sprintf("program header %d: p_vaddr %#x + p_memsz %#x is above the user address space (0x800000000000)", i, vaddr, p.Memsz)
		})},
		{"p_offset and p_vaddr not congruent", patch(func(t *testing.T, im *image) string {
			i := im.load(t, 1)
			p := im.progs[i]
			im.setPhdr(i, phVaddr, p.Vaddr+0x10)
			return fmt.Sprintf("program header %d: p_offset %#x and p_vaddr %#x differ modulo the page size (0x1000)", i, p.Off, p.Vaddr+0x10)
		})},
		{"overlapping segments", patch(func(t *testing.T, im *image) string {
			i, j := im.load(t, 1), im.load(t, 2)
			pi, pj := im.progs[i], im.progs[j]
			// Move the data segment onto the last page of rodata.
			vaddr := (pi.Vaddr+pi.Memsz-1)&^0xfff + pj.Off&0xfff
			im.setPhdr(j, phVaddr, vaddr)
			return fmt.Sprintf("program header %d: segment [%#x, %#x) overlaps program header %d [%#x, %#x)",
				j, vaddr, vaddr+pj.Memsz, i, pi.Vaddr, pi.Vaddr+pi.Memsz)
		})},
		{"entry in data segment", patch(func(t *testing.T, im *image) string {
			p := im.progs[im.load(t, 2)]
			im.put64(24, p.Vaddr+8)
			return fmt.Sprintf("entry point %#x is not in an executable segment", p.Vaddr+8)
		})},
		{"entry unmapped", patch(func(t *testing.T, im *image) string {
			im.put64(24, 0x10)
			return "entry point 0x10 is not in an executable segment"
		})},
		{"minimal non-Go ELF", bytesCase(minimalELF(), "not a Go binary (no .gopclntab); gouth-emu runs Go executables")},
		{"Go binary with Go markers renamed", func(t *testing.T) (string, string) {
			im := loadImage(t, buildHello(t, goTool(t), nil, "-ldflags=-s -w"))
			for _, r := range []struct{ old, new string }{
				{".gopclntab\x00", ".xopclntab\x00"},
				{".go.buildinfo\x00", ".xo.buildinfo\x00"},
				{"\xff Go buildinf:", "\xff Xo buildinf:"},
			} {
				if !bytes.Contains(im.b, []byte(r.old)) {
					t.Fatalf("%q not found in binary", r.old)
				}
				im.b = bytes.ReplaceAll(im.b, []byte(r.old), []byte(r.new))
			}
			return writeTemp(t, "renamed", im.b), "not a Go binary (no .gopclntab); gouth-emu runs Go executables"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, reason := tt.setup(t)
			want := path + ": " + reason
			f, err := Open(path)
			if err == nil {
				t.Fatalf("Open: got %+v, want error %q", f, want)
			}
			if got := err.Error(); got != want {
				t.Errorf("Open: got error %q, want %q", got, want)
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Errorf("Open: got error of type %T, want *FormatError", err)
			}
		})
	}
}

func TestOpenWrapsOSErrors(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing): got %v, want an error wrapping fs.ErrNotExist", err)
	}
}

// TestOSErrorReasons covers the mapping of file system errors that the
// tests cannot always provoke (permission errors do not happen as root).
func TestOSErrorReasons(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "p", Err: syscall.ENOENT}, "p: no such file"},
		{&fs.PathError{Op: "open", Path: "p", Err: syscall.EACCES}, "p: permission denied"},
		{&fs.PathError{Op: "read", Path: "p", Err: syscall.EISDIR}, "p: is a directory"},
		{&fs.PathError{Op: "open", Path: "p", Err: syscall.ENOTDIR}, "p: not a directory"},
		{&fs.PathError{Op: "read", Path: "p", Err: syscall.EIO}, "p: input/output error"},
	}
	for _, tt := range tests {
		err := osError("p", tt.err)
		if got := err.Error(); got != tt.want {
			t.Errorf("osError(%v): got %q, want %q", tt.err, got, tt.want)
		}
		if !errors.Is(err, tt.err) {
			t.Errorf("osError(%v): got an error not wrapping the original", tt.err)
		}
	}
}

func TestPhdrWithoutPTPHDR(t *testing.T) {
	im := loadImage(t, helloBinary(t))
	im.setPhdr(im.index(t, elf.PT_PHDR), phType, uint64(elf.PT_NULL))
	first := im.progs[im.load(t, 0)]
	want := first.Vaddr + im.phoff - first.Off
	f, err := Open(writeTemp(t, "nophdr", im.b))
	if err != nil {
		t.Fatal(err)
	}
	if f.Phdr != want {
		t.Errorf("Phdr: got %#x, want %#x", f.Phdr, want)
	}
}

func TestErrorIsOneLine(t *testing.T) {
	err := &FormatError{Path: "a\nb", Reason: "bad \x00 \xff thing\n"}
	if got, want := err.Error(), `a\nb: bad \x00 \xff thing\n`; got != want {
		t.Errorf("Error(): got %q, want %q", got, want)
	}
}

// FuzzOpen checks that no input makes Open, Symbols or the lookups panic.
func FuzzOpen(f *testing.F) {
	f.Add(minimalELF())
	f.Add(tinyGoELF())
	// The target parses bytes rather than files: with file I/O in the
	// target, go1.26's fuzz workers stall after a few seconds. Open is
	// os.ReadFile plus parse, and the file handling is tested above.
	f.Fuzz(func(t *testing.T, data []byte) {
		path := "/fuzz/guest"
		file, err := parse(path, data)
		if err != nil {
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, path+": ") {
				t.Fatalf("Open: got error %q, want one line starting with %q", msg, path+": ")
			}
			return
		}
		_ = file.GoVersion
		syms, err := file.Symbols()
		if err != nil {
			return
		}
		syms.LineForPC(file.Entry)
		syms.ByAddr(file.Entry)
		syms.Lookup("runtime.rt0_go")
		file.InlineSites("runtime.main")
		for _, s := range syms.All() {
			syms.LineForPC(s.Addr)
			// The function table, in whichever layout the magic names.
			if fn, ok := file.FuncAt(s.Addr); ok {
				fn.SPDelta(s.Addr)
				fn.FileLine(s.Addr)
				fn.SourceFrames(s.Addr)
				fn.ArgPointers()
			}
		}
	})
}
