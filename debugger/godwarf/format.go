package godwarf

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Bounds on what String prints.
const (
	maxElems  = 64      // array and slice elements, struct fields
	maxDepth  = 3       // nesting of composite values
	maxString = 256     // bytes of a string
	maxOutput = 1 << 16 // total characters, roughly
	maxLen    = 1 << 48 // lengths beyond this are garbage
	pageSize  = 4096
)

// String formats the value much as Go would, within bounds: at most
// maxElems elements or fields of each composite, nesting to maxDepth
// ("{...}" below), strings cut at maxString bytes with "...". Memory that
// cannot be read shows as <cannot read ...> in place of the part affected.
//
//	42, true, 3.25, (1+2i), 0x1234 (uintptr), "hello"
//	[]int len: 3, cap: 3, [1,2,3]
//	[5]int [2,3,5,7,11]
//	main.outer {n: 7, in: main.inner {a: -3, b: "in"}, p: (*int)(0x57e3a0)}
//	(*runtime.m)(0x54a2e0), (*int)(nil), unsafe.Pointer(0x...)
//	map[string]int(nil), map[string]int(0xc000010000) len: 1
//	interface {}(nil), interface {}(int) 7, error(*errors.errorString) (*errors.errorString)(0x...)
//	func() nil, func() 0x4a1234 (main.helper)
//
// The runtime's atomic types show as the value they hold; fields named _
// and fields of size zero are left out.
func (v Value) String() string {
	if v.valid() != nil {
		return "<invalid value>"
	}
	p := &printer{in: v.info, r: &cache{mem: v.mem, pages: make(map[uint64][]byte)}}
	p.value(v.Type, v.Addr, 0, false)
	return p.b.String()
}

// printer formats one value.
type printer struct {
	in   *Info
	r    *cache
	b    strings.Builder
	nest int // calls of value in progress, against cyclic DWARF
}

// full reports whether the output budget is spent.
func (p *printer) full() bool { return p.b.Len() > maxOutput }

func (p *printer) errorf(err error) {
	p.b.WriteString("<")
	p.b.WriteString(err.Error())
	p.b.WriteString(">")
}

// value formats the value of type t at addr. implied says the type has
// already been shown (elements of arrays and slices, dynamic values of
// interfaces), so composites leave their type name out.
func (p *printer) value(t dwarf.Type, addr uint64, depth int, implied bool) {
	if p.nest > 4*maxDepth+16 {
		p.b.WriteString("<too deeply nested>")
		return
	}
	p.nest++
	defer func() { p.nest-- }()
	k := p.in.kind(t)
	u := underlying(t)
	name := typeName2(t)
	switch k {
	case kindBool:
		if b, ok := p.read(addr, 1); ok {
			p.b.WriteString(strconv.FormatBool(b[0] != 0))
		}
	case kindInt, kindInt8, kindInt16, kindInt32, kindInt64:
		if b, ok := p.readScalar(addr, u.Size()); ok {
			p.b.WriteString(strconv.FormatInt(signExtend(leUint(b), u.Size()), 10))
		}
	case kindUint, kindUint8, kindUint16, kindUint32, kindUint64:
		if b, ok := p.readScalar(addr, u.Size()); ok {
			p.b.WriteString(strconv.FormatUint(leUint(b), 10))
		}
	case kindUintptr:
		if b, ok := p.readScalar(addr, u.Size()); ok {
			fmt.Fprintf(&p.b, "%#x", leUint(b))
		}
	case kindFloat32, kindFloat64, kindComplex64, kindComplex128:
		p.float(k, addr)
	case kindString:
		p.str(addr)
	case kindSlice:
		p.slice(t, addr, depth, implied)
	case kindArray:
		p.array(t, addr, depth, implied)
	case kindStruct:
		p.structure(t, addr, depth, implied)
	case kindPtr:
		if w, ok := p.word(addr); ok {
			p.pointer(name, w)
		}
	case kindUnsafePointer:
		if w, ok := p.word(addr); ok {
			if w == 0 {
				fmt.Fprintf(&p.b, "%s(nil)", name)
			} else {
				fmt.Fprintf(&p.b, "%s(%#x)", name, w)
			}
		}
	case kindMap:
		p.mapValue(t, addr)
	case kindChan:
		p.chanValue(t, addr)
	case kindFunc:
		p.funcValue(name, addr)
	case kindInterface:
		p.iface(t, addr, depth)
	default:
		fmt.Fprintf(&p.b, "<%s at %#x: unsupported type>", name, addr)
	}
}

// read reads n bytes, printing the error in place on failure.
func (p *printer) read(addr uint64, n int) ([]byte, bool) {
	b, err := p.r.read(addr, n)
	if err != nil {
		p.errorf(err)
		return nil, false
	}
	return b, true
}

func (p *printer) readScalar(addr uint64, size int64) ([]byte, bool) {
	switch size {
	case 1, 2, 4, 8:
		return p.read(addr, int(size))
	}
	fmt.Fprintf(&p.b, "<integer of size %d>", size)
	return nil, false
}

func (p *printer) word(addr uint64) (uint64, bool) {
	b, ok := p.read(addr, 8)
	if !ok {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b), true
}

func (p *printer) float(k int, addr uint64) {
	switch k {
	case kindFloat32:
		if b, ok := p.read(addr, 4); ok {
			p.b.WriteString(fmt.Sprint(math.Float32frombits(binary.LittleEndian.Uint32(b))))
		}
	case kindFloat64:
		if b, ok := p.read(addr, 8); ok {
			p.b.WriteString(fmt.Sprint(math.Float64frombits(binary.LittleEndian.Uint64(b))))
		}
	case kindComplex64:
		if b, ok := p.read(addr, 8); ok {
			re := math.Float32frombits(binary.LittleEndian.Uint32(b))
			im := math.Float32frombits(binary.LittleEndian.Uint32(b[4:]))
			p.b.WriteString(fmt.Sprint(complex(re, im)))
		}
	case kindComplex128:
		if b, ok := p.read(addr, 16); ok {
			re := math.Float64frombits(binary.LittleEndian.Uint64(b))
			im := math.Float64frombits(binary.LittleEndian.Uint64(b[8:]))
			p.b.WriteString(fmt.Sprint(complex(re, im)))
		}
	}
}

func (p *printer) str(addr uint64) {
	hdr, ok := p.read(addr, 16)
	if !ok {
		return
	}
	data, n := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint64(hdr[8:])
	if n > maxLen {
		fmt.Fprintf(&p.b, "<string at %#x with bad length %d>", data, int64(n))
		return
	}
	k := min(n, maxString)
	b, ok := p.read(data, int(k))
	if !ok {
		return
	}
	p.b.WriteString(strconv.Quote(string(b)))
	if n > k {
		p.b.WriteString("...")
	}
}

// elems formats n elements of type elem laid out from data, as [a,b,c].
func (p *printer) elems(elem dwarf.Type, data uint64, n int64, depth int) {
	size := elem.Size()
	if size < 0 {
		fmt.Fprintf(&p.b, "<element type %s has unknown size>", typeName2(elem))
		return
	}
	p.b.WriteByte('[')
	shown := min(n, maxElems)
	for i := int64(0); i < shown; i++ {
		if i > 0 {
			p.b.WriteByte(',')
		}
		if p.full() {
			p.b.WriteString("...")
			break
		}
		p.value(elem, data+uint64(i)*uint64(size), depth+1, true)
	}
	if n > shown {
		fmt.Fprintf(&p.b, ",...+%d more", n-shown)
	}
	p.b.WriteByte(']')
}

func (p *printer) slice(t dwarf.Type, addr uint64, depth int, implied bool) {
	st := underlying(t).(*dwarf.StructType)
	hdr, ok := p.read(addr, 24)
	if !ok {
		return
	}
	data := binary.LittleEndian.Uint64(hdr)
	n, c := int64(binary.LittleEndian.Uint64(hdr[8:])), int64(binary.LittleEndian.Uint64(hdr[16:]))
	if !implied {
		fmt.Fprintf(&p.b, "%s len: %d, cap: %d, ", typeName2(t), n, c)
	}
	switch {
	case n < 0 || n > maxLen || c < n || c > maxLen:
		p.b.WriteString("<bad slice header>")
	case data == 0 && n == 0:
		p.b.WriteString("nil")
	case depth >= maxDepth:
		p.b.WriteString("[...]")
	default:
		ptr, ok := underlying(st.Field[0].Type).(*dwarf.PtrType)
		if !ok {
			p.b.WriteString("<slice without element type>")
			return
		}
		p.elems(ptr.Type, data, n, depth)
	}
}

func (p *printer) array(t dwarf.Type, addr uint64, depth int, implied bool) {
	at, ok := underlying(t).(*dwarf.ArrayType)
	if !ok {
		fmt.Fprintf(&p.b, "<%s at %#x: unsupported array type>", typeName2(t), addr)
		return
	}
	if !implied {
		p.b.WriteString(typeName2(t))
		p.b.WriteByte(' ')
	}
	switch {
	case at.Count < 0:
		p.b.WriteString("[?]")
	case depth >= maxDepth:
		p.b.WriteString("[...]")
	default:
		p.elems(at.Type, addr, at.Count, depth)
	}
}

// anonymous reports whether a struct type name is a type literal rather
// than a name worth printing.
func anonymous(name string) bool {
	return name == "" || strings.HasPrefix(name, "struct {") || strings.HasPrefix(name, "noalg.")
}

func (p *printer) structure(t dwarf.Type, addr uint64, depth int, implied bool) {
	st, ok := underlying(t).(*dwarf.StructType)
	if !ok {
		fmt.Fprintf(&p.b, "<%s at %#x: unsupported struct type>", typeName2(t), addr)
		return
	}
	if f, ok := atomicValue(st); ok {
		if n := f.Type.Size(); strings.HasSuffix(st.StructName, ".Bool") && n >= 1 && n <= 8 {
			if b, ok := p.read(addr+uint64(f.ByteOffset), int(n)); ok {
				p.b.WriteString(strconv.FormatBool(leUintAny(b) != 0))
			}
			return
		}
		p.value(f.Type, addr+uint64(f.ByteOffset), depth, implied)
		return
	}
	if name := typeName2(t); !implied && !anonymous(name) {
		p.b.WriteString(name)
		p.b.WriteByte(' ')
	}
	var fields []*dwarf.StructField
	for _, f := range st.Field {
		// Zero-size fields (_ padding, noCopy, lock ranks) hold nothing.
		if f.Name != "_" && f.Type.Size() != 0 {
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 {
		p.b.WriteString("{}")
		return
	}
	if depth >= maxDepth {
		p.b.WriteString("{...}")
		return
	}
	p.b.WriteByte('{')
	shown := 0
	for _, f := range fields {
		if shown > 0 {
			p.b.WriteString(", ")
		}
		if shown == maxElems || p.full() {
			p.b.WriteString("...")
			break
		}
		shown++
		p.b.WriteString(f.Name)
		p.b.WriteString(": ")
		p.value(f.Type, addr+uint64(f.ByteOffset), depth+1, false)
	}
	p.b.WriteByte('}')
}

func (p *printer) pointer(name string, w uint64) {
	if w == 0 {
		fmt.Fprintf(&p.b, "(%s)(nil)", name)
		return
	}
	fmt.Fprintf(&p.b, "(%s)(%#x)", name, w)
}

// pointee returns the struct a map or channel value points to.
func pointee(t dwarf.Type) *dwarf.StructType {
	if pt, ok := underlying(t).(*dwarf.PtrType); ok {
		if st, ok := underlying(pt.Type).(*dwarf.StructType); ok {
			return st
		}
	}
	return nil
}

// intField reads the integer field name of the struct st at addr.
func (p *printer) intField(st *dwarf.StructType, addr uint64, name string) (int64, bool) {
	for _, f := range st.Field {
		if f.Name != name {
			continue
		}
		b, err := p.r.read(addr+uint64(f.ByteOffset), int(f.Type.Size()))
		if err != nil || len(b) == 0 || len(b) > 8 {
			return 0, false
		}
		return int64(leUint(b)), true
	}
	return 0, false
}

// mapValue shows the map header address and the number of entries: the
// count field of hash<K,V> (the hmap of go1.23 and earlier) or the used
// field of map<K,V> (the Swiss-table map since go1.24).
func (p *printer) mapValue(t dwarf.Type, addr uint64) {
	if w, st := p.header(t, addr); st != nil {
		for _, f := range []string{"count", "used"} {
			if n, ok := p.intField(st, w, f); ok {
				fmt.Fprintf(&p.b, " len: %d", n)
				break
			}
		}
	}
}

// header shows a map or channel value of type t at addr as its type and
// the address of the runtime structure it points to, and returns that
// address and the structure's type when there is one to read fields of.
func (p *printer) header(t dwarf.Type, addr uint64) (uint64, *dwarf.StructType) {
	w, ok := p.word(addr)
	if !ok {
		return 0, nil
	}
	name := typeName2(t)
	if w == 0 {
		fmt.Fprintf(&p.b, "%s(nil)", name)
		return 0, nil
	}
	fmt.Fprintf(&p.b, "%s(%#x)", name, w)
	return w, pointee(t)
}

func (p *printer) chanValue(t dwarf.Type, addr uint64) {
	if w, st := p.header(t, addr); st != nil {
		n, ok1 := p.intField(st, w, "qcount")
		c, ok2 := p.intField(st, w, "dataqsiz")
		if ok1 && ok2 {
			fmt.Fprintf(&p.b, " len: %d, cap: %d", n, c)
		}
	}
}

// funcValue shows a func value: a pointer to a funcval, whose first word
// is the entry PC, named from the symbol table when possible.
func (p *printer) funcValue(name string, addr uint64) {
	w, ok := p.word(addr)
	if !ok {
		return
	}
	if w == 0 {
		fmt.Fprintf(&p.b, "%s nil", name)
		return
	}
	pc, err := p.r.word(w)
	if err != nil {
		fmt.Fprintf(&p.b, "%s <closure %#x: %v>", name, w, err)
		return
	}
	fmt.Fprintf(&p.b, "%s %#x", name, pc)
	if sym := p.in.symbolize(pc); sym != "" {
		fmt.Fprintf(&p.b, " (%s)", sym)
	}
}

// symbolize names the function containing pc, "" if unknown.
func (in *Info) symbolize(pc uint64) string {
	if in.syms == nil {
		return ""
	}
	s, off, ok := in.syms.ByAddr(pc)
	if !ok || s.Kind != 'T' {
		return ""
	}
	if off == 0 {
		return s.Name
	}
	return fmt.Sprintf("%s+%#x", s.Name, off)
}

// iface shows an interface value: nil, or its dynamic type and value when
// the type descriptor is one the DWARF describes (DW_AT_go_runtime_type),
// else the descriptor and data addresses.
func (p *printer) iface(t dwarf.Type, addr uint64, depth int) {
	name := typeName2(t)
	st, ok := underlying(t).(*dwarf.StructType)
	if !ok || len(st.Field) != 2 {
		fmt.Fprintf(&p.b, "<%s at %#x: unsupported interface type>", name, addr)
		return
	}
	hdr, ok := p.read(addr, 16)
	if !ok {
		return
	}
	first, data := binary.LittleEndian.Uint64(hdr), binary.LittleEndian.Uint64(hdr[8:])
	if first == 0 {
		fmt.Fprintf(&p.b, "%s(nil)", name)
		return
	}
	typ := first
	if st.Field[0].Name == "tab" {
		// A non-empty interface points to an itab: {inter, _type, ...}.
		w, err := p.r.word(first + 8)
		if err != nil {
			fmt.Fprintf(&p.b, "%s(itab %#x, %#x)", name, first, data)
			return
		}
		typ = w
	}
	dt := p.in.typeByDescriptor(typ)
	if dt == nil {
		fmt.Fprintf(&p.b, "%s(%#x, %#x)", name, typ, data)
		return
	}
	fmt.Fprintf(&p.b, "%s(%s) ", name, typeName2(dt))
	if p.in.direct(dt, 0) {
		// Pointer-shaped values are stored in the data word itself.
		p.value(dt, addr+8, depth+1, true)
		return
	}
	p.value(dt, data, depth+1, true)
}

// typeByDescriptor returns the type whose runtime type descriptor is at
// addr, or nil.
func (in *Info) typeByDescriptor(addr uint64) dwarf.Type {
	off, ok := in.rtypes[addr]
	if !ok {
		return nil
	}
	t, err := in.typeAt(off)
	if err != nil {
		return nil
	}
	return t
}

// direct reports whether values of type t are stored directly in an
// interface's data word: pointer-shaped types, and arrays and structs
// whose only element is one.
func (in *Info) direct(t dwarf.Type, depth int) bool {
	if depth > 8 {
		return false
	}
	switch in.kind(t) {
	case kindPtr, kindUnsafePointer, kindMap, kindChan, kindFunc:
		return true
	case kindArray:
		at, ok := underlying(t).(*dwarf.ArrayType)
		return ok && at.Count == 1 && in.direct(at.Type, depth+1)
	case kindStruct:
		st, ok := underlying(t).(*dwarf.StructType)
		return ok && len(st.Field) == 1 && in.direct(st.Field[0].Type, depth+1)
	}
	return false
}

// cache reads guest memory a page at a time for one String call, falling
// back to exact reads where a whole page cannot be read.
type cache struct {
	mem   Memory
	pages map[uint64][]byte // nil entry: page not readable as a whole
}

func (c *cache) page(base uint64) []byte {
	if b, ok := c.pages[base]; ok {
		return b
	}
	b := make([]byte, pageSize)
	if c.mem.Peek(base, b) != nil {
		b = nil
	}
	c.pages[base] = b
	return b
}

func (c *cache) read(addr uint64, n int) ([]byte, error) {
	if n < 0 || n > 4*pageSize || addr+uint64(n) < addr {
		return read(c.mem, addr, n)
	}
	out := make([]byte, 0, n)
	for a := addr; a < addr+uint64(n); {
		base := a &^ (pageSize - 1)
		pg := c.page(base)
		if pg == nil {
			return read(c.mem, addr, n)
		}
		end := min(addr+uint64(n), base+pageSize)
		out = append(out, pg[a-base:end-base]...)
		a = end
	}
	return out, nil
}

func (c *cache) word(addr uint64) (uint64, error) {
	b, err := c.read(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// leUintAny decodes a little-endian number of 1 to 8 bytes.
func leUintAny(b []byte) uint64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	return u
}
