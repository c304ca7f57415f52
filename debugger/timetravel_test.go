package debugger

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// stdinSession starts a session on bin with stdin; guest and session
// output go to one buffer.
func stdinSession(t *testing.T, bin, stdin string) (*Session, *bytes.Buffer) {
	t.Helper()
	f, err := loader.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := New(Config{File: f, Guest: emu.Config{Args: []string{"echoin"}, Env: []string{}, Stdin: strings.NewReader(stdin),
		Stdout: &out, Stderr: &out, Warn: &out}, Out: &out, Syntax: disasm.Go})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, &out
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
