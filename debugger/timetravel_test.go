package debugger

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// stdinSession starts a session on bin with stdin as the guest's.
func stdinSession(t *testing.T, bin, stdin string) (*Session, *bytes.Buffer) {
	return sessionWith(t, bin, "echoin", strings.NewReader(stdin))
}

// exec runs commands and returns what they printed.
func execAll(t *testing.T, s *Session, out *bytes.Buffer, cmds ...string) string {
	t.Helper()
	start := out.Len()
	for _, c := range cmds {
		if err := s.Exec(c); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}
	return out.String()[start:]
}

// TestGotoBackwards runs echoin to its end, goes back to a point in the
// middle and forward to the end again: the registers there are those of
// a session that went to the point directly, the guest reads the same
// stdin again (its run takes as many instructions), and its output is
// printed once.
func TestGotoBackwards(t *testing.T) {
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "echoin")
			const input = "one\ntwo\nthree\n"
			s, out := stdinSession(t, bin, input)
			execAll(t, s, out, "continue")
			end := s.t.Insns()
			mid := end / 2
			there := execAll(t, s, out, "goto "+itoa(mid), "regs", "bt")
			if !strings.Contains(there, "At instruction "+itoa(mid)+"\n") {
				t.Fatalf("goto %d from the end: got\n%s", mid, there)
			}
			d, dout := stdinSession(t, bin, input)
			direct := execAll(t, d, dout, "goto "+itoa(mid), "regs", "bt")
			if there != direct {
				t.Errorf("at instruction %d: going back gives\n%s\ngoing there directly gives\n%s", mid, there, direct)
			}
			execAll(t, s, out, "continue")
			if got := s.t.Insns(); got != end {
				t.Errorf("run again from instruction %d: ended after %d instructions, want %d (stdin not replayed?)", mid, got, end)
			}
			if got := strings.Count(out.String(), "ONE\nTWO\nTHREE\n"); got != 1 {
				t.Errorf("the guest's output appears %d times, want once:\n%s", got, out.String())
			}
			if got := len(regexp.MustCompile(`\[guest exited with status 0\]`).FindAllString(out.String(), -1)); got != 2 {
				t.Errorf("got %d ends, want 2 (one per execution):\n%s", got, out.String())
			}
		})
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestReverse stops twice at runtime.newproc, goes back to the first stop
// with reverse-continue (same instruction count, same registers, same
// backtrace as when it was reached going forward), steps back one
// instruction with reverse-stepi (to the CALL before it) and forward
// again with stepi (the same point once more).
func TestReverse(t *testing.T) {
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := openSession(t, tc.binary(t, "hello"), "hello")
			execAll(t, s, out, "break runtime.newproc", "continue")
			first := when(t, s, out)
			forward := execAll(t, s, out, "regs", "bt")
			execAll(t, s, out, "continue")
			if second := when(t, s, out); second <= first {
				t.Fatalf("second stop at instruction %d, not after the first (%d)", second, first)
			}
			back := execAll(t, s, out, "reverse-continue")
			if !strings.Contains(back, "Breakpoint 1, runtime.newproc") {
				t.Fatalf("reverse-continue: got\n%s", back)
			}
			if got := when(t, s, out); got != first {
				t.Errorf("reverse-continue: at instruction %d, want the first stop's %d", got, first)
			}
			if got := execAll(t, s, out, "regs", "bt"); got != forward {
				t.Errorf("after reverse-continue:\n%s\nwant what the first stop showed:\n%s", got, forward)
			}
			rsi := execAll(t, s, out, "reverse-stepi")
			if !strings.Contains(rsi, "CALL") {
				t.Errorf("reverse-stepi from newproc's entry: want the CALL before it, got\n%s", rsi)
			}
			if got := when(t, s, out); got >= first {
				t.Errorf("reverse-stepi: at instruction %d, want before %d", got, first)
			}
			execAll(t, s, out, "stepi")
			if got := when(t, s, out); got != first {
				t.Errorf("stepi after reverse-stepi: at instruction %d, want %d", got, first)
			}
		})
	}
}

// whenRE reads the instruction count 'when' prints.
var whenRE = regexp.MustCompile(`instruction (\d+) `)

// when runs 'when' and returns the instruction count it printed.
func when(t *testing.T, s *Session, out *bytes.Buffer) uint64 {
	t.Helper()
	m := whenRE.FindStringSubmatch(execAll(t, s, out, "when"))
	if m == nil {
		t.Fatal("when printed no instruction count")
	}
	n, _ := strconv.ParseUint(m[1], 10, 64)
	return n
}

// TestReverseLines steps forward through main.main with next and back
// with reverse-next and reverse-step: each lands exactly where the
// forward step it undoes started (same instruction count, same
// registers). reverse-finish from fmt.Fprintln's entry goes back to its
// caller, from where stepi enters fmt.Fprintln again.
func TestReverseLines(t *testing.T) {
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := openSession(t, tc.binary(t, "hello"), "hello")
			execAll(t, s, out, "break main.main", "continue")
			w0, r0 := when(t, s, out), execAll(t, s, out, "regs")
			execAll(t, s, out, "next")
			w1, r1 := when(t, s, out), execAll(t, s, out, "regs")
			execAll(t, s, out, "next")
			for _, c := range []struct {
				cmd  string
				want uint64
				regs string
			}{{"reverse-next", w1, r1}, {"reverse-step", w0, r0}} {
				execAll(t, s, out, c.cmd)
				if got := when(t, s, out); got != c.want {
					t.Errorf("%s: at instruction %d, want %d, where the forward step started", c.cmd, got, c.want)
				}
				if got := execAll(t, s, out, "regs"); got != c.regs {
					t.Errorf("%s: registers\n%s\nwant\n%s", c.cmd, got, c.regs)
				}
			}
			execAll(t, s, out, "delete", "break fmt.Fprintln", "continue", "reverse-finish")
			if got := execAll(t, s, out, "stepi"); !strings.Contains(got, "fmt.Fprintln+0x0 ") {
				t.Errorf("stepi after reverse-finish from fmt.Fprintln: want its entry again, got\n%s", got)
			}
		})
	}
}

// TestStageBack walks three stages, then 'stage -' goes back to the
// second: its banner and stop line are the ones shown going forward;
// after the guest's end, 'stage schedinit' goes back to that stage.
func TestStageBack(t *testing.T) {
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			s, out := openSession(t, tc.binary(t, "hello"), "hello")
			execAll(t, s, out, "stage")
			second := execAll(t, s, out, "stage")
			execAll(t, s, out, "stage")
			if got := execAll(t, s, out, "stage -"); got != second {
				t.Errorf("stage - from the third stage:\n%s\nwant the second stage as shown going forward:\n%s", got, second)
			}
			execAll(t, s, out, "stage osinit")
			schedinit := execAll(t, s, out, "stage")
			execAll(t, s, out, "continue")
			if got := execAll(t, s, out, "stage schedinit"); got != schedinit {
				t.Errorf("stage schedinit after the end:\n%s\nwant as shown going forward:\n%s", got, schedinit)
			}
		})
	}
}

// machineState is everything a test compares between two ways of
// reaching a point: the instruction count, every thread's registers, and
// a hash of the writable mappings of at most 64 MiB.
func machineState(t *testing.T, s *Session) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "insns %d\n", s.t.Insns())
	for _, th := range s.t.Threads() {
		fmt.Fprintf(&b, "thread %d %s:", th.Tid, th.State)
		for r := abi.RAX; r <= abi.GSBase; r++ {
			v, _ := s.t.ThreadReg(th.Tid, r)
			fmt.Fprintf(&b, " %x", v)
		}
		b.WriteString("\n")
	}
	for _, v := range s.t.Maps() {
		if v.Prot&abi.ProtWrite == 0 || v.End-v.Start > 64<<20 {
			continue
		}
		buf := make([]byte, v.End-v.Start)
		if err := s.t.Peek(v.Start, buf); err != nil {
			t.Fatalf("reading %#x-%#x: %v", v.Start, v.End, err)
		}
		fmt.Fprintf(&b, "%#x-%#x %x\n", v.Start, v.End, sha256.Sum256(buf))
	}
	return b.String()
}

// TestReverseExact is the exactness property of going back: for random
// points t1 < t2 of a run (fixed seed), the state at t1 reached directly
// is the state at t1 reached by going to t2 and back, and the run goes on
// from both to the same end.
func TestReverseExact(t *testing.T) {
	const seed = 11
	for _, tc := range toolchains[:3] {
		for _, g := range []string{"hello", "goroutines", "timers"} {
			t.Run(tc.name+"/"+g, func(t *testing.T) {
				bin := tc.binary(t, g)
				ref, refOut := openSession(t, bin, g)
				execAll(t, ref, refOut, "continue")
				total := ref.t.Insns()
				rng := rand.New(rand.NewSource(seed))
				for i := 0; i < 2; i++ {
					t1 := uint64(rng.Int63n(int64(total-2))) + 1
					t2 := t1 + uint64(rng.Int63n(int64(total-t1)))
					direct, dout := openSession(t, bin, g)
					execAll(t, direct, dout, "goto "+itoa(t1))
					round, rout := openSession(t, bin, g)
					execAll(t, round, rout, "goto "+itoa(t2), "goto "+itoa(t1))
					if a, b := machineState(t, direct), machineState(t, round); a != b {
						t.Fatalf("seed %d: at %d directly and via %d: states differ\n%s", seed, t1, t2, strings.Join(firstDiff(a, b), "\n"))
					}
					execAll(t, direct, dout, "continue")
					execAll(t, round, rout, "continue")
					if direct.t.Insns() != total || round.t.Insns() != total {
						t.Errorf("seed %d: from %d (directly, and via %d) the runs end after %d and %d instructions, want %d",
							seed, t1, t2, direct.t.Insns(), round.t.Insns(), total)
					}
					if a, b := guestText(dout.String()), guestText(rout.String()); a != b || a != guestText(refOut.String()) {
						t.Errorf("seed %d: the guest printed %q going to %d directly, %q via %d, %q without going anywhere", seed, a, t1, b, t2, guestText(refOut.String()))
					}
				}
			})
		}
	}
}

// sessionLine matches the lines a session prints around the guest's.
var sessionLine = regexp.MustCompile(`^(=> |   0x|At instruction |\[guest exited|\[thread \d+ exited)`)

// guestText is what the guest printed in a session's output: once, if
// going back works.
func guestText(out string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		if !sessionLine.MatchString(l) {
			b.WriteString(l)
		}
	}
	return b.String()
}

// firstDiff returns the first differing line of a and b, both ways.
func firstDiff(a, b string) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return []string{"direct: " + al[i], "via t2: " + bl[i]}
		}
	}
	return []string{fmt.Sprintf("%d lines vs %d", len(al), len(bl))}
}
