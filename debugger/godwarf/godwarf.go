// Package godwarf evaluates and formats Go variables in guest memory using
// the DWARF type information the Go linker writes into the executable.
//
// Load scans the DWARF once for package-level variables (DW_TAG_variable
// entries at compile-unit level whose location is DW_OP_addr) and named
// types. Eval resolves small Go-like expressions over them ("runtime.sched",
// "main.st.in.b", "*main.sp", "runtime.allp[0].status") to a Value, whose
// String method prints it much as Go would, within fixed bounds.
//
// Go's DWARF differs from C's in ways this package knows about: strings,
// slices and interfaces are DW_TAG_structure_type entries (recognised by the
// Go kind attribute, DW_AT_go_kind, or failing that by name and shape),
// named types are typedefs of a type with the same name, maps and channels
// are pointers to synthesized structs (hash<K,V>, map<K,V>, hchan<T>), and
// the runtime's atomic types (runtime/internal/atomic.Int32,
// internal/runtime/atomic.Uint32, sync/atomic.Int64, ...) are structs that
// wrap one value, shown as that value.
package godwarf

import (
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gouth-emu/gouth-emu/loader"
)

// Memory reads guest memory: the emulator's Peek, or a file image (Image).
type Memory interface {
	Peek(addr uint64, p []byte) error
}

// Image returns a Memory that reads the initial process image of f: the
// file contents of its PT_LOAD segments, with the bss reading as zero.
// Static data (initialised globals, string and slice literals, type
// descriptors) is there before the program runs.
func Image(f *loader.File) Memory { return imageMemory{f} }

type imageMemory struct{ f *loader.File }

func (m imageMemory) Peek(addr uint64, p []byte) error {
	b, ok := m.f.ReadImage(addr, uint64(len(p)))
	if !ok {
		return errors.New("not in the initial image")
	}
	copy(p, b)
	return nil
}

// Go-specific DWARF attributes (cmd/internal/dwarf).
const (
	attrGoKind        dwarf.Attr = 0x2900
	attrGoEmbedded    dwarf.Attr = 0x2903
	attrGoRuntimeType dwarf.Attr = 0x2904
)

// Go type kinds, as in the DW_AT_go_kind attribute (reflect.Kind values).
const (
	kindInvalid = iota
	kindBool
	kindInt
	kindInt8
	kindInt16
	kindInt32
	kindInt64
	kindUint
	kindUint8
	kindUint16
	kindUint32
	kindUint64
	kindUintptr
	kindFloat32
	kindFloat64
	kindComplex64
	kindComplex128
	kindArray
	kindChan
	kindFunc
	kindInterface
	kindMap
	kindPtr
	kindSlice
	kindString
	kindStruct
	kindUnsafePointer
)

// global is a package-level variable.
type global struct {
	addr uint64
	typ  dwarf.Offset
}

// Info is the DWARF view of one guest executable. It is safe for
// concurrent use.
type Info struct {
	data *dwarf.Data
	syms *loader.Symbols // nil if the binary has no symbols

	globals map[string]global
	names   []string // sorted keys of globals

	typeOffs map[string]dwarf.Offset // type name → entry, preferring non-typedefs
	kinds    map[string]int          // type name → Go kind, where DWARF says
	embedded map[string]bool         // "struct\x00field" for embedded fields
	rtypes   map[uint64]dwarf.Offset // runtime type descriptor address → entry

	mu    sync.Mutex // serializes data.Type, whose cache is not goroutine-safe
	types map[dwarf.Offset]dwarf.Type
	uint8 dwarf.Type // for indexing strings

	// Functions (args.go): subprograms with code, sorted by address.
	file      *loader.File
	units     []unit
	funcs     []funcRange
	funcMu    sync.Mutex
	funcCache map[dwarf.Offset]*Func // nil entries: unreadable
	secOnce   sync.Once
	loc       []byte // .debug_loc (DWARF 4)
	loclists  []byte // .debug_loclists (DWARF 5)
	addr      []byte // .debug_addr (DWARF 5)

	srcMu   sync.Mutex
	sources map[string]*sourceFile // parsed source files by path (source.go)
}

// Load parses the DWARF of f once. A binary linked without DWARF gives
// loader's one-line "no DWARF debug info" error.
func Load(f *loader.File) (*Info, error) {
	d, err := f.DWARF()
	if err != nil {
		return nil, err
	}
	in := &Info{
		data:     d,
		globals:  make(map[string]global),
		typeOffs: make(map[string]dwarf.Offset),
		kinds:    make(map[string]int),
		embedded: make(map[string]bool),
		rtypes:   make(map[uint64]dwarf.Offset),
		types:    make(map[dwarf.Offset]dwarf.Type),
		file:     f,

		funcCache: make(map[dwarf.Offset]*Func),
	}
	if s, err := f.Symbols(); err == nil {
		in.syms = s
	}
	if err := in.scan(); err != nil {
		return nil, err
	}
	in.names = make([]string, 0, len(in.globals))
	for n := range in.globals {
		in.names = append(in.names, n)
	}
	sort.Strings(in.names)
	sort.Slice(in.funcs, func(i, j int) bool { return in.funcs[i].lo < in.funcs[j].lo })
	if off, ok := in.typeOffs["uint8"]; ok {
		in.uint8, _ = in.typeAt(off)
	}
	if in.uint8 == nil {
		in.uint8 = &dwarf.UintType{BasicType: dwarf.BasicType{CommonType: dwarf.CommonType{ByteSize: 1, Name: "uint8"}}}
	}
	return in, nil
}

// scan walks the top level of every compile unit, recording variables and
// types. debug/dwarf may panic on malformed input: that becomes an error.
func (in *Info) scan() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed DWARF: %v", r)
		}
	}()
	var typesBase uint64
	if in.syms != nil {
		for _, n := range []string{"runtime.types", "type:*", "type.*"} {
			if s, ok := in.syms.Lookup(n); ok {
				typesBase = s.Addr
				break
			}
		}
	}
	typedefs := make(map[string]bool) // names whose typeOffs entry is a typedef
	type named struct {
		off  dwarf.Offset
		name string
	}
	var unnamed []named
	unitIdx := -1
	r := in.data.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			return fmt.Errorf("malformed DWARF: %v", err)
		}
		if e == nil {
			break
		}
		if e.Tag == dwarf.TagCompileUnit {
			unitIdx = in.addUnit(e)
		}
		if e.Tag == dwarf.TagCompileUnit || e.Tag == 0 {
			continue // descend into the unit; 0 ends one
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch e.Tag {
		case dwarf.TagSubprogram:
			in.addFunc(e, unitIdx)
		case dwarf.TagVariable:
			in.addGlobal(e, name)
		case dwarf.TagBaseType, dwarf.TagStructType, dwarf.TagTypedef, dwarf.TagPointerType,
			dwarf.TagArrayType, dwarf.TagSubroutineType, dwarf.TagUnspecifiedType:
			if name == "" {
				break
			}
			// Go writes a named type as a typedef of a type with the same
			// name; the latter is preferred, so that Type("runtime.g") is
			// the *dwarf.StructType.
			if _, ok := in.typeOffs[name]; !ok || typedefs[name] && e.Tag != dwarf.TagTypedef {
				in.typeOffs[name] = e.Offset
				typedefs[name] = e.Tag == dwarf.TagTypedef
			}
			if k, ok := e.Val(attrGoKind).(int64); ok && k > 0 {
				if _, seen := in.kinds[name]; !seen {
					in.kinds[name] = int(k)
				}
			}
			if addr := attrUint(e, attrGoRuntimeType); addr != 0 && typesBase != 0 {
				if addr < typesBase {
					addr += typesBase // an offset into runtime.types (go1.19, go1.26); go1.17 wrote the address
				}
				if _, seen := in.rtypes[addr]; !seen {
					in.rtypes[addr] = e.Offset
				}
			}
			switch e.Tag {
			case dwarf.TagPointerType, dwarf.TagArrayType, dwarf.TagSubroutineType:
				// debug/dwarf drops the names of these; put them back.
				unnamed = append(unnamed, named{e.Offset, name})
			}
			if e.Tag == dwarf.TagStructType && e.Children {
				if err := in.scanMembers(r, name); err != nil {
					return err
				}
				continue
			}
		}
		if e.Children {
			r.SkipChildren()
		}
	}
	// Go names pointer, array and function types ("*runtime.m",
	// "[4]uint8", "func() int32", "unsafe.Pointer", "main.P"); debug/dwarf
	// keeps no name for them. Its type cache hands out one object per
	// entry, so naming the objects once names them everywhere.
	for _, u := range unnamed {
		t, err := in.typeAt(u.off)
		if err != nil {
			continue
		}
		if c := t.Common(); c.Name == "" {
			c.Name = u.name
		}
	}
	return nil
}

// attrUint returns a numeric attribute of e, whatever its form, or 0.
func attrUint(e *dwarf.Entry, a dwarf.Attr) uint64 {
	switch v := e.Val(a).(type) {
	case int64:
		if v > 0 {
			return uint64(v)
		}
	case uint64:
		return v
	}
	return 0
}

// scanMembers records which members of the struct type just read are
// embedded fields, leaving r after the struct's children.
func (in *Info) scanMembers(r *dwarf.Reader, structName string) error {
	for {
		c, err := r.Next()
		if err != nil {
			return fmt.Errorf("malformed DWARF: %v", err)
		}
		if c == nil || c.Tag == 0 {
			return nil
		}
		if c.Tag == dwarf.TagMember {
			if emb, ok := c.Val(attrGoEmbedded).(bool); ok && emb {
				fname, _ := c.Val(dwarf.AttrName).(string)
				in.embedded[structName+"\x00"+fname] = true
			}
		}
		if c.Children {
			r.SkipChildren()
		}
	}
}

// addGlobal records a package-level variable whose location is a fixed
// address (DW_OP_addr).
func (in *Info) addGlobal(e *dwarf.Entry, name string) {
	loc, ok := e.Val(dwarf.AttrLocation).([]byte)
	if name == "" || !ok || len(loc) != 9 || loc[0] != 0x03 { // DW_OP_addr
		return
	}
	typ, ok := e.Val(dwarf.AttrType).(dwarf.Offset)
	if !ok {
		return
	}
	if _, dup := in.globals[name]; dup {
		return
	}
	in.globals[name] = global{addr: binary.LittleEndian.Uint64(loc[1:]), typ: typ}
}

// typeAt returns the type whose entry is at off.
func (in *Info) typeAt(off dwarf.Offset) (t dwarf.Type, err error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if t, ok := in.types[off]; ok {
		return t, nil
	}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("malformed DWARF type at %#x: %v", off, r)
		}
	}()
	t, err = in.data.Type(off)
	if err != nil {
		return nil, fmt.Errorf("malformed DWARF type at %#x: %v", off, err)
	}
	in.types[off] = t
	return t, nil
}

// Globals returns the names of the package-level variables, sorted.
func (in *Info) Globals() []string {
	return append([]string(nil), in.names...)
}

// Type returns the type named name ("runtime.g", "*runtime.m", "[]uint8",
// "string"). For a named Go type it is the type the typedef of that name
// refers to, e.g. a *dwarf.StructType for "runtime.g".
func (in *Info) Type(name string) (dwarf.Type, error) {
	off, ok := in.typeOffs[name]
	if !ok {
		return nil, fmt.Errorf("no type %q", name)
	}
	return in.typeAt(off)
}

// FieldOffset returns the offset of the field at fieldPath ("sched.sp",
// dot-separated, promoted fields of embedded structs allowed) inside the
// type typeName, and the field's type. It does not follow pointers.
func (in *Info) FieldOffset(typeName, fieldPath string) (uint64, dwarf.Type, error) {
	t, err := in.Type(typeName)
	if err != nil {
		return 0, nil, err
	}
	if fieldPath == "" {
		return 0, t, nil
	}
	var off uint64
	where := typeName
	for _, name := range strings.Split(fieldPath, ".") {
		st, ok := underlying(t).(*dwarf.StructType)
		if !ok {
			return 0, nil, fmt.Errorf("%s is not a struct (type %s)", where, typeName2(t))
		}
		f, foff, ok := in.findField(st, name)
		if !ok {
			return 0, nil, fmt.Errorf("%s has no field %q", where, name)
		}
		off += foff
		t = f.Type
		where += "." + name
	}
	return off, t, nil
}

// findField looks name up in st, then among the fields promoted from its
// embedded structs (breadth first, as Go resolves selectors). It returns
// the field and its offset from the start of st.
func (in *Info) findField(st *dwarf.StructType, name string) (*dwarf.StructField, uint64, bool) {
	type level struct {
		st  *dwarf.StructType
		off uint64
	}
	cur := []level{{st, 0}}
	for depth := 0; depth < 8 && len(cur) > 0; depth++ {
		var next []level
		for _, l := range cur {
			for _, f := range l.st.Field {
				if f.Name == name {
					return f, l.off + uint64(f.ByteOffset), true
				}
			}
		}
		for _, l := range cur {
			for _, f := range l.st.Field {
				if !in.isEmbedded(l.st, f) {
					continue
				}
				if fs, ok := underlying(f.Type).(*dwarf.StructType); ok {
					next = append(next, level{fs, l.off + uint64(f.ByteOffset)})
				}
			}
		}
		cur = next
	}
	return nil, 0, false
}

// isEmbedded reports whether f is an embedded field of st, as the DWARF
// says (DW_AT_go_embedded_field).
func (in *Info) isEmbedded(st *dwarf.StructType, f *dwarf.StructField) bool {
	return in.embedded[st.StructName+"\x00"+f.Name]
}

// underlying strips typedefs and qualifiers.
func underlying(t dwarf.Type) dwarf.Type {
	for i := 0; i < 64; i++ {
		switch u := t.(type) {
		case *dwarf.TypedefType:
			t = u.Type
		case *dwarf.QualType:
			t = u.Type
		default:
			return t
		}
	}
	return t
}

// goName is the name DWARF gives t, "" if none.
func goName(t dwarf.Type) string {
	if st, ok := t.(*dwarf.StructType); ok {
		return st.StructName
	}
	return t.Common().Name
}

// typeName2 is the Go name of t: DWARF's name when there is one.
func typeName2(t dwarf.Type) string {
	if t == nil {
		return "<nil type>"
	}
	if n := goName(t); n != "" {
		return n
	}
	return t.String()
}

// kind returns the Go kind of t: from DW_AT_go_kind when the DWARF records
// it for t's name, else from the DWARF type's shape.
func (in *Info) kind(t dwarf.Type) int {
	for i := 0; i < 64; i++ {
		if k, ok := in.kinds[goName(t)]; ok && k != kindInvalid {
			return k
		}
		switch u := t.(type) {
		case *dwarf.TypedefType:
			t = u.Type
			continue
		case *dwarf.QualType:
			t = u.Type
			continue
		}
		return shapeKind(t)
	}
	return kindInvalid
}

// shapeKind is the Go kind of a type that is not a typedef, from its shape.
func shapeKind(t dwarf.Type) int {
	switch u := t.(type) {
	case *dwarf.BoolType:
		return kindBool
	case *dwarf.IntType, *dwarf.CharType:
		switch t.Size() {
		case 1:
			return kindInt8
		case 2:
			return kindInt16
		case 4:
			return kindInt32
		}
		return kindInt64
	case *dwarf.UintType, *dwarf.UcharType:
		switch t.Size() {
		case 1:
			return kindUint8
		case 2:
			return kindUint16
		case 4:
			return kindUint32
		}
		if goName(u) == "uintptr" {
			return kindUintptr
		}
		return kindUint64
	case *dwarf.AddrType:
		return kindUintptr
	case *dwarf.FloatType:
		if t.Size() == 4 {
			return kindFloat32
		}
		return kindFloat64
	case *dwarf.ComplexType:
		if t.Size() == 8 {
			return kindComplex64
		}
		return kindComplex128
	case *dwarf.ArrayType:
		return kindArray
	case *dwarf.FuncType:
		return kindFunc
	case *dwarf.PtrType:
		if goName(u) == "unsafe.Pointer" {
			return kindUnsafePointer
		}
		return kindPtr
	case *dwarf.StructType:
		switch {
		case isStringShape(u):
			return kindString
		case isSliceShape(u):
			return kindSlice
		case isIfaceShape(u):
			return kindInterface
		}
		return kindStruct
	}
	return kindInvalid
}

func fieldNames(st *dwarf.StructType) string {
	var b strings.Builder
	for i, f := range st.Field {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Name)
	}
	return b.String()
}

func isStringShape(st *dwarf.StructType) bool {
	return st.ByteSize == 16 && fieldNames(st) == "str,len"
}

func isSliceShape(st *dwarf.StructType) bool {
	if st.ByteSize != 24 || fieldNames(st) != "array,len,cap" {
		return false
	}
	_, ok := st.Field[0].Type.(*dwarf.PtrType)
	return ok && strings.HasPrefix(st.StructName, "[]")
}

// isIfaceShape recognises runtime.eface and runtime.iface, which is what
// the typedef of every interface type refers to.
func isIfaceShape(st *dwarf.StructType) bool {
	return (st.StructName == "runtime.eface" || st.StructName == "runtime.iface") && st.ByteSize == 16 && len(st.Field) == 2
}

// atomicValue returns the one field holding the value of a struct from an
// atomic package (runtime/internal/atomic, internal/runtime/atomic,
// sync/atomic), or of a type defined as one (it has an atomic.noCopy
// field, like runtime.goroutineProfileStateHolder): every other field has
// size zero.
func atomicValue(st *dwarf.StructType) (*dwarf.StructField, bool) {
	name := st.StructName
	isAtomic := false
	if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
		pkg := name[:dot]
		isAtomic = pkg == "atomic" || strings.HasSuffix(pkg, "/atomic")
	}
	for _, f := range st.Field {
		if isAtomic {
			break
		}
		isAtomic = strings.HasSuffix(goName(f.Type), "atomic.noCopy")
	}
	if !isAtomic {
		return nil, false
	}
	var val *dwarf.StructField
	for _, f := range st.Field {
		if f.Type.Size() == 0 {
			continue
		}
		if val != nil {
			return nil, false
		}
		val = f
	}
	return val, val != nil
}
