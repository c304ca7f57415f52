package emu

import (
	"fmt"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/sched"
)

// What the debugger asks of the machine: run until something happens, with
// breakpoints that cost nothing until they fire and exact single-stepping.

// StopKind says why Continue returned.
type StopKind int

const (
	StopExited     StopKind = iota // the guest ended; Stop.Exit says how
	StopBreakpoint                 // a thread reached a breakpoint (not executed yet)
	StopStep                       // the stepped thread executed the requested instructions
	StopSyscall                    // a thread is entering a syscall named by Resume.SyscallStop
	StopSignal                     // a signal is about to reach its handler (Resume.SignalStop)
	StopWatch                      // a watched range changed (Stop.Watch); PC is the next instruction
	StopPaused                     // Pause stopped the run between two blocks; nothing else happened
	StopInsn                       // the machine has executed Resume.Insn instructions in all
)

// Stop is what Continue reports.
type Stop struct {
	Kind    StopKind
	Tid     int    // the thread that stopped
	PC      uint64 // where: the next instruction, or the syscall instruction for StopSyscall
	Syscall int    // for StopSyscall
	Watch   uint64 // for StopWatch: the address AddWatch was given
	Exit    *Exit  // for StopExited
	// Signal, SignalCode and SignalAddr describe a StopSignal.
	Signal     int
	SignalCode int32
	SignalAddr uint64
	// StepsLeft is how many of Resume.Steps were still to run when the
	// stop came (a breakpoint during a multi-instruction step).
	StepsLeft int64
}

// Resume says when Continue should stop besides breakpoints.
type Resume struct {
	// Steps > 0: stop once thread Tid has executed that many instructions
	// (a syscall counts as one). Other threads run meanwhile, as the
	// scheduler decides.
	Steps int64
	Tid   int
	// SyscallStop, if set, stops when any thread enters a syscall it accepts.
	SyscallStop func(nr int) bool
	// SignalStop, if set, stops before a handler runs for a signal it
	// accepts; the next Continue runs the handler.
	SignalStop func(sig int) bool
	// Insn > 0: stop (StopInsn) once the machine has executed exactly
	// that many instructions, counting every thread, before the next one;
	// a point already reached stops at once. Not with Steps.
	Insn uint64
}

// ExitedThreads returns the threads that exited since the last call, in
// order.
func (m *Machine) ExitedThreads() []int {
	out := m.exitedTids
	m.exitedTids = nil
	return out
}

type pendingSyscall struct {
	nr   uint64
	args [6]uint64
}

type breakpoint struct {
	hook uintptr
}

// AddBreakpoint makes every thread stop before executing addr. It never
// writes guest memory.
func (m *Machine) AddBreakpoint(addr uint64) error {
	if m.breakpoints == nil {
		m.breakpoints = map[uint64]breakpoint{}
	}
	if _, ok := m.breakpoints[addr]; ok {
		return nil
	}
	h, err := m.eng.addBreakpoint(addr)
	if err != nil {
		return fmt.Errorf("breakpoint at %#x: %v", addr, err)
	}
	m.breakpoints[addr] = breakpoint{hook: h}
	return nil
}

// RemoveBreakpoint removes the breakpoint at addr, if any.
func (m *Machine) RemoveBreakpoint(addr uint64) error {
	bp, ok := m.breakpoints[addr]
	if !ok {
		return nil
	}
	delete(m.breakpoints, addr)
	return m.eng.delBreakpoint(bp.hook, addr)
}

// watch is a range given to AddWatch.
type watch struct {
	addr uint64
	n    int
}

// AddWatch watches the n bytes at addr (1 to 256) for changes by any
// thread, by an instruction or by a syscall: Continue stops with
// StopWatch right after the change, before the changing thread's next
// instruction, and the new bytes become the reference for the next stop.
// Like stepping, watching checks before every instruction, so the guest
// runs many times slower while any watch exists (up to 8).
func (m *Machine) AddWatch(addr uint64, n int) error {
	switch {
	case n < 1 || n > MaxWatchLen:
		return fmt.Errorf("cannot watch %d bytes: 1 to %d", n, MaxWatchLen)
	case len(m.watches) == maxWatches:
		return fmt.Errorf("at most %d watchpoints", maxWatches)
	}
	for _, w := range m.watches {
		if w.addr == addr {
			return fmt.Errorf("%#x is already watched", addr)
		}
	}
	m.watches = append(m.watches, watch{addr, n})
	m.eng.setWatches(m.watches)
	return nil
}

// RemoveWatch stops watching addr, if it was.
func (m *Machine) RemoveWatch(addr uint64) {
	for i, w := range m.watches {
		if w.addr == addr {
			m.watches = append(m.watches[:i], m.watches[i+1:]...)
			m.eng.setWatches(m.watches)
			return
		}
	}
}

// watchStop reports a change to a watched range made by the current
// thread outside translated code (a syscall), or nil.
func (m *Machine) watchStop() *Stop {
	if len(m.watches) == 0 {
		return nil
	}
	i := m.eng.watchChanged()
	if i < 0 {
		return nil
	}
	return m.watchReport(i, m.eng.reg(uc.X86_REG_RIP))
}

// watchReport accepts the new bytes of watch i and reports its change by
// the current thread, which is to run pc next.
func (m *Machine) watchReport(i int, pc uint64) *Stop {
	m.eng.watchAccept(i)
	return &Stop{Kind: StopWatch, Tid: m.cur.Tid, PC: pc, Watch: m.watches[i].addr}
}

// ThreadInfo describes one live thread for the debugger.
type ThreadInfo struct {
	Tid     int
	State   string // "running", "runnable", "blocked on futex 0x...", "sleeping until t=..."
	PC      uint64
	Current bool
	// SP and FSBase are the thread's stack pointer and FS base (Go keeps
	// its g at -8(FS base)). PC, SP and FSBase are as the thread will
	// next see them, as ThreadReg gives them.
	SP, FSBase uint64
}

// Threads lists the live threads in tid order.
func (m *Machine) Threads() []ThreadInfo {
	var out []ThreadInfo
	for _, t := range m.sched.Threads() {
		ti := ThreadInfo{Tid: t.Tid, Current: t == m.cur,
			PC: m.nextReg(t, abi.RIP), SP: m.nextReg(t, abi.RSP), FSBase: m.nextReg(t, abi.FSBase)}
		switch {
		case t == m.cur && t.State == sched.Runnable:
			ti.State = "running"
		case t.State == sched.Runnable:
			ti.State = "runnable"
		default:
			ti.State = sched.DescribeWait(t.Wait)
		}
		out = append(out, ti)
	}
	return out
}

// CurrentTid is the thread on the CPU.
func (m *Machine) CurrentTid() int { return m.cur.Tid }

// Insns is the number of instructions executed so far.
func (m *Machine) Insns() uint64 { return m.eng.insns() }

// Slice is a stretch of the run in which one thread executed instructions
// Start to End-1 of the instruction count of all threads.
type Slice struct {
	Tid        int
	Start, End uint64
}

// logSlice records that thread tid ran from instruction start to end,
// extending the last slice when the same thread goes on.
func (m *Machine) logSlice(tid int, start, end uint64) {
	if end <= start {
		return
	}
	if n := len(m.slices); n > 0 && m.slices[n-1].Tid == tid && m.slices[n-1].End == start {
		m.slices[n-1].End = end
		return
	}
	m.slices = append(m.slices, Slice{tid, start, end})
}

// Slices returns who ran when, in order: the run's schedule so far. The
// slice is the machine's; callers must not change it.
func (m *Machine) Slices() []Slice { return m.slices }
