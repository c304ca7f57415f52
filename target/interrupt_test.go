package target

import (
	"bytes"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// TestInterruptChangesNothing interrupts the gc guest (a third of a
// billion instructions) three times while it runs: each Continue returns
// StopPaused, and the run, continued to its end, prints the same and
// takes exactly as many instructions as one that was never stopped.
func TestInterruptChangesNothing(t *testing.T) {
	var want bytes.Buffer
	ref, _ := guest(t, testbin.Machine, "gc", &want)
	if st := ref.Continue(Resume{}); st.Kind != StopExited {
		t.Fatalf("uninterrupted run: got stop %v, want the end", st.Kind)
	}
	wantInsns := ref.Insns()

	var got bytes.Buffer
	tg, _ := guest(t, testbin.Machine, "gc", &got)
	pauses := 0
	for {
		timer := time.AfterFunc(20*time.Millisecond, tg.Interrupt)
		st := tg.Continue(Resume{})
		timer.Stop()
		if st.Kind == StopExited {
			break
		}
		if st.Kind != StopPaused {
			t.Fatalf("got stop %v at %#x, want StopPaused", st.Kind, st.PC)
		}
		if pauses++; pauses == 3 {
			if st := tg.Continue(Resume{}); st.Kind != StopExited {
				t.Fatalf("after the pauses: got stop %v, want the end", st.Kind)
			}
			break
		}
	}
	if pauses == 0 {
		t.Fatal("the guest ended before the first interrupt: no pause was seen")
	}
	if got.String() != want.String() {
		t.Errorf("output after %d pauses: got %q, want %q", pauses, got.String(), want.String())
	}
	if got := tg.Insns(); got != wantInsns {
		t.Errorf("instructions after %d pauses: got %d, want %d (the uninterrupted run's)", pauses, got, wantInsns)
	}
}
