package target

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// threadState is every live thread's general registers, as a string to
// compare.
func threadState(tg *Target) string {
	var b bytes.Buffer
	for _, th := range tg.Threads() {
		fmt.Fprintf(&b, "thread %d %s:", th.Tid, th.State)
		for r := abi.RAX; r <= abi.EFLAGS; r++ {
			v, _ := tg.ThreadReg(th.Tid, r)
			fmt.Fprintf(&b, " %x", v)
		}
		fs, _ := tg.ThreadReg(th.Tid, abi.FSBase)
		fmt.Fprintf(&b, " fs %x\n", fs)
	}
	return b.String()
}

// TestGoto runs the goroutines guest to random points of its run, each
// reached two ways: in one Goto, and in several shorter ones with user
// breakpoints on the way. The instruction count must be the point
// exactly, every thread's registers the same both ways, and the run,
// continued from there, must end as an uninterrupted one does.
func TestGoto(t *testing.T) {
	for _, tc := range []*testbin.Toolchain{testbin.Go111, testbin.Machine} {
		t.Run(tc.Short, func(t *testing.T) {
			var refOut bytes.Buffer
			ref, _ := guest(t, tc, "goroutines", &refOut)
			if st := ref.Continue(Resume{}); st.Kind != StopExited {
				t.Fatalf("reference run: got stop %v", st.Kind)
			}
			total := ref.Insns()
			rng := rand.New(rand.NewSource(7))
			for i := 0; i < 3; i++ {
				n := uint64(rng.Int63n(int64(total-1))) + 1
				var outA, outB bytes.Buffer
				a, _ := guest(t, tc, "goroutines", &outA)
				if st := a.Goto(n); st.Kind != StopInsn || a.Insns() != n {
					t.Fatalf("goto %d: got stop %v at instruction %d", n, st.Kind, a.Insns())
				}
				b, syms := guest(t, tc, "goroutines", &outB)
				sched, _ := syms.Func("runtime.schedule")
				b.AddBreakpoint(sched.Addr, User)
				for _, m := range []uint64{n / 3, n / 2, n - 1, n} {
					if st := b.Goto(m); st.Kind != StopInsn || b.Insns() != m {
						t.Fatalf("goto %d on the way to %d: got stop %v at instruction %d", m, n, st.Kind, b.Insns())
					}
				}
				if sa, sb := threadState(a), threadState(b); sa != sb {
					t.Errorf("at instruction %d (seed 7, point %d): the threads differ:\none goto:\n%s\nfour gotos:\n%s", n, i, sa, sb)
				}
				b.RemoveBreakpoint(sched.Addr, User)
				for _, tg := range []*Target{a, b} {
					if st := tg.Continue(Resume{}); st.Kind != StopExited || tg.Insns() != total {
						t.Errorf("continued from instruction %d: got stop %v after %d instructions, want the end after %d", n, st.Kind, tg.Insns(), total)
					}
				}
				if outA.String() != refOut.String() || outB.String() != refOut.String() {
					t.Errorf("continued from instruction %d: output %q and %q, want %q", n, outA.String(), outB.String(), refOut.String())
				}
			}
		})
	}
}
