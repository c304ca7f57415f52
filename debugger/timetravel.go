package debugger

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/target"
)

// Going to a point of the run. The instruction clock (every thread's
// instructions, one nanosecond of virtual time each) names a point in a
// run, and a run is deterministic: going back is running the guest again
// from its start to that point, with what it read replayed and what it
// wrote not written twice.

// replayOut passes a guest output stream through, except the bytes that
// an earlier execution of the same run already wrote: an execution after
// a goto backwards writes the same bytes again up to where the first one
// got.
type replayOut struct {
	w     io.Writer
	pos   int64 // bytes this execution has written
	shown int64 // bytes any execution has written
}

func (o *replayOut) Write(p []byte) (int, error) {
	n := len(p)
	if skip := o.shown - o.pos; skip > 0 {
		if int64(len(p)) <= skip {
			o.pos += int64(len(p))
			return n, nil
		}
		p, o.pos = p[skip:], o.shown
	}
	m, err := o.w.Write(p)
	o.pos += int64(m)
	o.shown = o.pos
	if err != nil {
		return n - len(p) + m, err
	}
	return n, nil
}

// rewind starts another execution of the same run.
func (o *replayOut) rewind() { o.pos = 0 }

// replayIn records every read of a guest input stream, so that another
// execution of the run reads the same bytes in the same pieces; past what
// was recorded it reads the stream itself.
type replayIn struct {
	r    io.Reader
	log  []readResult
	next int // the next recorded read to replay
}

type readResult struct {
	data []byte
	err  error
}

func (in *replayIn) Read(p []byte) (int, error) {
	if in.next < len(in.log) {
		rec := in.log[in.next]
		if len(rec.data) <= len(p) {
			in.next++
			return copy(p, rec.data), rec.err
		}
		// The same execution asks for the same sizes; anything else is
		// a read the recording cannot answer the same way.
		return 0, fmt.Errorf("replayed stdin: read of %d bytes where %d were read before", len(p), len(rec.data))
	}
	n, err := in.r.Read(p)
	in.log = append(in.log, readResult{append([]byte(nil), p[:n]...), err})
	in.next = len(in.log)
	return n, err
}

func (in *replayIn) rewind() { in.next = 0 }

// replayIO wraps the guest's streams of cfg for goto backwards.
type replayIO struct {
	outs []*replayOut
	in   *replayIn
}

func newReplayIO(cfg *target.Config) *replayIO {
	rio := &replayIO{}
	for _, w := range []*io.Writer{&cfg.Stdout, &cfg.Stderr, &cfg.Warn} {
		if *w != nil {
			o := &replayOut{w: *w}
			rio.outs = append(rio.outs, o)
			*w = o
		}
	}
	if cfg.Stdin != nil {
		rio.in = &replayIn{r: cfg.Stdin}
		cfg.Stdin = rio.in
	}
	return rio
}

func (rio *replayIO) rewind() {
	for _, o := range rio.outs {
		o.rewind()
	}
	if rio.in != nil {
		rio.in.rewind()
	}
}

// cmdWhen shows the point of the run the session is at.
func (s *Session) cmdWhen(string) error {
	n := s.t.Insns()
	s.printf("instruction %d (virtual time %v); thread %d selected, thread %d last on the CPU\n",
		n, time.Duration(n), s.t.Selected(), s.t.OnCPU())
	return nil
}

// cmdGoto goes to instruction N of the run: forward by running to it,
// backward by running the guest again from its start.
func (s *Session) cmdGoto(args string) error {
	a := strings.TrimSpace(args)
	n, err := strconv.ParseUint(a, 0, 64)
	if err != nil {
		return fmt.Errorf("want an instruction count ('when' shows the current one), got %q", a)
	}
	now := s.t.Insns()
	if n > now && s.exited != nil {
		return fmt.Errorf("the guest ended at instruction %d", now)
	}
	if n < now {
		if err := s.canGoBack(); err != nil {
			return err
		}
		if err := s.rewind(); err != nil {
			return err
		}
	}
	s.reportStop(s.run(func() target.Stop { return s.t.Goto(n) }))
	return nil
}

// liftBreakpoints takes the user's breakpoints, watchpoints and
// catchpoints out of the target until the returned function puts them
// back, for runs that pass them (going back to a point).
func (s *Session) liftBreakpoints() (restore func()) {
	for _, bp := range s.bps {
		if bp.Enabled {
			s.disarm(bp)
		}
	}
	return func() {
		for _, bp := range s.bps {
			if bp.Enabled {
				s.arm(bp)
			}
		}
	}
}

// errWritesHost refuses going back under --fs rw.
var errWritesHost = errors.New("going back runs the guest again, which would repeat its writes to host files under --fs rw")

// canGoBack says why the session cannot go back in the run, if it cannot.
func (s *Session) canGoBack() error {
	if s.cfg.Guest.WritesHost() {
		return errWritesHost
	}
	return nil
}

// rewind starts another execution of the run, from its first instruction,
// with the breakpoints kept.
func (s *Session) rewind() error {
	s.Close()
	s.replay.rewind()
	return s.start()
}

// back goes to point n of the run, which is not after now: by running
// the guest again from its start when it is before.
func (s *Session) back(n uint64) (target.Stop, error) {
	if n < s.t.Insns() {
		if err := s.canGoBack(); err != nil {
			return target.Stop{}, err
		}
		if err := s.rewind(); err != nil {
			return target.Stop{}, err
		}
	}
	st := s.t.Goto(n)
	s.t.TakeExits() // reported when they happened
	return st, nil
}

// cmdReverseStepi goes back N instructions of the selected thread, to
// the point just before it executed them.
func (s *Session) cmdReverseStepi(args string) error {
	n, err := count(args)
	if err != nil {
		return err
	}
	tid := s.t.Selected()
	at, ok := s.t.Before(tid, uint64(n))
	if !ok {
		return fmt.Errorf("thread %d has not executed %d instructions yet", tid, n)
	}
	st, err := s.back(at)
	if err != nil {
		return err
	}
	if st.Kind != target.StopInsn {
		s.reportStop(st)
		return nil
	}
	s.t.Select(tid)
	st.Kind, st.Tid, st.PC = target.StopStep, tid, s.t.Reg(abi.RIP)
	s.reportStop(st)
	return nil
}

// cmdReverseContinue goes back to the last stop before now that going
// forward would have made (a breakpoint, watchpoint, syscall breakpoint or
// signal), or to the start of the run if there is none. It runs the guest
// again twice: once to find the stops, once to the last of them.
func (s *Session) cmdReverseContinue(string) error {
	now := s.t.Insns()
	if err := s.canGoBack(); err != nil {
		return err
	}
	stops := 0
	if err := s.rewind(); err != nil {
		return err
	}
	for {
		st := s.t.Continue(target.Resume{Insn: now})
		// A stop at now itself is the one the session is at.
		if st.Kind == target.StopInsn || st.Kind == target.StopExited || st.Kind == target.StopPaused || s.t.Insns() >= now {
			break
		}
		stops++
	}
	if err := s.rewind(); err != nil {
		return err
	}
	if stops == 0 {
		s.t.TakeExits()
		s.printf("No stop before instruction %d: back at the start of the run\n", now)
		s.printCurrent(s.t.Reg(abi.RIP), s.t.Selected())
		return nil
	}
	var st target.Stop
	for i := 0; i < stops; i++ {
		st = s.t.Continue(target.Resume{Insn: now})
	}
	s.t.TakeExits()
	s.hit(st)
	s.reportStop(st)
	return nil
}

// tracePoint is one instruction the selected thread executed: the point
// of the run just before it, where it was and its stack pointer.
type tracePoint struct {
	at, pc uint64
	frame  target.FrameKey
}

// traceLimit bounds the instructions of all threads one trace covers.
const traceLimit = 1 << 22

// traceBack runs the guest again to window instructions before now and
// records, instruction by instruction, what thread tid executes from
// there to now; the session is then at the window's start. Where the
// thread runs is known from the schedule (Target.Ran), so only its own
// instructions are stepped. User breakpoints are lifted while it steps.
func (s *Session) traceBack(tid int, now, window uint64) ([]tracePoint, error) {
	from := now - min(window, now)
	points := s.t.Ran(tid, from)
	if _, err := s.back(from); err != nil {
		return nil, err
	}
	defer s.liftBreakpoints()()
	trace := make([]tracePoint, 0, len(points))
	for _, at := range points {
		if st := s.t.Goto(at); st.Kind != target.StopInsn {
			return nil, fmt.Errorf("the run again did not reach instruction %d (%v): it is not the same run", at, st.Kind)
		}
		s.t.Select(tid)
		trace = append(trace, tracePoint{at, s.t.Reg(abi.RIP), s.t.Frame(tid)})
		s.t.StepInstruction(1)
	}
	s.t.TakeExits()
	return trace, nil
}

// reverseTo goes back to the point pick chooses in the selected thread's
// recent instructions (the trace, oldest first), widening the window
// until pick finds one or the trace reaches the run's start.
func (s *Session) reverseTo(cmd string, pick func(trace []tracePoint) (int, bool)) error {
	if err := s.canGoBack(); err != nil {
		return err
	}
	tid, now := s.t.Selected(), s.t.Insns()
	for window := uint64(1 << 12); ; window *= 4 {
		trace, err := s.traceBack(tid, now, window)
		if err != nil {
			return err
		}
		if i, ok := pick(trace); ok {
			st, err := s.back(trace[i].at)
			if err != nil {
				return err
			}
			s.t.Select(tid)
			st.Kind, st.Tid, st.PC = target.StopStep, tid, s.t.Reg(abi.RIP)
			s.reportStop(st)
			return nil
		}
		if window >= now || window >= traceLimit {
			st, err := s.back(now)
			if err != nil {
				return err
			}
			_ = st
			return fmt.Errorf("%s: no such point in the %d instructions before this one", cmd, min(window, now))
		}
	}
}

// cmdReverseStep goes back to the start of the previous source line the
// selected thread executed, into calls (reverse-step); cmdReverseNext
// does it in this function or its caller, over calls (reverse-next).
func (s *Session) cmdReverseStep(string) error { return s.reverseLine("reverse-step", false) }
func (s *Session) cmdReverseNext(string) error { return s.reverseLine("reverse-next", true) }

func (s *Session) reverseLine(cmd string, over bool) error {
	file, line, fn := s.syms.LineForPC(s.reg(abi.RIP))
	frame := s.t.Frame(s.t.Selected())
	here := func(p tracePoint) (string, int, string) { return s.syms.LineForPC(p.pc) }
	// counts says whether a trace point is one the command sees: with
	// over, in this frame or a caller's, not in a callee or on another
	// stack (systemstack's g0).
	counts := func(p tracePoint) bool {
		_, l, _ := here(p)
		return l != 0 && (!over || frame.AtOrAbove(p.frame))
	}
	return s.reverseTo(cmd, func(trace []tracePoint) (int, bool) {
		i := len(trace) - 1
		for ; i >= 0; i-- { // the rest of the current line
			if f, l, g := here(trace[i]); counts(trace[i]) && (f != file || l != line || g != fn) {
				break
			}
		}
		if i < 0 {
			return 0, false
		}
		pf, pl, pg := here(trace[i])
		start := i
		for j := i - 1; j >= 0; j-- { // back to where that line began
			if !counts(trace[j]) {
				continue
			}
			if f, l, g := here(trace[j]); f != pf || l != pl || g != pg {
				return start, true
			}
			start = j
		}
		return 0, false // the line may have begun before the window
	})
}

// cmdReverseFinish goes back to the call of the selected frame's
// function: the caller, just before its CALL (reverse-finish).
func (s *Session) cmdReverseFinish(string) error {
	frames, _, c, crossed, err := s.callerOfSelected("reverse-finish")
	if err != nil {
		return err
	}
	caller := s.t.FrameKeyOf(frames[c].g, frames[c].SP, s.t.Selected(), crossed)
	return s.reverseTo("reverse-finish", func(trace []tracePoint) (int, bool) {
		for i := len(trace) - 1; i >= 0; i-- {
			if caller.AtOrAbove(trace[i].frame) {
				return i, true
			}
		}
		return 0, false
	})
}
