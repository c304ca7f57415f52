package syscalls

import (
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// TestOutcomes checks what Dispatch tells the machine to do for the calls
// that do more than return: exit, exit_group, sched_yield, a sleep that is
// already over, a futex wait, and rt_sigreturn with a good and a bad frame.
func TestOutcomes(t *testing.T) {
	tk := newTestKernel()
	nr := func(name string) uint64 {
		n, ok := abi.SyscallNumber(name)
		if !ok {
			t.Fatalf("no syscall %q", name)
		}
		return uint64(n)
	}
	tk.m.putU32(0x10200, 0) // a futex word
	tk.m.mem[0x300] = 0     // a zero timespec at 0x10300
	tests := []struct {
		name string
		args [6]uint64
		want Outcome
	}{
		{"getpid", [6]uint64{}, Outcome{Action: Return, RAX: Pid}},
		{"exit", [6]uint64{0x107}, Outcome{Action: ExitThread, Status: 7}},
		{"exit_group", [6]uint64{3}, Outcome{Action: ExitGroup, Status: 3}},
		{"sched_yield", [6]uint64{}, Outcome{Action: Yield}},
		{"nanosleep", [6]uint64{0x10300, 0}, Outcome{Action: Yield}},
		// RSP is 0 in the fake: no frame to read, so the process dies.
		{"rt_sigreturn", [6]uint64{}, Outcome{Action: ExitGroup, Signal: abi.SIGSEGV, RAX: neg(abi.EFAULT)}},
	}
	for _, tt := range tests {
		if got := tk.Dispatch(tk.m, nr(tt.name), tt.args); got != tt.want {
			t.Errorf("%s: outcome %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if o := tk.Dispatch(tk.m, nr("futex"), [6]uint64{0x10200, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 0}); o.Action != Block || o.Wait == nil || o.Wait.Addr != 0x10200 {
		t.Errorf("futex wait: outcome %+v, want Block on 0x10200", o)
	} else {
		tk.Complete(o.Wait, true)
	}

	// rt_sigreturn from a frame BuildFrame wrote: the registers come back
	// in the outcome, and its result is the restored RAX.
	setAction(t, tk, abi.SIGUSR1, 0x401000, abi.SA_SIGINFO|abi.SA_RESTORER, 0x402000, 0)
	regs := Regs{RAX: 42, RSP: 0x1c000, RIP: 0x45a9c0, EFLAGS: 0x246}
	h, err := tk.BuildFrame(tk.m, Pid, SigInfo{Signo: abi.SIGUSR1}, regs)
	if err != nil {
		t.Fatal(err)
	}
	tk.m.rsp = h.RSP + 8 // after the handler's ret into the restorer
	o := tk.Dispatch(tk.m, nr("rt_sigreturn"), [6]uint64{})
	want := regs
	want.EFLAGS &= fixEflags // of the rest, the fake's current flags (0) stay
	if o.Action != Restored || o.Regs == nil || *o.Regs != want || o.RAX != 42 {
		t.Errorf("rt_sigreturn: outcome %+v (regs %+v), want Restored with %+v and RAX 42", o, o.Regs, want)
	}
}
