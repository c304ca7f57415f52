package syscalls

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// fakeMachine is a Machine with one flat region of memory at base, for
// testing handlers without Unicorn.
type fakeMachine struct {
	base   uint64
	mem    []byte
	tid    int
	now    int64
	fs     uint64
	woken  []uint64
	clones int
	rsp    uint64
}

func newFake() *fakeMachine {
	return &fakeMachine{base: 0x10000, mem: make([]byte, 0x10000), tid: Pid}
}

func (f *fakeMachine) span(addr uint64, n int) ([]byte, error) {
	if addr < f.base || addr+uint64(n) > f.base+uint64(len(f.mem)) || addr+uint64(n) < addr {
		return nil, abi.EFAULT
	}
	return f.mem[addr-f.base : addr-f.base+uint64(n)], nil
}

func (f *fakeMachine) ReadMem(addr uint64, p []byte) error {
	b, err := f.span(addr, len(p))
	if err != nil {
		return err
	}
	copy(p, b)
	return nil
}

func (f *fakeMachine) Access(addr, n uint64, write bool) error {
	if n > 1<<30 {
		return abi.EFAULT
	}
	_, err := f.span(addr, int(n))
	return err
}

func (f *fakeMachine) WriteMem(addr uint64, p []byte) error {
	b, err := f.span(addr, len(p))
	if err != nil {
		return err
	}
	copy(b, p)
	return nil
}

func (f *fakeMachine) Mmap(addr, length uint64, prot, flags int) (uint64, error) {
	return 0x7f0000000000 - length, nil
}
func (f *fakeMachine) Munmap(addr, length uint64) error             { return nil }
func (f *fakeMachine) Mprotect(addr, length uint64, prot int) error { return nil }
func (f *fakeMachine) Discard(addr, length uint64) error {
	b, err := f.span(addr, int(length))
	if err != nil {
		return abi.ENOMEM
	}
	clear(b)
	return nil
}
func (f *fakeMachine) Tid() int           { return f.tid }
func (f *fakeMachine) FSBase() uint64     { return f.fs }
func (f *fakeMachine) SetFSBase(v uint64) { f.fs = v }
func (f *fakeMachine) Clone(flags, stack, tls uint64) (int, error) {
	f.clones++
	return Pid + f.clones, nil
}
func (f *fakeMachine) FutexWake(addr uint64, n int) int {
	f.woken = append(f.woken, addr)
	return 0
}
func (f *fakeMachine) Now() int64 { return f.now }

// Proc describes a small fixed process for /proc/self.
func (f *fakeMachine) Proc() ProcInfo {
	return ProcInfo{
		Args: []string{"/guest/hello", "-v"},
		Env:  []string{"HOME=/root", "LANG=C"},
		Maps: "00400000-00401000 r-xp 00000000 00:00 0                                  /guest/hello\n" +
			"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]\n",
		Threads: 1 + f.clones,
		VmSize:  0x22000,
		VmRSS:   0x3000,
	}
}

func (f *fakeMachine) RSP() uint64            { return f.rsp }
func (f *fakeMachine) Regs() Regs             { return Regs{RSP: f.rsp} }
func (f *fakeMachine) HasThread(tid int) bool { return tid >= Pid && tid <= Pid+f.clones }

func (f *fakeMachine) putU32(addr uint64, v uint32) {
	binary.LittleEndian.PutUint32(f.mem[addr-f.base:], v)
}

func (f *fakeMachine) putStr(addr uint64, s string) {
	copy(f.mem[addr-f.base:], append([]byte(s), 0))
}

func neg(e abi.Errno) uint64 { return uint64(-int64(e)) }

type testKernel struct {
	*Kernel
	m              *fakeMachine
	trace, warn    bytes.Buffer
	stdout, stderr bytes.Buffer
}

func newTestKernel() *testKernel { return newTestKernelFS(FSReadOnly) }

func newTestKernelFS(mode FSMode) *testKernel {
	tk := &testKernel{m: newFake()}
	tk.Kernel = NewKernel(Config{Cpus: 2, ExePath: "/guest/hello", FS: mode,
		Stdout: &tk.stdout, Stderr: &tk.stderr, Warn: &tk.warn, Trace: &tk.trace})
	return tk
}

// call dispatches syscall name and fails the test if it blocks.
func (tk *testKernel) call(t *testing.T, name string, args ...uint64) uint64 {
	t.Helper()
	v, w := tk.dispatch(t, name, args...)
	if w != nil {
		t.Fatalf("%s blocked (%s), want an immediate result", name, w.Kind)
	}
	return v
}

func (tk *testKernel) dispatch(t *testing.T, name string, args ...uint64) (uint64, *Wait) {
	t.Helper()
	nr, ok := abi.SyscallNumber(name)
	if !ok {
		t.Fatalf("no syscall %q", name)
	}
	var a [6]uint64
	copy(a[:], args)
	o := tk.Dispatch(tk.m, uint64(nr), a)
	return o.RAX, o.Wait
}
