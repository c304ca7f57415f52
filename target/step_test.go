package target

import (
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

// guest builds testdata/guests/NAME with tc and starts it under a
// target, its output going to out; the target is closed when the test
// ends.
func guest(t *testing.T, tc *testbin.Toolchain, name string, out io.Writer) (*Target, *loader.Symbols) {
	t.Helper()
	tc.Need(t)
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := tc.BuildGuest(t, root, name, t.TempDir())
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	tg, err := New(f, Config{Args: []string{bin}, Env: []string{}, Cpus: 2, Stdout: out, Stderr: out, Warn: out})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tg.Close)
	return tg, syms
}

// followGuest is the follow guest built with tc.
func followGuest(t *testing.T, tc *testbin.Toolchain) (*Target, *loader.Symbols) {
	return guest(t, tc, "follow", io.Discard)
}

// where is "FUNC:LINE" for pc, the file's base name left out.
func where(syms *loader.Symbols, pc uint64) string {
	_, line, fn := syms.LineForPC(pc)
	return fn + ":" + strconv.Itoa(line)
}

// lineOf is the number, as text, of the follow guest's line holding text.
func lineOf(t *testing.T, text string) string {
	return strconv.Itoa(testbin.GuestLine(t, "follow", text))
}

// stopIn continues to a user breakpoint at fn's entry, steps past its
// prologue with next, and returns the stop (selected).
func stopIn(t *testing.T, tg *Target, syms *loader.Symbols, fn string) Stop {
	t.Helper()
	sym, ok := syms.Func(fn)
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	if err := tg.AddBreakpoint(sym.Addr, User); err != nil {
		t.Fatal(err)
	}
	st := tg.Continue(Resume{})
	if st.Kind != StopBreakpoint || st.PC != sym.Addr {
		t.Fatalf("continue to %s: got stop %+v at %s", fn, st.Stop, where(syms, st.PC))
	}
	if err := tg.RemoveBreakpoint(sym.Addr, User); err != nil {
		t.Fatal(err)
	}
	tg.Select(st.Tid)
	return st
}

// g is the goroutine thread tid runs.
func (t *Target) g(tid int) uint64 {
	fs, _ := t.ThreadReg(tid, abi.FSBase)
	g, _ := t.word(fs - tlsG)
	return g
}

var followToolchains = testbin.Toolchains

// TestNextFollowsGoroutine steps over a call that parks the goroutine,
// which another thread resumes, and over one whose callee grows (copies)
// the stack: next must stop on the following line of the same function
// both times.
func TestNextFollowsGoroutine(t *testing.T) {
	for _, tc := range followToolchains {
		t.Run(tc.Short, func(t *testing.T) {
			tg, syms := followGuest(t, tc)
			hopLine, afterHop := lineOf(t, "v := hop(c)"), lineOf(t, "return v + 1")
			deepLine, afterDeep := lineOf(t, "x := deep(2000)"), lineOf(t, "return x + 1")

			stopIn(t, tg, syms, "main.moved")
			st := nextTo(t, tg, syms, "main.moved:"+hopLine)
			tid, g := st.Tid, tg.g(st.Tid)
			st = tg.Next()
			if got, want := where(syms, st.PC), "main.moved:"+afterHop; st.Kind != StopStep || got != want {
				t.Fatalf("next over hop: got %v at %s, want a step to %s", st.Kind, got, want)
			}
			if st.Tid == tid {
				t.Fatalf("next over hop: the goroutine came back on thread %d, the one it parked on: the guest no longer moves it", tid)
			}
			if tg.g(st.Tid) != g {
				t.Errorf("next over hop: stopped in g %#x, want g %#x", tg.g(st.Tid), g)
			}

			tg.Select(st.Tid)
			stopIn(t, tg, syms, "main.grow")
			st = nextTo(t, tg, syms, "main.grow:"+deepLine)
			sp := tg.Reg(abi.RSP)
			st = tg.Next()
			if got, want := where(syms, st.PC), "main.grow:"+afterDeep; st.Kind != StopStep || got != want {
				t.Fatalf("next over deep: got %v at %s, want a step to %s", st.Kind, got, want)
			}
			if now, _ := tg.ThreadReg(st.Tid, abi.RSP); now == sp {
				t.Fatalf("next over deep: the stack pointer is still %#x: the guest no longer grows its stack", sp)
			}
		})
	}
}

// nextTo steps with next until the selected thread is at want (FUNC:LINE).
func nextTo(t *testing.T, tg *Target, syms *loader.Symbols, want string) Stop {
	t.Helper()
	for i := 0; i < 5; i++ {
		pc := tg.Reg(abi.RIP)
		if where(syms, pc) == want {
			return Stop{}
		}
		st := tg.Next()
		if st.Kind != StopStep {
			t.Fatalf("next towards %s: got stop %v at %s", want, st.Kind, where(syms, st.PC))
		}
		tg.Select(st.Tid)
		if where(syms, st.PC) == want {
			return st
		}
	}
	t.Fatalf("next did not reach %s", want)
	return Stop{}
}

// TestFinishFollowsGoroutine runs hop and deep to their return with
// finish: hop's caller resumes on another thread, deep's on a copied
// stack.
func TestFinishFollowsGoroutine(t *testing.T) {
	for _, tc := range followToolchains {
		t.Run(tc.Short, func(t *testing.T) {
			tg, syms := followGuest(t, tc)
			for _, c := range []struct {
				callee, caller string
				moves          bool // the caller resumes on another thread
			}{{"main.hop", "main.moved", true}, {"main.deep", "main.grow", false}} {
				sym, _ := syms.Func(c.callee)
				if err := tg.AddBreakpoint(sym.Addr, User); err != nil {
					t.Fatal(err)
				}
				st := tg.Continue(Resume{})
				if st.Kind != StopBreakpoint || st.PC != sym.Addr {
					t.Fatalf("continue to %s: got %v at %s", c.callee, st.Kind, where(syms, st.PC))
				}
				tg.RemoveBreakpoint(sym.Addr, User)
				tg.Select(st.Tid)
				// At the entry the return address is at the stack pointer;
				// the caller's frame is just above it.
				sp := tg.Reg(abi.RSP)
				ret, _ := tg.word(sp)
				caller := tg.FrameKeyOf(tg.g(st.Tid), sp+8, st.Tid, false)
				if caller.G == 0 {
					t.Fatalf("%s: no g for the caller's frame", c.callee)
				}
				tid := st.Tid
				st = tg.Finish(ret, caller)
				if st.Kind != StopStep || st.PC != ret {
					t.Fatalf("finish from %s: got %v at %s, want a step to %#x in %s", c.callee, st.Kind, where(syms, st.PC), ret, c.caller)
				}
				if fn := strings.Split(where(syms, st.PC), ":")[0]; fn != c.caller {
					t.Errorf("finish from %s: stopped in %s, want %s", c.callee, fn, c.caller)
				}
				now, _ := tg.ThreadReg(st.Tid, abi.RSP)
				switch {
				case c.moves && st.Tid == tid:
					t.Errorf("finish from %s: returned on thread %d, where it parked: the guest no longer moves it", c.callee, tid)
				case !c.moves && now == sp+8:
					t.Errorf("finish from %s: the stack pointer is unchanged (%#x): the guest no longer grows its stack", c.callee, now)
				}
				tg.Select(st.Tid)
			}
		})
	}
}
