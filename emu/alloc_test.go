package emu

import (
	"encoding/binary"
	"io"
	"runtime"
	"testing"
	"time"
)

// Registers by their x86 encoding number, for movImm.
const (
	regRAX = 0
	regRDX = 2
	regRSI = 6
	regRDI = 7
	regR8  = 8
	regR9  = 9
	regR10 = 10
)

// movImm encodes mov r64, imm32 (sign-extended).
func movImm(reg int, v int32) []byte {
	rex := byte(0x48)
	if reg >= 8 {
		rex |= 1
	}
	b := []byte{rex, 0xc7, 0xc0 | byte(reg&7), 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[3:], uint32(v))
	return b
}

// storeImm encodes mov qword [addr], imm32 (sign-extended).
func storeImm(addr, v int32) []byte {
	b := []byte{0x48, 0xc7, 0x04, 0x25, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], uint32(addr))
	binary.LittleEndian.PutUint32(b[8:], uint32(v))
	return b
}

// syscallCode encodes a syscall with the given number and arguments (in
// the order rdi, rsi, rdx, r10, r8, r9).
func syscallCode(nr int32, args ...int32) []byte {
	regs := []int{regRDI, regRSI, regRDX, regR10, regR8, regR9}
	code := movImm(regRAX, nr)
	for i, a := range args {
		code = append(code, movImm(regs[i], a)...)
	}
	return append(code, 0x0f, 0x05)
}

// loopCode repeats body n times (counting in r12, which syscalls keep),
// then calls exit_group(0).
func loopCode(n int32, body []byte) []byte {
	code := []byte{0x41, 0xbc, 0, 0, 0, 0} // mov r12d, n
	binary.LittleEndian.PutUint32(code[2:], uint32(n))
	top := len(code)
	code = append(code, body...)
	code = append(code, 0x41, 0xff, 0xcc, 0x0f, 0x85, 0, 0, 0, 0) // dec r12d; jnz top
	binary.LittleEndian.PutUint32(code[len(code)-4:], uint32(int32(top-len(code))))
	return append(code, syscallCode(231, 0)...)
}

// mallocsOfRun runs code on a fresh machine as gouth-emu run does without
// --strace, --stats or a recording (Trace and Events nil), and returns
// the heap allocations made by Run alone, with the machine's result.
func mallocsOfRun(t *testing.T, code []byte) (uint64, *Exit, Stats) {
	t.Helper()
	m, err := New(rawFile(code), Config{Args: []string{"test"}, Stdout: io.Discard, Stderr: io.Discard, Warn: io.Discard, MaxInsns: 10_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	x, err := m.Run()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	return after.Mallocs - before.Mallocs, x, m.Stats()
}

// TestSyscallPathDoesNotAllocate runs a guest that makes one steady-state
// syscall in a loop, short and long, through the emulator's whole syscall
// path (the engine's stop, Machine.dispatch, Kernel.Dispatch, guest memory
// access, the scheduler when the call sleeps or yields), and wants the
// difference in heap allocations per extra call to be zero. The data page
// at 0x600000 holds the futex word (0), a zero timespec at 0x600400 (a
// nanosleep that only yields), a timespec of 1 µs at 0x600500 (the thread
// sleeps and the virtual clock jumps to its deadline), and room for
// results.
func TestSyscallPathDoesNotAllocate(t *testing.T) {
	const data = 0x600000
	tests := []struct {
		name  string
		body  []byte
		sleep time.Duration // virtual time each call sleeps
	}{
		{"getpid", syscallCode(39), 0},
		{"gettid", syscallCode(186), 0},
		{"clock_gettime", syscallCode(228, 1, data+0x100), 0},
		{"rt_sigprocmask", syscallCode(14, 2, data+0x200, data+0x208, 8), 0},
		{"futex", syscallCode(202, data, 0x81, 1), 0},    // FUTEX_WAKE_PRIVATE, nobody waits
		{"futex", syscallCode(202, data, 0x80, 1, 0), 0}, // FUTEX_WAIT_PRIVATE on 0 != 1: EAGAIN
		{"write", syscallCode(1, 1, data+0x300, 16), 0},  // to an io.Writer
		{"sched_yield", syscallCode(24), 0},              //
		{"nanosleep", syscallCode(35, data+0x400, 0), 0}, // zero time: yields
		{"nanosleep", cat(storeImm(data+0x508, 1000), syscallCode(35, data+0x500, 0)), time.Microsecond},
		{"futex", cat(storeImm(data+0x508, 1000), syscallCode(202, data, 0x80, 0, data+0x500)), time.Microsecond}, // ETIMEDOUT
		{"madvise", syscallCode(28, data+0x1000-0x1000, 0x1000, 8), 0},                                            // MADV_FREE
		{"tgkill", syscallCode(234, 1000, 1000, 0), 0},                                                            // to itself, signal 0: checks the thread
	}
	const short, long = 20, 520
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, xa, sa := mallocsOfRun(t, loopCode(short, tt.body))
			b, xb, sb := mallocsOfRun(t, loopCode(long, tt.body))
			if xa.Status != 0 || xb.Status != 0 {
				t.Fatalf("guest exit: got status %d and %d (%s%s), want 0", xa.Status, xb.Status, xa.Detail, xb.Detail)
			}
			if got, want := sb.SyscallsByName[tt.name]-sa.SyscallsByName[tt.name], uint64(long-short); got != want {
				t.Fatalf("got %d more %s calls in the long run, want %d", got, tt.name, want)
			}
			if got, want := sb.Virtual-sa.Virtual, (long-short)*tt.sleep; got < want {
				t.Fatalf("got %v more virtual time in the long run, want at least %v of sleep", got, want)
			}
			perCall := (float64(b) - float64(a)) / (long - short)
			t.Logf("%s: %d and %d allocations in Run for %d and %d calls: %.2f per call", tt.name, a, b, short, long, perCall)
			// A few stray allocations (the runtime's own) may fall in
			// either run; one per call would give 1.0.
			if perCall > 0.02 {
				t.Errorf("%s: got %.2f allocations per call, want 0", tt.name, perCall)
			}
		})
	}
}
