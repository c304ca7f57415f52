package godwarf

import (
	"debug/dwarf"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Value is a typed location in guest memory: a global, or a part of one
// reached by an expression. Its methods read memory when called, so a Value
// may be kept and printed again as the guest runs.
type Value struct {
	Name string     // the expression, with the global's full name
	Type dwarf.Type // the Go type as DWARF describes it (often a typedef)
	Addr uint64

	info *Info
	mem  Memory
}

// maxAmbiguous bounds the candidates an "ambiguous name" error lists.
const maxAmbiguous = 8

// Eval evaluates expr: a global name ("runtime.ncpu", "main.answer", or a
// unique suffix of one at a '.' or '/' boundary, such as "ncpu"), followed
// by any of .field (following a pointer to a struct, as Go does) and
// [index] (arrays, pointers to arrays, slices, strings), with optional
// leading '*'s that dereference the result.
func (in *Info) Eval(expr string, mem Memory) (Value, error) {
	if mem == nil {
		return Value{}, fmt.Errorf("no memory to evaluate %q in", expr)
	}
	s := strings.TrimSpace(expr)
	derefs := 0
	for strings.HasPrefix(s, "*") {
		derefs++
		s = strings.TrimSpace(s[1:])
	}
	head, tail := s, ""
	if i := strings.IndexByte(s, '['); i >= 0 {
		head, tail = s[:i], s[i:]
	}
	if head == "" {
		return Value{}, fmt.Errorf("bad expression %q: no variable name", expr)
	}
	if strings.ContainsAny(head, " \t()]") {
		return Value{}, fmt.Errorf("bad expression %q", expr)
	}
	segs := strings.Split(head, ".")
	var (
		v     Value
		found bool
		rest  []string
	)
	for n := len(segs); n > 0; n-- {
		name, ok, err := in.lookup(strings.Join(segs[:n], "."))
		if err != nil {
			return Value{}, err
		}
		if ok {
			v, err = in.globalValue(name, mem)
			if err != nil {
				return Value{}, err
			}
			found, rest = true, segs[n:]
			break
		}
	}
	if !found {
		return Value{}, fmt.Errorf("no symbol %q", head)
	}
	var err error
	for _, f := range rest {
		if f == "" {
			return Value{}, fmt.Errorf("bad expression %q: empty field name", expr)
		}
		if v, err = v.Field(f); err != nil {
			return Value{}, err
		}
	}
	for tail != "" {
		switch tail[0] {
		case '[':
			end := strings.IndexByte(tail, ']')
			if end < 0 {
				return Value{}, fmt.Errorf("bad expression %q: missing ]", expr)
			}
			idx, perr := strconv.ParseInt(strings.TrimSpace(tail[1:end]), 0, 64)
			if perr != nil {
				return Value{}, fmt.Errorf("bad expression %q: index %q is not an integer", expr, tail[1:end])
			}
			if v, err = v.Index(idx); err != nil {
				return Value{}, err
			}
			tail = tail[end+1:]
		case '.':
			end := strings.IndexAny(tail[1:], ".[")
			if end < 0 {
				end = len(tail) - 1
			}
			f := tail[1 : 1+end]
			if f == "" {
				return Value{}, fmt.Errorf("bad expression %q: empty field name", expr)
			}
			if v, err = v.Field(f); err != nil {
				return Value{}, err
			}
			tail = tail[1+end:]
		default:
			return Value{}, fmt.Errorf("bad expression %q: unexpected %q", expr, tail)
		}
	}
	for ; derefs > 0; derefs-- {
		if v, err = v.Elem(); err != nil {
			return Value{}, err
		}
	}
	return v, nil
}

// lookup resolves a global name: exactly, or as the unique global ending
// in "."+name or "/"+name.
func (in *Info) lookup(name string) (string, bool, error) {
	if _, ok := in.globals[name]; ok {
		return name, true, nil
	}
	var cands []string
	for _, g := range in.names {
		if strings.HasSuffix(g, name) && len(g) > len(name) {
			if c := g[len(g)-len(name)-1]; c == '.' || c == '/' {
				cands = append(cands, g)
			}
		}
	}
	switch len(cands) {
	case 0:
		return "", false, nil
	case 1:
		return cands[0], true, nil
	}
	sort.Strings(cands)
	list := cands
	if len(list) > maxAmbiguous {
		list = list[:maxAmbiguous]
	}
	more := ""
	if len(cands) > len(list) {
		more = fmt.Sprintf(", and %d more", len(cands)-len(list))
	}
	return "", false, fmt.Errorf("ambiguous name %q: %s%s", name, strings.Join(list, ", "), more)
}

func (in *Info) globalValue(name string, mem Memory) (Value, error) {
	g := in.globals[name]
	t, err := in.typeAt(g.typ)
	if err != nil {
		return Value{}, err
	}
	return Value{Name: name, Type: t, Addr: g.addr, info: in, mem: mem}, nil
}

// At returns the value of type typeName (as for Type) at addr, for reading
// runtime structures reached through pointers: At("runtime.g", gp, mem).
func (in *Info) At(typeName string, addr uint64, mem Memory) (Value, error) {
	t, err := in.Type(typeName)
	if err != nil {
		return Value{}, err
	}
	return Value{Name: fmt.Sprintf("(*%s)(%#x)", typeName, addr), Type: t, Addr: addr, info: in, mem: mem}, nil
}

// read reads n bytes at addr, with the one-line error of this package.
func read(mem Memory, addr uint64, n int) ([]byte, error) {
	b := make([]byte, n)
	if n == 0 {
		return b, nil
	}
	if addr+uint64(n) < addr {
		return nil, fmt.Errorf("cannot read %d bytes at %#x: address wraps around", n, addr)
	}
	if err := mem.Peek(addr, b); err != nil {
		return nil, fmt.Errorf("cannot read %d bytes at %#x: %s", n, addr, oneLine(err.Error()))
	}
	return b, nil
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func readWord(mem Memory, addr uint64) (uint64, error) {
	b, err := read(mem, addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (v Value) valid() error {
	if v.info == nil || v.Type == nil || v.mem == nil {
		return fmt.Errorf("invalid value")
	}
	return nil
}

// Elem dereferences a pointer value.
func (v Value) Elem() (Value, error) {
	if err := v.valid(); err != nil {
		return Value{}, err
	}
	p, ok := underlying(v.Type).(*dwarf.PtrType)
	if !ok || v.info.kind(v.Type) != kindPtr {
		return Value{}, fmt.Errorf("cannot dereference %s (type %s)", v.Name, typeName2(v.Type))
	}
	if _, void := p.Type.(*dwarf.VoidType); void {
		return Value{}, fmt.Errorf("cannot dereference %s (type %s)", v.Name, typeName2(v.Type))
	}
	addr, err := readWord(v.mem, v.Addr)
	if err != nil {
		return Value{}, err
	}
	if addr == 0 {
		return Value{}, fmt.Errorf("nil pointer dereference: %s is nil", v.Name)
	}
	return Value{Name: "*" + v.Name, Type: p.Type, Addr: addr, info: v.info, mem: v.mem}, nil
}

// derefTo returns what v points to when v is a pointer whose target's
// underlying type is, by is, one that Go selects through (p.x for a
// pointer to a struct, p[i] for a pointer to an array); else v itself.
func (v Value) derefTo(is func(dwarf.Type) bool) (Value, error) {
	if v.info.kind(v.Type) != kindPtr || !is(underlying(underlying(v.Type).(*dwarf.PtrType).Type)) {
		return v, nil
	}
	return v.Elem()
}

// Field selects the field name of a struct value, or of the struct a
// pointer value points to. Fields promoted from embedded structs are found
// as in Go.
func (v Value) Field(name string) (Value, error) {
	if err := v.valid(); err != nil {
		return Value{}, err
	}
	base, err := v.derefTo(func(t dwarf.Type) bool { _, ok := t.(*dwarf.StructType); return ok })
	if err != nil {
		return Value{}, err
	}
	base.Name = v.Name // Go writes p.x, not (*p).x
	st, ok := underlying(base.Type).(*dwarf.StructType)
	if !ok || base.info.kind(base.Type) != kindStruct {
		return Value{}, fmt.Errorf("%s is not a struct (type %s), it has no field %q", v.Name, typeName2(v.Type), name)
	}
	f, off, ok := v.info.findField(st, name)
	if !ok {
		return Value{}, fmt.Errorf("%s has no field %q", v.Name, name)
	}
	return Value{Name: v.Name + "." + name, Type: f.Type, Addr: base.Addr + off, info: v.info, mem: v.mem}, nil
}

// Index selects element i of an array, a pointer to an array, a slice, or
// (as a uint8) a string.
func (v Value) Index(i int64) (Value, error) {
	if err := v.valid(); err != nil {
		return Value{}, err
	}
	base, err := v.derefTo(func(t dwarf.Type) bool { _, ok := t.(*dwarf.ArrayType); return ok })
	if err != nil {
		return Value{}, err
	}
	name := fmt.Sprintf("%s[%d]", v.Name, i)
	var (
		elem   dwarf.Type
		length int64
		data   uint64
	)
	switch base.info.kind(base.Type) {
	case kindArray:
		at, ok := underlying(base.Type).(*dwarf.ArrayType)
		if !ok {
			return Value{}, fmt.Errorf("cannot index %s (type %s)", v.Name, typeName2(v.Type))
		}
		elem, length, data = at.Type, at.Count, base.Addr
	case kindSlice, kindString:
		st, ok := underlying(base.Type).(*dwarf.StructType)
		if !ok || len(st.Field) < 2 {
			return Value{}, fmt.Errorf("cannot index %s (type %s)", v.Name, typeName2(v.Type))
		}
		hdr, err := read(v.mem, base.Addr, 16)
		if err != nil {
			return Value{}, err
		}
		data, length = binary.LittleEndian.Uint64(hdr), int64(binary.LittleEndian.Uint64(hdr[8:]))
		if base.info.kind(base.Type) == kindString {
			elem = v.info.uint8
		} else if p, ok := st.Field[0].Type.(*dwarf.PtrType); ok {
			elem = p.Type
		} else {
			return Value{}, fmt.Errorf("cannot index %s (type %s)", v.Name, typeName2(v.Type))
		}
	default:
		return Value{}, fmt.Errorf("cannot index %s (type %s)", v.Name, typeName2(v.Type))
	}
	if i < 0 || length < 0 || i >= length {
		return Value{}, fmt.Errorf("index %d out of range [0:%d]", i, length)
	}
	size := elem.Size()
	if size < 0 {
		return Value{}, fmt.Errorf("cannot index %s: element type %s has unknown size", v.Name, typeName2(elem))
	}
	return Value{Name: name, Type: elem, Addr: data + uint64(i)*uint64(size), info: v.info, mem: v.mem}, nil
}

// unwrapAtomic looks through the runtime's atomic wrappers (a struct
// around one value, possibly nested a few deep) to the type and address
// of the value inside.
func unwrapAtomic(t dwarf.Type, addr uint64) (dwarf.Type, uint64) {
	for i := 0; i < 4; i++ {
		st, ok := underlying(t).(*dwarf.StructType)
		if !ok {
			break
		}
		f, ok := atomicValue(st)
		if !ok {
			break
		}
		t, addr = f.Type, addr+uint64(f.ByteOffset)
	}
	return t, addr
}

// Uint returns the value of an integer, boolean, pointer, channel, map or
// function value (the pointer word for the last three), or of an atomic
// wrapper of one, as an unsigned number.
func (v Value) Uint() (uint64, error) {
	if err := v.valid(); err != nil {
		return 0, err
	}
	t, addr := unwrapAtomic(v.Type, v.Addr)
	switch v.info.kind(t) {
	case kindBool, kindInt, kindInt8, kindInt16, kindInt32, kindInt64,
		kindUint, kindUint8, kindUint16, kindUint32, kindUint64, kindUintptr,
		kindPtr, kindUnsafePointer, kindChan, kindMap, kindFunc:
	default:
		return 0, fmt.Errorf("%s is not an integer (type %s)", v.Name, typeName2(v.Type))
	}
	n := t.Size()
	if n != 1 && n != 2 && n != 4 && n != 8 {
		return 0, fmt.Errorf("%s has unsupported size %d (type %s)", v.Name, n, typeName2(v.Type))
	}
	b, err := read(v.mem, addr, int(n))
	if err != nil {
		return 0, err
	}
	return leUint(b), nil
}

// Int returns an integer value as a signed number (sign-extending signed
// types of every size).
func (v Value) Int() (int64, error) {
	u, err := v.Uint()
	if err != nil {
		return 0, err
	}
	t, _ := unwrapAtomic(v.Type, v.Addr)
	switch v.info.kind(t) {
	case kindInt, kindInt8, kindInt16, kindInt32, kindInt64:
		return signExtend(u, t.Size()), nil
	}
	return int64(u), nil
}

// Str returns the contents of a string value, at most max bytes of it,
// and its full length.
func (v Value) Str(max int) (string, int64, error) {
	if err := v.valid(); err != nil {
		return "", 0, err
	}
	if v.info.kind(v.Type) != kindString {
		return "", 0, fmt.Errorf("%s is not a string (type %s)", v.Name, typeName2(v.Type))
	}
	hdr, err := read(v.mem, v.Addr, 16)
	if err != nil {
		return "", 0, err
	}
	p, n := binary.LittleEndian.Uint64(hdr), int64(binary.LittleEndian.Uint64(hdr[8:]))
	if n < 0 {
		return "", n, fmt.Errorf("%s has negative length %d", v.Name, n)
	}
	k := n
	if k > int64(max) {
		k = int64(max)
	}
	b, err := read(v.mem, p, int(k))
	if err != nil {
		return "", n, err
	}
	return string(b), n, nil
}

func leUint(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	case 8:
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func signExtend(u uint64, size int64) int64 {
	switch size {
	case 1:
		return int64(int8(u))
	case 2:
		return int64(int16(u))
	case 4:
		return int64(int32(u))
	}
	return int64(u)
}
