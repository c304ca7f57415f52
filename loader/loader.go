// Package loader opens and validates the guest executable that gouth-emu
// runs: a statically linked, non-PIE Go linux/amd64 ELF binary.
//
// Open checks the ELF header and program headers itself, with the same
// kind of hardening a kernel applies before mapping an image, so that every
// rejection carries a specific one-line reason. Only then does it hand the
// bytes to debug/elf for sections and symbols. Symbol tables and line
// information (Symbols) are built lazily, since running a guest needs only
// the segments and the entry point.
package loader

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Layout constants of the ELF64 format and the x86-64 user address space.
const (
	ehdrSize = 64 // sizeof(Elf64_Ehdr)
	phdrSize = 56 // sizeof(Elf64_Phdr)

	// UserTop is the first address above the x86-64 Linux user address
	// space (47-bit, 4-level paging). No PT_LOAD may reach past it.
	UserTop = 0x800000000000

	pageSize = 0x1000
)

// Segment is one PT_LOAD program header together with its file contents.
type Segment struct {
	Vaddr, Memsz, Filesz, Offset uint64
	Prot                         abi.Prot
	// Data holds the Filesz bytes of the segment as found in the file. It
	// shares memory with the File: callers must copy it, not modify it.
	// The Memsz-Filesz bytes after it (the bss) are zero in memory.
	Data []byte
}

// End returns the first address past the segment in memory.
func (s *Segment) End() uint64 { return s.Vaddr + s.Memsz }

// Contains reports whether addr lies in [Vaddr, Vaddr+Memsz).
func (s *Segment) Contains(addr uint64) bool {
	return addr >= s.Vaddr && addr-s.Vaddr < s.Memsz
}

// File is a validated guest executable. All exported fields are filled in
// by Open and must be treated as read-only.
type File struct {
	Path     string
	Entry    uint64
	Segments []Segment // PT_LOAD only, in file order
	// Phdr is the guest address of the program header table, for AT_PHDR:
	// the p_vaddr of PT_PHDR if there is one, else the address at which the
	// PT_LOAD covering e_phoff maps the table, else 0.
	Phdr  uint64
	Phent uint64 // e_phentsize
	Phnum uint64 // e_phnum
	// GoVersion is the toolchain version that built the binary, as
	// runtime.Version() reports it inside the guest (e.g. "go1.26.8"), or
	// "" if it could not be determined.
	GoVersion string

	data      []byte       // whole file contents
	ef        *elf.File    // parsed sections, for symbols and line tables
	elfSyms   []elf.Symbol // ELF .symtab, nil if stripped
	symOnce   sync.Once
	syms      *Symbols
	symErr    error
	symNanos  atomic.Int64 // how long loadSymbols took, in ns
	symLoaded atomic.Bool  // loadSymbols ran
	textAddr  uint64       // .text section address, 0 if none
}

// progHeader is a decoded Elf64_Phdr.
type progHeader struct {
	Type, Flags                                uint32
	Offset, Vaddr, Paddr, Filesz, Memsz, Align uint64
}

// header holds the fields of Elf64_Ehdr that validation needs.
type header struct {
	Type, Machine             uint16
	Version                   uint32
	Entry, Phoff              uint64
	Phentsize, Phnum          uint16
	Class, Data, IdentVersion byte
	phdrs                     []progHeader // nil if the table is unreadable
}

// Open reads the executable at path, validates it as a static non-PIE Go
// linux/amd64 binary and returns its load information. Every error it
// returns is a *FormatError whose message is one line, "PATH: REASON";
// errors from the file system are wrapped, so errors.Is(err,
// fs.ErrNotExist) and errors.Is(err, fs.ErrPermission) work.
//
// Open never panics, whatever the file contains.
func Open(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, osError(path, err)
	}
	if fi.IsDir() {
		return nil, &FormatError{Path: path, Reason: "is a directory", Offset: -1, Err: syscall.EISDIR}
	}
	if !fi.Mode().IsRegular() {
		// Reading a FIFO or a device could block or never end.
		return nil, &FormatError{Path: path, Reason: "not a regular file", Offset: -1}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, osError(path, err)
	}
	return parse(path, data)
}

// osError turns an error from the os package into a *FormatError with a
// short, stable reason.
func osError(path string, err error) error {
	reason := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		reason = pe.Err.Error()
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		reason = "no such file"
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	case errors.Is(err, syscall.EISDIR):
		reason = "is a directory"
	}
	return &FormatError{Path: path, Reason: reason, Offset: -1, Err: err}
}

// parse validates the file contents data and builds the File. The checks
// run in a fixed order so that a file with several problems reports the
// most fundamental one.
func parse(path string, data []byte) (*File, error) {
	fail := func(off int64, format string, args ...any) error {
		return &FormatError{Path: path, Reason: fmt.Sprintf(format, args...), Offset: off}
	}

	switch {
	case len(data) == 0:
		return nil, fail(0, "empty file, not an ELF executable")
	case !bytes.HasPrefix(data, []byte(elf.ELFMAG)):
		return nil, fail(0, "not an ELF file")
	case len(data) < ehdrSize:
		return nil, fail(int64(len(data)), "truncated ELF header (%d bytes)", len(data))
	}
	h := readHeader(data)

	switch elf.Class(h.Class) {
	case elf.ELFCLASS64:
	case elf.ELFCLASS32:
		return nil, fail(elf.EI_CLASS, "32-bit ELF; gouth-emu runs 64-bit x86-64 binaries")
	default:
		return nil, fail(elf.EI_CLASS, "invalid ELF class %d in e_ident", h.Class)
	}
	switch elf.Data(h.Data) {
	case elf.ELFDATA2LSB:
	case elf.ELFDATA2MSB:
		return nil, fail(elf.EI_DATA, "big-endian ELF; gouth-emu runs little-endian x86-64 binaries")
	default:
		return nil, fail(elf.EI_DATA, "invalid ELF data encoding %d in e_ident", h.Data)
	}
	if h.IdentVersion != byte(elf.EV_CURRENT) {
		return nil, fail(elf.EI_VERSION, "unsupported ELF version %d in e_ident", h.IdentVersion)
	}
	if m := elf.Machine(h.Machine); m != elf.EM_X86_64 {
		return nil, fail(18, "ELF for %s; gouth-emu runs x86-64 binaries", machineName(m))
	}
	if h.Version != uint32(elf.EV_CURRENT) {
		return nil, fail(20, "unsupported ELF version %d in e_version", h.Version)
	}

	interp := -1
	for i, ph := range h.phdrs {
		if elf.ProgType(ph.Type) == elf.PT_INTERP {
			interp = i
			break
		}
	}
	switch t := elf.Type(h.Type); t {
	case elf.ET_EXEC:
	case elf.ET_DYN:
		if interp < 0 {
			return nil, fail(16, "position-independent executable (ET_DYN); gouth-emu runs static non-PIE Go binaries (build with CGO_ENABLED=0, default -buildmode=exe)")
		}
	default:
		return nil, fail(16, "ELF type %s is not an executable", typeName(t))
	}
	if interp >= 0 {
		ph := h.phdrs[interp]
		return nil, fail(int64(ph.Offset), "dynamically linked (PT_INTERP%s); gouth-emu runs static Go binaries", interpText(data, ph))
	}

	if err := checkProgHeaders(path, h, uint64(len(data))); err != nil {
		return nil, err
	}

	f := &File{
		Path:  path,
		Entry: h.Entry,
		Phent: uint64(h.Phentsize),
		Phnum: uint64(h.Phnum),
		data:  data,
	}
	tableSize := uint64(h.Phnum) * phdrSize
	for _, ph := range h.phdrs {
		switch elf.ProgType(ph.Type) {
		case elf.PT_LOAD:
			f.Segments = append(f.Segments, Segment{
				Vaddr:  ph.Vaddr,
				Memsz:  ph.Memsz,
				Filesz: ph.Filesz,
				Offset: ph.Offset,
				Prot:   protOf(elf.ProgFlag(ph.Flags)),
				Data:   data[ph.Offset : ph.Offset+ph.Filesz : ph.Offset+ph.Filesz],
			})
		case elf.PT_PHDR:
			if f.Phdr == 0 {
				f.Phdr = ph.Vaddr
			}
		}
	}
	if f.Phdr == 0 {
		// Without PT_PHDR the kernel computes AT_PHDR from the segment that
		// maps e_phoff; do the same.
		for _, s := range f.Segments {
			if h.Phoff >= s.Offset && h.Phoff-s.Offset <= s.Filesz && tableSize <= s.Filesz-(h.Phoff-s.Offset) {
				f.Phdr = s.Vaddr + (h.Phoff - s.Offset)
				break
			}
		}
	}

	ef, err := newELF(data)
	if err != nil {
		return nil, &FormatError{Path: path, Reason: "malformed ELF: " + err.Error(), Offset: -1, Err: err}
	}
	f.ef = ef
	f.elfSyms = elfSymbols(ef)
	hasPclntab := false
	for _, s := range ef.Sections {
		switch s.Name {
		case ".gopclntab":
			hasPclntab = true
		case ".text":
			if f.textAddr == 0 {
				f.textAddr = s.Addr
			}
		}
	}
	hasVersionSym := false
	for _, s := range f.elfSyms {
		if s.Name == "runtime.buildVersion" && elf.ST_TYPE(s.Info) == elf.STT_OBJECT {
			hasVersionSym = true
			f.GoVersion = f.readGoString(s.Value)
			break
		}
	}
	hasBuildInfo := false
	if f.GoVersion == "" {
		f.GoVersion, hasBuildInfo = readBuildInfoVersion(data)
	}
	if !hasPclntab && !hasVersionSym && !hasBuildInfo {
		return nil, fail(-1, "not a Go binary (no .gopclntab); gouth-emu runs Go executables")
	}

	inExec := false
	for i := range f.Segments {
		if s := &f.Segments[i]; s.Prot&abi.ProtExec != 0 && s.Contains(f.Entry) {
			inExec = true
			break
		}
	}
	if !inExec {
		return nil, fail(24, "entry point %#x is not in an executable segment", f.Entry)
	}
	return f, nil
}

// readHeader decodes the ELF header and, if it is well-formed enough to be
// read, the program header table. data must hold at least ehdrSize bytes.
// Nothing is validated here beyond what is needed to avoid reading out of
// bounds: the type and PT_INTERP checks must see the program headers before
// the detailed program header checks run.
func readHeader(data []byte) *header {
	le := binary.LittleEndian
	h := &header{
		Class:        data[elf.EI_CLASS],
		Data:         data[elf.EI_DATA],
		IdentVersion: data[elf.EI_VERSION],
		Type:         le.Uint16(data[16:]),
		Machine:      le.Uint16(data[18:]),
		Version:      le.Uint32(data[20:]),
		Entry:        le.Uint64(data[24:]),
		Phoff:        le.Uint64(data[32:]),
		Phentsize:    le.Uint16(data[54:]),
		Phnum:        le.Uint16(data[56:]),
	}
	// The multiplication cannot overflow: both factors fit in 16 bits.
	size := uint64(h.Phnum) * phdrSize
	if h.Phentsize != phdrSize || h.Phoff > uint64(len(data)) || size > uint64(len(data))-h.Phoff {
		return h
	}
	h.phdrs = make([]progHeader, h.Phnum)
	for i := range h.phdrs {
		b := data[h.Phoff+uint64(i)*phdrSize:]
		h.phdrs[i] = progHeader{
			Type:   le.Uint32(b[0:]),
			Flags:  le.Uint32(b[4:]),
			Offset: le.Uint64(b[8:]),
			Vaddr:  le.Uint64(b[16:]),
			Paddr:  le.Uint64(b[24:]),
			Filesz: le.Uint64(b[32:]),
			Memsz:  le.Uint64(b[40:]),
			Align:  le.Uint64(b[48:]),
		}
	}
	return h
}

// checkProgHeaders applies the sanity checks a kernel makes before mapping
// an image, so that the emulator can later trust every PT_LOAD: its file
// bytes exist, it fits in the user address space and it does not overlap
// another segment.
func checkProgHeaders(path string, h *header, fileSize uint64) error {
	fail := func(off uint64, format string, args ...any) error {
		o := int64(-1)
		if off <= 1<<62 {
			o = int64(off)
		}
		return &FormatError{Path: path, Reason: fmt.Sprintf(format, args...), Offset: o}
	}
	if h.Phentsize != phdrSize {
		return fail(54, "e_phentsize %d, want %d", h.Phentsize, phdrSize)
	}
	size := uint64(h.Phnum) * phdrSize
	if h.Phoff > fileSize || size > fileSize-h.Phoff {
		return fail(32, "program header table (e_phoff %#x, e_phnum %d) extends past end of file (%#x bytes)", h.Phoff, h.Phnum, fileSize)
	}
	// readHeader has read exactly the tables that pass the checks above.

	type span struct {
		index      int
		start, end uint64
	}
	var loads []span
	nload := 0
	for i, ph := range h.phdrs {
		if elf.ProgType(ph.Type) != elf.PT_LOAD {
			continue
		}
		nload++
		at := h.Phoff + uint64(i)*phdrSize
		switch {
		case ph.Filesz > ph.Memsz:
			return fail(at+32, "program header %d: p_filesz %#x > p_memsz %#x", i, ph.Filesz, ph.Memsz)
		case ph.Offset > fileSize || ph.Filesz > fileSize-ph.Offset:
			return fail(at+8, "program header %d: p_offset %#x + p_filesz %#x extends past end of file (%#x bytes)", i, ph.Offset, ph.Filesz, fileSize)
		case ph.Vaddr+ph.Memsz < ph.Vaddr:
			return fail(at+16, "program header %d: p_vaddr %#x + p_memsz %#x overflows", i, ph.Vaddr, ph.Memsz)
		case ph.Vaddr+ph.Memsz > UserTop:
			return fail(at+16, "program header %d: p_vaddr %#x + p_memsz %#x is above the user address space (%#x)", i, ph.Vaddr, ph.Memsz, uint64(UserTop))
		case ph.Filesz > 0 && (ph.Offset-ph.Vaddr)%pageSize != 0:
			// The kernel maps file pages with mmap, which needs the file
			// offset and the address to agree within a page.
			return fail(at+8, "program header %d: p_offset %#x and p_vaddr %#x differ modulo the page size (%#x)", i, ph.Offset, ph.Vaddr, pageSize)
		}
		cur := span{i, ph.Vaddr, ph.Vaddr + ph.Memsz}
		if cur.start == cur.end {
			continue // an empty segment maps nothing and overlaps nothing
		}
		for _, prev := range loads {
			if cur.start < prev.end && prev.start < cur.end {
				return fail(at+16, "program header %d: segment [%#x, %#x) overlaps program header %d [%#x, %#x)",
					i, cur.start, cur.end, prev.index, prev.start, prev.end)
			}
		}
		loads = append(loads, cur)
	}
	if nload == 0 {
		return fail(32, "no PT_LOAD segments")
	}
	return nil
}

// interpText returns " PATH" for the interpreter named by a PT_INTERP
// program header, quoted if it is not plain printable text, or "" if the
// header points outside the file.
func interpText(data []byte, ph progHeader) string {
	if ph.Offset > uint64(len(data)) || ph.Filesz > uint64(len(data))-ph.Offset {
		return ""
	}
	b := data[ph.Offset : ph.Offset+ph.Filesz]
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if printable(b) {
		return " " + string(b)
	}
	if len(b) > 256 {
		b = b[:256]
	}
	return fmt.Sprintf(" %q", b)
}

// machineName names an e_machine value the way debug/elf does ("EM_AARCH64"),
// or numerically if debug/elf does not know it (it would say
// "EM_ALPHA+11977", naming the nearest known value below).
func machineName(m elf.Machine) string {
	if s := m.String(); strings.HasPrefix(s, "EM_") && !strings.Contains(s, "+") {
		return s
	}
	return fmt.Sprintf("machine %d", uint16(m))
}

// typeName names an e_type value ("ET_REL"), or numerically if unknown.
func typeName(t elf.Type) string {
	if s := t.String(); strings.HasPrefix(s, "ET_") && !strings.Contains(s, "+") {
		return s
	}
	return fmt.Sprintf("%#x", uint16(t))
}

// protOf translates an ELF p_flags field into protection bits.
func protOf(f elf.ProgFlag) abi.Prot {
	var p abi.Prot
	if f&elf.PF_R != 0 {
		p |= abi.ProtRead
	}
	if f&elf.PF_W != 0 {
		p |= abi.ProtWrite
	}
	if f&elf.PF_X != 0 {
		p |= abi.ProtExec
	}
	return p
}

// newELF parses data with debug/elf. The program headers have already been
// validated, but the section headers have not, and debug/elf has panicked
// on malformed input in the past: a panic becomes an error.
func newELF(data []byte) (ef *elf.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			ef, err = nil, fmt.Errorf("debug/elf panicked: %v", r)
		}
	}()
	return elf.NewFile(bytes.NewReader(data))
}

// elfSymbols returns the .symtab entries of ef, or nil if there are none or
// they cannot be read.
func elfSymbols(ef *elf.File) (syms []elf.Symbol) {
	defer func() {
		if recover() != nil {
			syms = nil
		}
	}()
	syms, err := ef.Symbols()
	if err != nil {
		return nil
	}
	return syms
}

// readBuildInfoVersion returns the Go version recorded in the build info
// blob (present since go1.13) and whether a blob was found.
func readBuildInfoVersion(data []byte) (v string, ok bool) {
	defer func() {
		if recover() != nil {
			v, ok = "", false
		}
	}()
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil || bi.GoVersion == "" {
		return "", false
	}
	if !plausibleVersion(bi.GoVersion) {
		return "", true
	}
	return bi.GoVersion, true
}

// maxVersionLen bounds the version string read from the image; real ones
// are short ("go1.26.8 X:nocoverageredesign" at worst).
const maxVersionLen = 256

// readGoString reads the Go string whose header (pointer, length) is at
// guest address addr, returning "" if it is not a plausible version.
func (f *File) readGoString(addr uint64) string {
	hdr, ok := f.ReadImage(addr, 16)
	if !ok {
		return ""
	}
	p, n := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint64(hdr[8:])
	if n == 0 || n > maxVersionLen {
		return ""
	}
	b, ok := f.ReadImage(p, n)
	if !ok || !plausibleVersion(string(b)) {
		return ""
	}
	return string(b)
}

// plausibleVersion reports whether v looks like a toolchain version string
// rather than garbage read from a corrupt image.
func plausibleVersion(v string) bool {
	if len(v) == 0 || len(v) > maxVersionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < ' ' || v[i] >= 0x7f {
			return false
		}
	}
	return true
}

// ReadImage returns a copy of the n bytes at guest address addr as they are
// when the image is first loaded (bss reads as zero). It reports false if
// the range is not entirely inside one PT_LOAD segment. It allocates n
// bytes, so n should be small.
func (f *File) ReadImage(addr, n uint64) ([]byte, bool) {
	for i := range f.Segments {
		s := &f.Segments[i]
		if !s.Contains(addr) || n > s.Memsz-(addr-s.Vaddr) {
			continue
		}
		b := make([]byte, n)
		if off := addr - s.Vaddr; off < s.Filesz {
			copy(b, s.Data[off:])
		}
		return b, true
	}
	return nil, false
}
