package emu

import (
	"fmt"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

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
)

// Stop is what Continue reports.
type Stop struct {
	Kind    StopKind
	Tid     int    // the thread that stopped
	PC      uint64 // where: the next instruction, or the syscall instruction for StopSyscall
	Syscall int    // for StopSyscall
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

// ThreadInfo describes one live thread for the debugger.
type ThreadInfo struct {
	Tid     int
	State   string // "running", "runnable", "blocked on futex 0x...", "sleeping until t=..."
	PC      uint64
	Current bool
	// SP and FSBase are the thread's stack pointer and FS base (Go keeps
	// its g at -8(FS base)).
	SP, FSBase uint64
}

// Threads lists the live threads in tid order.
func (m *Machine) Threads() []ThreadInfo {
	var out []ThreadInfo
	for _, t := range m.sched.Threads() {
		ti := ThreadInfo{Tid: t.Tid, Current: t == m.cur}
		if t == m.cur {
			ti.PC = m.eng.reg(rip)
			ti.SP = m.eng.reg(uc.X86_REG_RSP)
			ti.FSBase = m.eng.reg(uc.X86_REG_FS_BASE)
		} else {
			ctx := t.Ctx.(*thread).ctx
			ti.PC = m.eng.contextReg(ctx, rip)
			ti.SP = m.eng.contextReg(ctx, uc.X86_REG_RSP)
			ti.FSBase = m.eng.contextReg(ctx, uc.X86_REG_FS_BASE)
		}
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

// Reg reads register r (a Unicorn X86_REG_* constant) of the current thread.
func (m *Machine) Reg(r int) uint64 { return m.eng.reg(r) }

// Insns is the number of instructions executed so far.
func (m *Machine) Insns() uint64 { return m.eng.insns() }

// Now is the virtual clock.
func (m *Machine) VirtualNow() int64 { return m.sched.Now() }
