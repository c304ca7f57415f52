package emu

import (
	"fmt"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/sched"
)

// nextReg returns register r of live thread t as t will next see it: the
// CPU's value for the thread on the CPU, its saved context for another,
// with what the scheduler still owes it applied: the result of a finished
// syscall it has yet to pick up in RAX and, for a syscall about to be
// restarted, RIP back on the syscall instruction. switchTo writes exactly
// these values when t gets the CPU, and ThreadReg and Threads report
// them, so the three cannot disagree.
func (m *Machine) nextReg(t *sched.Thread, r abi.Reg) uint64 {
	var v uint64
	if t == m.cur {
		v = m.Reg(r)
	} else {
		v = m.eng.contextReg(t.Ctx.(*thread).ctx, ucRegs[r])
	}
	switch {
	case r == abi.RAX && t.Pending:
		v = t.Result
	case r == abi.RIP && t.Rewind:
		v -= 2 // the length of the syscall instruction
	}
	return v
}

// ThreadReg returns register r of the live thread tid as that thread will
// next see it (see nextReg). A thread that does not exist (or has exited)
// is an error.
func (m *Machine) ThreadReg(tid int, r abi.Reg) (uint64, error) {
	if t := m.sched.Lookup(tid); t != nil {
		return m.nextReg(t, r), nil
	}
	return 0, fmt.Errorf("no thread %d", tid)
}
