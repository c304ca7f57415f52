package target

import (
	"bytes"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// TestPokeCode rewrites a function that has already run, so its code is
// translated: the next call must run the new code. answer returns 1;
// after the first of three calls it is made to return 5 (MOV EAX, 5; RET
// under the register ABI), so the guest prints 11 where natively it
// prints 3.
func TestPokeCode(t *testing.T) {
	var out bytes.Buffer
	tg, syms := guest(t, testbin.Machine, "patch", &out)
	answer, _ := syms.Func("main.answer")
	mark, _ := syms.Func("main.mark")
	if err := tg.AddBreakpoint(mark.Addr, User); err != nil {
		t.Fatal(err)
	}
	if st := tg.Continue(Resume{}); st.Kind != StopBreakpoint || st.PC != mark.Addr {
		t.Fatalf("continue to main.mark: got %v at %#x", st.Kind, st.PC)
	}
	code := []byte{0xb8, 5, 0, 0, 0, 0xc3}
	if err := tg.Poke(answer.Addr, code); err != nil {
		t.Fatalf("poke main.answer: %v", err)
	}
	got := make([]byte, len(code))
	if err := tg.Peek(answer.Addr, got); err != nil || !bytes.Equal(got, code) {
		t.Fatalf("peek after poke: got % x (%v), want % x", got, err, code)
	}
	for {
		st := tg.Continue(Resume{})
		if st.Kind == StopExited {
			break
		}
		if st.Kind != StopBreakpoint {
			t.Fatalf("got stop %v at %#x", st.Kind, st.PC)
		}
	}
	if out.String() != "11\n" {
		t.Errorf("guest printed %q, want %q: the rewritten answer did not run", out.String(), "11\n")
	}
}
