package debugger

import (
	"bytes"
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

// TestVariantRanges checks the shape of the version data: a stage's
// variants (and its argument slots) cover every Go version exactly once,
// an absent variant says only why, and rename rows for one name do not
// overlap.
func TestVariantRanges(t *testing.T) {
	for _, st := range stages.Table {
		var rs []loader.Range
		for _, v := range st.Variants {
			rs = append(rs, v.In)
			switch {
			case v.Absent != "" && (v.Text != "" || len(v.Watch) > 0):
				t.Errorf("stage %s, %s: an absent variant has text or watches", st.ID, v.In)
			case v.Absent == "" && v.Text == "":
				t.Errorf("stage %s, %s: no text", st.ID, v.In)
			}
		}
		if err := coverOnce(rs); err != nil {
			t.Errorf("stage %s variants: %v", st.ID, err)
		}
		if st.FuncArg != nil {
			rs = rs[:0]
			for _, a := range st.FuncArg {
				rs = append(rs, a.In)
			}
			if err := coverOnce(rs); err != nil {
				t.Errorf("stage %s FuncArg: %v", st.ID, err)
			}
		}
	}
	byOld := map[string][]Rename{}
	for _, rn := range Renames {
		byOld[rn.Old] = append(byOld[rn.Old], rn)
		if (rn.New == "") == (rn.Gone == "") {
			t.Errorf("rename %s %s: want exactly one of New and Gone", rn.Old, rn.In)
		}
	}
	for old, rows := range byOld {
		for i, a := range rows {
			for _, b := range rows[i+1:] {
				if overlap(a.In, b.In) {
					t.Errorf("rename %s: %s and %s overlap", old, a.In, b.In)
				}
			}
		}
	}
}

// coverOnce reports whether rs, in any order, tile every version: open at
// both ends, each range starting where the previous one ends.
func coverOnce(rs []loader.Range) error {
	if len(rs) == 0 {
		return fmt.Errorf("none")
	}
	sort.Slice(rs, func(i, j int) bool {
		return !rs[i].From.Known() || rs[j].From.Known() && rs[i].From.Compare(rs[j].From) < 0
	})
	if rs[0].From.Known() {
		return fmt.Errorf("nothing before %s", rs[0].From)
	}
	for i := 1; i < len(rs); i++ {
		if !rs[i-1].To.Known() || rs[i-1].To.Compare(rs[i].From) != 0 {
			return fmt.Errorf("%s then %s: a gap or an overlap", rs[i-1], rs[i])
		}
	}
	if last := rs[len(rs)-1]; last.To.Known() {
		return fmt.Errorf("nothing from %s", last.To)
	}
	return nil
}

func overlap(a, b loader.Range) bool {
	lessOrOpen := func(x, y loader.Version) bool { // x < y, with unknown x as -inf and unknown y as +inf
		return !x.Known() || !y.Known() || x.Compare(y) < 0
	}
	return lessOrOpen(a.From, b.To) && lessOrOpen(b.From, a.To)
}

// helloTarget is hello built by one toolchain.
type helloTarget struct {
	name string
	bin  func(t *testing.T) string
}

// helloTargets are hello on every toolchain of testbin (go1.11.1 falling
// back to the committed build) and the go1.17 binary GOROOT ships.
func helloTargets() []helloTarget {
	root, rootErr := testbin.RepoRoot()
	var out []helloTarget
	for _, tc := range testbin.Toolchains {
		tc := tc
		out = append(out, helloTarget{tc.Short, func(t *testing.T) string {
			if rootErr != nil {
				t.Fatal(rootErr)
			}
			if tc == testbin.Go111 {
				return testbin.Go111Guest(t, root, "hello", binDir)
			}
			return tc.BuildGuest(t, root, "hello", binDir)
		}})
	}
	return append(out, helloTarget{"go1.17", go117})
}

// bootWalk is hello's boot walked with 'stage': each banner reached, with
// the system calls made since the previous one.
type bootWalk struct {
	version  loader.Version
	order    []*stages.Resolved
	banner   map[string]string   // by stage ID
	syscalls map[string][]string // by stage ID: the calls made while it was the latest stage
	watchOK  map[string]bool     // "ID expr": evaluated at its stage or the next
	s        *Session
	f        *loader.File
}

func walkBoot(t *testing.T, bin string, env []string) *bootWalk {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := New(Config{File: f, Guest: emu.Config{Args: []string{"hello"}, Env: env, Stdout: &out, Stderr: &out, Warn: &out, History: 4096},
		Out: &out, Syntax: disasm.Go})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	w := &bootWalk{version: f.Version(), banner: map[string]string{}, syscalls: map[string][]string{}, watchOK: map[string]bool{}, s: s, f: f}
	info, err := s.dwarf()
	if err != nil {
		t.Fatal(err)
	}
	evalWatches := func(r *stages.Resolved) {
		for _, x := range r.Variant.Watch {
			if _, _, err := s.evalNamed(info, x); err == nil {
				w.watchOK[r.ID+" "+x] = true
			}
		}
	}
	var prev *stages.Resolved
	var seen uint64
	for i := 0; i < 200 && s.exited == nil; i++ {
		before := out.Len()
		if err := s.Exec("stage"); err != nil {
			t.Fatal(err)
		}
		if s.exited != nil {
			break
		}
		r := s.prevStage
		if r == prev {
			continue
		}
		if n := s.t.Syscalls() - seen; prev != nil && n > 0 {
			w.syscalls[prev.ID] = s.t.History(int(n))
		}
		seen = s.t.Syscalls()
		w.banner[r.ID] = out.String()[before:]
		w.order = append(w.order, r)
		if prev != nil {
			evalWatches(prev)
		}
		evalWatches(r)
		prev = r
	}
	return w
}

// TestBannersTrue walks hello's boot on every toolchain and checks that
// each banner is the variant for the binary's version and that what it
// says agrees with what the guest did: the system calls it made, the
// symbols and types it has, the order of its init functions.
func TestBannersTrue(t *testing.T) {
	for _, tg := range helloTargets() {
		t.Run(tg.name, func(t *testing.T) {
			bin := tg.bin(t)
			w := walkBoot(t, bin, []string{})
			v := w.version
			for _, r := range w.s.stages.Stages() {
				if !r.Variant.In.Contains(v) {
					t.Errorf("stage %s: banner for %s, binary is %s", r.ID, r.Variant.In, v)
				}
				if v.Known() && v.Compare(loader.MustVersion("go1.12")) < 0 && r.Variant.In.From.Known() {
					t.Errorf("stage %s: %s gets the banner for %s, not the book's", r.ID, v, r.Variant.In)
				}
				if (r.Symbol == "") != (r.Variant.Absent != "") && r.Symbol != "" {
					t.Errorf("stage %s: found as %s in %s, but the table says it is absent: %s", r.ID, r.Symbol, v, r.Variant.Absent)
				}
				for _, x := range r.Variant.Watch {
					if r.Reached && !w.watchOK[r.ID+" "+x] {
						t.Errorf("stage %s: watch %s has no value at the stage or the next one in %s", r.ID, x, v)
					}
				}
			}
			has := func(name string) bool { _, ok := w.s.syms.Func(name); return ok }
			calls := func(id, substr string) bool {
				for _, l := range w.syscalls[id] {
					if strings.Contains(l, substr) {
						return true
					}
				}
				return false
			}
			pool := structHasField(t, bin, "sync.Pool", "victim")
			idx := map[string]int{}
			for i, r := range w.order {
				idx[r.ID] = i
			}
			mainFirst := idx["main_init"] < idx["sync_init"]
			_, inMain := idx["main_init"]
			heap0xc0 := false
			for _, id := range []string{"mallocinit", "mcommoninit", "cpuinit", "alginit"} {
				heap0xc0 = heap0xc0 || calls(id, "mmap(0xc000000000, 67108864, PROT_NONE")
			}
			claims := []struct {
				stage, says string
				want        bool // the guest's behaviour: the banner says it iff true
				fact        string
			}{
				{"osinit", "hpage_pmd_size", calls("osinit", "hpage_pmd_size"), "osinit opens hpage_pmd_size"},
				{"mallocinit", "PROT_NONE mmap calls", calls("mallocinit", "PROT_NONE"), "mallocinit maps PROT_NONE"},
				{"mallocinit", "randomised", !heap0xc0, "the heap is not reserved at 0xc000000000"},
				{"parsedebugvars", "try --env GODEBUG=inittrace=1", inittrace(t, bin), "GODEBUG=inittrace=1 prints init times"},
				{"initsig", "SIGURG (preemption", has("runtime.doSigPreempt"), "runtime.doSigPreempt exists"},
				{"sysmon", "SIGURG", has("runtime.doSigPreempt"), "runtime.doSigPreempt exists"},
				{"gcenable", "the scavenger (bgscavenge)", has("runtime.bgscavenge"), "runtime.bgscavenge exists"},
				{"deferproc", "deferprocStack", has("runtime.deferprocStack"), "runtime.deferprocStack exists"},
				{"sync_init", "victim", pool, "sync.Pool has a victim field"},
				{"main_init", "imports' init stages come after", inMain && mainFirst, "main.init is reached before sync.init"},
				{"newproc", "start function of the new goroutine: runtime.main", true, "newproc starts runtime.main"},
			}
			for _, c := range claims {
				b, reached := w.banner[c.stage]
				if !reached {
					if c.stage == "newproc" {
						t.Errorf("%s: stage %s not reached", v, c.stage)
					}
					continue
				}
				if got := strings.Contains(b, c.says); got != c.want {
					t.Errorf("%s: stage %s banner contains %q: got %v, want %v (%s: %v)\n%s", v, c.stage, c.says, got, c.want, c.fact, c.want, b)
				}
			}
		})
	}
}

// inittrace runs bin to its end with GODEBUG=inittrace=1 and reports
// whether the runtime printed package init times.
func inittrace(t *testing.T, bin string) bool {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := New(Config{File: f, Guest: emu.Config{Args: []string{"hello"}, Env: []string{"GODEBUG=inittrace=1"}, Stdout: &out, Stderr: &out, Warn: &out},
		Out: &out, Syntax: disasm.Go})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Exec("continue"); err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(?m)^init \S+ @`).MatchString(out.String())
}

// structHasField reports whether bin's DWARF, read with the standard
// library, has struct typ with the field.
func structHasField(t *testing.T, bin, typ, field string) bool {
	t.Helper()
	ef, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d, err := ef.DWARF()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil {
			t.Fatalf("%s: reading DWARF: %v", bin, err)
		}
		if e == nil {
			return false // the program does not use the type
		}
		if e.Tag != dwarf.TagStructType || e.Val(dwarf.AttrName) != typ {
			continue
		}
		for {
			c, err := r.Next()
			if err != nil || c == nil || c.Tag == 0 {
				return false
			}
			if c.Tag == dwarf.TagMember && c.Val(dwarf.AttrName) == field {
				return true
			}
		}
	}
}

// TestRenamesOnToolchains checks every rename row against the binaries:
// in the versions of a row, the book's name does not resolve and the new
// one does; in versions no row of a name covers, the book's name does.
func TestRenamesOnToolchains(t *testing.T) {
	for _, tg := range helloTargets() {
		t.Run(tg.name, func(t *testing.T) {
			bin := tg.bin(t)
			s, _ := openSession(t, bin, "hello")
			info, err := s.dwarf()
			if err != nil {
				t.Fatal(err)
			}
			exists := func(name string) bool {
				if _, ok := s.syms.Func(name); ok {
					return true
				}
				_, err := info.Eval(name, s.t)
				return err == nil
			}
			v := s.cfg.File.Version()
			covered := map[string]bool{}
			for _, rn := range Renames {
				if !rn.In.Contains(v) {
					continue
				}
				covered[rn.Old] = true
				if exists(rn.Old) {
					t.Errorf("%s: %s exists, but the table says it is %q here (%s)", v, rn.Old, rn.New, rn.In)
				}
				if rn.New != "" && !exists(rn.New) {
					t.Errorf("%s: %s, the table's name for %s in %s, does not exist", v, rn.New, rn.Old, rn.In)
				}
			}
			for _, rn := range Renames {
				if !covered[rn.Old] && !exists(rn.Old) {
					t.Errorf("%s: %s does not exist, and no row says what it is here", v, rn.Old)
				}
				if rn.New != "" && !rn.In.Contains(v) && exists(rn.New) && !covered[rn.Old] {
					t.Errorf("%s: %s exists outside %s", v, rn.New, rn.In)
				}
			}
		})
	}
}

// TestRenamedSessions types the book's go1.11 names and go1.26's on
// go1.11.1 and the machine's Go: print, display, watch and break say what
// the name is called there, and show the value of the same variable (at
// the address the symbol table gives).
func TestRenamedSessions(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []*testbin.Toolchain{testbin.Go111, testbin.Machine} {
		t.Run(tc.Short, func(t *testing.T) {
			var bin string
			if tc == testbin.Go111 {
				bin = testbin.Go111Guest(t, root, "hello", binDir)
			} else {
				bin = tc.BuildGuest(t, root, "hello", binDir)
			}
			f, err := loader.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			v := f.Version()
			syms, err := f.Symbols()
			if err != nil {
				t.Fatal(err)
			}
			old := v.Compare(loader.MustVersion("go1.25")) < 0
			have, other := "runtime.numCPUStartup", "runtime.ncpu"
			if old {
				have, other = other, have
			}
			addr := func(name string) uint64 {
				for _, s := range syms.All() {
					if s.Name == name {
						return s.Addr
					}
				}
				t.Fatalf("%s: no symbol %s", v, name)
				return 0
			}
			script := strings.Join([]string{
				"break runtime.schedinit", "continue",
				"print runtime.ncpu", "print runtime.numCPUStartup", "print ncpu",
				"display runtime.ncpu", "display runtime.numCPUStartup",
				"watch runtime.ncpu", "delete 2", "watch runtime.numCPUStartup",
				"break runtime.main_init", "break runtime_init",
			}, "\n")
			got := session(t, bin, script, emu.Config{Cpus: 3, Env: []string{}})
			note := fmt.Sprintf(" (%s in %s)", have, v)
			wants := []string{
				have + " = 3\n",
				other + note + " = 3\n",
				map[bool]string{true: "ncpu = 3\n", false: "ncpu (runtime.numCPUStartup in " + v.String() + ") = 3\n"}[old],
				fmt.Sprintf("1: %s = 3\n", "runtime.ncpu"+map[bool]string{true: "", false: note}[old]),
				fmt.Sprintf("2: %s = 3\n", "runtime.numCPUStartup"+map[bool]string{true: note, false: ""}[old]),
				fmt.Sprintf("Watchpoint 2: %s (4 bytes at %#x)\n", "runtime.ncpu"+map[bool]string{true: "", false: note}[old], addr(have)),
				fmt.Sprintf("Watchpoint 3: %s (4 bytes at %#x)\n", "runtime.numCPUStartup"+map[bool]string{true: note, false: ""}[old], addr(have)),
			}
			if old {
				wants = append(wants,
					fmt.Sprintf("Breakpoint 4 at %#x: main.init+0x0 (<autogenerated>:1), for runtime.main_init (main.init in %s)\n", addr("main.init"), v),
					fmt.Sprintf("Breakpoint 5 at %#x: runtime.init+0x0 (<autogenerated>:1), for runtime_init (runtime.init in %s)\n", addr("runtime.init"), v))
			} else {
				wants = append(wants,
					fmt.Sprintf("error: runtime.main_init is not in %s: from go1.13", v),
					fmt.Sprintf("error: runtime.runtime_init is not in %s: from go1.13", v))
			}
			for _, w := range wants {
				if !strings.Contains(got, w) {
					t.Errorf("%s: want %q in\n%s", v, w, got)
				}
			}
		})
	}
}

// TestResolveName checks the mapping itself: both directions, fields and
// indexes after a renamed name, names that are gone, names without a
// package, and names that only share a prefix.
func TestResolveName(t *testing.T) {
	v11, v26 := loader.MustVersion("go1.11.1"), loader.MustVersion("go1.26.8")
	for _, tc := range []struct {
		expr      string
		v         loader.Version
		wantExpr  string // "" when no row applies
		wantLabel string
		wantErr   string
	}{
		{"runtime.ncpu", v26, "runtime.numCPUStartup", "runtime.ncpu (runtime.numCPUStartup in go1.26.8)", ""},
		{"runtime.numCPUStartup", v11, "runtime.ncpu", "runtime.numCPUStartup (runtime.ncpu in go1.11.1)", ""},
		{"ncpu", v26, "runtime.numCPUStartup", "ncpu (runtime.numCPUStartup in go1.26.8)", ""},
		{"runtime.sched.runqhead", v26, "runtime.sched.runq.head", "runtime.sched.runqhead (runtime.sched.runq.head in go1.26.8)", ""},
		{"runtime.sched.runq.head", v11, "runtime.sched.runqhead", "runtime.sched.runq.head (runtime.sched.runqhead in go1.11.1)", ""},
		{"runtime.gcController.gcPercent", v11, "runtime.gcpercent", "runtime.gcController.gcPercent (runtime.gcpercent in go1.11.1)", ""},
		{"runtime.m0.mcache.tiny", v26, "", "", "runtime.m0.mcache is not in go1.26.8: from go1.16"},
		{"main_init", v11, "main.init", "main_init (main.init in go1.11.1)", ""},
		{"runtime.main_init", v26, "", "", "runtime.main_init is not in go1.26.8: from go1.13"},
		{"runtime.ncpuX", v26, "", "", ""},
		{"runtime.ncpu", v11, "", "", ""}, // the book's own version: nothing to map
		{"*0xzz", v26, "", "", ""},
	} {
		r, ok, err := resolveName(tc.expr, tc.v)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Errorf("resolveName(%q, %s): got error %v, want %q...", tc.expr, tc.v, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("resolveName(%q, %s): got error %v", tc.expr, tc.v, err)
		case ok != (tc.wantExpr != ""):
			t.Errorf("resolveName(%q, %s): got ok %v (%q), want %v", tc.expr, tc.v, ok, r.Expr, tc.wantExpr != "")
		case ok && (r.Expr != tc.wantExpr || r.Label() != tc.wantLabel):
			t.Errorf("resolveName(%q, %s): got %q labelled %q, want %q labelled %q", tc.expr, tc.v, r.Expr, r.Label(), tc.wantExpr, tc.wantLabel)
		}
	}
}

// disasmLine matches the instruction printCurrent shows after a banner.
var disasmLine = regexp.MustCompile(`^   0x[0-9a-f]+:\t`)

// TestBootBanners keeps the banners of hello's whole boot, as 'stage'
// prints them (heading, explanation, the new goroutine's function), on
// go1.11.1 and the machine's Go in testdata/stages/banners.TOOLCHAIN.txt
// (regenerate with -update and read the diff).
func TestBootBanners(t *testing.T) {
	for _, tg := range helloTargets() {
		if tg.name != testbin.Go111.Short && tg.name != testbin.Machine.Short {
			continue
		}
		t.Run(tg.name, func(t *testing.T) {
			w := walkBoot(t, tg.bin(t), []string{})
			var b strings.Builder
			for _, r := range w.order {
				for _, l := range strings.Split(w.banner[r.ID], "\n") {
					if strings.HasPrefix(l, "── stage") || strings.HasPrefix(l, "   ") && !strings.HasPrefix(l, "     ") &&
						!strings.HasPrefix(l, "   syscalls since") && !strings.HasPrefix(l, "   at ") &&
						!strings.HasPrefix(l, "   watched since") && !disasmLine.MatchString(l) {
						b.WriteString(l + "\n")
					}
				}
			}
			checkGolden(t, filepath.Join("testdata", "stages", "banners."+tg.name+".txt"), b.String())
		})
	}
}
