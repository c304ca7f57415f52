package emu

import (
	"fmt"

	"github.com/gouth-emu/gouth-emu/abi"
)

// ThreadReg returns register r of the live
// thread tid as that thread will next see it: the CPU's value for the
// thread on the CPU; for another thread, its saved context, with the
// result of a finished syscall it has yet to pick up in RAX and, for a
// syscall about to be restarted, RIP back on the syscall instruction. A
// thread that does not exist (or has exited) is an error.
func (m *Machine) ThreadReg(tid int, r abi.Reg) (uint64, error) {
	for _, t := range m.sched.Threads() {
		if t.Tid != tid {
			continue
		}
		if t == m.cur {
			return m.Reg(r), nil
		}
		v := m.eng.contextReg(t.Ctx.(*thread).ctx, ucRegs[r])
		switch {
		case r == abi.RAX && t.Pending:
			v = t.Result
		case r == abi.RIP && t.Rewind:
			v -= 2
		}
		return v, nil
	}
	return 0, fmt.Errorf("no thread %d", tid)
}
