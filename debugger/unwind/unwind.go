// Package unwind walks the stack of a stopped Go thread, frame by frame,
// from the stack pointer deltas that the Go toolchain records for every
// instruction in the pclntab (the pcsp tables). It does not rely on frame
// pointers, which assembly functions and function prologues leave
// unset.
//
// At a pc where the function has pushed d bytes on top of the stack
// pointer it was entered with, the return address is at SP+d and the
// caller's stack pointer, once the callee returns, is SP+d+8.
package unwind

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gouth-emu/gouth-emu/loader"
)

// Memory reads guest memory.
type Memory interface {
	Peek(addr uint64, p []byte) error
}

// Frame is one frame of a stack, from the innermost.
type Frame struct {
	// PC is where the frame's code is: the current pc for the innermost
	// frame, the return address for the others (except a frame
	// interrupted by an injected call, where it is the interrupted pc).
	PC uint64
	// SP is the stack pointer at PC: for an outer frame, the value it has
	// again once the callee returns.
	SP uint64
	// Func is the function's name; File and Line are the position of the
	// instruction at PC, or of the call instruction before a return
	// address (see CallPC).
	Func string
	File string
	Line int
	// Entry is the entry address of the physical function holding PC.
	Entry uint64
	// CallPC is the pc used for File, Line and the pcsp lookup: PC for
	// the innermost frame and interrupted frames, PC-1 (inside the call
	// instruction) for a return address.
	CallPC uint64
	// Inlined reports a call inlined into the next frame: PC, SP, Entry
	// and CallPC are those of the physical frame they share.
	Inlined bool
}

// DefaultMax is the number of frames Unwind returns at most when max <= 0.
const DefaultMax = 100

// ErrIncomplete is wrapped by the error Unwind returns when it stops
// before an outermost frame for a reason other than max.
var ErrIncomplete = errors.New("stack incomplete")

// ErrMaxFrames is returned by Unwind, with max frames, when there are more.
var ErrMaxFrames = errors.New("stack truncated: more frames")

// topFrames are the functions at the outermost end of a stack, for
// binaries without the FuncFlagTopFrame bit (the Go 1.2 layout of go1.2 to
// go1.15, and go1.16), or where a toolchain
// did not set it: go1.17 leaves runtime.sigtramp, the entry of signal
// handlers, unflagged (go1.19 flags it). Above sigtramp is the kernel's
// signal frame, not a caller.
var topFrames = map[string]bool{
	"runtime.goexit":   true,
	"runtime.mstart":   true,
	"runtime.rt0_go":   true,
	"runtime.sigtramp": true,
}

// stackSwitchers are functions that change stacks, whose callers cannot be
// found from their pcsp tables once they have, for binaries without the
// FuncFlagSPWrite bit (before go1.17).
var stackSwitchers = map[string]bool{
	"runtime.systemstack": true,
	"runtime.mcall":       true,
	"runtime.morestack":   true,
	"runtime.gogo":        true,
}

// injected are functions that the runtime's signal handler makes the
// interrupted code appear to call: the "return address" above them is the
// pc of the interrupted instruction, not of one after a call.
var injected = map[string]bool{
	"runtime.sigpanic":     true,
	"runtime.asyncPreempt": true,
}

// SwitchError is the error Unwind returns, wrapping ErrIncomplete, when it
// stops at a caller that switched stacks: the last frame returned is that
// caller's (Func). What is beyond is on another stack, which only the Go
// runtime's own state can tell (see the debugger's runtime.go).
type SwitchError struct {
	Func string // the function that switched stacks: runtime.systemstack, mcall, morestack ...
}

func (e *SwitchError) Error() string {
	return fmt.Sprintf("%v: %s switches stacks", ErrIncomplete, e.Func)
}

func (e *SwitchError) Unwrap() error { return ErrIncomplete }

// Start is where a walk begins.
type Start struct {
	PC, SP uint64
	// Return says that PC is a return address, as in a saved context
	// (the pc runtime.mcall or morestack records): its line and stack
	// pointer delta are those of the call before it, as for an outer
	// frame. Otherwise PC is the next instruction to execute.
	Return bool
}

// Unwind walks the stack from the innermost frame at (pc, sp) and returns
// its frames, innermost first, with inlined calls expanded. The error is
// nil when the walk ends at an outermost frame (runtime.goexit, mstart,
// rt0_go, sigtramp or any function flagged as a top frame), ErrMaxFrames when max
// frames were found before that (max <= 0 means DefaultMax), and wraps
// ErrIncomplete when it stops early: a return address outside any
// function, a pc without a stack pointer delta (padding between
// functions), unreadable memory, a stack pointer that would wrap around,
// or a caller that switched stacks (runtime.systemstack, mcall,
// morestack: any function flagged SPWrite; the error is then a
// *SwitchError). The frames found so far are
// returned with the error; only a pc outside any function gives no
// frames. Each caller's SP is above its callee's, since pcsp deltas are
// never negative, so the walk always ends.
//
// The innermost frame is unwound even when its function writes SP (it
// may be stopped before the write); past such a write its pcsp table no
// longer describes the stack and the frames above are unreliable.
func Unwind(f *loader.File, mem Memory, pc, sp uint64, max int) ([]Frame, error) {
	return Walk(f, mem, Start{PC: pc, SP: sp}, max)
}

// Walk is Unwind from start, whose pc may be a return address.
func Walk(f *loader.File, mem Memory, start Start, max int) ([]Frame, error) {
	if max <= 0 {
		max = DefaultMax
	}
	pc, sp := start.PC, start.SP
	var frames []Frame
	innermost := true
	interrupted := false // pc is an interrupted pc rather than a return address
	for {
		callPC := pc
		if (!innermost || start.Return) && !interrupted && pc > 0 {
			callPC = pc - 1
		}
		fn, ok := f.FuncAt(callPC)
		if !ok {
			if innermost {
				return nil, fmt.Errorf("%w: pc %#x is not in any function", ErrIncomplete, pc)
			}
			return frames, fmt.Errorf("%w: return address %#x at sp %#x is not in any function", ErrIncomplete, pc, sp)
		}
		for _, sf := range fn.SourceFrames(callPC) {
			if len(frames) == max {
				return frames, ErrMaxFrames
			}
			frames = append(frames, Frame{
				PC: pc, SP: sp, Func: sf.Func, File: sf.File, Line: sf.Line,
				Entry: fn.Entry, CallPC: callPC, Inlined: sf.Inlined,
			})
		}
		if fn.Flag&loader.FuncFlagTopFrame != 0 || topFrames[fn.Name] {
			return frames, nil
		}
		if !innermost && (fn.Flag&loader.FuncFlagSPWrite != 0 || stackSwitchers[fn.Name]) {
			return frames, &SwitchError{Func: fn.Name}
		}
		delta, ok := fn.SPDelta(callPC)
		if !ok {
			return frames, fmt.Errorf("%w: no stack pointer delta for %s at pc %#x", ErrIncomplete, fn.Name, callPC)
		}
		slot := sp + uint64(delta)
		if slot < sp || slot+8 < slot {
			return frames, fmt.Errorf("%w: stack pointer overflows above %#x", ErrIncomplete, sp)
		}
		var b [8]byte
		if err := mem.Peek(slot, b[:]); err != nil {
			return frames, fmt.Errorf("%w: reading the return address of %s at %#x: %v", ErrIncomplete, fn.Name, slot, err)
		}
		interrupted = injected[fn.Name]
		pc, sp = binary.LittleEndian.Uint64(b[:]), slot+8
		innermost = false
	}
}
