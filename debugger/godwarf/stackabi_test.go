package godwarf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// slotsOf returns the input parameters of function name with their stack
// slots (-1: none), in the order Func.Params has them.
func slotsOf(t *testing.T, in *Info, addr uint64) (names []string, slots []int64, ok bool) {
	t.Helper()
	fn, ok := in.FuncAt(addr)
	if !ok {
		return nil, nil, false
	}
	for _, p := range fn.Params {
		if p.Result {
			continue
		}
		names = append(names, p.Name)
		s := int64(-1)
		if p.hasSlot {
			s = p.slot
		}
		slots = append(slots, s)
	}
	return names, slots, true
}

// TestStackSlotsGo111 checks the stack slots of go1.11 arguments. The
// offsets of a few runtime functions are read off their go1.11.1
// signatures (runtime/proc.go, runtime1.go, malloc.go, slice.go) with
// the stack ABI's layout rules; then, over every function, the slots that
// the binary alone determines (a trimmed build, whose source the
// debugger cannot read) must be those the source's declaration order
// gives (an untrimmed build of the same program by the same toolchain).
func TestStackSlotsGo111(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(root, "testdata", "guests", "argkinds", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	trimmedF, trimmed := open(t, testbin.Go111Guest(t, root, "argkinds", t.TempDir()))
	// Untrimmed, with the real GOROOT in its file names (an empty
	// GOROOT_FINAL undoes the fixed one the toolchain's Env sets), so
	// that the runtime's source can be read.
	full := testbin.Build(t, testbin.Go111.Need(t), map[string]string{"main.go": string(src)},
		append(testbin.Go111.Env(), "GOROOT_FINAL="))
	fullF, untrimmed := open(t, full)

	type want struct {
		names []string
		slots []int64 // in the full build
		known []bool  // determined without the source
	}
	wants := map[string]want{
		// newproc(siz int32, fn *funcval): fn is the pointer word.
		"runtime.newproc": {[]string{"siz", "fn"}, []int64{0, 8}, []bool{true, true}},
		"runtime.args":    {[]string{"c", "v"}, []int64{0, 8}, []bool{true, true}},
		// makeslice(et *_type, len, cap int): len and cap are alike.
		"runtime.makeslice": {[]string{"et", "len", "cap"}, []int64{0, 8, 16}, []bool{true, false, false}},
		// mallocgc(size uintptr, typ *_type, needzero bool): size and
		// needzero can trade places.
		"runtime.mallocgc": {[]string{"size", "typ", "needzero"}, []int64{0, 8, 16}, []bool{false, true, false}},
		"main.kinds":       {[]string{"b", "n", "s", "xs", "v", "p"}, []int64{0, 8, 16, 32, 56, 72}, nil},
		"main.pair":        {[]string{"a", "b"}, []int64{0, 8}, []bool{false, false}},
	}
	fullSyms, err := fullF.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	trimSyms, err := trimmedF.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range wants {
		s, ok := fullSyms.Func(name)
		if !ok {
			t.Fatalf("no %s", name)
		}
		names, slots, ok := slotsOf(t, untrimmed, s.Addr)
		if !ok || len(names) != len(w.names) {
			t.Errorf("%s: params %v, want %v", name, names, w.names)
			continue
		}
		for i := range names {
			if names[i] != w.names[i] || slots[i] != w.slots[i] {
				t.Errorf("%s (source): param %d is %s at %d, want %s at %d", name, i, names[i], slots[i], w.names[i], w.slots[i])
			}
		}
		if w.known == nil {
			continue
		}
		ts, _ := trimSyms.Func(name)
		tnames, tslots, _ := slotsOf(t, trimmed, ts.Addr)
		got := map[string]int64{}
		for i, n := range tnames {
			got[n] = tslots[i]
		}
		for i, n := range w.names {
			if wantSlot := map[bool]int64{true: w.slots[i], false: -1}[w.known[i]]; got[n] != wantSlot {
				t.Errorf("%s (no source): %s at %d, want %d", name, n, got[n], wantSlot)
			}
		}
	}

	// Every slot found without the source is the source's.
	checked, resolved, withSource := 0, 0, 0
	for _, s := range trimSyms.All() {
		if s.Kind != 'T' {
			continue
		}
		fs, ok := fullSyms.Func(s.Name)
		if !ok {
			continue
		}
		tnames, tslots, ok1 := slotsOf(t, trimmed, s.Addr)
		fnames, fslots, ok2 := slotsOf(t, untrimmed, fs.Addr)
		if !ok1 || !ok2 {
			continue
		}
		bySource := map[string]int64{}
		for i, n := range fnames {
			bySource[n] = fslots[i]
		}
		for _, sl := range fslots {
			if sl >= 0 {
				withSource++
			}
		}
		for i, n := range tnames {
			checked++
			if tslots[i] < 0 {
				continue
			}
			resolved++
			if bySource[n] != tslots[i] {
				t.Errorf("%s: %s at %d without the source, %d with it", s.Name, n, tslots[i], bySource[n])
			}
		}
	}
	t.Logf("%d arguments: %d with a slot from the binary alone, %d with the source", checked, resolved, withSource)
	if checked < 1000 || resolved < checked/2 || withSource < checked*9/10 {
		t.Errorf("only %d (binary) and %d (source) of %d arguments resolved", resolved, withSource, checked)
	}
}
