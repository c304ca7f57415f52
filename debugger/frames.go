package debugger

import (
	"fmt"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/godwarf"
	"github.com/gouth-emu/gouth-emu/debugger/unwind"
)

// Frames as bt, frame, up, down and thread print them: the function with
// its arguments, read through DWARF, delve-style:
//
//	#0  0x44a300 in runtime.newproc(fn=0x4c1f28) at runtime/proc.go:5011
//
// Only a function's inputs are shown (Go marks its results with
// DW_AT_variable_parameter and they have no value until it returns). A
// value that cannot be known is "?": an argument held in a register in
// any frame but the innermost (registers of outer frames are not
// recovered), or one with no location at that pc. Frames of assembly
// functions (whose DWARF lists no parameters), of functions DWARF does not
// describe, and inlined frames show no argument list.

// maxArgLen bounds the characters of one argument's value in a frame line.
const maxArgLen = 40

// threadRegs returns the live registers of thread tid by DWARF number,
// for the innermost frame of its stack.
func (s *Session) threadRegs(tid int) func(int) (uint64, bool) {
	return func(n int) (uint64, bool) {
		r, ok := abi.ByDWARF(n)
		if !ok {
			return 0, false
		}
		v, err := s.t.ThreadReg(tid, r)
		return v, err == nil
	}
}

// frameArgs returns "(a=1, b=2)" for f, or "" when DWARF does not describe
// its function or f is an inlined frame. regs gives the frame's registers
// (nil when they are not known).
func (s *Session) frameArgs(f unwind.Frame, regs func(int) (uint64, bool)) string {
	info, fn, fr, err := s.frameDWARF(f, regs)
	if err != nil {
		return ""
	}
	// Locations are looked up at PC, the return address in outer frames:
	// where the caller finds its values once the call returns, which is
	// also where they are during the call (at the call instruction itself
	// an argument may still be described as in a register the call
	// clobbers).
	return "(" + info.FormatArgs(fn, f.PC, fr, s.t, maxArgLen) + ")"
}

// frameDWARF returns the DWARF function of frame f and the frame as the
// location evaluator sees it, or an error saying why its variables cannot
// be shown.
func (s *Session) frameDWARF(f unwind.Frame, regs func(int) (uint64, bool)) (*godwarf.Info, *godwarf.Func, godwarf.Frame, error) {
	switch {
	case s.t == nil:
		return nil, nil, godwarf.Frame{}, errExited
	case f.Inlined:
		return nil, nil, godwarf.Frame{}, fmt.Errorf("%s is an inlined call here: DWARF describes its variables only in the function it was inlined into", f.Func)
	case strings.HasSuffix(f.File, ".s"):
		// The assembler writes a subprogram for each TEXT symbol, with
		// no parameters: "()" would claim there are none.
		return nil, nil, godwarf.Frame{}, fmt.Errorf("%s is assembly: DWARF describes no variables", f.Func)
	}
	info, err := s.dwarf()
	if err != nil {
		return nil, nil, godwarf.Frame{}, err
	}
	fn, ok := info.FuncAt(f.CallPC)
	if !ok {
		return nil, nil, godwarf.Frame{}, fmt.Errorf("DWARF does not describe %s", f.Func)
	}
	fr := godwarf.Frame{Reg: regs, Mem: s.t, SP: f.SP}
	if delta, ok := s.cfg.File.SPDelta(f.CallPC); ok {
		fr.CFA = f.SP + uint64(delta) + 8
	} else {
		fr.NoCFA = true
	}
	return info, fn, fr, nil
}

// maxVarLen bounds one value printed by args and locals.
const maxVarLen = 200

// selectedFrame returns the selected frame of the selected thread.
func (s *Session) selectedFrame() (shownFrame, error) {
	frames, err := s.shownFrames()
	if s.frame >= len(frames) {
		if err == nil {
			err = fmt.Errorf("no frame %d", s.frame)
		}
		return shownFrame{}, err
	}
	return frames[s.frame], nil
}

// selectedDWARF returns the selected frame with its DWARF function and
// the frame as the location evaluator sees it.
func (s *Session) selectedDWARF() (shownFrame, *godwarf.Info, *godwarf.Func, godwarf.Frame, error) {
	f, err := s.selectedFrame()
	if err != nil {
		return f, nil, nil, godwarf.Frame{}, err
	}
	info, fn, fr, err := s.frameDWARF(f.Frame, f.regs)
	return f, info, fn, fr, err
}

// cmdArgs prints the selected frame's arguments, one per line.
func (s *Session) cmdArgs(string) error {
	f, info, fn, fr, err := s.selectedDWARF()
	if err != nil {
		return err
	}
	n := 0
	for _, p := range fn.Params {
		if p.Result {
			continue
		}
		s.printf("%s = %s\n", p.Name, info.ParamValue(fn, p, f.PC, fr, s.t, maxVarLen))
		n++
	}
	if n == 0 {
		s.printf("No arguments.\n")
	}
	return nil
}

// cmdLocals prints the local variables in scope in the selected frame, as
// delve does: in a block that holds the frame's call pc, declared on or
// before the frame's line, and not a compiler temporary (names starting
// with "~", such as unnamed results). Locations are looked up at the
// frame's pc, as for arguments.
func (s *Session) cmdLocals(string) error {
	f, info, fn, fr, err := s.selectedDWARF()
	if err != nil {
		return err
	}
	n := 0
	for _, l := range fn.Locals {
		if !l.InScope(f.CallPC) || strings.HasPrefix(l.Name, "~") || l.DeclLine > f.Line && f.Line > 0 {
			continue
		}
		s.printf("%s = %s\n", l.Name, info.ParamValue(fn, l.Param, f.PC, fr, s.t, maxVarLen))
		n++
	}
	if n == 0 {
		s.printf("No locals.\n")
	}
	return nil
}

// shownFrame is a frame of a backtrace with what is needed to print it.
type shownFrame struct {
	unwind.Frame
	note string                   // a stack switch line printed before it
	g    uint64                   // the g whose stack holds it, 0 if not known
	regs func(int) (uint64, bool) // nil: registers not known
}

// threadFrames unwinds thread tid (pc, sp, fs being its registers) across
// stack switches and pairs each frame with the registers known in it:
// those of the thread for the innermost physical frame (and the inlined
// frames sharing its pc), none for the others. The error is stacks'.
func (s *Session) threadFrames(tid int, pc, sp, fs uint64) ([]shownFrame, error) {
	parts, err := s.stacks(pc, sp, fs, 100)
	var out []shownFrame
	innermost := true
	for pi, p := range parts {
		for i, f := range p.frames {
			sf := shownFrame{Frame: f, g: p.g}
			if i == 0 {
				sf.note = p.note
			}
			if pi == 0 && innermost {
				sf.regs = s.threadRegs(tid)
				innermost = f.Inlined
			}
			out = append(out, sf)
		}
	}
	return out, err
}

// frameLine formats frame i: "#0  0x44a300 in FUNC(ARGS) at FILE:LINE".
func (s *Session) frameLine(i int, f shownFrame) string {
	return fmt.Sprintf("#%-2d %#x in %s%s at %s:%d", i, f.PC, f.Func, s.frameArgs(f.Frame, f.regs), shortPath(f.File), f.Line)
}
