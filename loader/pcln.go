package loader

// A reader of the function table in .gopclntab, for what debug/gosym does
// not expose: the per-function records (flags, FuncID, argument size) and
// the pc-value tables other than the line table (stack pointer deltas,
// inlining indexes). It handles the layouts of go1.16/go1.17 (magic
// 0xfffffffa), go1.18/go1.19 (0xfffffff0) and go1.20 and later
// (0xfffffff1), for 64-bit pointers.
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
// binary's inlining trees can be located (go1.16 and go1.17 always; later
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
	v, ok := fn.value(fn.t.pcspField(), pc)
	if !ok || v < 0 {
		return 0, false
	}
	return int64(v), true
}

// FileLine returns the source position of pc, which must be in fn.
func (fn *Func) FileLine(pc uint64) (file string, line int, ok bool) {
	t := fn.t
	fileno, ok := fn.value(t.pcfileField(), pc)
	if !ok {
		return "", 0, false
	}
	ln, ok := fn.value(t.pclnField(), pc)
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
	tree, ok := fn.inlineTree()
	for depth := 0; ok && depth < maxInlineDepth; depth++ {
		idx, found := fn.pcdata(pcdataInlTreeIndex, pc)
		if !found || idx < 0 {
			break
		}
		call, found := tree.call(idx)
		if !found {
			break
		}
		file, line, _ := fn.FileLine(pc)
		frames = append(frames, SourceFrame{Func: call.name, File: file, Line: line, Inlined: true})
		next := fn.Entry + uint64(call.parentPC)
		if call.parentPC < 0 || next < fn.Entry || next >= fn.End {
			break
		}
		pc = next
	}
	file, line, _ := fn.FileLine(pc)
	return append(frames, SourceFrame{Func: fn.Name, File: file, Line: line})
}

// pclnTable is a parsed .gopclntab header with its tables.
type pclnTable struct {
	magic     uint32
	quantum   uint64 // instruction size quantum (1 on x86)
	nfunc     int
	textStart uint64 // go1.18+: the address function entries are relative to
	size      int    // bytes in the section
	// The tables, each from its start to the end of the section.
	funcnames, cutab, filetab, pctab, functab []byte

	// For the funcdata of inlining trees, which live outside the pclntab.
	// They are zero or nil when unknown (a table parsed from bytes alone).
	addr   uint64                              // address of the section
	gofunc uint64                              // go1.18+: address of go:func.*
	read   func(addr, n uint64) ([]byte, bool) // reads the initial image

	inl inlineIndex // the inline sites of every function, built on first use
}

// Indexes of the pcdata and funcdata tables that the inlining trees use.
const (
	pcdataInlTreeIndex = 2
	funcdataInlTree    = 3
)

// headerWords is the number of pointer-sized words after the 8-byte
// pclntab header, per format.
func headerWords(magic uint32) int {
	if magic == pclntab116 {
		return 7
	}
	return 8
}

// parsePCLN parses a 64-bit .gopclntab. textStart is the address of
// runtime.text, used by go1.18+ tables when their header does not record
// it (go1.20 and later leave it zero).
func parsePCLN(d []byte, textStart uint64) (*pclnTable, error) {
	if len(d) < 8 {
		return nil, errors.New("pclntab: truncated header")
	}
	le := binary.LittleEndian
	t := &pclnTable{magic: le.Uint32(d), size: len(d)}
	switch t.magic {
	case pclntab116, pclntab118, pclntab120:
	case pclntab12:
		return nil, errors.New("pclntab: go1.2-go1.15 format is not supported")
	default:
		return nil, fmt.Errorf("pclntab: unknown magic %#x", t.magic)
	}
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
	n := headerWords(t.magic)
	if len(d) < 8+8*n {
		return nil, errors.New("pclntab: truncated header")
	}
	w := func(i int) uint64 { return le.Uint64(d[8+8*i:]) }
	nfunc := w(0)
	// Each function has at least a functab entry of 8 bytes.
	if nfunc >= uint64(len(d))/8 {
		return nil, fmt.Errorf("pclntab: %d functions do not fit in %d bytes", nfunc, len(d))
	}
	t.nfunc = int(nfunc)
	offs := []uint64{w(2), w(3), w(4), w(5), w(6)}
	if t.magic != pclntab116 {
		if w(2) != 0 {
			textStart = w(2)
		}
		t.textStart = textStart
		offs = []uint64{w(3), w(4), w(5), w(6), w(7)}
	}
	tabs := []*[]byte{&t.funcnames, &t.cutab, &t.filetab, &t.pctab, &t.functab}
	for i, off := range offs {
		if off < uint64(8+8*n) || off > uint64(len(d)) {
			return nil, fmt.Errorf("pclntab: table offset %#x outside the %#x-byte section", off, len(d))
		}
		*tabs[i] = d[off:len(d):len(d)]
	}
	if uint64(len(t.functab)) < uint64(t.nfunc+1)*t.entrySize() {
		return nil, errors.New("pclntab: function table truncated")
	}
	return t, nil
}

// entrySize is the size of one functab entry: (entry, funcoff).
func (t *pclnTable) entrySize() uint64 {
	if t.magic == pclntab116 {
		return 16
	}
	return 8
}

// entry returns the entry address of function i, 0 <= i <= nfunc (entry
// nfunc is the end of the last function).
func (t *pclnTable) entry(i int) uint64 {
	le := binary.LittleEndian
	if t.magic == pclntab116 {
		return le.Uint64(t.functab[16*i:])
	}
	return t.textStart + uint64(le.Uint32(t.functab[8*i:]))
}

// funcOff returns the offset of function i's record in the functab.
func (t *pclnTable) funcOff(i int) uint64 {
	le := binary.LittleEndian
	if t.magic == pclntab116 {
		return le.Uint64(t.functab[16*i+8:])
	}
	return uint64(le.Uint32(t.functab[8*i+4:]))
}

// Offsets of the fields of the function record (runtime._func) that move
// between formats: go1.16/17 have an 8-byte entry where later versions
// have a 4-byte offset, and go1.20 added startLine before funcID.
func (t *pclnTable) shift() int {
	if t.magic == pclntab116 {
		return 4
	}
	return 0
}
func (t *pclnTable) pcspField() int   { return 16 + t.shift() }
func (t *pclnTable) pcfileField() int { return 20 + t.shift() }
func (t *pclnTable) pclnField() int   { return 24 + t.shift() }

// funcSize is the size of the fixed part of the function record.
func (t *pclnTable) funcSize() int {
	if t.magic == pclntab118 {
		return 40
	}
	return 44
}

// idField is the offset of funcID; flag and nfuncdata follow at +1, +3.
func (t *pclnTable) idField() int {
	if t.magic == pclntab120 {
		return 40
	}
	return 36 + t.shift()
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
	if off > uint64(len(t.functab)) || uint64(len(t.functab))-off < uint64(t.funcSize()) {
		return nil, false
	}
	rec := t.functab[off:]
	le := binary.LittleEndian
	s := t.shift()
	id := t.idField()
	fn := &Func{
		Entry:       entry,
		End:         end,
		Args:        int32(le.Uint32(rec[8+s:])),
		DeferReturn: le.Uint32(rec[12+s:]),
		FuncID:      rec[id],
		Flag:        rec[id+1], // padding, so 0, in go1.16
		t:           t,
		rec:         rec,
	}
	if t.magic == pclntab120 {
		fn.StartLine = int32(le.Uint32(rec[36:]))
	}
	name, ok := cString(t.funcnames, int64(int32(le.Uint32(rec[4+s:]))))
	if !ok {
		return nil, false
	}
	fn.Name = name
	return fn, true
}

func (fn *Func) cuOffset() uint32 {
	return binary.LittleEndian.Uint32(fn.rec[32+fn.t.shift():])
}

func (fn *Func) npcdata() uint32 {
	return binary.LittleEndian.Uint32(fn.rec[28+fn.t.shift():])
}

// value evaluates the pc-value table whose pctab offset is in the record
// field at byte offset field.
func (fn *Func) value(field int, pc uint64) (int32, bool) {
	return fn.t.pcvalue(binary.LittleEndian.Uint32(fn.rec[field:]), fn.Entry, pc)
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
	at := uint64(fn.t.funcSize()) + 4*uint64(i)
	if at+4 > uint64(len(fn.rec)) {
		return 0, false
	}
	return binary.LittleEndian.Uint32(fn.rec[at:]), true
}

// funcdata returns the address of funcdata number i, or false if the
// function has none or it cannot be located.
func (fn *Func) funcdata(i uint8) (uint64, bool) {
	t := fn.t
	nfuncdata := fn.rec[t.idField()+3]
	if i >= nfuncdata {
		return 0, false
	}
	le := binary.LittleEndian
	at := uint64(t.funcSize()) + 4*uint64(fn.npcdata())
	if t.magic == pclntab116 {
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
// at cutab index cu.
func (t *pclnTable) fileName(cu uint32, fileno int32) (string, bool) {
	if fileno < 0 {
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
	t    *pclnTable
	addr uint64
}

// inlinedCall is one node of an inlining tree.
type inlinedCall struct {
	name     string
	parentPC int32 // offset from the entry of a pc at the call site
}

func (fn *Func) inlineTree() (inlineTree, bool) {
	if fn.t.read == nil {
		return inlineTree{}, false
	}
	addr, ok := fn.funcdata(funcdataInlTree)
	return inlineTree{fn.t, addr}, ok
}

// call reads node idx of the tree. Before go1.20 a node is {parent int16,
// funcID uint8, pad, file int32, line int32, name int32, parentPc int32};
// since then {funcID uint8, pad [3], name int32, parentPc int32,
// startLine int32}. Names are funcnametab offsets.
func (tr inlineTree) call(idx int32) (inlinedCall, bool) {
	nameOff, parentPC, ok := tr.node(idx)
	if !ok {
		return inlinedCall{}, false
	}
	name, ok := cString(tr.t.funcnames, int64(nameOff))
	if !ok {
		return inlinedCall{}, false
	}
	return inlinedCall{name: name, parentPC: parentPC}, true
}

// node reads node idx of the tree without decoding its name: the name's
// funcnametab offset and the call's pc offset in the outermost function.
func (tr inlineTree) node(idx int32) (nameOff, parentPC int32, ok bool) {
	size, nameAt, parentAt := uint64(20), 12, 16
	if tr.t.magic == pclntab120 {
		size, nameAt, parentAt = 16, 4, 8
	}
	addr := tr.addr + uint64(idx)*size
	if idx < 0 || addr < tr.addr {
		return 0, 0, false
	}
	b, ok := tr.t.read(addr, size)
	if !ok || uint64(len(b)) < size {
		return 0, 0, false
	}
	le := binary.LittleEndian
	return int32(le.Uint32(b[nameAt:])), int32(le.Uint32(b[parentAt:])), true
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
