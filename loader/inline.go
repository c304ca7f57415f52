package loader

// Inline sites: where the compiler copied a function's body into its
// callers. A function that is always inlined has no code of its own (or a
// standalone copy nothing calls), so a breakpoint on it has to go on each
// copy. The copies are found in the inlining trees: each function's pcdata
// table PCDATA_InlTreeIndex maps its pcs to a node of its tree
// (FUNCDATA_InlTree), innermost inlined call first, and each node names the
// inlined function and a pc at its call site, whose own index is the
// node's parent.

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// InlineSite is one place where a function was inlined.
type InlineSite struct {
	// PC is the first pc of the inlined body in the caller's code.
	PC uint64
	// Caller is the function whose code holds the body (the outermost
	// function, which has a text symbol, even when the call is nested
	// in other inlined calls).
	Caller string
	// File and Line are the position of the call.
	File string
	Line int
}

// inlineIndex maps function names (without ".abi0") to their inline
// sites, sorted by pc. The call positions are worked out only for the
// names asked for: decoding a file and line for every site of every
// function was most of the index's cost.
type inlineIndex struct {
	once  sync.Once
	sites map[string][]rawSite
	err   error
}

// rawSite is an InlineSite before its call position is decoded.
type rawSite struct {
	pc     uint64
	fn     *Func  // the caller, which holds the body
	parent uint64 // pc of the call in fn; 0 when it is not in fn's code
	// The call's file number and line, for formats whose nodes give the
	// position rather than a pc (Go 1.2); line 0 when unknown.
	file, line int32
}

// InlineSites returns the places where the function name (exact, with or
// without ".abi0") was inlined, sorted by pc: one site per node of the
// callers' inlining trees that names it, at the lowest pc of its body. It
// returns no sites and no error for a function never inlined, and an
// error when the inlining trees cannot be read (go1.18 and later binaries
// without the go:func.* symbol). The index of every function is built on
// the first call and kept with f.
func (f *File) InlineSites(name string) ([]InlineSite, error) {
	t, err := f.pclntab()
	if err != nil {
		return nil, err
	}
	t.inl.once.Do(func() {
		// The tables are the guest's bytes: a bug of ours reading them must
		// not take the host down (Prefetch runs this on its own goroutine).
		defer func() {
			if r := recover(); r != nil {
				t.inl.sites, t.inl.err = nil, fmt.Errorf("malformed inlining tables: %v", r)
			}
		}()
		t.inl.sites, t.inl.err = t.buildInlineIndex()
	})
	if t.inl.err != nil {
		return nil, t.inl.err
	}
	raw := t.inl.sites[strings.TrimSuffix(name, ".abi0")]
	if len(raw) == 0 {
		return nil, nil
	}
	out := make([]InlineSite, len(raw))
	for i, r := range raw {
		out[i] = r.site()
	}
	return out, nil
}

// site decodes r's call position.
func (r rawSite) site() InlineSite {
	s := InlineSite{PC: r.pc, Caller: r.fn.Name}
	switch {
	case r.parent != 0:
		s.File, s.Line, _ = r.fn.FileLine(r.parent)
	case r.line != 0:
		if file, ok := r.fn.t.fileName(r.fn.cuOffset(), r.file); ok {
			s.File, s.Line = file, int(r.line)
		}
	}
	return s
}

// buildInlineIndex scans every function's inlining index table.
func (t *pclnTable) buildInlineIndex() (map[string][]rawSite, error) {
	if t.read == nil || !t.funcdataPtrs && t.gofunc == 0 {
		return nil, errors.New("the inlining trees cannot be located (no go:func.* symbol)")
	}
	b := inlineIndexBuilder{sites: make(map[string][]rawSite), names: make(map[int32]string)}
	for i := 0; i < t.nfunc; i++ {
		if fn, ok := t.funcIndex(i); ok {
			b.add(fn)
		}
	}
	for _, list := range b.sites {
		sort.Slice(list, func(i, j int) bool { return list[i].pc < list[j].pc })
	}
	return b.sites, nil
}

// inlineIndexBuilder collects the inline sites of one function after
// another, reusing its scratch space.
type inlineIndexBuilder struct {
	sites  map[string][]rawSite
	names  map[int32]string // inlined function names by funcnametab offset, decoded once
	ranges []pcRange        // the function's PCDATA_InlTreeIndex table
	seen   []bool           // tree nodes already listed, by index
}

type pcRange struct {
	start, end uint64
	idx        int32
}

// add lists the inlined calls in fn's code, one per node of its inlining
// tree that some pc is in, at the lowest such pc.
func (b *inlineIndexBuilder) add(fn *Func) {
	tree, ok := fn.inlineTree()
	if !ok {
		return
	}
	off, ok := fn.pcdataOff(fn.t.pcdataInlIndex)
	if !ok {
		return
	}
	b.ranges = b.ranges[:0]
	fn.t.pcranges(off, fn.Entry, func(start, end uint64, idx int32) bool {
		if start >= fn.End {
			return false
		}
		if start < end {
			b.ranges = append(b.ranges, pcRange{start, end, idx})
		}
		return true
	})
	clear(b.seen)
	// indexAt is the tree node of pc: the ranges are sorted and disjoint.
	indexAt := func(pc uint64) int32 {
		i := sort.Search(len(b.ranges), func(i int) bool { return b.ranges[i].end > pc })
		if i < len(b.ranges) && b.ranges[i].start <= pc {
			return b.ranges[i].idx
		}
		return -1
	}
	for _, r := range b.ranges {
		// A pc in node idx is also in the body of every call idx is
		// nested in. Ranges come in pc order, so the first visit of a
		// node is its lowest pc, and its ancestors were visited no later.
		idx := r.idx
		for depth := 0; idx >= 0 && depth < maxInlineDepth; depth++ {
			if int(idx) >= len(b.seen) {
				if idx >= 1<<20 {
					break // corrupt: no function has a million inlined calls
				}
				b.seen = append(b.seen, make([]bool, int(idx)+1-len(b.seen))...)
			}
			if b.seen[idx] {
				break
			}
			b.seen[idx] = true
			call, ok := tree.node(idx)
			if !ok {
				break
			}
			name, known := b.names[call.nameOff]
			if !known {
				n, ok := tree.name(call)
				if !ok {
					break
				}
				name = strings.TrimSuffix(n, ".abi0")
				b.names[call.nameOff] = name
			}
			site := rawSite{pc: r.start, fn: fn}
			idx = -1
			if !call.hasPC {
				// Go 1.2: the node gives the call's position and parent.
				site.file, site.line = call.file, call.line
				idx = call.parent
			} else if parent, _, _, _, ok := tree.callSite(call); ok {
				site.parent = parent
				idx = indexAt(parent)
			}
			b.sites[name] = append(b.sites[name], site)
		}
	}
}
