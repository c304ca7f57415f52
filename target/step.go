package target

import (
	"golang.org/x/arch/x86/x86asm"

	"github.com/gouth-emu/gouth-emu/abi"
)

// The stepping algorithms. They follow a goroutine, not a thread: a frame
// is named by its goroutine and its depth in that goroutine's stack
// (FrameKey), so a call that parks the goroutine and resumes it on another
// M, or that grows the stack (the runtime copies it elsewhere), still
// returns to the frame that was stepped.

// FrameKey names a frame so that it is found again after its goroutine
// moves to another thread or its stack is copied. With a g it is the g
// and the frame's depth below the top of the g's stack, which a copy
// keeps; without one (before the runtime has a g, or a stack pointer
// outside the g's stack) it is the thread and the stack pointer, or the
// stack pointer on any thread if AnyThread is set.
type FrameKey struct {
	G, Depth  uint64
	Tid       int
	SP        uint64
	AnyThread bool
}

// The layout of runtime.g that the keys rely on: g.stack is the first
// field in every Go version, {lo, hi uintptr}; a thread's g is at
// -8(FS base) on linux/amd64.
const (
	gStackLo = 0
	gStackHi = 8
	tlsG     = 8 // below the FS base
)

// FrameKeyOf names the frame whose stack pointer is sp on the stack of
// goroutine g (0 if not known), as seen on thread tid.
func (t *Target) FrameKeyOf(g, sp uint64, tid int, anyThread bool) FrameKey {
	if g != 0 {
		lo, ok1 := t.word(g + gStackLo)
		hi, ok2 := t.word(g + gStackHi)
		if ok1 && ok2 && lo <= sp && sp <= hi {
			return FrameKey{G: g, Depth: hi - sp}
		}
	}
	return FrameKey{Tid: tid, SP: sp, AnyThread: anyThread}
}

// Frame names the innermost frame of thread tid, as it is now.
func (t *Target) Frame(tid int) FrameKey { return t.frameKey(tid) }

// frameKey names the innermost frame of thread tid: its g from TLS.
func (t *Target) frameKey(tid int) FrameKey {
	sp, _ := t.m.ThreadReg(tid, abi.RSP)
	fs, _ := t.m.ThreadReg(tid, abi.FSBase)
	g, _ := t.word(fs - tlsG)
	if fs == 0 {
		g = 0
	}
	return t.FrameKeyOf(g, sp, tid, false)
}

// same reports whether k and o name the same frame.
func (k FrameKey) same(o FrameKey) bool {
	if k.G != 0 {
		return o.G == k.G && o.Depth == k.Depth
	}
	return o.G == 0 && (k.AnyThread || o.Tid == k.Tid) && o.SP == k.SP
}

// AtOrAbove reports whether o is k's frame or one of its callers'.
func (k FrameKey) AtOrAbove(o FrameKey) bool {
	if k.G != 0 {
		return o.G == k.G && o.Depth <= k.Depth
	}
	return o.G == 0 && (k.AnyThread || o.Tid == k.Tid) && o.SP >= k.SP
}

// below reports whether o is deeper than k on k's stack: a callee's.
func (k FrameKey) below(o FrameKey) bool {
	if k.G != 0 {
		return o.G == k.G && o.Depth > k.Depth
	}
	return o.SP < k.SP
}

// SetSignalStops sets which signals stop a run before their handler
// runs (nil, the default: none).
func (t *Target) SetSignalStops(stop func(sig int) bool) { t.signals = stop }

// StepInstruction executes n instructions of the selected thread (stepi).
func (t *Target) StepInstruction(n int64) Stop { return t.run(Resume{Steps: n}, t.tid) }

// NextInstruction is StepInstruction with each CALL run to its return
// (nexti): the stepped goroutine is followed if it comes back on another
// thread.
func (t *Target) NextInstruction(n int64) Stop {
	var st Stop
	tid := t.tid
	for i := int64(0); i < n; i++ {
		st = t.stepOver(tid)
		if st.Kind != StopStep {
			break
		}
		tid = st.Tid
	}
	return st
}

// stepOver executes one instruction of thread tid, running a CALL until
// the same goroutine is back at the instruction after it in the same
// frame or a caller.
func (t *Target) stepOver(tid int) Stop {
	pc, _ := t.m.ThreadReg(tid, abi.RIP)
	code := make([]byte, 15)
	n := t.m.PeekPrefix(pc, code)
	inst, err := x86asm.Decode(code[:n], 64)
	if err != nil || inst.Op != x86asm.CALL {
		return t.run(Resume{Steps: 1}, tid)
	}
	from := t.frameKey(tid)
	return t.runUntil(pc+uint64(inst.Len), func(st Stop) bool { return from.AtOrAbove(t.frameKey(st.Tid)) })
}

// stepLineLimit bounds the instructions one step or next runs: it stops
// and reports rather than run away.
const stepLineLimit = 1_000_000

// Step runs the selected thread to the first instruction of another
// source line, into calls (step).
func (t *Target) Step() Stop { return t.stepLine(false) }

// Next runs to the first instruction of another source line of the same
// function or its caller, over calls (next), following the goroutine.
func (t *Target) Next() Stop { return t.stepLine(true) }

func (t *Target) stepLine(over bool) Stop {
	tid := t.tid
	syms, _ := t.file.Symbols()
	startPC, _ := t.m.ThreadReg(tid, abi.RIP)
	file, line, fn := syms.LineForPC(startPC)
	start := t.frameKey(tid)
	var st Stop
	for i := 0; i < stepLineLimit; i++ {
		if over {
			st = t.stepOver(tid)
		} else {
			st = t.run(Resume{Steps: 1}, tid)
		}
		if st.Kind != StopStep {
			break
		}
		if st.Tid != tid {
			if !over {
				break
			}
			tid = st.Tid // a call returned to the goroutine on another M
		}
		f, l, g := syms.LineForPC(st.PC)
		if l == 0 {
			continue // no line information (assembly without it): keep going
		}
		if over && g != fn && start.below(t.frameKey(tid)) {
			continue // inside a callee reached by a jump, not a call
		}
		if f != file || l != line || g != fn {
			break
		}
	}
	return st
}

// Advance runs until a thread reaches addr, or another stop (advance).
func (t *Target) Advance(addr uint64) Stop {
	return t.runUntil(addr, func(Stop) bool { return true })
}

// Finish runs until the frame named by caller is at pc again: the
// function it called has returned (finish). The frame may come back on
// another thread.
func (t *Target) Finish(pc uint64, caller FrameKey) Stop {
	return t.runUntil(pc, func(st Stop) bool { return caller.same(t.frameKey(st.Tid)) })
}

// runUntil runs until some thread is at addr and arrived accepts the stop
// there, reported as a finished step, or until any other stop. addr is
// held by Stepping for the run unless the user or the front end has a
// breakpoint there: then the visit is reported as theirs, as gdb does.
func (t *Target) runUntil(addr uint64, arrived func(Stop) bool) Stop {
	theirs := t.code.holds(addr, User) || t.code.holds(addr, FrontEnd)
	if !theirs && t.code.add(addr, Stepping) == nil {
		defer t.code.remove(addr, Stepping)
	}
	for {
		st := t.run(Resume{}, t.tid)
		if st.Kind != StopBreakpoint || st.PC != addr || theirs {
			return st
		}
		if arrived(st) {
			st.Kind = StopStep
			return st
		}
	}
}
