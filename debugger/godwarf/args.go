package godwarf

import (
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Functions and their arguments: the subprograms of the DWARF, found by
// pc, with their formal parameters and where each lives at a given pc.

// unit is what location lists need of a compilation unit.
type unit struct {
	base     uint64 // DW_AT_low_pc: the base address of its location lists
	addrBase uint64 // DW_AT_addr_base: its part of .debug_addr (DWARF 5)
	entry    *dwarf.Entry
}

// funcRange is a subprogram's code, for FuncAt.
type funcRange struct {
	lo, hi uint64
	off    dwarf.Offset
	unit   int // index into Info.units
}

// Func is a function as DWARF describes it: a DW_TAG_subprogram with code.
type Func struct {
	Lo, Hi uint64 // its code: Lo <= pc < Hi
	// Params are its DW_TAG_formal_parameter children in order, inputs
	// and results (Result set) alike.
	Params []Param
	// Locals are its DW_TAG_variable entries, its own and those of its
	// lexical blocks, in order; not those of calls inlined into it.
	Locals    []Local
	frameBase []byte
	name      string // DW_AT_name
	declFile  int64  // DW_AT_decl_file, an index of the unit's file table
	unit      int
}

// Local is a local variable, with the code of the block that declares it.
type Local struct {
	Param
	// Ranges are the pcs of its lexical block; nil for a variable of the
	// function's own scope.
	Ranges [][2]uint64
	// DeclLine is the line of its declaration, 0 if not known.
	DeclLine int
}

// InScope reports whether pc is in the variable's block.
func (l Local) InScope(pc uint64) bool {
	if l.Ranges == nil {
		return true
	}
	for _, r := range l.Ranges {
		if r[0] <= pc && pc < r[1] {
			return true
		}
	}
	return false
}

// Param is a formal parameter.
type Param struct {
	Name string
	// Result is DW_AT_variable_parameter: Go marks its results so.
	Result bool
	typ    dwarf.Offset
	// Where it lives: an expression for every pc of the function, or a
	// location list (list, or listErr when the list cannot be read).
	expr    []byte
	list    []LocEntry
	hasList bool
	listOff uint64
	listErr error
	// declLine is DW_AT_decl_line, 0 if absent.
	declLine int64
	// slot is the offset from the CFA of the argument's stack slot under
	// the stack ABI, when hasSlot (see stackSlots).
	slot    int64
	hasSlot bool
}

// addUnit records a compilation unit entry and returns its index.
func (in *Info) addUnit(e *dwarf.Entry) int {
	u := unit{entry: e}
	if v, ok := e.Val(dwarf.AttrLowpc).(uint64); ok {
		u.base = v
	}
	u.addrBase = attrUint(e, dwarf.AttrAddrBase)
	in.units = append(in.units, u)
	return len(in.units) - 1
}

// addFunc records a subprogram entry with code (low and high pc).
func (in *Info) addFunc(e *dwarf.Entry, unitIdx int) {
	lo, ok := e.Val(dwarf.AttrLowpc).(uint64)
	if !ok || unitIdx < 0 {
		return
	}
	var hi uint64
	switch v := e.Val(dwarf.AttrHighpc).(type) {
	case uint64: // DW_FORM_addr: an address
		hi = v
	case int64: // a constant: the length
		hi = lo + uint64(v)
	}
	if hi <= lo {
		return
	}
	in.funcs = append(in.funcs, funcRange{lo: lo, hi: hi, off: e.Offset, unit: unitIdx})
}

// FuncAt returns the function whose code holds pc, false if the DWARF has
// none there (assembly functions have no subprogram entry).
func (in *Info) FuncAt(pc uint64) (*Func, bool) {
	i := sort.Search(len(in.funcs), func(i int) bool { return in.funcs[i].hi > pc })
	if i == len(in.funcs) || in.funcs[i].lo > pc {
		return nil, false
	}
	fr := in.funcs[i]
	in.funcMu.Lock()
	defer in.funcMu.Unlock()
	if f, ok := in.funcCache[fr.off]; ok {
		return f, f != nil
	}
	f, err := in.readFunc(fr)
	if err != nil {
		f = nil
	} else if in.file != nil && stackABI.Contains(in.file.Version()) {
		if lf, ok := in.file.FuncAt(fr.lo); ok && lf.Entry == fr.lo {
			in.layoutStackArgs(f, lf)
		}
	}
	in.funcCache[fr.off] = f
	return f, f != nil
}

// readFunc reads a subprogram with its parameters and local variables.
func (in *Info) readFunc(fr funcRange) (f *Func, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("malformed DWARF: %v", r)
		}
	}()
	r := in.data.Reader()
	r.Seek(fr.off)
	e, err := r.Next()
	if err != nil || e == nil || e.Tag != dwarf.TagSubprogram {
		return nil, fmt.Errorf("no subprogram at %#x", fr.off)
	}
	f = &Func{Lo: fr.lo, Hi: fr.hi, unit: fr.unit}
	f.name, _ = e.Val(dwarf.AttrName).(string)
	f.declFile, _ = e.Val(dwarf.AttrDeclFile).(int64)
	f.frameBase, _ = e.Val(dwarf.AttrFrameBase).([]byte)
	if !e.Children {
		return f, nil
	}
	// scopes holds the pc ranges of the lexical blocks the reader is in,
	// innermost last; a null entry closes the innermost.
	var scopes [][][2]uint64
	for {
		c, err := r.Next()
		if err != nil {
			return nil, err
		}
		if c == nil {
			return f, nil
		}
		if c.Tag == 0 {
			if len(scopes) == 0 {
				return f, nil
			}
			scopes = scopes[:len(scopes)-1]
			continue
		}
		switch c.Tag {
		case dwarf.TagLexDwarfBlock:
			if c.Children {
				ranges, err := in.data.Ranges(c)
				if err != nil || ranges == nil {
					ranges = [][2]uint64{} // unknown: in scope nowhere
				}
				scopes = append(scopes, ranges)
			}
			continue
		case dwarf.TagFormalParameter:
			if len(scopes) == 0 {
				f.Params = append(f.Params, in.readVar(c, fr))
			}
		case dwarf.TagVariable:
			l := Local{Param: in.readVar(c, fr)}
			if n, ok := c.Val(dwarf.AttrDeclLine).(int64); ok {
				l.DeclLine = int(n)
			}
			if len(scopes) > 0 {
				l.Ranges = scopes[len(scopes)-1]
			}
			f.Locals = append(f.Locals, l)
		}
		if c.Children {
			r.SkipChildren() // inlined calls' own variables, and the like
		}
	}
}

// readVar reads a parameter or variable entry of the function at fr. A
// variable of a concrete copy of an inlinable function takes its name and
// type from its DW_AT_abstract_origin.
func (in *Info) readVar(c *dwarf.Entry, fr funcRange) Param {
	p := Param{}
	attrs := c
	if origin, ok := c.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok {
		or := in.data.Reader()
		or.Seek(origin)
		if oe, err := or.Next(); err == nil && oe != nil {
			attrs = oe
		}
	}
	p.Name, _ = attrs.Val(dwarf.AttrName).(string)
	p.Result, _ = attrs.Val(dwarf.AttrVarParam).(bool)
	p.typ, _ = attrs.Val(dwarf.AttrType).(dwarf.Offset)
	p.declLine, _ = attrs.Val(dwarf.AttrDeclLine).(int64)
	if fld := c.AttrField(dwarf.AttrLocation); fld != nil {
		switch v := fld.Val.(type) {
		case []byte:
			p.expr = v
		case int64:
			p.hasList, p.listOff = true, uint64(v)
			if fld.Class == dwarf.ClassLocListPtr {
				p.list, p.listErr = in.locList(uint64(v), in.units[fr.unit])
			} else {
				p.listErr = errors.New("DW_FORM_loclistx is not supported")
			}
		}
	}
	return p
}

// sections loads the raw location list sections once.
func (in *Info) sections() {
	in.secOnce.Do(func() {
		if in.file == nil {
			return
		}
		in.loclists, _ = in.file.DWARFSection("loclists")
		in.loc, _ = in.file.DWARFSection("loc")
		in.addr, _ = in.file.DWARFSection("addr")
	})
}

// locList reads the location list at off for a parameter of unit u:
// from .debug_loclists when the binary has it (DWARF 5), else .debug_loc.
func (in *Info) locList(off uint64, u unit) ([]LocEntry, error) {
	in.sections()
	if in.loclists != nil {
		return ParseLoclists(in.loclists, off, u.base, func(i uint64) (uint64, error) {
			a := u.addrBase + 8*i
			if a < u.addrBase || a+8 > uint64(len(in.addr)) {
				return 0, fmt.Errorf("address index %d outside .debug_addr", i)
			}
			return binary.LittleEndian.Uint64(in.addr[a:]), nil
		})
	}
	if in.loc != nil {
		return ParseLoc(in.loc, off, u.base)
	}
	return nil, errors.New("no location list section")
}

// Location returns the expression that locates p at pc, false when p has
// no location there (not yet or no longer live, or optimized out).
func (p Param) Location(pc uint64) ([]byte, bool) {
	if !p.hasList {
		return p.expr, len(p.expr) > 0
	}
	if p.listErr != nil {
		return nil, false
	}
	e, ok := Find(p.list, pc)
	return e, ok && len(e) > 0
}

// overlayBase is where ParamValue places a value assembled from pieces:
// above every user-space address, so it can only mean the overlay.
const overlayBase = 1 << 63

// overlay is guest memory with one extra block of bytes at overlayBase.
type overlay struct {
	b   []byte
	mem Memory
}

func (o overlay) Peek(addr uint64, p []byte) error {
	if addr >= overlayBase {
		off := addr - overlayBase
		if off > uint64(len(o.b)) || uint64(len(p)) > uint64(len(o.b))-off {
			return errors.New("outside the value")
		}
		copy(p, o.b[off:])
		return nil
	}
	return o.mem.Peek(addr, p)
}

// Unknown is how ParamValue shows a value that cannot be known.
const Unknown = "?"

// ParamValue evaluates p at pc in frame fr and formats it in at most max
// characters (longer output is cut and ends in "..."): integers in
// decimal, pointers, maps, channels and functions as a hex address or nil,
// other values as Value.String shows them. A value that is not available
// there (no location at pc, a register this frame does not know, memory
// that cannot be read, a stack slot below the frame's SP) is Unknown; a value split into pieces of which only
// some are known shows its pieces as hex words, {0x4b1c20, ?}.
//
// Under the stack ABI (Go before go1.17) an argument that DWARF does not
// locate at pc, or whose DWARF location cannot be read in this frame, is
// read from its stack slot when the frame layout determines it (see
// stackSlots): the value the caller passed.
func (in *Info) ParamValue(f *Func, p Param, pc uint64, fr Frame, mem Memory, max int) string {
	if expr, ok := p.Location(pc); ok {
		if v := in.valueAt(f, p, expr, fr, mem, max); v != Unknown || !p.hasSlot {
			return v
		}
	}
	if p.hasSlot && !fr.NoCFA {
		return in.valueAt(f, p, slotExpr(p.slot), fr, mem, max)
	}
	return Unknown
}

// slotExpr is the location expression of the stack slot at off from the
// CFA: DW_OP_call_frame_cfa; DW_OP_consts off; DW_OP_plus.
func slotExpr(off int64) []byte {
	e := []byte{opCallFrameCFA, opConsts}
	for {
		b := byte(off & 0x7f)
		off >>= 7
		if off == 0 && b&0x40 == 0 || off == -1 && b&0x40 != 0 {
			e = append(e, b)
			break
		}
		e = append(e, b|0x80)
	}
	return append(e, opPlus)
}

// valueAt is ParamValue for p located by expr.
func (in *Info) valueAt(f *Func, p Param, expr []byte, fr Frame, mem Memory, max int) string {
	if len(f.frameBase) > 0 && (len(f.frameBase) != 1 || f.frameBase[0] != opCallFrameCFA) {
		return Unknown // a frame base other than Go's: not evaluated
	}
	if fr.Mem == nil {
		fr.Mem = mem
	}
	pieces, err := EvalLocation(expr, fr)
	if err != nil || len(pieces) == 0 {
		return Unknown
	}
	t, err := in.typeAt(p.typ)
	if err != nil {
		return Unknown
	}
	size := t.Size()
	if size < 0 {
		return Unknown
	}
	for _, pc := range pieces {
		if pc.Kind == PieceMemory && pc.FromCFA && fr.SP != 0 && pc.Addr < fr.SP {
			return Unknown // a stack slot the frame has not allocated yet (see Frame.SP)
		}
	}
	if len(pieces) == 1 && pieces[0].Size == 0 && pieces[0].Kind == PieceMemory {
		return brief(Value{Name: p.Name, Type: t, Addr: pieces[0].Addr, info: in, mem: mem}, max)
	}
	if len(pieces) == 1 && pieces[0].Size == 0 {
		pieces[0].Size = uint64(size)
	}
	buf := make([]byte, 0, size)
	words := make([]string, 0, len(pieces))
	complete := true
	for _, pc := range pieces {
		b, ok := pieceBytes(pc, fr, mem)
		if !ok {
			complete = false
			words = append(words, Unknown)
			b = make([]byte, pc.Size)
		} else {
			words = append(words, fmt.Sprintf("%#x", leUintAny(b)))
		}
		buf = append(buf, b...)
	}
	if complete && int64(len(buf)) == size {
		return brief(Value{Name: p.Name, Type: t, Addr: overlayBase, info: in, mem: overlay{buf, mem}}, max)
	}
	if len(pieces) == 1 {
		return Unknown
	}
	return cut("{"+strings.Join(words, ", ")+"}", max)
}

// pieceBytes returns the bytes of one piece, false when they are not known.
func pieceBytes(p Piece, fr Frame, mem Memory) ([]byte, bool) {
	if p.Size == 0 || p.Size > 1<<20 {
		return nil, false
	}
	switch p.Kind {
	case PieceMemory:
		b, err := read(mem, p.Addr, int(p.Size))
		return b, err == nil
	case PieceReg, PieceValue:
		v := p.Value
		if p.Kind == PieceReg {
			var ok bool
			if v, ok = fr.reg(p.Reg); !ok {
				return nil, false
			}
		}
		if p.Size > 8 {
			return nil, false
		}
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], v)
		return w[:p.Size], true
	}
	return nil, false
}

// brief formats v for an argument list (see ParamValue).
func brief(v Value, max int) string {
	switch v.info.kind(v.Type) {
	case kindPtr, kindUnsafePointer, kindChan, kindMap, kindFunc:
		if v.Type.Size() != 8 {
			break
		}
		w, err := readWord(v.mem, v.Addr)
		if err != nil {
			return Unknown
		}
		if w == 0 {
			return "nil"
		}
		return fmt.Sprintf("%#x", w)
	}
	return cut(v.String(), max)
}

// cut shortens s to at most max bytes, ending in "..." when it does.
func cut(s string, max int) string {
	if max <= 3 || len(s) <= max {
		return s
	}
	return s[:max-3] + "..."
}

// FormatArgs formats the inputs of f (not its results) at pc in frame fr
// as "name=value, ...", each value as ParamValue shows it in at most max
// characters.
func (in *Info) FormatArgs(f *Func, pc uint64, fr Frame, mem Memory, max int) string {
	var parts []string
	for _, p := range f.Params {
		if p.Result {
			continue
		}
		parts = append(parts, p.Name+"="+in.ParamValue(f, p, pc, fr, mem, max))
	}
	return strings.Join(parts, ", ")
}
