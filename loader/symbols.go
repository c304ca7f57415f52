package loader

import (
	"debug/elf"
	"debug/gosym"
	"encoding/binary"
	"sort"
	"strings"
	"sync"
	"time"
)

// Symbol is a named function or data object of the guest.
type Symbol struct {
	Name string
	Addr uint64
	Size uint64 // 0 for markers such as runtime.text
	// Kind is 'T' for text, 'D' for initialized data, 'B' for bss and 'R'
	// for read-only data, as in go tool nm (but always upper case).
	Kind byte
}

// Symbols is the symbol table of a guest executable, merged from the ELF
// .symtab (when the binary is not stripped) and the functions listed in the
// Go .gopclntab (always present in Go binaries), plus the line table. It is
// safe for concurrent use.
type Symbols struct {
	syms   []Symbol // sorted by Addr, then by Size descending, then Name
	maxEnd []uint64 // maxEnd[i] is the largest Addr+Size among syms[:i+1]
	byName map[string]int

	mu  sync.Mutex // serializes gosym, whose caches are not goroutine-safe
	tab *gosym.Table
}

// Symbols returns the guest's symbols, building them on first use. It
// returns an error only if the binary has neither an ELF symbol table nor a
// usable .gopclntab; a table that is present but corrupt is ignored.
func (f *File) Symbols() (*Symbols, error) {
	f.symOnce.Do(func() {
		start := time.Now()
		f.syms, f.symErr = f.loadSymbols()
		f.symNanos.Store(int64(time.Since(start)))
		f.symLoaded.Store(true)
	})
	return f.syms, f.symErr
}

// Prefetch starts building, on other goroutines, the tables that stage
// tracking and the debugger look up first: the symbols and the inline
// index. It returns at once; Symbols and InlineSites wait for the build in
// progress instead of starting their own. Callers use it to overlap that
// work with setting up the machine. The tables are pure functions of the
// file, so when they are built changes nothing a guest can see.
func (f *File) Prefetch() {
	go f.Symbols()
	go f.InlineSites("")
}

// SymbolsLoaded reports whether Symbols has built the symbol table yet, and
// how long that took (host time, for start-up measurements). Nothing loads
// it unless symbols are needed: --stages, the debugger, a fault report.
func (f *File) SymbolsLoaded() (time.Duration, bool) {
	return time.Duration(f.symNanos.Load()), f.symLoaded.Load()
}

func (f *File) loadSymbols() (*Symbols, error) {
	s := &Symbols{byName: make(map[string]int)}
	textAt := make(map[uint64]bool) // entries of functions already listed

	var textStart uint64
	for _, es := range f.elfSyms {
		sym, ok := f.convertELFSymbol(es)
		if !ok {
			continue
		}
		if sym.Name == "runtime.text" {
			textStart = sym.Addr
		}
		if sym.Kind == 'T' {
			textAt[sym.Addr] = true
		}
		s.syms = append(s.syms, sym)
	}
	if textStart == 0 {
		textStart = f.textAddr
	}

	s.tab = f.lineTable(textStart)
	if s.tab != nil {
		for _, fn := range s.tab.Funcs {
			if textAt[fn.Entry] || fn.Sym == nil || fn.End < fn.Entry {
				continue
			}
			textAt[fn.Entry] = true
			s.syms = append(s.syms, Symbol{Name: fn.Name, Addr: fn.Entry, Size: fn.End - fn.Entry, Kind: 'T'})
		}
	}
	if len(s.syms) == 0 && s.tab == nil {
		return nil, &FormatError{Path: f.Path, Reason: "no symbols (no .symtab and no usable .gopclntab)", Offset: -1}
	}

	sort.SliceStable(s.syms, func(i, j int) bool {
		a, b := &s.syms[i], &s.syms[j]
		if a.Addr != b.Addr {
			return a.Addr < b.Addr
		}
		if a.Size != b.Size {
			return a.Size > b.Size
		}
		return a.Name < b.Name
	})
	s.maxEnd = make([]uint64, len(s.syms))
	var maxEnd uint64
	for i, sym := range s.syms {
		end := sym.Addr + sym.Size
		if end < sym.Addr {
			end = ^uint64(0) // a corrupt size must not wrap around
		}
		maxEnd = max(maxEnd, end)
		s.maxEnd[i] = maxEnd
		// Prefer the ELF symbol over the pclntab function of the same
		// name; among ELF duplicates (static functions in different
		// packages), the lowest address wins, deterministically.
		if _, dup := s.byName[sym.Name]; !dup {
			s.byName[sym.Name] = i
		}
	}
	return s, nil
}

// convertELFSymbol maps an ELF symbol to a Symbol, reporting false for
// entries that do not name code or data (files, sections, TLS offsets,
// undefined and absolute symbols).
func (f *File) convertELFSymbol(es elf.Symbol) (Symbol, bool) {
	if es.Name == "" || es.Section == elf.SHN_UNDEF || es.Section >= elf.SHN_LORESERVE {
		return Symbol{}, false
	}
	typ := elf.ST_TYPE(es.Info)
	switch typ {
	case elf.STT_NOTYPE, elf.STT_OBJECT, elf.STT_FUNC:
	default:
		return Symbol{}, false
	}
	if int(es.Section) >= len(f.ef.Sections) {
		return Symbol{}, false
	}
	sec := f.ef.Sections[es.Section]
	var kind byte
	switch {
	case typ == elf.STT_FUNC || sec.Flags&elf.SHF_EXECINSTR != 0:
		kind = 'T'
	case sec.Type == elf.SHT_NOBITS:
		kind = 'B'
	case sec.Flags&elf.SHF_WRITE != 0:
		kind = 'D'
	default:
		kind = 'R'
	}
	return Symbol{Name: es.Name, Addr: es.Value, Size: es.Size, Kind: kind}, true
}

// lineTable builds the gosym table from .gopclntab, or returns nil if
// there is none or it is unusable. textStart is the address of
// runtime.text, which go1.18+ tables store function entries relative to.
func (f *File) lineTable(textStart uint64) (tab *gosym.Table) {
	if f.ef == nil { // a File not made by Open (tests build them by hand)
		return nil
	}
	sec := f.ef.Section(".gopclntab")
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return nil
	}
	// Slice the file rather than sec.Data(): no copy, and the bounds are
	// checked here instead of trusting the section header.
	if sec.Offset > uint64(len(f.data)) || sec.FileSize > uint64(len(f.data))-sec.Offset {
		return nil
	}
	pcln := f.data[sec.Offset : sec.Offset+sec.FileSize : sec.Offset+sec.FileSize]
	if !plausiblePclntab(pcln) {
		return nil
	}
	defer func() {
		if recover() != nil {
			tab = nil
		}
	}()
	// Since go1.3 the .gosymtab section is empty and gosym reads
	// everything from the pclntab; pass no symtab rather than whatever a
	// corrupt file might hold there.
	tab, err := gosym.NewTable(nil, gosym.NewLineTable(pcln, textStart))
	if err != nil {
		return nil
	}
	return tab
}

// Magic numbers at the start of the pclntab, one per format revision.
const (
	pclntab12  = 0xfffffffb // go1.2 to go1.15
	pclntab116 = 0xfffffffa // go1.16, go1.17
	pclntab118 = 0xfffffff0 // go1.18, go1.19
	pclntab120 = 0xfffffff1 // go1.20 and later
)

// plausiblePclntab checks the pclntab header enough that gosym's up-front
// allocations, which are sized by the function count in the header, stay
// proportional to the size of the table. gosym recovers from out-of-range
// reads, but not from an allocation of terabytes.
func plausiblePclntab(d []byte) bool {
	if len(d) < 16 || d[4] != 0 || d[5] != 0 || d[7] != 8 {
		return false
	}
	nfunc := binary.LittleEndian.Uint64(d[8:])
	field := uint64(8) // bytes per functab entry field
	switch binary.LittleEndian.Uint32(d) {
	case pclntab12, pclntab116:
	case pclntab118, pclntab120:
		field = 4
	default:
		return false
	}
	return nfunc <= uint64(len(d))/(2*field)
}

// Lookup returns the symbol with the given name. If there is none, it also
// tries name+".abi0": since go1.17 the ELF symbol table names assembly
// functions with that suffix (runtime.rt0_go.abi0) while Go code and the
// pclntab use the plain name.
func (s *Symbols) Lookup(name string) (Symbol, bool) {
	if i, ok := s.byName[name]; ok {
		return s.syms[i], true
	}
	if !strings.HasSuffix(name, ".abi0") {
		if i, ok := s.byName[name+".abi0"]; ok {
			return s.syms[i], true
		}
	}
	return Symbol{}, false
}

// ByAddr returns the symbol containing addr and the offset of addr from its
// start. If several symbols contain addr, the one starting last (the
// innermost) wins; a zero-size symbol matches only its exact address and
// only when no sized symbol contains addr.
func (s *Symbols) ByAddr(addr uint64) (Symbol, uint64, bool) {
	i := sort.Search(len(s.syms), func(i int) bool { return s.syms[i].Addr > addr }) - 1
	marker := -1
	for j := i; j >= 0 && s.syms[j].Addr == addr; j-- {
		if s.syms[j].Size == 0 {
			marker = j
		}
	}
	for ; i >= 0 && s.maxEnd[i] > addr; i-- {
		if sym := s.syms[i]; addr-sym.Addr < sym.Size {
			return sym, addr - sym.Addr, true
		}
	}
	if marker >= 0 {
		return s.syms[marker], 0, true
	}
	return Symbol{}, 0, false
}

// All returns every symbol, sorted by address. The slice is shared: do not
// modify it.
func (s *Symbols) All() []Symbol { return s.syms }

// LineForPC returns the source position and function name for a program
// counter, from the pclntab. If there is no line information for pc, file
// and line are empty and fn is the name of the text symbol containing pc,
// if any.
func (s *Symbols) LineForPC(pc uint64) (file string, line int, fn string) {
	if s.tab != nil {
		file, line, fn = s.pcToLine(pc)
		if fn != "" {
			return file, line, fn
		}
	}
	if sym, _, ok := s.ByAddr(pc); ok && sym.Kind == 'T' {
		return "", 0, sym.Name
	}
	return "", 0, ""
}

// pcToLine asks gosym, which decodes the table lazily and so can still
// panic on a corrupt one long after NewTable succeeded.
func (s *Symbols) pcToLine(pc uint64) (file string, line int, fn string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		if recover() != nil {
			file, line, fn = "", 0, ""
		}
	}()
	file, line, f := s.tab.PCToLine(pc)
	if f == nil {
		return "", 0, ""
	}
	return file, line, f.Name
}
