package debugger

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/debugger/godwarf"
	"github.com/gouth-emu/gouth-emu/debugger/unwind"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
)

// Command is one debugger command. Names follow gdb, with delve's where gdb
// has none.
type Command struct {
	Name    string
	Aliases []string
	Args    string // usage after the name
	Help    string // one line
	// Long says more, in lines of their own: 'help CMD' shows it under
	// Help, and so does the README.
	Long  string
	Group Group // where help lists it
	// Needs is what the command needs of the guest: Exec refuses the
	// command when the session cannot give it.
	Needs Need
	// Stepping commands repeat on an empty line, as in gdb.
	Repeats bool
	run     func(s *Session, args string) error
}

// Need is what a command needs of the guest before it runs.
type Need int

const (
	// NeedsNothing: the command works in any state (breakpoints, help,
	// stages), or checks what it needs after validating its arguments.
	NeedsNothing Need = iota
	// NeedsMachine: the command reads the machine. A guest that exited
	// leaves its last state to read, so it is refused only when there
	// is no machine (a restart failed).
	NeedsMachine
	// NeedsLive: the command runs the guest, so it is refused once the
	// guest has exited, and when there is no machine.
	NeedsLive
)

// ready returns errExited if the session cannot give what n asks for.
func (s *Session) ready(n Need) error {
	if n >= NeedsMachine && s.t == nil || n >= NeedsLive && s.exited != nil {
		return errExited
	}
	return nil
}

// Group is the part of help, and of the README's list, that a command is
// listed in.
type Group string

// The command groups; Groups orders them.
const (
	GroupRunning     Group = "running"
	GroupBreakpoints Group = "breakpoints"
	GroupStack       Group = "stack"
	GroupData        Group = "data"
	GroupRuntime     Group = "runtime"
	GroupStages      Group = "stages"
	GroupSession     Group = "session"
)

// Groups are the command groups in the order help lists them, each with
// the heading it is listed under.
var Groups = []struct {
	Group Group
	Title string
}{
	{GroupRunning, "Running the guest"},
	{GroupBreakpoints, "Breakpoints and watchpoints"},
	{GroupStack, "Threads, stacks and source"},
	{GroupData, "Registers, memory, variables and syscalls"},
	{GroupRuntime, "The Go runtime's tables"},
	{GroupStages, "Boot stages"},
	{GroupSession, "The session"},
}

// Commands is the command table: help, the README's command list and the
// dispatcher all come from it.
var Commands []*Command

// init fills the table. It is not the variable's initializer because help,
// in the table, reads the table.
func init() {
	Commands = []*Command{
		{Name: "continue", Aliases: []string{"c"}, Group: GroupRunning, Needs: NeedsLive, Help: "run until a breakpoint or the end; the thread that stops is selected", Repeats: true, run: (*Session).cmdContinue},
		{Name: "stepi", Aliases: []string{"si"}, Args: "[N]", Group: GroupRunning, Needs: NeedsLive, Help: "execute N instructions of the selected thread (default 1); other threads run as the scheduler decides", Repeats: true, run: (*Session).cmdStepi},
		{Name: "nexti", Aliases: []string{"ni"}, Args: "[N]", Group: GroupRunning, Needs: NeedsLive, Help: "like stepi, but a CALL runs to its return", Repeats: true, run: (*Session).cmdNexti},
		{Name: "step", Aliases: []string{"s"}, Group: GroupRunning, Needs: NeedsLive, Help: "run to the next source line, into calls", Repeats: true, run: (*Session).cmdStep},
		{Name: "next", Aliases: []string{"n"}, Group: GroupRunning, Needs: NeedsLive, Help: "run to the next source line of this function, over calls", Repeats: true, run: (*Session).cmdNext},
		{Name: "advance", Aliases: []string{"until"}, Args: "LOC", Group: GroupRunning, Needs: NeedsLive, Help: "run until a thread reaches LOC (or another stop): a one-time breakpoint and continue", Repeats: false, run: (*Session).cmdAdvance},
		{Name: "finish", Aliases: []string{"stepout"}, Group: GroupRunning, Needs: NeedsLive, Help: "run until the selected frame returns to its caller; show the return PC",
			Long: "The caller is found in the backtrace across stack switches (systemstack, mcall).\n" +
				"From an inlined frame, finish runs until the function holding it returns.",
			Repeats: true, run: (*Session).cmdFinish},
		{Name: "when", Group: GroupRunning, Needs: NeedsMachine, Help: "the point of the run: the instruction count of all threads (one instruction is a nanosecond of virtual time), the selected thread", run: (*Session).cmdWhen},
		{Name: "goto", Args: "INSN", Group: GroupRunning, Needs: NeedsMachine, Help: "go to instruction INSN of the run, forward or backward, passing breakpoints",
			Long: "Backward, the guest runs again from its first instruction: runs are deterministic, what it read from stdin is read again from a record, and what it printed is not printed twice. Not under --fs rw, whose writes to host files would be repeated.", run: (*Session).cmdGoto},
		{Name: "reverse-stepi", Aliases: []string{"rsi"}, Args: "[N]", Group: GroupRunning, Needs: NeedsMachine, Repeats: true, Help: "go back N instructions of the selected thread (default 1), to just before it executed them",
			Long: "The guest runs again from its first instruction to that point (see goto).", run: (*Session).cmdReverseStepi},
		{Name: "reverse-continue", Aliases: []string{"rc"}, Group: GroupRunning, Needs: NeedsMachine, Help: "go back to the last breakpoint, watchpoint, syscall breakpoint or signal stop before now (or to the start)",
			Long: "The guest runs again from its first instruction twice: to find the stops, then to the last one. With a watchpoint it answers who last changed a variable.", run: (*Session).cmdReverseContinue},
		{Name: "reverse-step", Aliases: []string{"rs"}, Group: GroupRunning, Needs: NeedsMachine, Repeats: true, Help: "go back to the start of the previous source line the selected thread executed, into calls", run: (*Session).cmdReverseStep},
		{Name: "reverse-next", Aliases: []string{"rn"}, Group: GroupRunning, Needs: NeedsMachine, Repeats: true, Help: "go back to the start of the previous source line of this function, over calls", run: (*Session).cmdReverseNext},
		{Name: "reverse-finish", Group: GroupRunning, Needs: NeedsMachine, Help: "go back to the call of the selected frame's function, just before the CALL", run: (*Session).cmdReverseFinish},
		{Name: "restart", Aliases: []string{"r"}, Group: GroupRunning, Help: "start the guest again from its first instruction; breakpoints are kept", Long: "It is the same run again (goto 0): what the guest read from stdin is replayed, and what it printed is not printed twice.", run: (*Session).cmdRestart},

		{Name: "break", Aliases: []string{"b"}, Args: "LOC", Group: GroupBreakpoints, Help: "stop when a thread reaches LOC",
			Long: "LOC is FUNC, a unique suffix of FUNC, *ADDR, FILE:LINE, or syscall NAME|NUMBER.\n" +
				"A function inlined at several sites gets a breakpoint at each.",
			run: (*Session).cmdBreak},
		{Name: "tbreak", Args: "LOC", Group: GroupBreakpoints, Help: "like break, deleted when first hit", run: (*Session).cmdTbreak},
		{Name: "watch", Args: "VAR", Group: GroupBreakpoints, Needs: NeedsLive, Help: "stop right after any thread (or a syscall) changes the Go global VAR, showing old and new value",
			Long: "VAR is one of print's expressions, up to 256 bytes.\n" +
				"Every instruction is checked, so the guest runs slower while a watchpoint exists.",
			run: (*Session).cmdWatch},
		{Name: "delete", Aliases: []string{"d"}, Args: "[N]", Group: GroupBreakpoints, Help: "delete breakpoint N, or all breakpoints", run: (*Session).cmdDelete},
		{Name: "disable", Args: "N", Group: GroupBreakpoints, Help: "disable breakpoint N", run: (*Session).cmdDisable},
		{Name: "enable", Args: "N", Group: GroupBreakpoints, Help: "enable breakpoint N", run: (*Session).cmdEnable},
		{Name: "breakpoints", Aliases: []string{"info breakpoints", "i b"}, Group: GroupBreakpoints, Help: "list breakpoints with hit counts", run: (*Session).cmdBreakpoints},

		{Name: "backtrace", Aliases: []string{"bt"}, Group: GroupStack, Needs: NeedsMachine, Help: "the selected thread's stack with each function's arguments, across stack switches",
			Long: "Arguments come from DWARF, ? where unknown.\n" +
				"Frames are unwound with the pclntab's SP deltas.",
			run: (*Session).cmdBacktrace},
		{Name: "frame", Args: "N", Group: GroupStack, Help: "select frame N of the backtrace", run: (*Session).cmdFrame},
		{Name: "up", Group: GroupStack, Needs: NeedsMachine, Help: "select the caller's frame", run: (*Session).cmdUp},
		{Name: "down", Group: GroupStack, Needs: NeedsMachine, Help: "select the callee's frame", run: (*Session).cmdDown},
		{Name: "args", Aliases: []string{"info args"}, Group: GroupStack, Needs: NeedsMachine, Help: "the selected frame's arguments, from DWARF location lists (? where the value is not known there)", run: (*Session).cmdArgs},
		{Name: "locals", Aliases: []string{"info locals"}, Group: GroupStack, Needs: NeedsMachine, Help: "the local variables in scope in the selected frame and declared by its line, from DWARF (? where not known)", run: (*Session).cmdLocals},
		{Name: "list", Aliases: []string{"l"}, Args: "[LOC]", Group: GroupStack, Help: "source around LOC (default: the selected frame)", run: (*Session).cmdList},
		{Name: "threads", Group: GroupStack, Needs: NeedsMachine, Help: "every guest thread with its state and current function; * marks the selected thread", run: (*Session).cmdThreads},
		{Name: "thread", Args: "[TID]", Group: GroupStack, Needs: NeedsMachine, Help: "select thread TID and show its state and backtrace (no TID: the selected thread)",
			Long: "regs, x $reg, bt, frame, list, disas and stepping then act on it.",
			run:  (*Session).cmdThread},

		{Name: "regs", Aliases: []string{"info registers", "i r"}, Args: "[all]", Group: GroupData, Needs: NeedsMachine, Help: "general registers, RIP with symbol, decoded RFLAGS, FS base, and Go's g", run: (*Session).cmdRegs},
		{Name: "x", Args: "/NFU ADDR", Group: GroupData, Needs: NeedsMachine, Help: "examine memory: N units of format F and size U at ADDR",
			Long: "F is x (hex, the default), d (signed), u (unsigned), c (characters), s (strings) or i (instructions).\n" +
				"U is b (1 byte), h (2), w (4) or g (8, the default); N is 1 to 4096, 1 by default.\n" +
				"ADDR may be a symbol or $reg+off.",
			run: (*Session).cmdExamine},
		{Name: "print", Aliases: []string{"p"}, Args: "VAR", Group: GroupData, Needs: NeedsMachine, Help: "print a Go global through DWARF: runtime.ncpu, runtime.sched.npidle, runtime.m0.procid", run: (*Session).cmdPrint},
		{Name: "display", Args: "[VAR]", Group: GroupData, Help: "print VAR (print's expressions) now and after every stop; no VAR: show the display list", run: (*Session).cmdDisplay},
		{Name: "undisplay", Args: "[N]", Group: GroupData, Help: "remove display N, or all", run: (*Session).cmdUndisplay},
		{Name: "disassemble", Aliases: []string{"disas"}, Args: "[LOC] [--syntax go|intel|att]", Group: GroupData, Needs: NeedsMachine, Help: "disassemble the function at LOC (default: the current one)", run: (*Session).cmdDisas},
		{Name: "maps", Aliases: []string{"info mem", "info maps"}, Group: GroupData, Needs: NeedsMachine, Help: "the guest address space",
			Long: "The binary's text, rodata and data, reservations, and where the goroutine, g0 and signal stacks live.",
			run:  (*Session).cmdMaps},
		{Name: "syscalls", Args: "[N]", Group: GroupData, Needs: NeedsMachine, Help: "the last N syscalls (default 20), strace style, with thread and instruction count", run: (*Session).cmdSyscalls},

		// The runtime views (views.go).
		{Name: "goroutines", Aliases: []string{"grs"}, Args: "[all]", Group: GroupRuntime, Help: "the runtime's goroutines (runtime.allgs): id, status, M, start function, location, wait reason",
			Long: "Dead goroutines are listed only with all.",
			run:  (*Session).cmdGoroutines},
		{Name: "goroutine", Aliases: []string{"gr"}, Args: "ID", Group: GroupRuntime, Help: "goroutine ID's backtrace",
			Long: "A running goroutine's is unwound from its thread, a parked one's from the context it saved when it was switched out (g.sched).",
			run:  (*Session).cmdGoroutine},
		{Name: "ms", Group: GroupRuntime, Help: "the runtime's Ms (runtime.allm): id, thread id, current goroutine, P, spinning", run: (*Session).cmdMs},
		{Name: "ps", Group: GroupRuntime, Help: "the runtime's Ps (runtime.allp): id, status, run queue length, next goroutine, M", run: (*Session).cmdPs},
		{Name: "sched", Group: GroupRuntime, Help: "the scheduler's counters (runtime.sched): global run queue, idle and spinning Ms and Ps, ...", run: (*Session).cmdSched},

		// The boot-stage commands (stagecmds.go): the reason gouth-emu
		// exists.
		{Name: "stage", Aliases: []string{"ns"}, Args: "[NAME|N|-]", Group: GroupStages, Needs: NeedsMachine, Help: "run to the next boot stage (or to stage NAME or N) and explain it, with the book's chapter; a stage already reached, or - for the one before this point, is gone back to",
			Long:    "A stage not reached yet is run to; one already reached is gone back to (the guest runs again from its start, see goto). 'stages' lists them.",
			Repeats: true, run: (*Session).cmdStage},
		{Name: "stages", Group: GroupStages, Help: "every boot stage: reached or not, at which instruction, or why it cannot be reached here", run: (*Session).cmdStages},
		{Name: "chapter", Args: "N", Group: GroupStages, Help: "the stages chapter N of Go: Under the Hood explains", run: (*Session).cmdChapter},

		{Name: "help", Aliases: []string{"h"}, Args: "[CMD]", Group: GroupSession, Help: "list commands, or describe one", run: (*Session).cmdHelp},
		{Name: "quit", Aliases: []string{"q"}, Group: GroupSession, Help: "end the session", run: (*Session).cmdQuit},
	}
}

// lookup finds the command for a line: the longest name or alias that the
// line starts with as whole words.
func lookup(line string) (*Command, string) {
	var best *Command
	bestLen := 0
	rest := ""
	for _, c := range Commands {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if (line == n || strings.HasPrefix(line, n+" ") || n == "x" && strings.HasPrefix(line, "x/")) && len(n) > bestLen {
				best, bestLen, rest = c, len(n), strings.TrimSpace(line[len(n):])
			}
		}
	}
	return best, rest
}

// Exec runs one command line. Errors are one line; the session goes on.
func (s *Session) Exec(line string) error {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return nil
	}
	c, args := lookup(line)
	if c == nil {
		return fmt.Errorf("unknown command %q; 'help' lists them", strings.Fields(line)[0])
	}
	if err := s.ready(c.Needs); err != nil {
		return err
	}
	if c.Needs == NeedsLive {
		// A command that runs the guest can be interrupted.
		s.running.Store(s.t)
		defer s.running.Store(nil)
	}
	return c.run(s, args)
}

// Interrupt stops the command that is running the guest (continue, step,
// next, finish, advance, stage) as Ctrl-C does in gdb: it returns at the
// next block of guest code and reports where the guest is; the guest sees
// nothing, and 'continue' goes on as if it had not stopped. Outside such a
// command it does nothing. It may be called from any goroutine.
func (s *Session) Interrupt() {
	if t := s.running.Load(); t != nil {
		t.Interrupt()
	}
}

func (s *Session) addBreakpoint(loc string, temp bool) error {
	bp := &Breakpoint{ID: s.nextID, Loc: loc, Syscall: -1, Enabled: true, Temp: temp}
	if rest, ok := strings.CutPrefix(loc, "syscall "); ok {
		rest = strings.TrimSpace(rest)
		nr, err := strconv.Atoi(rest)
		if err != nil {
			var ok bool
			if nr, ok = abi.SyscallNumber(rest); !ok {
				nr = -1
			}
		}
		if nr < 0 || abi.SyscallName(nr) == "" {
			return fmt.Errorf("no syscall %q", rest)
		}
		bp.Syscall = nr
		if err := s.arm(bp); err != nil {
			return err
		}
		s.nextID++
		s.bps = append(s.bps, bp)
		s.printf("Breakpoint %d at syscall %s (%d)\n", bp.ID, abi.SyscallName(nr), nr)
		return nil
	}
	addrs, desc, err := s.locations(loc)
	if err != nil {
		// A book name the binary calls otherwise (or a newer name on an
		// older binary).
		rn, ok, rerr := resolveName(strings.TrimSpace(loc), s.cfg.File.Version())
		if rerr != nil {
			return rerr
		}
		if !ok {
			return err
		}
		if addrs, desc, err = s.locations(rn.Expr); err != nil {
			return err
		}
		bp.Loc = rn.Expr
		desc += ", for " + rn.Label()
	}
	bp.Addr, bp.Addrs = addrs[0], addrs
	if err := s.arm(bp); err != nil {
		return err
	}
	s.nextID++
	s.bps = append(s.bps, bp)
	s.printf("Breakpoint %d at %s\n", bp.ID, desc)
	return nil
}

func (s *Session) cmdBreak(args string) error  { return s.addBreakpoint(args, false) }
func (s *Session) cmdTbreak(args string) error { return s.addBreakpoint(args, true) }

func (s *Session) breakpointByID(args string) (*Breakpoint, error) {
	id, err := strconv.Atoi(strings.TrimSpace(args))
	if err != nil {
		return nil, fmt.Errorf("want a breakpoint number, got %q", args)
	}
	for _, bp := range s.bps {
		if bp.ID == id {
			return bp, nil
		}
	}
	return nil, fmt.Errorf("no breakpoint %d", id)
}

func (s *Session) cmdDelete(args string) error {
	if strings.TrimSpace(args) == "" {
		for _, bp := range s.bps {
			if bp.Enabled {
				s.disarm(bp)
			}
		}
		s.bps = nil
		return nil
	}
	bp, err := s.breakpointByID(args)
	if err != nil {
		return err
	}
	var keep []*Breakpoint
	for _, b := range s.bps {
		if b != bp {
			keep = append(keep, b)
		}
	}
	s.bps = keep
	if !bp.Enabled {
		return nil
	}
	return s.disarm(bp)
}

func (s *Session) setEnabled(args string, on bool) error {
	bp, err := s.breakpointByID(args)
	if err != nil {
		return err
	}
	if bp.Enabled == on {
		return nil
	}
	if !on {
		bp.Enabled = false
		return s.disarm(bp)
	}
	if err := s.arm(bp); err != nil {
		return err
	}
	bp.Enabled = true
	return nil
}

// cmdWatch sets a watchpoint on a Go global (print's expressions).
func (s *Session) cmdWatch(args string) error {
	name, v, err := s.evalArg(args, "watch what? e.g. 'watch runtime.sched.npidle'")
	if err != nil {
		return err
	}
	size := v.Type.Size()
	switch {
	case v.Addr == 0 || size <= 0:
		return fmt.Errorf("cannot watch %s: it has no address and size in memory", name.Label())
	case size > target.MaxWatchLen:
		return fmt.Errorf("cannot watch %s: %d bytes, at most %d (watch a field)", name.Label(), size, target.MaxWatchLen)
	}
	bp := &Breakpoint{ID: s.nextID, Loc: name.Expr, Addr: v.Addr, Syscall: -1, Enabled: true, Watch: true, Size: int(size)}
	if err := s.arm(bp); err != nil {
		return err
	}
	s.nextID++
	s.bps = append(s.bps, bp)
	s.printf("Watchpoint %d: %s (%d bytes at %#x)\n", bp.ID, name.Label(), size, v.Addr)
	return nil
}

// watchValue formats the watched expression's current value.
func (s *Session) watchValue(bp *Breakpoint) string { return s.evalString(bp.Loc) }

// cmdDisplay adds an expression shown at every stop, or with no argument
// shows them all now.
func (s *Session) cmdDisplay(args string) error {
	expr := strings.TrimSpace(args)
	if expr == "" {
		if len(s.displays) == 0 {
			s.printf("No display expressions.\n")
		}
		s.showDisplays()
		return nil
	}
	// Only adding a display runs the check: the list shows after exit.
	if err := s.ready(NeedsLive); err != nil {
		return err
	}
	name, _, err := s.evalArg(expr, "")
	if err != nil {
		return err
	}
	s.nextDisplay++
	d := display{id: s.nextDisplay, expr: name.Expr, label: name.Label()}
	s.displays = append(s.displays, d)
	s.printf("%d: %s = %s\n", d.id, d.label, s.evalString(d.expr))
	return nil
}

// cmdUndisplay removes display N, or all.
func (s *Session) cmdUndisplay(args string) error {
	if strings.TrimSpace(args) == "" {
		s.displays = nil
		return nil
	}
	id, err := strconv.Atoi(strings.TrimSpace(args))
	if err != nil {
		return fmt.Errorf("want a display number, got %q", args)
	}
	for i, d := range s.displays {
		if d.id == id {
			s.displays = append(s.displays[:i], s.displays[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("no display %d", id)
}

// cmdAdvance runs until a thread reaches LOC (or another stop), as a
// temporary breakpoint there and continue would.
func (s *Session) cmdAdvance(args string) error {
	addrs, desc, err := s.locations(args)
	if err != nil {
		return err
	}
	if len(addrs) > 1 {
		return fmt.Errorf("%s is inlined at %d sites: 'tbreak' it and continue", desc, len(addrs))
	}
	s.reportStop(s.run(func() target.Stop { return s.t.Advance(addrs[0]) }))
	return nil
}

func (s *Session) cmdDisable(args string) error { return s.setEnabled(args, false) }
func (s *Session) cmdEnable(args string) error  { return s.setEnabled(args, true) }

func (s *Session) cmdBreakpoints(string) error {
	if len(s.bps) == 0 {
		s.printf("No breakpoints.\n")
		return nil
	}
	s.printf("Num  Type  Enb  Address             What                                      Hits\n")
	for _, bp := range s.bps {
		typ, enb := "keep", "y"
		if bp.Temp {
			typ = "del"
		}
		if !bp.Enabled {
			enb = "n"
		}
		addr, what := fmt.Sprintf("0x%016x", bp.Addr), s.where(bp.Addr)
		if bp.Watch {
			what = fmt.Sprintf("watch %s (%d bytes)", bp.Loc, bp.Size)
		} else if bp.Syscall >= 0 {
			addr, what = "syscall", fmt.Sprintf("%s (%d)", abi.SyscallName(bp.Syscall), bp.Syscall)
		} else if name := s.inlinedFrame(bp, bp.Addr); name != "" {
			what = name + " inlined in " + what
		}
		sites := bp.addrs()
		if len(sites) > 1 {
			addr, what = "<MULTIPLE>", fmt.Sprintf("%s (inlined at %d sites)", strings.TrimSpace(bp.Loc), len(sites))
		}
		s.printf("%-4d %-5s %-4s %-19s %-41s %d\n", bp.ID, typ, enb, addr, what, bp.Hits)
		for i, a := range sites {
			if len(sites) > 1 {
				s.printf("%-4s %-5s %-4s 0x%016x  %s\n", fmt.Sprintf("%d.%d", bp.ID, i+1), "", "", a, s.where(a))
			}
		}
	}
	return nil
}

func (s *Session) cmdContinue(string) error {
	s.reportStop(s.run(func() target.Stop { return s.t.Continue(target.Resume{}) }))
	return nil
}

func count(args string) (int64, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return 1, nil
	}
	n, err := strconv.ParseInt(args, 0, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive count, got %q", args)
	}
	return n, nil
}

func (s *Session) cmdStepi(args string) error {
	n, err := count(args)
	if err != nil {
		return err
	}
	s.reportStop(s.run(func() target.Stop { return s.t.StepInstruction(n) }))
	return nil
}

func (s *Session) cmdNexti(args string) error {
	n, err := count(args)
	if err != nil {
		return err
	}
	s.reportStop(s.run(func() target.Stop { return s.t.NextInstruction(n) }))
	return nil
}

// stepLine runs until the selected thread is at the first instruction of
// a different source line; over calls when over is set.
func (s *Session) stepLine(over bool) error {
	how := s.t.Step
	if over {
		how = s.t.Next
	}
	s.reportStop(s.run(how))
	return nil
}

func (s *Session) cmdStep(string) error { return s.stepLine(false) }
func (s *Session) cmdNext(string) error { return s.stepLine(true) }

// stackSwitchFrames are frames the cross-stack backtrace shows whose code
// never runs again: runtime.systemstack saves a pc in
// runtime.systemstack_switch as the goroutine's, but returns straight to
// its own caller.
var stackSwitchFrames = map[string]bool{"runtime.systemstack_switch": true}

// cmdFinish runs until the selected frame returns to its caller (gdb's
// finish), found in the backtrace across stack switches. The caller is
// reached when a thread is at the caller's pc with exactly the caller's
// stack pointer: the selected thread when both frames are on one stack;
// any thread when the caller is on a goroutine stack beyond a switch (the
// goroutine may be resumed by another M; its stack is its own). From an
// inlined frame, finish runs until the physical function holding it
// returns.
func (s *Session) cmdFinish(string) error {
	frames, i, c, crossed, err := s.callerOfSelected("finish")
	if err != nil {
		return err
	}
	caller := frames[c]
	s.printf("Run till exit from %s\n", s.where(frames[i].PC))
	key := s.t.FrameKeyOf(caller.g, caller.SP, s.t.Selected(), crossed)
	st := s.run(func() target.Stop { return s.t.Finish(caller.PC, key) })
	if st.Kind == target.StopStep {
		s.printf("Returned to %#x %s\n", st.PC, s.where(st.PC))
	}
	s.reportStop(st)
	return nil
}

// callerOfSelected finds, in the selected thread's backtrace, the
// physical frame i holding the selected frame and its caller c, past the
// frames of stack switches that never run again; crossed says whether
// the caller is beyond a stack switch. cmd names the command for the
// error in the outermost frame.
func (s *Session) callerOfSelected(cmd string) (frames []shownFrame, i, c int, crossed bool, err error) {
	frames, err = s.shownFrames()
	if len(frames) == 0 {
		return nil, 0, 0, false, err
	}
	i = min(s.frame, len(frames)-1)
	for i < len(frames)-1 && frames[i].Inlined {
		i++
	}
	for c = i + 1; c < len(frames); c++ {
		crossed = crossed || frames[c].note != ""
		if !stackSwitchFrames[frames[c].Func] {
			break
		}
	}
	if c >= len(frames) {
		return nil, 0, 0, false, fmt.Errorf("%q not meaningful in the outermost frame", cmd)
	}
	return frames, i, c, crossed, nil
}

func (s *Session) cmdRestart(string) error {
	s.Close()
	s.replay.rewind() // goto 0: the same run, its input replayed
	if err := s.start(); err != nil {
		return err
	}
	s.printf("Restarted %s\n", s.cfg.File.Path)
	s.printCurrent(s.t.Reg(abi.RIP), s.t.Selected())
	return nil
}

var flagNames = []struct {
	bit  uint64
	name string
}{{0x1, "CF"}, {0x4, "PF"}, {0x10, "AF"}, {0x40, "ZF"}, {0x80, "SF"}, {0x100, "TF"}, {0x200, "IF"}, {0x400, "DF"}, {0x800, "OF"}}

func (s *Session) cmdRegs(args string) error {
	for r := abi.RAX; r <= abi.R15; r++ {
		v := s.reg(r)
		note := ""
		if r == abi.R14 && s.goVersionAtLeast(17) {
			note = "  (g, ABIInternal)"
		}
		s.printf("%-8s %#-20x %d%s\n", r, v, int64(v), note)
	}
	pc := s.reg(abi.RIP)
	s.printf("%-8s %#-20x %s\n", abi.RIP, pc, s.where(pc))
	fl := s.reg(abi.EFLAGS)
	var set []string
	for _, f := range flagNames {
		if fl&f.bit != 0 {
			set = append(set, f.name)
		}
	}
	s.printf("%-8s %#-20x [ %s ]\n", abi.EFLAGS, fl, strings.Join(set, " "))
	fs := s.reg(abi.FSBase)
	s.printf("%-8s %#-20x\n", abi.FSBase, fs)
	var g [8]byte
	if s.t.Peek(fs-8, g[:]) == nil {
		s.printf("%-8s %#-20x (Go's g, at -8(FS))\n", "g", binary.LittleEndian.Uint64(g[:]))
	}
	if strings.TrimSpace(args) == "all" {
		for _, r := range []abi.Reg{abi.CS, abi.SS, abi.DS, abi.ES, abi.FS, abi.GS, abi.GSBase} {
			s.printf("%-8s %#x\n", r, s.reg(r))
		}
	}
	return nil
}

// goVersionAtLeast reports whether the binary is go1.minor or later.
func (s *Session) goVersionAtLeast(minor int) bool {
	v := s.cfg.File.Version()
	return v.Known() && v.AtLeast(loader.Version{Major: 1, Minor: minor})
}

// cmdExamine implements x/NFU ADDR with gdb's formats.
func (s *Session) cmdExamine(args string) error {
	r, err := s.parseExamine(args)
	if err != nil {
		return err
	}
	lines, err := s.examine(r)
	for _, l := range lines {
		s.printf("%s\n", l)
	}
	return err
}

// examineReq is an x command: n units of size bytes at addr, in format
// (gdb's letters: x d u c s i).
type examineReq struct {
	n      int
	format byte
	size   int
	addr   uint64
}

// parseExamine parses x's arguments, /NFU (each part optional) and ADDR.
func (s *Session) parseExamine(args string) (examineReq, error) {
	n, format, size := 1, byte('x'), 8
	if strings.HasPrefix(args, "/") {
		spec := args[1:]
		if i := strings.IndexByte(spec, ' '); i >= 0 {
			spec, args = spec[:i], strings.TrimSpace(spec[i:])
		} else {
			args = ""
		}
		j := 0
		for j < len(spec) && spec[j] >= '0' && spec[j] <= '9' {
			j++
		}
		if j > 0 {
			n, _ = strconv.Atoi(spec[:j])
		}
		for _, c := range spec[j:] {
			switch c {
			case 'b':
				size = 1
			case 'h':
				size = 2
			case 'w':
				size = 4
			case 'g':
				size = 8
			case 'x', 'd', 'u', 'c', 's', 'i':
				format = byte(c)
			default:
				return examineReq{}, fmt.Errorf("unknown x format letter %q (formats x d u c s i, sizes b h w g)", c)
			}
		}
	}
	if n <= 0 || n > 4096 {
		return examineReq{}, fmt.Errorf("count %d out of range 1..4096", n)
	}
	addr, err := s.evalAddr(args)
	if err != nil {
		return examineReq{}, err
	}
	if format == 'c' {
		size = 1 // characters are bytes, whatever the size letter says
	}
	return examineReq{n: n, format: format, size: size, addr: addr}, nil
}

// examine reads what r asks for and returns x's output lines. Instructions
// and strings are read one after another: on an error it returns the
// lines before it too.
func (s *Session) examine(r examineReq) ([]string, error) {
	var lines []string
	addr := r.addr
	switch r.format {
	case 'i':
		for i := 0; i < r.n; i++ {
			inst, err := s.decode(addr, s.cfg.Syntax)
			if err != nil {
				return lines, err
			}
			lines = append(lines, fmt.Sprintf("   %#x %s:\t%s", addr, s.where(addr), inst.Text))
			addr += uint64(inst.Len)
		}
		return lines, nil
	case 's':
		for i := 0; i < r.n; i++ {
			var b []byte
			var c [1]byte
			for len(b) < 4096 {
				if err := s.t.Peek(addr+uint64(len(b)), c[:]); err != nil {
					if len(b) == 0 {
						return lines, fmt.Errorf("cannot access memory at %#x", addr)
					}
					break
				}
				if c[0] == 0 {
					break
				}
				b = append(b, c[0])
			}
			lines = append(lines, fmt.Sprintf("%#x:\t%q", addr, b))
			addr += uint64(len(b)) + 1
		}
		return lines, nil
	}
	size := r.size
	buf := make([]byte, r.n*size)
	if err := s.t.Peek(addr, buf); err != nil {
		return nil, fmt.Errorf("cannot access memory at %#x", addr)
	}
	perLine := 16 / size
	if r.format == 'd' || r.format == 'u' {
		perLine = 8 / size
		if perLine < 2 {
			perLine = 2
		}
	}
	var line strings.Builder
	for i := 0; i < r.n; i++ {
		if i%perLine == 0 {
			if i > 0 {
				lines = append(lines, line.String())
				line.Reset()
			}
			fmt.Fprintf(&line, "%#x:", addr+uint64(i*size))
		}
		var v uint64
		for k := size - 1; k >= 0; k-- {
			v = v<<8 | uint64(buf[i*size+k])
		}
		switch r.format {
		case 'x':
			fmt.Fprintf(&line, "\t0x%0*x", size*2, v)
		case 'd':
			fmt.Fprintf(&line, "\t%d", signed(v, size))
		case 'u':
			fmt.Fprintf(&line, "\t%d", v)
		case 'c':
			fmt.Fprintf(&line, "\t%q", rune(v))
		}
	}
	return append(lines, line.String()), nil
}

func signed(v uint64, size int) int64 {
	shift := uint(64 - 8*size)
	return int64(v<<shift) >> shift
}

func (s *Session) cmdPrint(args string) error {
	name, v, err := s.evalArg(args, "print what? e.g. 'p runtime.ncpu'")
	if err != nil {
		return err
	}
	s.printf("%s = %s\n", name.Label(), v.String())
	return nil
}

// evalArg evaluates a command's argument as a Go expression through DWARF
// (print, watch, display); usage is the error for a missing one. A name
// the binary does not know goes through Renames: the result says what was
// typed and what was evaluated.
func (s *Session) evalArg(args, usage string) (resolved, godwarf.Value, error) {
	expr := strings.TrimSpace(args)
	if expr == "" {
		return resolved{}, godwarf.Value{}, errors.New(usage)
	}
	info, err := s.dwarf()
	if err != nil {
		return resolved{}, godwarf.Value{}, err
	}
	return s.evalNamed(info, expr)
}

// evalNamed evaluates expr, or, if that fails, the name Renames gives it
// in this binary's version.
func (s *Session) evalNamed(info *godwarf.Info, expr string) (resolved, godwarf.Value, error) {
	r := resolved{Typed: expr, Expr: expr}
	v, err := info.Eval(expr, s.t)
	if err == nil {
		return r, v, nil
	}
	rn, ok, rerr := resolveName(expr, s.cfg.File.Version())
	if rerr != nil {
		return r, v, rerr
	}
	if !ok {
		return r, v, err
	}
	v, err = info.Eval(rn.Expr, s.t)
	return rn, v, err
}

// dwarf loads the binary's DWARF once.
func (s *Session) dwarf() (*godwarf.Info, error) {
	if s.dwarfInfo == nil && s.dwarfErr == nil {
		s.dwarfInfo, s.dwarfErr = godwarf.Load(s.cfg.File)
		if s.dwarfInfo != nil {
			s.dwarfInfo.SourceDir = s.cfg.SrcDir
		}
	}
	return s.dwarfInfo, s.dwarfErr
}

func (s *Session) cmdDisas(args string) error {
	syn := s.cfg.Syntax
	fields := strings.Fields(args)
	var loc []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if v, ok := strings.CutPrefix(f, "--syntax="); ok {
			f, fields = "--syntax", append(fields[:i+1], append([]string{v}, fields[i+1:]...)...)
		}
		if f == "--syntax" {
			if i+1 >= len(fields) {
				return errors.New("--syntax wants go, intel or att")
			}
			var err error
			if syn, err = disasm.ParseSyntax(fields[i+1]); err != nil {
				return err
			}
			i++
			continue
		}
		loc = append(loc, f)
	}
	pc := s.reg(abi.RIP)
	target := pc
	if len(loc) > 0 {
		addr, _, err := s.location(strings.Join(loc, " "))
		if err != nil {
			return err
		}
		target = addr
	}
	sym, _, ok := s.syms.ByAddr(target)
	if !ok || sym.Size == 0 {
		return fmt.Errorf("no function contains %#x", target)
	}
	s.printf("Dump of %s (%#x-%#x), %s syntax:\n", sym.Name, sym.Addr, sym.Addr+sym.Size, syn)
	code := make([]byte, sym.Size)
	if err := s.t.Peek(sym.Addr, code); err != nil {
		return fmt.Errorf("cannot read %s: %v", sym.Name, err)
	}
	for _, inst := range disasm.DecodeAll(code, sym.Addr, syn, s.symbolizer) {
		mark := "  "
		if inst.PC == pc {
			mark = "=>"
		}
		file, line, _ := s.syms.LineForPC(inst.PC)
		s.printf("%s %#x <+%d>\t%-40s %s:%d\n", mark, inst.PC, inst.PC-sym.Addr, inst.Text, filepath.Base(file), line)
	}
	return nil
}

// printFrames prints frames as bt does, marking the selected one when
// mark is set, and err, the reason unwinding stopped, if any.
func (s *Session) printFrames(frames []shownFrame, err error, mark bool) {
	for i, f := range frames {
		if f.note != "" {
			s.printf("%s\n", f.note)
		}
		m := " "
		if mark && i == s.frame {
			m = "*"
		}
		s.printf("%s%s\n", m, s.frameLine(i, f))
	}
	if err != nil {
		s.printf("(unwinding stopped: %v)\n", err)
	}
}

// cmdBacktrace shows the selected thread's frames, and where the runtime
// switched stacks, the frames of the stack it came from (runtime.go).
func (s *Session) cmdBacktrace(string) error {
	frames, err := s.shownFrames()
	s.printFrames(frames, err, true)
	return nil
}

// shownFrames is the selected thread's backtrace across stack switches.
// It checks for a machine itself: frame reaches it after checking N.
func (s *Session) shownFrames() ([]shownFrame, error) {
	if s.t == nil {
		return nil, errExited
	}
	return s.threadFrames(s.t.Selected(), s.reg(abi.RIP), s.reg(abi.RSP), s.reg(abi.FSBase))
}

// allFrames is the backtrace across stack switches, flattened.
func (s *Session) allFrames() ([]unwind.Frame, error) {
	shown, err := s.shownFrames()
	frames := make([]unwind.Frame, len(shown))
	for i, f := range shown {
		frames[i] = f.Frame
	}
	return frames, err
}

func (s *Session) selectFrame(n int) error {
	frames, err := s.shownFrames()
	if len(frames) == 0 {
		return err
	}
	if n < 0 || n >= len(frames) {
		return fmt.Errorf("no frame %d (the stack has %d)", n, len(frames))
	}
	s.frame = n
	s.printf("*%s\n", s.frameLine(n, frames[n]))
	return nil
}

func (s *Session) cmdFrame(args string) error {
	n, err := strconv.Atoi(strings.TrimSpace(args))
	if err != nil {
		return fmt.Errorf("want a frame number, got %q", args)
	}
	return s.selectFrame(n)
}

func (s *Session) cmdUp(string) error   { return s.selectFrame(s.frame + 1) }
func (s *Session) cmdDown(string) error { return s.selectFrame(s.frame - 1) }

func (s *Session) cmdList(args string) error {
	var file string
	var line int
	if strings.TrimSpace(args) != "" {
		addr, _, err := s.location(args)
		if err != nil {
			return err
		}
		file, line, _ = s.syms.LineForPC(addr)
	} else {
		frames, _ := s.allFrames()
		pc := s.reg(abi.RIP)
		if s.frame < len(frames) {
			pc = frames[s.frame].PC
		}
		file, line, _ = s.syms.LineForPC(pc)
	}
	if file == "" {
		return errors.New("no line information here")
	}
	path := file
	if s.cfg.SrcDir != "" {
		// An untrimmed path is GOROOT/src/PKG/FILE; a trimmed one
		// (-trimpath, or go1.11's -gcflags=-trimpath=GOROOT/src) is
		// PKG/FILE already.
		if i := strings.LastIndex(file, "/src/"); i >= 0 {
			path = filepath.Join(s.cfg.SrcDir, file[i+len("/src/"):])
		} else if !filepath.IsAbs(file) {
			path = filepath.Join(s.cfg.SrcDir, file)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		hint := ""
		if s.cfg.SrcDir == "" && !filepath.IsAbs(file) {
			hint = "; the binary has trimmed paths: --src DIR names the Go source tree (GOROOT/src) it was built from"
		}
		s.printf("%s:%d (source not available: %v%s)\n", shortPath(file), line, err, hint)
		return nil
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if n >= line-5 && n <= line+5 {
			mark := "  "
			if n == line {
				mark = "=>"
			}
			s.printf("%s %d\t%s\n", mark, n, sc.Text())
		}
	}
	return nil
}

// cmdThreads lists the threads with their state, the M and g they run
// (through DWARF, when the binary has it) and where they are.
func (s *Session) cmdThreads(string) error {
	threads := s.t.Threads()
	rt := s.goRuntime()
	labels := make([]string, len(threads))
	stateW, labelW := 0, 0
	for i, t := range threads {
		labels[i] = s.threadLabel(rt, t.Tid, t.FSBase)
		stateW = max(stateW, len(t.State))
		labelW = max(labelW, len(labels[i]))
	}
	for i, t := range threads {
		mark := " "
		if t.Tid == s.t.Selected() {
			mark = "*"
		}
		label := ""
		if labelW > 0 {
			label = fmt.Sprintf("%-*s  ", labelW, labels[i])
		}
		s.printf("%s thread %d  %-*s  %s%#x %s\n", mark, t.Tid, stateW, t.State, label, t.PC, s.where(t.PC))
	}
	return nil
}

// cmdThread selects thread TID and shows it: state, place and
// backtrace; without an argument it shows the selected thread.
func (s *Session) cmdThread(args string) error {
	tid := s.t.Selected()
	if a := strings.TrimSpace(args); a != "" {
		var err error
		if tid, err = strconv.Atoi(a); err != nil {
			return fmt.Errorf("want a thread id, got %q", args)
		}
	}
	for _, t := range s.t.Threads() {
		if t.Tid != tid {
			continue
		}
		if tid != s.t.Selected() {
			s.t.Select(tid)
			s.frame = 0
		}
		s.printf("thread %d: %s at %#x %s\n", t.Tid, t.State, t.PC, s.where(t.PC))
		frames, err := s.threadFrames(t.Tid, t.PC, t.SP, t.FSBase)
		s.printFrames(frames, err, true)
		return nil
	}
	return fmt.Errorf("no thread %d; 'threads' lists them", tid)
}

func (s *Session) cmdSyscalls(args string) error {
	n := 20
	if a := strings.TrimSpace(args); a != "" {
		v, err := strconv.Atoi(a)
		if err != nil || v <= 0 {
			return fmt.Errorf("want a positive count, got %q", a)
		}
		n = v
	}
	for _, l := range s.t.History(n) {
		s.printf("%s\n", l)
	}
	return nil
}

func (s *Session) cmdHelp(args string) error {
	args = strings.TrimSpace(args)
	if args != "" {
		c, _ := lookup(args)
		if c == nil {
			return fmt.Errorf("no command %q", args)
		}
		s.printf("%s %s\n    %s\n", c.Name, c.Args, c.Help)
		for _, l := range c.longLines() {
			s.printf("    %s\n", l)
		}
		if len(c.Aliases) > 0 {
			s.printf("    aliases: %s\n", strings.Join(c.Aliases, ", "))
		}
		return nil
	}
	for i, g := range Groups {
		if i > 0 {
			s.printf("\n")
		}
		s.printf("%s:\n", g.Title)
		for _, c := range grouped(g.Group) {
			names := c.Name
			if len(c.Aliases) > 0 {
				names += "|" + strings.Join(c.Aliases, "|")
			}
			s.printf("  %-32s %s\n", strings.TrimSpace(names+" "+c.Args), c.Help)
		}
	}
	return nil
}

// longLines returns the lines of c's longer description, none without
// one.
func (c *Command) longLines() []string {
	if c.Long == "" {
		return nil
	}
	return strings.Split(c.Long, "\n")
}

// grouped returns the commands of group g in the table's order.
func grouped(g Group) []*Command {
	var cs []*Command
	for _, c := range Commands {
		if c.Group == g {
			cs = append(cs, c)
		}
	}
	return cs
}

func (s *Session) cmdQuit(string) error {
	s.quit = true
	return nil
}

// CommandList renders the command table as Markdown for the README: a
// list per group, under the group's heading in bold.
func CommandList() string {
	var b strings.Builder
	for i, g := range Groups {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "**%s**\n\n", g.Title)
		for _, c := range grouped(g.Group) {
			names := "`" + c.Name + "`"
			for _, a := range c.Aliases {
				names += ", `" + a + "`"
			}
			if c.Args != "" {
				names += " " + c.Args
			}
			// A backslash ends a line inside the item (a hard line
			// break), so the longer description keeps its lines.
			lines := append([]string{"- " + names + ": " + c.Help}, c.longLines()...)
			for i, l := range lines {
				if i > 0 {
					b.WriteString("  ")
				}
				b.WriteString(l)
				if i < len(lines)-1 {
					b.WriteString("\\")
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}
