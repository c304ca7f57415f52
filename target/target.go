// Package target is the one view of an emulated process that every front
// end drives: the step debugger today, the gdb stub and replay next. It
// owns what a debugger needs besides printing: running with stop
// conditions, the selected thread, registers by our own names, memory,
// one registry of breakpoints, watchpoints and syscall catchpoints whose
// addresses have logical owners, the boot-stage watch, and the stepping
// algorithms (step.go). It is the only package between the front ends and
// emu.
package target

import (
	"encoding/binary"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// The machine's vocabulary, as front ends see it.
type (
	Config     = emu.Config
	Exit       = emu.Exit
	ThreadInfo = emu.ThreadInfo
	Stats      = emu.Stats
	StopKind   = emu.StopKind
)

// Why a Continue or a stepping algorithm returned.
const (
	StopExited     = emu.StopExited
	StopBreakpoint = emu.StopBreakpoint
	StopStep       = emu.StopStep
	StopSyscall    = emu.StopSyscall
	StopSignal     = emu.StopSignal
	StopWatch      = emu.StopWatch
	StopPaused     = emu.StopPaused
	StopInsn       = emu.StopInsn
)

// MaxWatchLen is the most bytes one watchpoint covers.
const MaxWatchLen = emu.MaxWatchLen

// Stop is why the target stopped, as the machine reports it, and whether
// the stop is a boot stage being reached (Resume.AtStage accepted it).
type Stop struct {
	emu.Stop
	Stage bool
}

// ThreadExit is a thread that ended during a run. Reselected is the
// thread selected in its place when it was the selected one (0 if it was
// not, or the whole guest ended).
type ThreadExit struct {
	Tid, Reselected int
}

// Target is one emulated process under a front end. It is used from one
// goroutine.
type Target struct {
	m    *emu.Machine
	file *loader.File
	tid  int // the selected thread

	code    registry[uint64] // code breakpoints
	watches registry[uint64] // watched ranges, by address
	sizes   map[uint64]int   // the length of each watched range
	catches registry[int]    // syscall catchpoints: checked at entry, no hook

	stages  Stages
	signals func(sig int) bool // SetSignalStops
	exits   []ThreadExit
	exited  *Exit
}

// New starts f as a new process, stopped before its first instruction.
func New(f *loader.File, cfg Config) (*Target, error) {
	m, err := emu.New(f, cfg)
	if err != nil {
		return nil, err
	}
	return Over(m, f), nil
}

// Over puts a target over a machine that is already built, for front ends
// that configure the machine themselves (run, compare).
func Over(m *emu.Machine, f *loader.File) *Target {
	t := &Target{m: m, file: f, tid: m.CurrentTid(), sizes: map[uint64]int{}}
	t.code = newRegistry(hooks[uint64]{install: m.AddBreakpoint, uninstall: m.RemoveBreakpoint})
	t.watches = newRegistry(hooks[uint64]{
		install:   func(a uint64) error { return m.AddWatch(a, t.sizes[a]) },
		uninstall: func(a uint64) error { m.RemoveWatch(a); delete(t.sizes, a); return nil },
	})
	none := func(int) error { return nil }
	t.catches = newRegistry(hooks[int]{install: none, uninstall: none})
	return t
}

// Close releases the process.
func (t *Target) Close() { t.m.Close() }

// Interrupt stops the running Continue or stepping algorithm soon, with
// StopPaused, as Ctrl-C does in gdb; the guest does not see it, and its
// run goes on unchanged by the next Continue. It may be called from any
// goroutine until Close.
func (t *Target) Interrupt() { t.m.Pause() }

// File is the binary the process runs.
func (t *Target) File() *loader.File { return t.file }

// Exited is how the guest ended, nil while it runs.
func (t *Target) Exited() *Exit { return t.exited }

// Selected is the selected thread: the one registers are read from and
// stepping steps. A stop selects the thread that stopped.
func (t *Target) Selected() int { return t.tid }

// Select makes tid the selected thread. It does not check that tid lives;
// Threads says which do.
func (t *Target) Select(tid int) { t.tid = tid }

// OnCPU is the thread the machine last ran.
func (t *Target) OnCPU() int { return t.m.CurrentTid() }

// Threads lists the live threads in tid order.
func (t *Target) Threads() []ThreadInfo { return t.m.Threads() }

// TakeExits returns the threads that ended since the last call, in order.
func (t *Target) TakeExits() []ThreadExit {
	out := t.exits
	t.exits = nil
	return out
}

// Reg reads register r of the selected thread as it will next see it,
// or of the thread on the CPU if the selected one is gone.
func (t *Target) Reg(r abi.Reg) uint64 {
	if v, err := t.m.ThreadReg(t.tid, r); err == nil {
		return v
	}
	return t.m.Reg(r)
}

// ThreadReg reads register r of thread tid as it will next see it.
func (t *Target) ThreadReg(tid int, r abi.Reg) (uint64, error) { return t.m.ThreadReg(tid, r) }

// Peek reads guest memory regardless of protection.
func (t *Target) Peek(addr uint64, p []byte) error { return t.m.Peek(addr, p) }

// PeekPrefix reads as much of p as is readable from addr on and says how
// much that was.
func (t *Target) PeekPrefix(addr uint64, p []byte) int { return t.m.PeekPrefix(addr, p) }

// Poke writes guest memory regardless of protection; a write to code
// takes effect the next time it runs.
func (t *Target) Poke(addr uint64, p []byte) error { return t.m.Poke(addr, p) }

// word reads the 8 bytes at addr; ok is false if they cannot be read.
func (t *Target) word(addr uint64) (uint64, bool) {
	var b [8]byte
	if t.m.Peek(addr, b[:]) != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[:]), true
}

// Insns is the number of instructions executed so far.
func (t *Target) Insns() uint64 { return t.m.Insns() }

// Syscalls is the number of syscalls made so far.
func (t *Target) Syscalls() uint64 { return t.m.Kernel().Stats.Syscalls }

// History returns the last n syscalls, strace style.
func (t *Target) History(n int) []string { return t.m.Kernel().History(n) }

// Stats is the run's counters so far.
func (t *Target) Stats() Stats { return t.m.Stats() }
