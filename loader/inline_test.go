package loader

import (
	"bufio"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// inlineIndexOf returns the whole inline index of f, built through
// InlineSites.
func inlineIndexOf(t *testing.T, f *File) map[string][]InlineSite {
	t.Helper()
	if _, err := f.InlineSites("runtime.main"); err != nil {
		t.Fatalf("InlineSites: %v", err)
	}
	tab, _ := f.pclntab()
	index := make(map[string][]InlineSite, len(tab.inl.sites))
	for name := range tab.inl.sites {
		sites, err := f.InlineSites(name)
		if err != nil {
			t.Fatalf("InlineSites(%s): %v", name, err)
		}
		index[name] = sites
	}
	return index
}

// sourceLine returns line n of file, or false if the file cannot be read
// (go1.17's test binary was built with -trimpath).
func sourceLine(file string, n int) (string, bool) {
	fd, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer fd.Close()
	sc := bufio.NewScanner(fd)
	for i := 1; sc.Scan(); i++ {
		if i == n {
			return sc.Text(), true
		}
	}
	return "", false
}

// TestInlineSites checks the inline sites of every runtime function that
// has no text symbol against the function table, the source frames and
// go tool objdump, and a few functions known to be inlined.
func TestInlineSites(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			path := b.binary(t)
			f := openT(t, path)
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			index := inlineIndexOf(t, f)
			code, _ := b.objdump(t, path, `^runtime\.`)
			at := map[uint64]insn{}
			callerOf := map[uint64]string{}
			for name, insns := range code {
				for _, in := range insns {
					at[in.Addr] = in
					callerOf[in.Addr] = strings.TrimSuffix(name, ".abi0")
				}
			}

			checked := 0
			for name, sites := range index {
				if _, ok := syms.Lookup(name); ok || !strings.HasPrefix(name, "runtime.") {
					continue
				}
				if len(sites) == 0 {
					t.Errorf("%s: empty site list in the index", name)
				}
				for i, s := range sites {
					if i > 0 && s.PC <= sites[i-1].PC {
						t.Errorf("%s: sites not sorted or duplicated: %#x after %#x", name, s.PC, sites[i-1].PC)
					}
					fn, ok := f.FuncAt(s.PC)
					if !ok || fn.Name != s.Caller {
						t.Errorf("%s: site %#x is in %v, want %s", name, s.PC, fn, s.Caller)
						continue
					}
					// objdump, an independent decoder, has an instruction
					// there, in the caller, at the innermost position.
					in, ok := at[s.PC]
					if ok && callerOf[s.PC] != s.Caller {
						t.Errorf("%s: objdump places %#x in %s, want %s", name, s.PC, callerOf[s.PC], s.Caller)
					}
					frames := f.SourceFrames(s.PC)
					if ok && len(frames) > 0 && in.Pos != filepath.Base(frames[0].File)+":"+strconv.Itoa(frames[0].Line) {
						t.Errorf("%s: at %#x objdump says %s, SourceFrames %+v", name, s.PC, in.Pos, frames)
					}
					if !ok && strings.HasPrefix(s.Caller, "runtime.") {
						t.Errorf("%s: objdump has no instruction at %#x in %s", name, s.PC, s.Caller)
					}
					// The inlined function is a frame at the site, called
					// from the site's position.
					k := -1
					for j, fr := range frames {
						if fr.Func == name && fr.Inlined {
							k = j
							break
						}
					}
					if k < 0 || k+1 >= len(frames) || frames[k+1].File != s.File || frames[k+1].Line != s.Line ||
						frames[len(frames)-1].Func != s.Caller || frames[len(frames)-1].Inlined {
						t.Errorf("%s: site %+v, SourceFrames %+v", name, s, frames)
					}
					checked++
				}
			}
			t.Logf("%d functions inlined, %d sites of runtime functions without a text symbol checked", len(index), checked)
			if checked < 100 {
				t.Errorf("only %d sites checked", checked)
			}

			// Known ones: goenvs is a one-line wrapper inlined since
			// mid-stack inlining (go1.12); go1.11 inlines only leaves,
			// such as tracebackinit (which itself holds an inlined
			// funcPC); stackinit is inlined since go1.18 or so, cpuinit
			// later.
			known := []string{"runtime.goenvs"}
			switch b.name {
			case "go1.11":
				known = []string{"runtime.tracebackinit"}
			case "go1.19":
				known = append(known, "runtime.stackinit")
			}
			for _, name := range []string{"runtime.stackinit", "runtime.cpuinit"} {
				if _, ok := syms.Lookup(name); !ok && (b.name == "go-machine" || b.name == "go1.27") {
					known = append(known, name)
				}
			}
			for _, name := range known {
				sites, err := f.InlineSites(name)
				if err != nil || len(sites) == 0 {
					t.Errorf("InlineSites(%s) = %v, %v, want sites", name, sites, err)
					continue
				}
				if _, ok := syms.Lookup(name); ok {
					t.Errorf("%s has a text symbol", name)
				}
				s := sites[0]
				if s.Caller != "runtime.schedinit" {
					t.Errorf("%s: inlined in %s, want runtime.schedinit", name, s.Caller)
				}
				if frames := f.SourceFrames(s.PC); len(frames) < 2 || frames[0].Func != name || !frames[0].Inlined {
					t.Errorf("%s: SourceFrames at the site %#x: %+v, want %s innermost", name, s.PC, frames, name)
				}
				if file, _, ok := f.FileLine(s.PC); !ok || filepath.Dir(file) != filepath.Dir(s.File) {
					t.Errorf("%s: FileLine at the site %#x: %s, %v", name, s.PC, file, ok)
				}
				short := strings.TrimPrefix(name, "runtime.")
				if text, ok := sourceLine(s.File, s.Line); ok && !strings.Contains(text, short+"(") {
					t.Errorf("%s: call site %s:%d reads %q", name, s.File, s.Line, text)
				}
				abi0, _ := f.InlineSites(name + ".abi0")
				if !reflect.DeepEqual(abi0, sites) {
					t.Errorf("InlineSites(%s.abi0) = %v, want %v", name, abi0, sites)
				}
				t.Logf("%s: %+v", name, sites)
			}
			if got, err := f.InlineSites("runtime.noSuchFunction"); got != nil || err != nil {
				t.Errorf("InlineSites(unknown) = %v, %v", got, err)
			}
		})
	}
}

// TestInlineCallLines checks, where the inlining tree records the call's
// line itself (before go1.20), that it is the position of the node's
// parent pc, which is what InlineSites reports for every version.
func TestInlineCallLines(t *testing.T) {
	for _, b := range pclnBinaries {
		t.Run(b.name, func(t *testing.T) {
			f := openT(t, b.binary(t))
			tab, err := f.pclntab()
			if err != nil {
				t.Fatal(err)
			}
			if tab.node.line < 0 || tab.node.parentPC < 0 {
				t.Skipf("the trees of %s do not record both the call line and a pc at the call", tab.versions)
			}
			checked := 0
			for _, fn := range allFuncs(t, f) {
				tree, ok := fn.inlineTree()
				off, ok2 := fn.pcdataOff(tab.pcdataInlIndex)
				if !ok || !ok2 {
					continue
				}
				seen := map[int32]bool{}
				tab.pcranges(off, fn.Entry, func(_, _ uint64, idx int32) bool {
					if idx < 0 || seen[idx] {
						return true
					}
					seen[idx] = true
					node, ok := tab.read(tree.addr+20*uint64(idx), 20)
					call, ok2 := tree.node(idx)
					name, _ := tree.name(call)
					if !ok || !ok2 {
						t.Errorf("%s: node %d unreadable", fn.Name, idx)
						return false
					}
					_, line, _ := fn.FileLine(fn.Entry + uint64(call.parentPC))
					if want := int(int32(binary.LittleEndian.Uint32(node[8:]))); line != want {
						t.Errorf("%s: node %d (%s): line %d at the parent pc, %d in the tree", fn.Name, idx, name, line, want)
					}
					checked++
					return true
				})
			}
			t.Logf("%d nodes checked", checked)
			if checked < 1000 {
				t.Errorf("only %d nodes", checked)
			}
		})
	}
}

// TestInlineSitesSynthetic finds pkg.inlined in the synthetic tables of
// every format.
func TestInlineSitesSynthetic(t *testing.T) {
	for _, magic := range synthMagics {
		t.Run(strconv.FormatUint(uint64(magic), 16), func(t *testing.T) {
			tab := synthTable(t, magic)
			raw, err := tab.buildInlineIndex()
			if err != nil {
				t.Fatal(err)
			}
			sites := map[string][]InlineSite{}
			for name, list := range raw {
				for _, r := range list {
					sites[name] = append(sites[name], r.site())
				}
			}
			// Node 0 covers b's [0x10, 0x20); its parent pc 0x30 is at
			// b.go:21.
			want := map[string][]InlineSite{"pkg.inlined": {{PC: synthText + 0x20 + 0x10, Caller: "main.b", File: "/src/b.go", Line: 21}}}
			if !reflect.DeepEqual(sites, want) {
				t.Errorf("got %+v, want %+v", sites, want)
			}
			if !tab.funcdataPtrs {
				tab.gofunc = 0
				if _, err := tab.buildInlineIndex(); err == nil {
					t.Error("no error without go:func.*")
				}
			}
		})
	}
}

// TestPrefetch checks that tables built in the background are the ones a
// direct call builds: Prefetch, then look up from several goroutines.
func TestPrefetch(t *testing.T) {
	path := pclnBinaries[0].binary(t)
	want := inlineIndexOf(t, openT(t, path))
	f := openT(t, path)
	f.Prefetch()
	done := make(chan map[string][]InlineSite)
	for range 3 {
		go func() {
			got := map[string][]InlineSite{}
			for name := range want {
				sites, err := f.InlineSites(name)
				if err != nil {
					t.Error(err)
				}
				got[name] = sites
			}
			if _, err := f.Symbols(); err != nil {
				t.Error(err)
			}
			done <- got
		}()
	}
	for range 3 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Errorf("inline index after Prefetch differs from a direct build (%d names, want %d)", len(got), len(want))
		}
	}
}

// TestInlineCallSourceGo111 checks the call positions of the Go 1.2
// layout's inlining trees, which record a file and line instead of a pc:
// in the go1.11.1 source, each is a line that calls the inlined function.
func TestInlineCallSourceGo111(t *testing.T) {
	goCmd := testbin.Go111.Need(t)
	cmd := exec.Command(goCmd, "env", "GOROOT")
	cmd.Env = testbin.Go111.Env()
	out, err := cmd.Output()
	if err != nil {
		t.Fatal("go env GOROOT: ", err)
	}
	src := filepath.Join(strings.TrimSpace(string(out)), "src")
	f := openT(t, guestBinary(t, testbin.Go111, "hello"))
	index := inlineIndexOf(t, f)
	checked := 0
	for name, sites := range index {
		short := name[strings.LastIndexByte(name, '.')+1:]
		for _, s := range sites {
			// Closures are called through the variables that hold them.
			if !strings.HasPrefix(name, "runtime.") || strings.Contains(name, ".func") || filepath.IsAbs(s.File) {
				continue
			}
			text, ok := sourceLine(filepath.Join(src, s.File), s.Line)
			if !ok {
				t.Errorf("%s: call site %s:%d is not in the go1.11.1 source", name, s.File, s.Line)
				continue
			}
			if !strings.Contains(text, short+"(") {
				t.Errorf("%s: call site %s:%d reads %q", name, s.File, s.Line, text)
			}
			checked++
		}
	}
	t.Logf("%d call sites checked against the source", checked)
	if checked < 500 {
		t.Errorf("only %d call sites", checked)
	}
}
