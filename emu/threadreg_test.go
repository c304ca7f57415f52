package emu

import (
	"encoding/binary"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// TestThreadsAgreeWithThreadReg stops a guest whose other threads sleep in
// futex, one of them interrupted by a handled SA_RESTART signal so that it
// is due to restart the call, and checks that Threads and ThreadReg give
// every thread the same PC, SP and FS base: the registers as the thread
// will next see them, which for the interrupted thread means RIP back on
// its syscall instruction.
func TestThreadsAgreeWithThreadReg(t *testing.T) {
	const (
		act      = 0x600100                                // struct sigaction for SIGUSR1
		word     = 0x600200                                // the futex word both children wait on
		cloneVM  = 0x100 | 0x200 | 0x400 | 0x800 | 0x10000 // CLONE_VM|FS|FILES|SIGHAND|THREAD
		sigusr1  = 10
		saFlags  = 0x10000000 | 0x04000000 // SA_RESTART | SA_RESTORER
		nrGetpid = 39
	)
	var code []byte
	var jumps []int // offsets of rel32 fields that jump to the child code
	emit := func(b ...[]byte) {
		for _, p := range b {
			code = append(code, p...)
		}
	}
	clone := func(stack int32, saveTid []byte) {
		emit(syscallCode(56, cloneVM, stack), saveTid,
			[]byte{0x48, 0x85, 0xc0, 0x0f, 0x84, 0, 0, 0, 0}) // test rax, rax; jz child
		jumps = append(jumps, len(code)-4)
	}
	var exitAt int32 // the handler's address, patched in below; it never runs here
	emit(storeImm(act+8, saFlags), storeImm(act+24, 0))
	handlerStores := len(code)
	emit(storeImm(act, 0), storeImm(act+16, 0))
	emit(syscallCode(13, sigusr1, act, 0, 8)) // rt_sigaction(SIGUSR1, act, NULL, 8)
	clone(0x600800, []byte{0x49, 0x89, 0xc5}) // mov r13, rax
	clone(0x600c00, []byte{0x49, 0x89, 0xc6}) // mov r14, rax
	for i := 0; i < 3; i++ {
		emit(syscallCode(24)) // sched_yield: both children run and block
	}
	// tgkill(Pid, r13, SIGUSR1): the first child is interrupted.
	emit(movImm(regRDI, syscalls.Pid), []byte{0x4c, 0x89, 0xee}, movImm(regRDX, sigusr1), movImm(regRAX, 234), []byte{0x0f, 0x05})
	emit(syscallCode(nrGetpid)) // the test stops at its entry
	exitAt = int32(0x400000 + len(code))
	emit(syscallCode(231, 0))
	child := len(code)
	emit(syscallCode(202, word, 0, 0, 0)) // futex(word, FUTEX_WAIT, 0, NULL)
	childSyscall := uint64(0x400000 + len(code) - 2)
	emit([]byte{0xeb, byte(child - len(code) - 2)}) // jmp child
	for _, j := range jumps {
		binary.LittleEndian.PutUint32(code[j:], uint32(int32(child-(j+4))))
	}
	binary.LittleEndian.PutUint32(code[handlerStores+8:], uint32(exitAt))
	binary.LittleEndian.PutUint32(code[handlerStores+12+8:], uint32(exitAt))

	m, err := New(rawFile(code), Config{Args: []string{"test"}, MaxInsns: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st := m.Continue(Resume{SyscallStop: func(nr int) bool { return nr == nrGetpid }})
	if st.Kind != StopSyscall {
		t.Fatalf("stop = %+v, want the entry of getpid", st)
	}
	threads := m.Threads()
	if len(threads) != 3 {
		t.Fatalf("%d threads, want 3: %+v", len(threads), threads)
	}
	for _, ti := range threads {
		for _, c := range []struct {
			name string
			reg  abi.Reg
			got  uint64
		}{{"PC", abi.RIP, ti.PC}, {"SP", abi.RSP, ti.SP}, {"FS base", abi.FSBase, ti.FSBase}} {
			want, err := m.ThreadReg(ti.Tid, c.reg)
			if err != nil {
				t.Fatal(err)
			}
			if c.got != want {
				t.Errorf("thread %d (%s): Threads says %s %#x, ThreadReg %#x", ti.Tid, ti.State, c.name, c.got, want)
			}
		}
		if ti.Current {
			continue
		}
		// Both children are on their futex syscall: the interrupted one
		// is to execute it again, the other still sleeps past it.
		want := childSyscall + 2
		if ti.State == "runnable" {
			want = childSyscall
		}
		if ti.PC != want {
			t.Errorf("thread %d (%s): PC %#x, want %#x", ti.Tid, ti.State, ti.PC, want)
		}
	}
	states := map[string]int{}
	for _, ti := range threads {
		states[ti.State]++
	}
	if states["runnable"] != 1 {
		t.Errorf("thread states %v, want one child runnable (interrupted) and one blocked", states)
	}
}
