// Package debugger is gouth-emu's stepping debugger: a session over one
// emulated process, breakpoints on runtime symbols, stepping, and views of
// registers, memory, threads and syscalls. Commands live in one table
// (commands.go); the UI (repl.go) only reads lines and prints.
package debugger

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/debugger/godwarf"
	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
)

// Config describes a debugging session.
type Config struct {
	File   *loader.File
	Guest  target.Config // the guest's process; Stdout/Stderr are the guest's output
	Out    io.Writer     // the session's own output
	Syntax disasm.Syntax
	SrcDir string // a Go source tree for list; "" uses the paths in the binary
}

// Breakpoint is a user breakpoint: an address or a syscall entry.
type Breakpoint struct {
	ID      int
	Loc     string   // as the user wrote it
	Addr    uint64   // for code breakpoints: the first of Addrs
	Addrs   []uint64 // for code breakpoints: one, or one per inline site of an inlined function
	Syscall int      // for syscall breakpoints; -1 otherwise
	Enabled bool
	Temp    bool
	Hits    int
	// Watch marks a watchpoint: Loc is the expression, Addr and Size the
	// memory watched, Old its value as last shown.
	Watch bool
	Size  int
	Old   string
}

// addrs returns the addresses of a code breakpoint (Addr alone when Addrs
// is not set), or nil for a syscall breakpoint.
func (bp *Breakpoint) addrs() []uint64 {
	if bp.Syscall >= 0 || bp.Watch {
		return nil
	}
	if len(bp.Addrs) == 0 {
		return []uint64{bp.Addr}
	}
	return bp.Addrs
}

// Session is one debugging session. It is used from one goroutine.
type Session struct {
	cfg  Config
	t    *target.Target // nil after a restart that failed
	syms *loader.Symbols
	out  io.Writer

	bps    []*Breakpoint
	nextID int
	exited *target.Exit
	// frame is the selected frame for bt/frame/up/down, of the target's
	// selected thread (gdb's): what regs, x $reg, bt, frame, list and
	// disas look at and what stepping steps. A stop selects the thread
	// that stopped; 'thread TID' selects another.
	frame int
	quit  bool

	lastHits          []*Breakpoint // the breakpoints the last stop hit
	stages            *stages.Tracker
	lastStageSyscalls uint64
	prevStage         *stages.Resolved // the last stage 'stage' showed

	dwarfInfo *godwarf.Info
	dwarfErr  error

	displays    []display // expressions shown at every stop
	nextDisplay int

	replay *replayIO // the guest's streams, for goto backwards

	// running is the target while a command runs it, for Interrupt,
	// which another goroutine calls.
	running atomic.Pointer[target.Target]
}

// display is an expression 'display' shows at every stop.
type display struct {
	id    int
	expr  string // evaluated at each stop
	label string // shown: what was typed, and expr if it differs (renames.go)
}

// New starts a session stopped at the guest's first instruction.
func New(cfg Config) (*Session, error) {
	s := &Session{cfg: cfg, out: cfg.Out, nextID: 1}
	s.replay = newReplayIO(&s.cfg.Guest)
	cfg.File.Prefetch() // symbols and stages, while the machine is built
	if err := s.start(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Session) start() error {
	t, err := target.New(s.cfg.File, s.cfg.Guest)
	if err != nil {
		return err
	}
	if s.syms == nil {
		if s.syms, err = s.cfg.File.Symbols(); err != nil {
			t.Close()
			return err
		}
	}
	s.t = t
	s.t.SetSignalStops(signalStops)
	s.exited = nil
	s.frame = 0
	for _, bp := range s.bps {
		if bp.Enabled {
			if err := s.arm(bp); err != nil {
				return err
			}
		}
	}
	// A fresh tracker: a restarted guest goes through every stage again.
	if s.stages, err = stages.Watch(s.t, s.cfg.File); err != nil {
		return err
	}
	s.lastStageSyscalls = 0
	s.prevStage = nil
	return nil
}

// Close releases the emulated process.
func (s *Session) Close() {
	if s.t != nil {
		s.t.Close()
		s.t = nil
	}
}

func (s *Session) printf(format string, args ...any) { fmt.Fprintf(s.out, format, args...) }

// errExited is Exec's answer to a command whose Need the session cannot
// meet, and the error of helpers that need a machine and have none.
var errExited = errors.New("the guest has exited; 'restart' starts it again")

// shortPath shows a source path the way Go's own tools do for the standard
// library: relative to the tree's src directory.
func shortPath(p string) string {
	if i := strings.LastIndex(p, "/src/"); i >= 0 {
		return p[i+len("/src/"):]
	}
	return p
}

// where renders "runtime.check+0x0 (runtime/runtime1.go:145)" for pc.
func (s *Session) where(pc uint64) string {
	sym, off, ok := s.syms.ByAddr(pc)
	if !ok {
		return "??"
	}
	w := fmt.Sprintf("%s+%#x", sym.Name, off)
	if file, line, _ := s.syms.LineForPC(pc); file != "" {
		w += fmt.Sprintf(" (%s:%d)", shortPath(file), line)
	}
	return w
}

// symbolizer names addresses for the disassembler.
func (s *Session) symbolizer(addr uint64) (string, uint64, bool) {
	sym, _, ok := s.syms.ByAddr(addr)
	if !ok {
		return "", 0, false
	}
	return sym.Name, sym.Addr, true
}

// decode disassembles the instruction at pc from guest memory.
func (s *Session) decode(pc uint64, syn disasm.Syntax) (disasm.Inst, error) {
	code := make([]byte, 15)
	n := s.t.PeekPrefix(pc, code)
	if n == 0 {
		return disasm.Inst{}, fmt.Errorf("cannot read memory at %#x", pc)
	}
	return disasm.Decode(code[:n], pc, syn, s.symbolizer)
}

// reportStop prints why and where the session stopped.
func (s *Session) reportStop(st target.Stop) {
	switch st.Kind {
	case target.StopExited:
		s.exited = st.Exit
		x := st.Exit
		switch {
		case x.Limit != "":
			s.printf("[guest stopped: %s]\n", x.Detail)
		case x.Signal != 0:
			s.printf("[guest killed by %s, status %d]\n", abi.SignalName(x.Signal), x.Status)
			if x.Detail != "" {
				s.printf("[%s]\n", x.Detail)
			}
		default:
			s.printf("[guest exited with status %d]\n", x.Status)
		}
		return
	case target.StopSignal:
		s.printf("Thread %d received signal %s", st.Tid, abi.SignalName(st.Signal))
		if st.Signal == abi.SIGSEGV || st.Signal == abi.SIGBUS || st.Signal == abi.SIGFPE || st.Signal == abi.SIGILL {
			s.printf(" (si_code %d, address %#x)", st.SignalCode, st.SignalAddr)
		}
		s.printf("; 'continue' runs its handler\n")
	case target.StopInsn:
		s.printf("At instruction %d\n", s.t.Insns())
	case target.StopPaused:
		s.printf("Interrupted in thread %d; the guest did not see it, and 'continue' goes on from here\n", st.Tid)
	case target.StopWatch:
		for _, bp := range s.lastHits {
			now := s.watchValue(bp)
			s.printf("Watchpoint %d: %s\nOld value = %s\nNew value = %s\n", bp.ID, bp.Loc, bp.Old, now)
			bp.Old = now
		}
	case target.StopBreakpoint, target.StopSyscall:
		for _, bp := range s.lastHits {
			kind := "Breakpoint"
			if bp.Temp {
				kind = "Temporary breakpoint"
			}
			if bp.Syscall >= 0 {
				s.printf("%s %d, syscall %s (%d) entered\n", kind, bp.ID, abi.SyscallName(st.Syscall), st.Syscall)
			} else if name := s.inlinedFrame(bp, st.PC); name != "" {
				s.printf("%s %d, %s inlined in %s\n", kind, bp.ID, name, s.where(st.PC))
			} else {
				s.printf("%s %d, %s\n", kind, bp.ID, s.where(st.PC))
			}
		}
	}
	s.frame = 0
	s.t.Select(st.Tid)
	s.printCurrent(st.PC, st.Tid)
	s.showDisplays()
}

// showDisplays prints every display expression's current value.
func (s *Session) showDisplays() {
	for _, d := range s.displays {
		s.printf("%d: %s = %s\n", d.id, d.label, s.evalString(d.expr))
	}
}

// evalString formats a Go expression's value, or the reason it has none.
func (s *Session) evalString(expr string) string {
	info, err := s.dwarf()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	v, err := info.Eval(expr, s.t)
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return v.String()
}

// inlinedFrame returns the function that bp names when pc is in an
// inlined copy of it (a breakpoint on inline sites), or "".
func (s *Session) inlinedFrame(bp *Breakpoint, pc uint64) string {
	name := strings.TrimSuffix(strings.TrimSpace(bp.Loc), ".abi0")
	for _, fr := range s.cfg.File.SourceFrames(pc) {
		if fr.Inlined && fr.Func == name {
			return name
		}
	}
	return ""
}

// printCurrent prints "=> pc where [thread tid]" and the instruction.
func (s *Session) printCurrent(pc uint64, tid int) {
	s.printf("=> %#x %s [thread %d]\n", pc, s.where(pc), tid)
	if inst, err := s.decode(pc, s.cfg.Syntax); err == nil {
		s.printf("   %#x:\t%s\n", pc, inst.Text)
	}
}

// hit updates breakpoint counters for a stop and deletes temporary ones.
func (s *Session) hit(st target.Stop) {
	s.lastHits = nil
	var keep []*Breakpoint
	for _, bp := range s.bps {
		matched := bp.Enabled && (st.Kind == target.StopBreakpoint && slices.Contains(bp.addrs(), st.PC) ||
			st.Kind == target.StopSyscall && bp.Syscall == st.Syscall ||
			st.Kind == target.StopWatch && bp.Watch && bp.Addr == st.Watch)
		if matched {
			bp.Hits++
			s.lastHits = append(s.lastHits, bp)
			if bp.Temp {
				s.disarm(bp)
				continue
			}
		}
		keep = append(keep, bp)
	}
	s.bps = keep
}

// arm gives the target what enabled breakpoint bp needs, held by the
// user: breakpoints at its addresses, its catchpoint, or its watch (whose
// value, as of now, is the one changes are shown from).
func (s *Session) arm(bp *Breakpoint) error {
	switch {
	case bp.Watch:
		bp.Old = s.watchValue(bp)
		return s.t.AddWatch(bp.Addr, bp.Size, target.User)
	case bp.Syscall >= 0:
		return s.t.CatchSyscall(bp.Syscall, target.User)
	}
	addrs := bp.addrs()
	for i, a := range addrs {
		if err := s.t.AddBreakpoint(a, target.User); err != nil {
			for _, done := range addrs[:i] {
				s.t.RemoveBreakpoint(done, target.User)
			}
			return err
		}
	}
	return nil
}

// disarm releases what arm gave the target for bp, and reports the first
// error. What other owners hold at the same places stays.
func (s *Session) disarm(bp *Breakpoint) error {
	switch {
	case bp.Watch:
		return s.t.RemoveWatch(bp.Addr, target.User)
	case bp.Syscall >= 0:
		return s.t.UncatchSyscall(bp.Syscall, target.User)
	}
	var first error
	for _, a := range bp.addrs() {
		if err := s.t.RemoveBreakpoint(a, target.User); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// run runs one of the target's ways of running and notes what happened
// on the way: threads that exited, and the breakpoints the stop hit.
func (s *Session) run(how func() target.Stop) target.Stop {
	st := how()
	s.noteExits()
	s.hit(st)
	return st
}

// noteExits prints the threads that exited since the last stop.
func (s *Session) noteExits() {
	for _, x := range s.t.TakeExits() {
		if x.Reselected != 0 {
			s.frame = 0
			s.printf("[thread %d exited; it was selected: thread %d, on the CPU, is now]\n", x.Tid, x.Reselected)
			continue
		}
		s.printf("[thread %d exited]\n", x.Tid)
	}
}

// signalStops says which signals stop the session before their handler
// runs, as gdb does by default: all but the routine ones (SIGURG is Go's
// preemption, sent many times a second).
func signalStops(sig int) bool {
	switch sig {
	case abi.SIGURG, abi.SIGCHLD, abi.SIGWINCH, abi.SIGPROF,
		abi.SIGALRM, abi.SIGVTALRM, abi.SIGIO:
		return false
	}
	return true
}

// location resolves a breakpoint or disassembly location: a function name
// (exact, without ".abi0", or a unique suffix such as "schedinit"), *ADDR,
// FILE:LINE, or a plain address. A function that has no text symbol
// because the compiler inlined it (exact name only) resolves to its first
// inline site.
func (s *Session) location(loc string) (uint64, string, error) {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return 0, "", errors.New("missing location")
	}
	if strings.HasPrefix(loc, "*") || strings.HasPrefix(loc, "0x") {
		v, err := s.evalAddr(strings.TrimPrefix(loc, "*"))
		if err != nil {
			return 0, "", err
		}
		return v, s.where(v), nil
	}
	if i := strings.LastIndexByte(loc, ':'); i > 0 {
		if line, err := strconv.Atoi(loc[i+1:]); err == nil {
			pc, full, err := s.syms.LineToPC(loc[:i], line)
			if err != nil {
				return 0, "", err
			}
			return pc, fmt.Sprintf("%s:%d", shortPath(full), line), nil
		}
	}
	sym, err := s.function(loc)
	if err != nil {
		sites, ierr := s.inlineSites(loc, err)
		if ierr != nil {
			return 0, "", ierr
		}
		return sites[0].PC, fmt.Sprintf("%s inlined in %s", loc, sites[0].Caller), nil
	}
	return sym.Addr, sym.Name, nil
}

// maxSitesShown bounds the inline sites "break" lists on its line.
const maxSitesShown = 8

// locations resolves a breakpoint location to its addresses: location's
// one, or, for a function that has no text symbol because the compiler
// inlined it, the first pc of each inlined copy of its body. The
// description is what "break" prints after "Breakpoint N at ".
func (s *Session) locations(loc string) ([]uint64, string, error) {
	loc = strings.TrimSpace(loc)
	if loc != "" && !strings.HasPrefix(loc, "*") && !strings.HasPrefix(loc, "0x") {
		if _, ferr := s.function(loc); ferr != nil {
			if sites, ierr := s.inlineSites(loc, ferr); ierr == nil {
				var addrs []uint64
				parts := make([]string, 0, maxSitesShown+1)
				for i, site := range sites {
					addrs = append(addrs, site.PC)
					if i < maxSitesShown {
						parts = append(parts, fmt.Sprintf("%#x (%s, %s:%d)", site.PC, site.Caller, shortPath(site.File), site.Line))
					}
				}
				if len(sites) > maxSitesShown {
					parts = append(parts, fmt.Sprintf("and %d more", len(sites)-maxSitesShown))
				}
				plural := "s"
				if len(sites) == 1 {
					plural = ""
				}
				name := strings.TrimSuffix(loc, ".abi0")
				return addrs, fmt.Sprintf("%s: inlined at %d site%s: %s", name, len(sites), plural, strings.Join(parts, ", ")), nil
			}
		}
	}
	addr, desc, err := s.location(loc)
	if err != nil {
		return nil, "", err
	}
	if w := s.where(addr); w != "??" {
		desc = w
	}
	return []uint64{addr}, fmt.Sprintf("%#x: %s", addr, desc), nil
}

// inlineSites returns the inline sites of the function name, for a name
// that function did not find (notFound is its error); it returns
// notFound if there are none, with why when the binary's inlining trees
// cannot be read.
func (s *Session) inlineSites(name string, notFound error) ([]loader.InlineSite, error) {
	sites, err := s.cfg.File.InlineSites(name)
	if err != nil {
		return nil, fmt.Errorf("%w (inlined functions cannot be looked up: %v)", notFound, err)
	}
	if len(sites) == 0 {
		return nil, notFound
	}
	return sites, nil
}

// function finds a text symbol by exact name, name without ".abi0", or a
// unique suffix after a '.' or '/'.
func (s *Session) function(name string) (loader.Symbol, error) {
	if sym, ok := s.syms.Func(name); ok {
		return sym, nil
	}
	// A function and its ABI wrapper count once (Symbols.Func picks the
	// real code).
	var cands []loader.Symbol
	seen := map[string]bool{}
	for _, sym := range s.syms.All() {
		if sym.Kind != 'T' {
			continue
		}
		n := strings.TrimSuffix(sym.Name, ".abi0")
		if seen[n] || !strings.HasSuffix(n, "."+name) && !strings.HasSuffix(n, "/"+name) {
			continue
		}
		seen[n] = true
		if f, ok := s.syms.Func(n); ok {
			cands = append(cands, f)
		}
	}
	switch len(cands) {
	case 0:
		return loader.Symbol{}, fmt.Errorf("no function %q", name)
	case 1:
		return cands[0], nil
	}
	names := make([]string, 0, len(cands))
	for _, c := range cands {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	if len(names) > 6 {
		names = append(names[:6], "...")
	}
	return loader.Symbol{}, fmt.Errorf("%q is ambiguous: %s", name, strings.Join(names, ", "))
}

// evalAddr evaluates an address expression: a number, a symbol, a
// register ($rsp), or a sum/difference of those ("$rsp+8", "runtime.m0+16").
func (s *Session) evalAddr(expr string) (uint64, error) {
	expr = strings.ReplaceAll(strings.TrimSpace(expr), " ", "")
	if expr == "" {
		return 0, errors.New("missing address")
	}
	var total uint64
	sign := uint64(1)
	for len(expr) > 0 {
		i := strings.IndexAny(expr[1:], "+-")
		term := expr
		rest := ""
		if i >= 0 {
			term, rest = expr[:i+1], expr[i+1:]
		}
		neg := false
		if term[0] == '+' || term[0] == '-' {
			neg = term[0] == '-'
			term = term[1:]
		}
		v, err := s.term(term)
		if err != nil {
			return 0, err
		}
		if neg {
			total -= v * sign
		} else {
			total += v * sign
		}
		expr = rest
	}
	return total, nil
}

func (s *Session) term(t string) (uint64, error) {
	if t == "" {
		return 0, errors.New("bad address expression")
	}
	if t[0] == '$' {
		r, ok := abi.ByName(strings.ToLower(t[1:]))
		if !ok {
			return 0, fmt.Errorf("no register %q", t)
		}
		return s.reg(r), nil
	}
	if v, err := strconv.ParseUint(t, 0, 64); err == nil {
		return v, nil
	}
	if sym, ok := s.syms.Lookup(t); ok {
		return sym.Addr, nil
	}
	if sym, err := s.function(t); err == nil {
		return sym.Addr, nil
	}
	return 0, fmt.Errorf("no symbol or number %q", t)
}

// reg returns register r of the selected thread as it will next see it.
func (s *Session) reg(r abi.Reg) uint64 { return s.t.Reg(r) }
