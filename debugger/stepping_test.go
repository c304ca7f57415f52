package debugger

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// TestFinishAndNextFollowGoroutine runs the commands on the follow guest:
// finish from hop returns to moved on the thread that resumed the
// goroutine, and next over grow's call of deep (which copies the stack)
// stops on grow's next line. target's tests check the algorithms; this
// checks what the commands give them (the caller's g from the backtrace).
func TestFinishAndNextFollowGoroutine(t *testing.T) {
	stopAt := regexp.MustCompile(`(?m)^=> 0x[0-9a-f]+ (\S+) \(.*:(\d+)\) \[thread (\d+)\]$`)
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "follow")
			out := session(t, bin, "break main.hop\ncontinue\nfinish\ndelete\nbreak main.grow\ncontinue\nnext\nnext\n", emu.Config{Env: []string{}, Cpus: 2})
			stops := stopAt.FindAllStringSubmatch(out, -1)
			if len(stops) != 6 {
				t.Fatalf("got %d stops, want 6 (start, hop, finish, grow, next, next):\n%s", len(stops), out)
			}
			hopCall := strconv.Itoa(testbin.GuestLine(t, "follow", "v := hop(c)"))
			afterHop := strconv.Itoa(testbin.GuestLine(t, "follow", "return v + 1"))
			afterDeep := strconv.Itoa(testbin.GuestLine(t, "follow", "return x + 1"))
			hop, fin := stops[1], stops[2]
			// The return address is on the call's line or the next,
			// as the compiler placed the store of the result.
			if fin[1][:len("main.moved+")] != "main.moved+" || fin[2] != hopCall && fin[2] != afterHop {
				t.Errorf("finish from hop: stopped at %s line %s, want main.moved line %s or %s:\n%s", fin[1], fin[2], hopCall, afterHop, out)
			}
			if fin[3] == hop[3] {
				t.Errorf("finish from hop: returned on thread %s, where it parked; the guest no longer moves the goroutine", hop[3])
			}
			if last := stops[5]; last[2] != afterDeep || last[1][:len("main.grow+")] != "main.grow+" {
				t.Errorf("next over deep: stopped at %s line %s, want main.grow line %s:\n%s", last[1], last[2], afterDeep, out)
			}
		})
	}
}

// TestInterruptContinue interrupts a long continue from another
// goroutine, as Ctrl-C does: the session reports where the guest was,
// and a second continue runs it to its normal end.
func TestInterruptContinue(t *testing.T) {
	s, out := openSession(t, machine.binary(t, "gc"), "gc")
	timer := time.AfterFunc(20*time.Millisecond, s.Interrupt)
	defer timer.Stop()
	if err := s.Exec("continue"); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Interrupted in thread \d+; the guest did not see it`).MatchString(out.String()) {
		t.Fatalf("continue with an interrupt: got no interrupted stop:\n%s", out.String())
	}
	if err := s.Exec("continue"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "[guest exited with status 0]") {
		t.Errorf("second continue: the guest did not run to its end:\n%s", out.String())
	}
	s.Interrupt() // no command runs: nothing happens
}
