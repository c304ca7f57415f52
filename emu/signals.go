package emu

import (
	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/sched"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// Signal delivery. A thread takes its pending signals when it returns to
// user mode, which here is just before the run loop starts it again; a
// sleeping thread is woken first (EINTR or restart). Synchronous faults are
// delivered at once, with the faulting instruction's context.

// maxSignalDepth bounds nested handler frames per thread; a guest whose
// handlers never return would otherwise grow the host's snapshot stack.
const maxSignalDepth = 64

// gregs are the Unicorn ids of a signal frame's registers, in its order.
var gregs = func() (g [abi.NumGregs]int) {
	for i, r := range abi.Gregs {
		g[i] = ucRegs[r]
	}
	return g
}()

// regs reads the current thread's registers a signal frame holds: the
// general registers and the x87/SSE state.
func (m *Machine) regs() syscalls.Regs {
	var v [len(gregs)]uint64
	for i, r := range gregs {
		v[i] = m.eng.reg(r)
	}
	return syscalls.Regs{
		R8: v[0], R9: v[1], R10: v[2], R11: v[3], R12: v[4], R13: v[5], R14: v[6], R15: v[7],
		RDI: v[8], RSI: v[9], RBP: v[10], RBX: v[11], RDX: v[12], RAX: v[13], RCX: v[14],
		RSP: v[15], RIP: v[16], EFLAGS: v[17],
		FP: m.eng.fpState(),
	}
}

// setRegs loads what regs reads.
func (m *Machine) setRegs(r syscalls.Regs) {
	v := [len(gregs)]uint64{r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
		r.RDI, r.RSI, r.RBP, r.RBX, r.RDX, r.RAX, r.RCX, r.RSP, r.RIP, r.EFLAGS}
	for i, reg := range gregs {
		m.eng.setReg(reg, v[i])
	}
	m.eng.setFPState(r.FP)
}

// deliverPending runs before the current thread resumes: it takes the
// thread's next signal and either ends the process (default action) or
// enters the handler.
func (m *Machine) deliverPending() {
	t := m.cur
	for m.exited == nil && m.kernel.Deliverable(t.Tid) != 0 {
		info, ok := m.kernel.Dequeue(t.Tid)
		if !ok {
			return
		}
		switch m.kernel.Disposition(info.Signo) {
		case syscalls.Terminate:
			m.killedBy(info.Signo)
			return
		case syscalls.Handle:
			if m.stopAtSignal(info, m.regs()) {
				return
			}
			m.enterHandler(info, m.regs())
			return // one frame per return to user mode
		}
	}
}

// pendingSignal is a signal the debugger stopped at before its handler ran.
type pendingSignal struct {
	info syscalls.SigInfo
	regs syscalls.Regs
}

// stopAtSignal keeps info for later and asks Continue to report it, if the
// debugger wants to see it.
func (m *Machine) stopAtSignal(info syscalls.SigInfo, regs syscalls.Regs) bool {
	if m.sigStop == nil || !m.sigStop(info.Signo) {
		return false
	}
	m.pendingSig = &pendingSignal{info, regs}
	m.signalStop = &Stop{Kind: StopSignal, Tid: m.cur.Tid, PC: regs.RIP, Signal: info.Signo,
		SignalCode: info.Code, SignalAddr: info.Addr}
	return true
}

// resumeSignal enters the handler of a signal the debugger stopped at.
func (m *Machine) resumeSignal() {
	if ps := m.pendingSig; ps != nil {
		m.pendingSig = nil
		m.enterHandler(ps.info, ps.regs)
	}
}

// enterHandler builds the signal frame for info over the context regs and
// points the current thread at the handler.
func (m *Machine) enterHandler(info syscalls.SigInfo, regs syscalls.Regs) {
	th := m.cur.Ctx.(*thread)
	snap, err := m.eng.newContext()
	if err != nil {
		m.killedBy(info.Signo)
		return
	}
	m.eng.save(snap)
	h, err := m.kernel.BuildFrame(m, m.cur.Tid, info, regs)
	if err != nil {
		snap.free()
		// Linux kills a process whose signal frame cannot be written.
		m.fatalSignal(abi.SIGSEGV, regs.RSP, true)
		return
	}
	if len(th.sigSaved) >= maxSignalDepth {
		th.sigSaved[0].free()
		th.sigSaved = th.sigSaved[1:]
	}
	th.sigSaved = append(th.sigSaved, snap)
	m.setRegs(h)
	m.signals++
}

// interruptSleepers wakes sleeping threads that have a signal to take: a
// thread-directed one, or a process-directed one that no running thread can
// take.
func (m *Machine) interruptSleepers() {
	if !m.kernel.AnyPending() {
		return // the common case, checked without copying the thread list
	}
	procTaken := m.kernel.ProcessPending() && m.cur != nil && m.cur.State == sched.Runnable &&
		m.kernel.Deliverable(m.cur.Tid) != 0
	for _, t := range m.sched.Threads() {
		if t.State != sched.Blocked {
			continue
		}
		sig := m.kernel.Deliverable(t.Tid)
		if sig == 0 || m.kernel.Disposition(sig) == syscalls.Ignore {
			continue
		}
		if !m.kernel.ThreadPending(t.Tid, sig) {
			if procTaken {
				continue
			}
			procTaken = true
		}
		rax, restart := m.kernel.Interrupted(t.Wait, sig)
		m.sched.Interrupt(t, rax, restart)
	}
}

// killedBy ends the process as signal sig's default action does.
func (m *Machine) killedBy(sig int) {
	m.exited = &Exit{Status: 128 + sig, Signal: sig, Detail: "guest killed by " + abi.SignalName(sig)}
}
