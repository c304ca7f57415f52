package godwarf

import (
	"debug/dwarf"
	"sort"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/loader"
)

// Arguments under the stack ABI. Before the register ABI (ABIInternal,
// go1.17 on amd64), a Go function finds its receiver, arguments and
// results in its caller's frame: from the CFA (the caller's SP before the
// CALL; at the entry, 8(SP)) up, in declaration order, each at the next
// offset aligned for its type, the inputs' end and the results' end
// rounded up to 8 bytes (cmd/compile's widstruct for TFUNCARGS). The slots
// hold the values the caller passed for the whole call, so they can be
// shown in every frame of a stack.
//
// The DWARF of those toolchains does not say where most arguments are:
// go1.11 gives optimized functions empty or late-starting location lists,
// and lists the parameters sorted by name, not in declaration order. The
// slots are worked out from what is certain instead: the types' sizes and
// alignments, DW_AT_decl_line (parameters declared on later lines come
// later), the compiler's names for unnamed results (~rN is parameter N),
// the argument area's size (the pclntab's _func.args) and the words the
// argument pointer maps say hold pointers. Every order of the parameters
// consistent with those is tried; a parameter whose offset is the same in
// all of them has a slot. One that differs (two ints declared side by
// side) has none, rather than a guess.

// stackABI are the Go versions that pass arguments on the stack on amd64.
var stackABI = loader.Range{To: loader.MustVersion("go1.17")}

// maxOrders bounds the parameter orders tried for one function; past it
// no slot is assigned.
const maxOrders = 40320 // 8!

// layoutStackArgs is stackSlots, with a malformed DWARF type (which
// debug/dwarf may panic on) leaving f as it is.
func (in *Info) layoutStackArgs(f *Func, fn *loader.Func) {
	saved := append([]Param(nil), f.Params...)
	defer func() {
		if r := recover(); r != nil {
			f.Params = saved
		}
	}()
	in.stackSlots(f, fn)
}

// stackSlots assigns f's parameters their stack slots (Param.slot) and
// puts them in declaration order as far as it is known: inputs by slot
// (an argument without one where the first of those it could trade places
// with could be), then results. fn is the function's pclntab record.
func (in *Info) stackSlots(f *Func, fn *loader.Func) {
	args := make([]arg, 0, len(f.Params))
	for i, p := range f.Params {
		t, err := in.typeAt(p.typ)
		if err != nil || t.Size() < 0 {
			return
		}
		a := arg{i: i, size: t.Size(), align: in.alignOf(t, 0), line: p.declLine, result: p.Result, resultN: -1}
		in.pointerWords(t, 0, &a.ptrs, 0)
		if n, ok := strings.CutPrefix(p.Name, "~r"); ok {
			if v, err := strconv.Atoi(n); err == nil {
				a.resultN = v
			}
		}
		args = append(args, a)
	}
	if in.stackSlotsFrom(f, fn, args, in.sourceOrder(f)) {
		return
	}
	in.stackSlotsFrom(f, fn, args, nil)
}

// stackSlotsFrom is stackSlots with the declaration order src read from
// the source (nil when unknown); false if no order is consistent.
func (in *Info) stackSlotsFrom(f *Func, fn *loader.Func, args []arg, src []string) bool {
	args = append([]arg(nil), args...)
	srcIndex := map[string]int{}
	for i, name := range src {
		srcIndex[name] = i
	}
	for k := range args {
		args[k].srcIdx = -1
		if i, ok := srcIndex[f.Params[args[k].i].Name]; ok {
			args[k].srcIdx = i
		} else if src != nil && args[k].resultN < 0 {
			src = nil // the source does not match the DWARF
		}
	}
	if src == nil {
		for k := range args {
			args[k].srcIdx = -1
		}
	}
	// Inputs before results; within each, by the source's order, by
	// declaration line, then unnamed results by their number. What
	// remains tied is permuted.
	sort.SliceStable(args, func(i, j int) bool {
		a, b := args[i], args[j]
		if a.result != b.result {
			return !a.result
		}
		if a.srcIdx >= 0 && b.srcIdx >= 0 {
			return a.srcIdx < b.srcIdx
		}
		if a.line != b.line {
			return a.line < b.line
		}
		return a.resultN >= 0 && b.resultN >= 0 && a.resultN < b.resultN
	})
	tied := func(a, b arg) bool {
		if a.srcIdx >= 0 && b.srcIdx >= 0 {
			return false
		}
		return a.result == b.result && a.line == b.line && (a.resultN < 0 || b.resultN < 0)
	}
	var groups [][2]int // [start, end) of runs of tied arguments
	orders := 1
	for s := 0; s < len(args); {
		e := s + 1
		for e < len(args) && tied(args[e-1], args[e]) {
			e++
		}
		groups = append(groups, [2]int{s, e})
		for k := 2; k <= e-s; k++ {
			orders *= k
			if orders > maxOrders {
				return false
			}
		}
		s = e
	}
	var ptrMap []bool
	if m, ok := fn.ArgPointers(); ok {
		ptrMap = m
	}
	size := int64(fn.Args)

	// layout returns the offsets of the arguments in order, and whether
	// that order agrees with the argument area's size and pointer maps.
	offs := make([]int64, len(args))
	layout := func(order []arg) bool {
		o := int64(0)
		inputs := true
		for k, a := range order {
			if inputs && a.result {
				o = roundUp(o, 8)
				inputs = false
			}
			o = roundUp(o, a.align)
			offs[k] = o
			o += a.size
		}
		o = roundUp(o, 8)
		if size >= 0 && o != size {
			return false
		}
		if ptrMap != nil {
			isPtr := make([]bool, (o+7)/8)
			for k, a := range order {
				for _, p := range a.ptrs {
					if w := (offs[k] + p) / 8; (offs[k]+p)%8 == 0 && w < int64(len(isPtr)) {
						isPtr[w] = true
					}
				}
			}
			for w, p := range ptrMap {
				if p && (w >= len(isPtr) || !isPtr[w]) {
					return false
				}
			}
		}
		return true
	}

	// Walk every order (the permutations of each group, combined).
	slot := make([]int64, len(f.Params)) // agreed offset by param index
	known := make([]bool, len(f.Params))
	lowest := make([]int64, len(f.Params)) // the lowest offset in any consistent order
	found := 0
	order := append([]arg(nil), args...)
	var walk func(g int)
	walk = func(g int) {
		if g == len(groups) {
			if !layout(order) {
				return
			}
			for k, a := range order {
				switch {
				case found == 0:
					slot[a.i], known[a.i], lowest[a.i] = offs[k], true, offs[k]
				case slot[a.i] != offs[k]:
					known[a.i] = false
				}
				lowest[a.i] = min(lowest[a.i], offs[k])
			}
			found++
			return
		}
		s, e := groups[g][0], groups[g][1]
		permute(order[s:e], func() { walk(g + 1) })
	}
	walk(0)
	if found == 0 {
		return false
	}
	for i := range f.Params {
		if known[i] && !f.Params[i].Result {
			f.Params[i].slot, f.Params[i].hasSlot = slot[i], true
		}
	}
	// Declaration order: by slot, which every consistent order agrees on
	// where it is known. Arguments that could trade places with others
	// go where the first of them could be, in the DWARF's order; results
	// last.
	params := make([]Param, 0, len(f.Params))
	keys := make([]int64, 0, len(f.Params))
	var results []Param
	for i, p := range f.Params {
		if p.Result {
			results = append(results, p)
			continue
		}
		params = append(params, p)
		keys = append(keys, lowest[i])
	}
	idx := make([]int, len(params))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
	ordered := make([]Param, 0, len(f.Params))
	for _, i := range idx {
		ordered = append(ordered, params[i])
	}
	f.Params = append(ordered, results...)
	return true
}

// arg is a parameter as stackSlots lays it out.
type arg struct {
	i           int // index in Func.Params
	size, align int64
	ptrs        []int64 // offsets of the pointer words in the value
	line        int64   // DW_AT_decl_line
	srcIdx      int     // position in the source's declaration, -1 if unknown
	result      bool
	resultN     int // N of ~rN, -1 for a named parameter
}

// permute calls yield for every order of s, in place, restoring s after.
func permute(s []arg, yield func()) {
	var rec func(k int)
	rec = func(k int) {
		if k == len(s) {
			yield()
			return
		}
		for i := k; i < len(s); i++ {
			s[k], s[i] = s[i], s[k]
			rec(k + 1)
			s[k], s[i] = s[i], s[k]
		}
	}
	rec(0)
}

func roundUp(o, a int64) int64 {
	if a <= 1 {
		return o
	}
	return (o + a - 1) / a * a
}

// maxTypeDepth bounds the recursion into nested types.
const maxTypeDepth = 32

// alignOf is the alignment of a Go type on amd64: its size for basic
// types (at most 8), half for complex numbers, the largest of its
// fields' or its element's for structs and arrays.
func (in *Info) alignOf(t dwarf.Type, depth int) int64 {
	if depth > maxTypeDepth {
		return 8
	}
	switch u := underlying(t).(type) {
	case *dwarf.StructType:
		a := int64(1)
		for _, f := range u.Field {
			if fa := in.alignOf(f.Type, depth+1); fa > a {
				a = fa
			}
		}
		return a
	case *dwarf.ArrayType:
		return in.alignOf(u.Type, depth+1)
	case *dwarf.ComplexType:
		return u.Size() / 2
	}
	switch s := t.Size(); {
	case s >= 8:
		return 8
	case s >= 4:
		return 4
	case s >= 2:
		return 2
	}
	return 1
}

// pointerWords appends to out the offsets, from off, of the words of a
// value of type t that the garbage collector sees as pointers.
func (in *Info) pointerWords(t dwarf.Type, off int64, out *[]int64, depth int) {
	if depth > maxTypeDepth {
		return
	}
	switch in.kind(t) {
	case kindPtr, kindUnsafePointer, kindMap, kindChan, kindFunc, kindString, kindSlice:
		*out = append(*out, off)
		return
	case kindInterface:
		*out = append(*out, off, off+8)
		return
	}
	switch u := underlying(t).(type) {
	case *dwarf.StructType:
		for _, f := range u.Field {
			in.pointerWords(f.Type, off+f.ByteOffset, out, depth+1)
		}
	case *dwarf.ArrayType:
		es := u.Type.Size()
		if es <= 0 || u.Count <= 0 || u.Count > 1<<12 {
			return
		}
		for i := int64(0); i < u.Count; i++ {
			in.pointerWords(u.Type, off+i*es, out, depth+1)
		}
	}
}
