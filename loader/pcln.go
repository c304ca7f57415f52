package loader

// A reader of the function table in .gopclntab, for what debug/gosym does
// not expose: the per-function records (flags, FuncID, argument size) and
// the pc-value tables other than the line table (stack pointer deltas,
// inlining indexes). It handles every layout since Go 1.2, for 64-bit
// pointers: Go 1.2 (go1.2 to go1.15, magic 0xfffffffb), go1.16/go1.17
// (0xfffffffa), go1.18/go1.19 (0xfffffff0) and go1.20 and later
// (0xfffffff1). Each is described once, as data (pclnLayouts); the format
// is chosen when a table is parsed.
//
// Every offset read from the table is checked against the bytes that hold
// it, so a corrupt table yields "not found" answers, never a panic or an
// out-of-range read.

import (
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"weak"
)

// Func describes one function from the pclntab.
type Func struct {
	Name       string
	Entry, End uint64 // [Entry, End) is the function's code
	// Args is the size in bytes of the arguments and results passed on
	// the stack, as the function's record gives it (assembly functions
	// may say -0x80000000, "unknown").
	Args int32
	// DeferReturn is the offset from Entry of the deferreturn call, or 0.
	DeferReturn uint32
	// FuncID marks special runtime functions. Its numbering changes
	// between toolchain versions; compare names rather than values.
	FuncID uint8
	// Flag holds FuncFlag* bits (go1.17 and later; always 0 for go1.16).
	Flag uint8
	// StartLine is the line of the func keyword or TEXT directive
	// (go1.20 and later; 0 before).
	StartLine int32

	t   *pclnTable
	rec []byte // the function's record and what follows it in the table
}

// Bits of Func.Flag.
const (
	// FuncFlagTopFrame marks a function at the outermost end of a stack
	// (runtime.goexit, runtime.mstart, runtime.rt0_go): a traceback that
	// reaches it is complete.
	FuncFlagTopFrame uint8 = 1 << iota
	// FuncFlagSPWrite marks a function that writes SP other than by
	// adding constants (stack switches); its pcsp table cannot describe
	// its frame after that write.
	FuncFlagSPWrite
	// FuncFlagAsm marks a function written in assembly (go1.19 sets it,
	// go1.17 does not).
	FuncFlagAsm
)

// SourceFrame is one source-level activation at a pc: a call inlined at
// that pc or the function whose code holds it.
type SourceFrame struct {
	Func string
	File string
	Line int
	// Inlined reports that this call was inlined into the next frame.
	Inlined bool
}

// FuncAt returns the function whose code contains pc.
func (f *File) FuncAt(pc uint64) (*Func, bool) {
	t, err := f.pclntab()
	if err != nil {
		return nil, false
	}
	return t.funcAt(pc)
}

// SPDelta returns the pcsp value at pc: how many bytes the function
// containing pc has pushed on top of the stack pointer it was entered with
// (0 at the entry, where the return address is at SP). At a pc with delta
// d, the return address is at SP+d and the caller's SP is SP+d+8.
func (f *File) SPDelta(pc uint64) (int64, bool) {
	fn, ok := f.FuncAt(pc)
	if !ok {
		return 0, false
	}
	return fn.SPDelta(pc)
}

// FileLine returns the source position of pc from the function table. For
// a pc in inlined code it is the position in the inlined function.
func (f *File) FileLine(pc uint64) (file string, line int, ok bool) {
	fn, found := f.FuncAt(pc)
	if !found {
		return "", 0, false
	}
	return fn.FileLine(pc)
}

// SourceFrames returns the source-level frames at pc, innermost first: the
// calls inlined at pc, if any, then the function containing pc. It returns
// nil if pc is in no function. Inlined calls are found only when the
// binary's inlining trees can be located (before go1.18 always; later
// versions when the ELF symbol table names go:func.*).
func (f *File) SourceFrames(pc uint64) []SourceFrame {
	fn, ok := f.FuncAt(pc)
	if !ok {
		return nil
	}
	return fn.SourceFrames(pc)
}

// SPDelta returns the pcsp value of fn at pc (see File.SPDelta).
func (fn *Func) SPDelta(pc uint64) (int64, bool) {
	v, ok := fn.value(fn.t.pcsp, pc)
	if !ok || v < 0 {
		return 0, false
	}
	return int64(v), true
}

// FileLine returns the source position of pc, which must be in fn.
func (fn *Func) FileLine(pc uint64) (file string, line int, ok bool) {
	t := fn.t
	fileno, ok := fn.value(t.pcfile, pc)
	if !ok {
		return "", 0, false
	}
	ln, ok := fn.value(t.pcln, pc)
	if !ok {
		return "", 0, false
	}
	file, ok = t.fileName(fn.cuOffset(), fileno)
	if !ok {
		return "", 0, false
	}
	return file, int(ln), true
}

// maxInlineDepth bounds the walk up an inlining tree, which a corrupt
// table could make circular.
const maxInlineDepth = 256

// SourceFrames returns the source-level frames at pc, which must be in fn
// (see File.SourceFrames).
func (fn *Func) SourceFrames(pc uint64) []SourceFrame {
	var frames []SourceFrame
	file, line, _ := fn.FileLine(pc)
	idx := int32(-1)
	tree, ok := fn.inlineTree()
	if ok {
		if v, found := fn.pcdata(fn.t.pcdataInlIndex, pc); found {
			idx = v
		}
	}
	for depth := 0; idx >= 0 && depth < maxInlineDepth; depth++ {
		call, found := tree.node(idx)
		if !found {
			break
		}
		name, found := tree.name(call)
		if !found {
			break
		}
		frames = append(frames, SourceFrame{Func: name, File: file, Line: line, Inlined: true})
		at, cfile, cline, parent, found := tree.callSite(call)
		if !found {
			break
		}
		if at == 0 {
			file, line, idx = cfile, cline, parent
			continue
		}
		file, line, _ = fn.FileLine(at)
		idx = -1
		if v, found := fn.pcdata(fn.t.pcdataInlIndex, at); found {
			idx = v
		}
	}
	return append(frames, SourceFrame{Func: fn.Name, File: file, Line: line})
}

// pclnLayout describes one format of the pclntab, as the linker of the
// versions that write it lays it out for 64-bit pointers: where the header
// keeps its tables, the shape of the function table and of the function
// records (runtime._func), and where the inlining trees are and what their
// nodes hold. A table is parsed with the layout its magic names, once, and
// everything after reads fields through it. Offsets are in bytes; -1 marks
// a field the format does not have.
type pclnLayout struct {
	magic    uint32
	versions Range // the Go releases whose linker writes it

	// The header: the 8-byte prefix (magic, pad, quantum, pointer size)
	// and then words pointer-sized words, nfunc first.
	words int
	// textWord is the header word holding the address function entries
	// are relative to, -1 when entries are absolute addresses.
	textWord int
	// tabWords are the header words holding the section offsets of
	// funcnametab, cutab, filetab, pctab and functab, in that order; -1
	// for a table that is the whole section (offsets into it are section
	// offsets), as in the Go 1.2 layout.
	tabWords [5]int
	// wideEntries: a functab entry is (entry, funcoff) as two 8-byte
	// words; otherwise two uint32, the entry relative to the text start.
	wideEntries bool
	// ftabAfterHeader: the entries start right after the header, and
	// funcoff is relative to the section (Go 1.2); otherwise both are
	// relative to the functab.
	ftabAfterHeader bool
	// fileTabAfterFtab: the uint32 after the last entry (the end of the
	// last function) is the section offset of the file table, a uint32
	// count and then the section offsets of the file names, indexed by
	// file number from 1 (Go 1.2). Otherwise file numbers are relative to
	// the function's compilation unit, through cutab.
	fileTabAfterFtab bool

	// The fields of a function record.
	name, args, deferReturn, pcsp, pcfile, pcln, npcdata, cuOffset, startLine int
	funcID, funcIDSize, flag, nfuncdata, nfuncdataSize                        int
	recSize                                                                   int // the fixed part; pcdata offsets follow
	// funcdataPtrs: funcdata are 8-byte addresses after the pcdata,
	// aligned to 8 in memory; otherwise uint32 offsets from go:func.*.
	funcdataPtrs bool

	// The inlining tree: its funcdata and pcdata numbers, and its nodes.
	pcdataInlIndex uint32
	funcdataInl    uint8
	node           inlNodeLayout
}

// inlNodeLayout is the layout of a node of an inlining tree
// (runtime.inlinedCall). A node names the inlined function and says where
// the call is: by a pc in the outermost function at the call site
// (parentPC, go1.16 and later), or by the call's file and line and the
// parent node's index (Go 1.2).
type inlNodeLayout struct {
	size               int
	parent, parentSize int // index of the parent node, or < 0
	file, line         int // position of the call
	name               int // funcnametab offset of the inlined function
	parentPC           int // offset from the entry of a pc at the call site
}

// pclnLayouts are the formats the reader knows, by magic. Sources:
// cmd/link/internal/ld/pcln.go and runtime/symtab.go (moduledata,
// _func, inlinedCall, _PCDATA_/_FUNCDATA_ constants) of each version.
var pclnLayouts = []*pclnLayout{
	{
		magic: pclntab12, versions: Range{MustVersion("go1.2"), MustVersion("go1.16")},
		words: 1, textWord: -1, tabWords: [5]int{-1, -1, -1, -1, -1},
		wideEntries: true, ftabAfterHeader: true, fileTabAfterFtab: true,
		// entry uintptr, nameoff, args, funcID uint32, pcsp, pcfile,
		// pcln, npcdata, nfuncdata int32.
		name: 8, args: 12, deferReturn: -1, funcID: 16, funcIDSize: 4,
		pcsp: 20, pcfile: 24, pcln: 28, npcdata: 32, nfuncdata: 36, nfuncdataSize: 4,
		cuOffset: -1, startLine: -1, flag: -1, recSize: 40,
		funcdataPtrs:   true,
		pcdataInlIndex: 1, funcdataInl: 2,
		// {parent, file, line, func_ int32}.
		node: inlNodeLayout{size: 16, parent: 0, parentSize: 4, file: 4, line: 8, name: 12, parentPC: -1},
	},
	{
		magic: pclntab116, versions: Range{MustVersion("go1.16"), MustVersion("go1.18")},
		words: 7, textWord: -1, tabWords: [5]int{2, 3, 4, 5, 6},
		wideEntries: true,
		// entry uintptr, nameoff, args, deferreturn, pcsp, pcfile, pcln,
		// npcdata, cuOffset; funcID, flag (go1.17; padding in go1.16),
		// pad, nfuncdata uint8.
		name: 8, args: 12, deferReturn: 16, pcsp: 20, pcfile: 24, pcln: 28, npcdata: 32, cuOffset: 36,
		startLine: -1, funcID: 40, funcIDSize: 1, flag: 41, nfuncdata: 43, nfuncdataSize: 1, recSize: 44,
		funcdataPtrs:   true,
		pcdataInlIndex: 2, funcdataInl: 3,
		// {parent int16, funcID uint8, pad, file, line, func_, parentPc int32}.
		node: inlNodeLayout{size: 20, parent: 0, parentSize: 2, file: 4, line: 8, name: 12, parentPC: 16},
	},
	{
		magic: pclntab118, versions: Range{MustVersion("go1.18"), MustVersion("go1.20")},
		words: 8, textWord: 2, tabWords: [5]int{3, 4, 5, 6, 7},
		// entryoff uint32, then as go1.16.
		name: 4, args: 8, deferReturn: 12, pcsp: 16, pcfile: 20, pcln: 24, npcdata: 28, cuOffset: 32,
		startLine: -1, funcID: 36, funcIDSize: 1, flag: 37, nfuncdata: 39, nfuncdataSize: 1, recSize: 40,
		pcdataInlIndex: 2, funcdataInl: 3,
		node: inlNodeLayout{size: 20, parent: 0, parentSize: 2, file: 4, line: 8, name: 12, parentPC: 16},
	},
	{
		magic: pclntab120, versions: Range{From: MustVersion("go1.20")},
		words: 8, textWord: 2, tabWords: [5]int{3, 4, 5, 6, 7},
		// As go1.18 with startLine int32 before funcID.
		name: 4, args: 8, deferReturn: 12, pcsp: 16, pcfile: 20, pcln: 24, npcdata: 28, cuOffset: 32,
		startLine: 36, funcID: 40, funcIDSize: 1, flag: 41, nfuncdata: 43, nfuncdataSize: 1, recSize: 44,
		pcdataInlIndex: 2, funcdataInl: 3,
		// {funcID uint8, pad [3], func_, parentPc, startLine int32}.
		node: inlNodeLayout{size: 16, parent: -1, file: -1, line: -1, name: 4, parentPC: 8},
	},
}

// layoutOf returns the layout with the given magic.
func layoutOf(magic uint32) (*pclnLayout, bool) {
	for _, l := range pclnLayouts {
		if l.magic == magic {
			return l, true
		}
	}
	return nil, false
}

// headerSize is the size of the header: the prefix and the words.
func (l *pclnLayout) headerSize() int { return 8 + 8*l.words }

// entrySize is the size of one functab entry.
func (l *pclnLayout) entrySize() uint64 {
	if l.wideEntries {
		return 16
	}
	return 8
}

// pclnTable is a parsed .gopclntab header with its tables.
type pclnTable struct {
	*pclnLayout
	quantum   uint64 // instruction size quantum (1 on x86)
	nfunc     int
	textStart uint64 // the address narrow function entries are relative to
	size      int    // bytes in the section
	// The tables, each from its start to the end of the section. ftab
	// holds the (entry, funcoff) pairs and functab the records funcoff
	// points to: the same slice except in the Go 1.2 layout, where ftab
	// follows the header and funcoff is a section offset.
	funcnames, cutab, filetab, pctab, functab, ftab []byte
	// nfiles bounds the file numbers of the Go 1.2 layout's global file
	// table (cutab there); 0 in the other layouts.
	nfiles uint32

	// For the funcdata of inlining trees, which live outside the pclntab.
	// They are zero or nil when unknown (a table parsed from bytes alone).
	addr   uint64                              // address of the section
	gofunc uint64                              // go1.18+: address of go:func.*
	read   func(addr, n uint64) ([]byte, bool) // reads the initial image

	inl inlineIndex // the inline sites of every function, built on first use
}

// parsePCLN parses a 64-bit .gopclntab. textStart is the address of
// runtime.text, used by go1.18+ tables when their header does not record
// it (go1.20 and later leave it zero).
func parsePCLN(d []byte, textStart uint64) (*pclnTable, error) {
	if len(d) < 8 {
		return nil, errors.New("pclntab: truncated header")
	}
	le := binary.LittleEndian
	l, ok := layoutOf(le.Uint32(d))
	if !ok {
		return nil, fmt.Errorf("pclntab: unknown magic %#x", le.Uint32(d))
	}
	t := &pclnTable{pclnLayout: l, size: len(d)}
	if d[4] != 0 || d[5] != 0 {
		return nil, errors.New("pclntab: bad header padding")
	}
	if d[6] == 0 {
		return nil, errors.New("pclntab: zero pc quantum")
	}
	if d[7] != 8 {
		return nil, fmt.Errorf("pclntab: pointer size %d, want 8", d[7])
	}
	t.quantum = uint64(d[6])
	hdr := l.headerSize()
	if len(d) < hdr {
		return nil, errors.New("pclntab: truncated header")
	}
	w := func(i int) uint64 { return le.Uint64(d[8+8*i:]) }
	nfunc := w(0)
	// Each function has at least a functab entry of 8 bytes.
	if nfunc >= uint64(len(d))/8 {
		return nil, fmt.Errorf("pclntab: %d functions do not fit in %d bytes", nfunc, len(d))
	}
	t.nfunc = int(nfunc)
	if l.textWord >= 0 {
		if w(l.textWord) != 0 {
			textStart = w(l.textWord)
		}
		t.textStart = textStart
	}
	tabs := []*[]byte{&t.funcnames, &t.cutab, &t.filetab, &t.pctab, &t.functab}
	for i, word := range l.tabWords {
		if word < 0 {
			*tabs[i] = d
			continue
		}
		off := w(word)
		if off < uint64(hdr) || off > uint64(len(d)) {
			return nil, fmt.Errorf("pclntab: table offset %#x outside the %#x-byte section", off, len(d))
		}
		*tabs[i] = d[off:len(d):len(d)]
	}
	t.ftab = t.functab
	if l.ftabAfterHeader {
		t.ftab = d[hdr:]
	}
	need := uint64(t.nfunc+1) * l.entrySize()
	if l.fileTabAfterFtab {
		// The last entry is only the end address, then the offset.
		need = uint64(t.nfunc)*l.entrySize() + 8 + 4
	}
	if uint64(len(t.ftab)) < need {
		return nil, errors.New("pclntab: function table truncated")
	}
	if l.fileTabAfterFtab {
		off := uint64(le.Uint32(t.ftab[need-4:]))
		if off < uint64(hdr) || off+4 > uint64(len(d)) {
			return nil, fmt.Errorf("pclntab: file table offset %#x outside the %#x-byte section", off, len(d))
		}
		t.cutab = d[off:]
		t.nfiles = le.Uint32(t.cutab)
	}
	return t, nil
}

// entry returns the entry address of function i, 0 <= i <= nfunc (entry
// nfunc is the end of the last function).
func (t *pclnTable) entry(i int) uint64 {
	le := binary.LittleEndian
	if t.wideEntries {
		return le.Uint64(t.ftab[16*i:])
	}
	return t.textStart + uint64(le.Uint32(t.ftab[8*i:]))
}

// funcOff returns the offset of function i's record in the functab.
func (t *pclnTable) funcOff(i int) uint64 {
	le := binary.LittleEndian
	if t.wideEntries {
		return le.Uint64(t.ftab[16*i+8:])
	}
	return uint64(le.Uint32(t.ftab[8*i+4:]))
}

// funcAt finds the function containing pc by binary search.
func (t *pclnTable) funcAt(pc uint64) (*Func, bool) {
	i := sort.Search(t.nfunc, func(i int) bool { return t.entry(i) > pc }) - 1
	if i < 0 || pc >= t.entry(i+1) {
		return nil, false
	}
	return t.funcIndex(i)
}

// funcIndex decodes function i, 0 <= i < nfunc, reporting false if its
// record is out of bounds or empty.
func (t *pclnTable) funcIndex(i int) (*Func, bool) {
	entry, end := t.entry(i), t.entry(i+1)
	if end <= entry {
		return nil, false
	}
	off := t.funcOff(i)
	if off > uint64(len(t.functab)) || uint64(len(t.functab))-off < uint64(t.recSize) {
		return nil, false
	}
	rec := t.functab[off:]
	fn := &Func{
		Entry: entry,
		End:   end,
		Args:  int32(field(rec, t.args, 4)),
		// Only the low byte: no toolchain numbers more than 256 IDs,
		// and Go 1.2's are uint32.
		FuncID:      uint8(field(rec, t.funcID, t.funcIDSize)),
		Flag:        uint8(field(rec, t.flag, 1)), // padding, so 0, in go1.16
		DeferReturn: field(rec, t.deferReturn, 4),
		StartLine:   int32(field(rec, t.startLine, 4)),
		t:           t,
		rec:         rec,
	}
	name, ok := cString(t.funcnames, int64(int32(field(rec, t.name, 4))))
	if !ok {
		return nil, false
	}
	fn.Name = name
	return fn, true
}

// field reads the little-endian field of size bytes (1, 2 or 4) at offset
// at of b, or 0 when the layout has no such field (at < 0). Callers check
// that b holds the fixed part of the record.
func field(b []byte, at, size int) uint32 {
	switch {
	case at < 0:
		return 0
	case size == 1:
		return uint32(b[at])
	case size == 2:
		return uint32(binary.LittleEndian.Uint16(b[at:]))
	}
	return binary.LittleEndian.Uint32(b[at:])
}

func (fn *Func) cuOffset() uint32 { return field(fn.rec, fn.t.cuOffset, 4) }

func (fn *Func) npcdata() uint32 { return field(fn.rec, fn.t.npcdata, 4) }

// value evaluates the pc-value table whose pctab offset is in the record
// field at byte offset at.
func (fn *Func) value(at int, pc uint64) (int32, bool) {
	return fn.t.pcvalue(field(fn.rec, at, 4), fn.Entry, pc)
}

// pcdata evaluates pc-value table number i of the pcdata array that
// follows the record.
func (fn *Func) pcdata(i uint32, pc uint64) (int32, bool) {
	off, ok := fn.pcdataOff(i)
	if !ok {
		return 0, false
	}
	return fn.t.pcvalue(off, fn.Entry, pc)
}

// pcdataOff returns the pctab offset of pcdata table number i.
func (fn *Func) pcdataOff(i uint32) (uint32, bool) {
	if i >= fn.npcdata() {
		return 0, false
	}
	at := uint64(fn.t.recSize) + 4*uint64(i)
	if at+4 > uint64(len(fn.rec)) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(fn.rec[at:]), true
}

// funcdata returns the address of funcdata number i, or false if the
// function has none or it cannot be located.
func (fn *Func) funcdata(i uint8) (uint64, bool) {
	t := fn.t
	if uint32(i) >= field(fn.rec, t.nfuncdata, t.nfuncdataSize) {
		return 0, false
	}
	le := binary.LittleEndian
	at := uint64(t.recSize) + 4*uint64(fn.npcdata())
	if t.funcdataPtrs {
		// Pointers, aligned to 8 bytes in memory.
		if t.addr == 0 {
			return 0, false
		}
		mem := t.memAddr(fn.rec) + at
		if mem%8 != 0 {
			at += 8 - mem%8
		}
		at += 8 * uint64(i)
		if at+8 > uint64(len(fn.rec)) {
			return 0, false
		}
		p := le.Uint64(fn.rec[at:])
		return p, p != 0
	}
	at += 4 * uint64(i)
	if at+4 > uint64(len(fn.rec)) || t.gofunc == 0 {
		return 0, false
	}
	off := le.Uint32(fn.rec[at:])
	if off == ^uint32(0) {
		return 0, false
	}
	return t.gofunc + uint64(off), true
}

// memAddr returns the address at which the byte b[0] of the section is
// loaded; b must be a tail of the section, as every table slice is.
func (t *pclnTable) memAddr(b []byte) uint64 {
	return t.addr + uint64(t.size-len(b))
}

// maxVarint is the most bytes a 32-bit varint takes.
const maxVarint = 5

// uvarint decodes an unsigned 32-bit varint from p, returning the value
// and the number of bytes read, or 0 bytes if p ends first or the
// encoding is longer than a 32-bit value needs.
func uvarint(p []byte) (uint32, int) {
	var v uint32
	for i := 0; i < maxVarint && i < len(p); i++ {
		b := p[i]
		v |= uint32(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, 0
}

// pcvalue evaluates the pc-value table at pctab offset off for a function
// entered at entry: the value at target, or false if the table does not
// cover target or is malformed.
func (t *pclnTable) pcvalue(off uint32, entry, target uint64) (int32, bool) {
	if target < entry {
		return 0, false
	}
	var val int32
	found := false
	t.pcranges(off, entry, func(_, end uint64, v int32) bool {
		if target < end {
			val, found = v, true
			return false
		}
		return true
	})
	return val, found
}

// pcranges calls yield for each range [start, end) of the pc-value table
// at pctab offset off for a function entered at entry, in increasing pc
// order, until yield returns false or the table ends. The table is a
// sequence of (value delta, pc delta) pairs of varints, the value delta
// zig-zag encoded, starting from value -1 at the entry; each pair gives
// the value for the pc range it ends. A zero value delta after the first
// pair ends the table. A malformed table ends at the last good range.
func (t *pclnTable) pcranges(off uint32, entry uint64, yield func(start, end uint64, val int32) bool) {
	if off == 0 || uint64(off) >= uint64(len(t.pctab)) {
		return
	}
	p := t.pctab[off:]
	val := int32(-1)
	pc := entry
	for first := true; ; first = false {
		uv, n := uvarint(p)
		if n == 0 || (uv == 0 && !first) {
			return
		}
		p = p[n:]
		val += int32(uv>>1) ^ -int32(uv&1)
		du, n := uvarint(p)
		if n == 0 {
			return
		}
		p = p[n:]
		next := pc + uint64(du)*t.quantum
		if next < pc {
			return
		}
		if !yield(pc, next, val) {
			return
		}
		pc = next
	}
}

// maxNameLen bounds the strings read from the table; generic
// instantiations make long names, but not this long.
const maxNameLen = 1 << 16

// cString returns the NUL-terminated string at offset off of b.
func cString(b []byte, off int64) (string, bool) {
	if off < 0 || off >= int64(len(b)) {
		return "", false
	}
	b = b[off:]
	for i := 0; i < len(b) && i < maxNameLen; i++ {
		if b[i] == 0 {
			return string(b[:i]), true
		}
	}
	return "", false
}

// fileName returns the name of file number fileno of the compilation unit
// at cutab index cu (Go 1.2: of the binary's file table, cu being 0).
func (t *pclnTable) fileName(cu uint32, fileno int32) (string, bool) {
	if fileno < 0 || t.fileTabAfterFtab && (fileno == 0 || uint32(fileno) >= t.nfiles) {
		return "", false
	}
	i := 4 * (uint64(cu) + uint64(fileno))
	if i+4 > uint64(len(t.cutab)) {
		return "", false
	}
	off := binary.LittleEndian.Uint32(t.cutab[i:])
	if off == ^uint32(0) {
		return "", false
	}
	return cString(t.filetab, int64(off))
}

// inlineTree locates the inlining tree of fn.
type inlineTree struct {
	fn   *Func
	addr uint64
}

// inlinedCall is one node of an inlining tree. The call site is given
// either by a pc (hasPC: parentPC, an offset from the entry of the
// outermost function) or by its position and the parent node's index.
type inlinedCall struct {
	nameOff  int32
	hasPC    bool
	parentPC int32
	parent   int32 // index of the node the call is in, < 0 for none
	file     int32 // file number of the call (of fn's compilation unit)
	line     int32
}

func (fn *Func) inlineTree() (inlineTree, bool) {
	if fn.t.read == nil {
		return inlineTree{}, false
	}
	addr, ok := fn.funcdata(fn.t.funcdataInl)
	return inlineTree{fn, addr}, ok
}

// node reads node idx of the tree, without decoding its name.
func (tr inlineTree) node(idx int32) (inlinedCall, bool) {
	l := tr.fn.t.node
	size := uint64(l.size)
	addr := tr.addr + uint64(idx)*size
	if idx < 0 || addr < tr.addr {
		return inlinedCall{}, false
	}
	b, ok := tr.fn.t.read(addr, size)
	if !ok || uint64(len(b)) < size {
		return inlinedCall{}, false
	}
	c := inlinedCall{nameOff: int32(field(b, l.name, 4)), parent: -1}
	if l.parentPC >= 0 {
		c.hasPC, c.parentPC = true, int32(field(b, l.parentPC, 4))
		return c, true
	}
	if l.parentSize == 2 {
		c.parent = int32(int16(field(b, l.parent, 2)))
	} else {
		c.parent = int32(field(b, l.parent, 4))
	}
	c.file, c.line = int32(field(b, l.file, 4)), int32(field(b, l.line, 4))
	return c, true
}

// name decodes the name of the function c inlines.
func (tr inlineTree) name(c inlinedCall) (string, bool) {
	return cString(tr.fn.t.funcnames, int64(c.nameOff))
}

// callSite returns where the call c is: the pc at the call site when the
// format records one (ok and pc != 0), else the call's position and the
// index of the node it is nested in (< 0 for the outermost function).
func (tr inlineTree) callSite(c inlinedCall) (pc uint64, file string, line int, parent int32, ok bool) {
	fn := tr.fn
	if c.hasPC {
		pc := fn.Entry + uint64(c.parentPC)
		if c.parentPC < 0 || pc < fn.Entry || pc >= fn.End {
			return 0, "", 0, -1, false
		}
		return pc, "", 0, -1, true
	}
	file, _ = fn.t.fileName(fn.cuOffset(), c.file)
	return 0, file, int(c.line), c.parent, true
}

// The parsed tables are kept per File without a field in File: a map from
// weak pointers, whose entries go when their File is collected.
var pclnCache struct {
	sync.Mutex
	m map[weak.Pointer[File]]*pclnEntry
}

type pclnEntry struct {
	once sync.Once
	t    *pclnTable
	err  error
}

// pclntab returns the parsed function table of f, parsing it on first use.
func (f *File) pclntab() (*pclnTable, error) {
	wp := weak.Make(f)
	pclnCache.Lock()
	if pclnCache.m == nil {
		pclnCache.m = make(map[weak.Pointer[File]]*pclnEntry)
	}
	e := pclnCache.m[wp]
	if e == nil {
		e = new(pclnEntry)
		pclnCache.m[wp] = e
		runtime.AddCleanup(f, func(wp weak.Pointer[File]) {
			pclnCache.Lock()
			delete(pclnCache.m, wp)
			pclnCache.Unlock()
		}, wp)
	}
	pclnCache.Unlock()
	e.once.Do(func() { e.t, e.err = f.loadPCLN() })
	return e.t, e.err
}

// loadPCLN finds and parses the .gopclntab of f and the symbols that
// locate what it refers to.
func (f *File) loadPCLN() (*pclnTable, error) {
	if f.ef == nil {
		return nil, errors.New("no section headers")
	}
	sec := f.ef.Section(".gopclntab")
	if sec == nil || sec.Type == elf.SHT_NOBITS {
		return nil, errors.New("no .gopclntab section")
	}
	if sec.Offset > uint64(len(f.data)) || sec.FileSize > uint64(len(f.data))-sec.Offset {
		return nil, errors.New(".gopclntab extends past the end of the file")
	}
	d := f.data[sec.Offset : sec.Offset+sec.FileSize : sec.Offset+sec.FileSize]
	textStart := f.textAddr
	var gofunc uint64
	for _, s := range f.elfSyms {
		switch s.Name {
		case "runtime.text":
			textStart = s.Value
		case "go:func.*", "go.func.*":
			gofunc = s.Value
		}
	}
	t, err := parsePCLN(d, textStart)
	if err != nil {
		return nil, err
	}
	t.addr = sec.Addr
	t.gofunc = gofunc
	t.read = f.ReadImage
	return t, nil
}

// funcdataArgsPointerMaps is the funcdata number of a function's argument
// pointer maps, in every layout (runtime _FUNCDATA_ArgsPointerMaps).
const funcdataArgsPointerMaps = 0

// maxStackMapBits bounds the words of an argument area read from a pointer
// map; no function has half a megabyte of arguments.
const maxStackMapBits = 1 << 16

// ArgPointers returns which 8-byte words of fn's argument area (its
// arguments and results on the stack, from the caller's SP after the
// call's return address) hold a pointer at some safe point of fn: the
// union of its argument pointer maps (runtime.stackmap: n, nbit int32 and
// n bitmaps of nbit bits). It is false when fn has no map or the map
// cannot be read.
func (fn *Func) ArgPointers() ([]bool, bool) {
	t := fn.t
	if t.read == nil {
		return nil, false
	}
	addr, ok := fn.funcdata(funcdataArgsPointerMaps)
	if !ok {
		return nil, false
	}
	hdr, ok := t.read(addr, 8)
	if !ok || len(hdr) < 8 {
		return nil, false
	}
	le := binary.LittleEndian
	n, nbit := int32(le.Uint32(hdr)), int32(le.Uint32(hdr[4:]))
	if n <= 0 || nbit < 0 || nbit > maxStackMapBits || int64(n)*int64(nbit) > 8*maxStackMapBits {
		return nil, false
	}
	per := uint64(nbit+7) / 8
	maps, ok := t.read(addr+8, uint64(n)*per)
	if !ok || uint64(len(maps)) < uint64(n)*per {
		return nil, false
	}
	words := make([]bool, nbit)
	for i := uint64(0); i < uint64(n); i++ {
		for w := range words {
			if maps[i*per+uint64(w/8)]&(1<<(w%8)) != 0 {
				words[w] = true
			}
		}
	}
	return words, true
}
