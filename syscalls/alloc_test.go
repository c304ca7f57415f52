package syscalls

import (
	"io"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// quietMachine is the fake machine without the bookkeeping that allocates
// (fakeMachine records every futex wake), so that what AllocsPerRun counts
// is the kernel's.
type quietMachine struct{ *fakeMachine }

func (q quietMachine) FutexWake(addr uint64, n int) int { return 1 }

// steadyCall is one system call a Go program makes over and over once it
// runs: its arguments, the RAX it must give (so the test cannot pass by
// taking a cheap error path), and whether it sleeps first.
type steadyCall struct {
	name   string
	args   []uint64
	want   uint64
	blocks bool // the call returns a *Wait; it is completed as if woken
}

// steadyCalls are the calls of a Go program's steady state (the scheduler,
// timers, the netpoller, the allocator, sysmon), against the memory of
// newFake: 0x10000 holds a futex word of 0, 0x10100 output bytes, 0x10200 a
// timespec of 1 ms, 0x10300 room for results, 0x10400 a signal mask.
func steadyCalls(epfd uint64) []steadyCall {
	const word, out, ts, res, mask = 0x10000, 0x10100, 0x10200, 0x10300, 0x10400
	return []steadyCall{
		{name: "futex", args: []uint64{word, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 0, 0}, want: 0, blocks: true},
		{name: "futex", args: []uint64{word, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 0, ts}, want: neg(abi.ETIMEDOUT), blocks: true},
		{name: "futex", args: []uint64{word, abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, 1, 0}, want: neg(abi.EAGAIN)},
		{name: "futex", args: []uint64{word, abi.FUTEX_WAKE | abi.FUTEX_PRIVATE_FLAG, 1}, want: 1},
		{name: "write", args: []uint64{1, out, 13}, want: 13},
		{name: "nanosleep", args: []uint64{ts, 0}, want: 0, blocks: true},
		{name: "sched_yield", want: 0},
		{name: "clock_gettime", args: []uint64{abi.CLOCK_MONOTONIC, res}, want: 0},
		{name: "clock_gettime", args: []uint64{abi.CLOCK_REALTIME, res}, want: 0},
		{name: "rt_sigprocmask", args: []uint64{abi.SIG_SETMASK, mask, res, 8}, want: 0},
		{name: "madvise", args: []uint64{0x10000, 0x1000, abi.MADV_DONTNEED}, want: 0},
		{name: "madvise", args: []uint64{0x10000, 0x1000, abi.MADV_FREE}, want: 0},
		{name: "mmap", args: []uint64{0, 0x10000, uint64(abi.ProtRead | abi.ProtWrite), abi.MAP_PRIVATE | abi.MAP_ANONYMOUS, ^uint64(0), 0}, want: 0x7f0000000000 - 0x10000},
		{name: "epoll_pwait", args: []uint64{epfd, res, 128, 0, 0}, want: 0},
		{name: "epoll_pwait", args: []uint64{epfd, res, 128, 10, 0}, want: 0, blocks: true},
		{name: "getpid", want: Pid},
		{name: "gettid", want: Pid},
		{name: "tgkill", args: []uint64{Pid, Pid, abi.SIGURG}, want: 0},
	}
}

func syscallNumber(t testing.TB, name string) uint64 {
	nr, ok := abi.SyscallNumber(name)
	if !ok {
		t.Fatalf("no syscall %q", name)
	}
	return uint64(nr)
}

// steadyKernel is a kernel as gouth-emu run sets it up without --strace,
// with an epoll instance (the netpoller's) open.
func steadyKernel(t testing.TB) (*Kernel, Machine, uint64) {
	m := newFake()
	m.putStr(0x10100, "hello, world\n")
	m.mem[0x200+8] = 0x40 // timespec {0, 0x0f4240}: 1 ms
	m.mem[0x200+9] = 0x42
	m.mem[0x200+10] = 0x0f
	k := NewKernel(Config{Cpus: 2, ExePath: "/guest/hello", Stdout: io.Discard, Stderr: io.Discard, Warn: io.Discard,
		Insns: func() uint64 { return 0 }})
	q := quietMachine{m}
	o := k.Dispatch(q, syscallNumber(t, "epoll_create1"), [6]uint64{abi.O_CLOEXEC})
	epfd, w := o.RAX, o.Wait
	if w != nil || int64(epfd) < 0 {
		t.Fatalf("epoll_create1 = %#x, %v; want a descriptor", epfd, w)
	}
	return k, q, epfd
}

// dispatchSteady runs one steady call to its end, as the run loop and the
// scheduler would: a call that sleeps is completed as woken (a futex wait
// without timeout) or timed out (every other sleep).
func dispatchSteady(k *Kernel, m Machine, nr uint64, sc steadyCall) (uint64, bool) {
	var a [6]uint64
	copy(a[:], sc.args)
	o := k.Dispatch(m, nr, a)
	v, w := o.RAX, o.Wait
	if w == nil {
		return v, false
	}
	return k.Complete(w, w.Deadline != NoDeadline), true
}

// TestSteadyStateSyscallsDoNotAllocate dispatches each call of a Go
// program's steady state through Kernel.Dispatch (and Complete, for those
// that sleep) and counts heap allocations per call: the syscall fast path
// must not allocate, or the emulator's own collector runs in proportion to
// the guest's syscalls.
func TestSteadyStateSyscallsDoNotAllocate(t *testing.T) {
	k, m, epfd := steadyKernel(t)
	for _, sc := range steadyCalls(epfd) {
		t.Run(sc.name, func(t *testing.T) {
			nr := syscallNumber(t, sc.name)
			got, blocked := dispatchSteady(k, m, nr, sc)
			if got != sc.want || blocked != sc.blocks {
				t.Fatalf("%s%v = %#x (slept: %v), want %#x (slept: %v)", sc.name, sc.args, got, blocked, sc.want, sc.blocks)
			}
			allocs := testing.AllocsPerRun(100, func() { dispatchSteady(k, m, nr, sc) })
			if allocs != 0 {
				t.Errorf("%s%v: got %v allocations per call, want 0", sc.name, sc.args, allocs)
			}
		})
	}
}

// BenchmarkSteadyStateSyscalls dispatches the steady-state calls in turn;
// -benchmem shows the allocations per call.
func BenchmarkSteadyStateSyscalls(b *testing.B) {
	k, m, epfd := steadyKernel(b)
	calls := steadyCalls(epfd)
	nrs := make([]uint64, len(calls))
	for i, sc := range calls {
		nrs[i] = syscallNumber(b, sc.name)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(calls)
		dispatchSteady(k, m, nrs[j], calls[j])
	}
}
