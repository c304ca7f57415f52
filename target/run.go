package target

import (
	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu"
)

// Stages is the boot-stage tracker as the target drives it: the addresses
// it wants watched, and what a thread reaching one of them means.
// debugger/stages.Tracker implements it.
type Stages interface {
	// Pending lists the addresses still to watch.
	Pending() []uint64
	// Watches reports whether addr is one of them.
	Watches(addr uint64) bool
	// Reach records thread tid at addr after insns instructions and
	// syscalls syscalls. It reports whether a stage was reached and
	// which addresses need no more watching.
	Reach(addr, insns uint64, tid int, syscalls uint64) (reached bool, retire []uint64)
}

// WatchStages hands the stage tracker its breakpoints (owned by Stage).
// From then on every Continue tells it of each visit to one of them;
// visits that nothing else stops at are not reported (see Resume.AtStage).
func (t *Target) WatchStages(s Stages) error {
	t.stages = s
	for _, a := range s.Pending() {
		if err := t.code.add(a, Stage); err != nil {
			return err
		}
	}
	return nil
}

// Resume says when Continue stops, besides at breakpoints, watchpoints,
// catchpoints and the guest's end.
type Resume struct {
	// Steps > 0: stop once the selected thread has executed that many
	// instructions (a syscall counts as one); other threads run meanwhile.
	Steps int64
	// IgnoreSignals runs signal handlers without the stops that
	// SetSignalStops asked for.
	IgnoreSignals bool
	// Insn > 0: stop (StopInsn) once the machine has executed that many
	// instructions in all threads. Not with Steps.
	Insn uint64
	// AtStage, if set, is asked whether to stop each time a stage is
	// reached; such a stop has Stop.Stage set. Without it stages are
	// recorded without stopping.
	AtStage func() bool
}

// Continue runs the guest until a stop that some owner other than the
// stage tracker asked for, or one AtStage accepts. Selecting the thread
// that stopped is the front end's choice; a selected thread that exits
// is replaced by the thread on the CPU (TakeExits reports both).
func (t *Target) Continue(r Resume) Stop { return t.run(r, t.tid) }

// run is Continue with Steps counted on thread tid.
func (t *Target) run(r Resume, tid int) Stop {
	er := emu.Resume{Steps: r.Steps, Tid: tid, SyscallStop: t.catching, Insn: r.Insn}
	if !r.IgnoreSignals {
		er.SignalStop = t.signals
	}
	for {
		st := Stop{Stop: t.m.Continue(er)}
		t.noteExits(st)
		if st.Kind == StopExited {
			t.exited = st.Exit
			return st
		}
		if st.Kind != StopBreakpoint || t.stages == nil || !t.stages.Watches(st.PC) {
			return st
		}
		reached, retire := t.stages.Reach(st.PC, t.m.Insns(), st.Tid, t.Syscalls())
		for _, a := range retire {
			if t.code.holds(a, Stage) {
				t.code.remove(a, Stage)
			}
		}
		if reached && r.AtStage != nil && r.AtStage() {
			st.Stage = true
			return st
		}
		if t.code.heldByOthers(st.PC, Stage) {
			return st
		}
		// Only the tracker wanted this stop. A step goes on with the
		// instructions it has left.
		if er.Steps > 0 {
			if st.StepsLeft <= 0 {
				st.Kind = StopStep
				return st
			}
			er.Steps = st.StepsLeft
		}
	}
}

// noteExits records the threads that ended during the last machine run
// and reselects if the selected one did.
func (t *Target) noteExits(st Stop) {
	for _, tid := range t.m.ExitedThreads() {
		x := ThreadExit{Tid: tid}
		if tid == t.tid && st.Kind != StopExited {
			t.tid = t.m.CurrentTid()
			x.Reselected = t.tid
		}
		t.exits = append(t.exits, x)
	}
}

// Goto runs forward to the point where the machine has executed n
// instructions in all threads, the instruction clock that when reports,
// passing breakpoints, watchpoints, catchpoints and signal stops on the
// way (a point in time is not a place in the code). It returns StopInsn
// there, or earlier at the guest's end or an Interrupt. A point already
// passed is reached at once (the target only runs forward).
func (t *Target) Goto(n uint64) Stop {
	if n <= t.m.Insns() { // Resume.Insn 0 would mean no point at all
		tid := t.m.CurrentTid()
		pc, _ := t.m.ThreadReg(tid, abi.RIP)
		return Stop{Stop: emu.Stop{Kind: StopInsn, Tid: tid, PC: pc}}
	}
	for {
		st := t.run(Resume{Insn: n, IgnoreSignals: true}, t.tid)
		switch st.Kind {
		case StopInsn, StopExited, StopPaused:
			return st
		}
	}
}

// Before returns the point of the run just before thread tid executed the
// instruction n instructions back from now (n = 1: its last one), found
// in the machine's schedule; false if the thread has not run that many.
// Goto there, with tid selected, is reverse-stepi.
func (t *Target) Before(tid int, n uint64) (uint64, bool) {
	sl := t.m.Slices()
	for i := len(sl) - 1; i >= 0 && n > 0; i-- {
		s := sl[i]
		if s.Tid != tid {
			continue
		}
		if ran := s.End - s.Start; n > ran {
			n -= ran
			continue
		}
		return s.End - n, true
	}
	return 0, false
}

// Ran returns, in order, the points of the run in [from, now) just
// before each instruction thread tid executed there, from the machine's
// schedule: where a trace of the thread's instructions must stop.
func (t *Target) Ran(tid int, from uint64) []uint64 {
	sl := t.m.Slices()
	i := len(sl)
	for i > 0 && sl[i-1].End > from {
		i--
	}
	var out []uint64
	for _, s := range sl[i:] {
		if s.Tid != tid {
			continue
		}
		for at := max(s.Start, from); at < s.End; at++ {
			out = append(out, at)
		}
	}
	return out
}
