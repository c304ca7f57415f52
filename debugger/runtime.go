package debugger

// What the debugger knows of the Go runtime's scheduler: which g and M a
// thread is running, and where a stack continues when the pcsp tables
// end at a stack switch. Everything is read through DWARF (runtime.g,
// runtime.m), so field offsets follow the binary's own toolchain; without
// DWARF the debugger knows no g or M and follows signal frames only, which
// the stack itself describes.
//
// A thread's current g is at -8(FS base), the TLS slot every Go toolchain
// for linux/amd64 uses (go1.17 and later also keep it in R14 while in Go
// code, but assembly may not).
//
// Stack switches, as the runtime's own traceback follows them:
//   - On g0, runtime.systemstack (and mcall, morestack) called from a
//     goroutine: the goroutine's frames continue from g.m.curg.sched,
//     which the switch saved. For systemstack the saved pc is a fake one
//     in runtime.systemstack_switch, with the stack pointer of
//     systemstack's own frame; for mcall and morestack it is the return
//     address into the caller.
//   - On g0 after mcall, once the goroutine is dropped (curg is nil):
//     mcall ran its function at g0.sched.sp, which runtime.mstart1 set
//     to the frame of mstart0, so the rest of the g0 stack (mstart0,
//     mstart) continues from g0.sched.
//   - On gsignal, runtime.sigtramp: the kernel's rt_sigframe is where
//     sigtramp's return address would be (the sa_restorer, a
//     runtime.sigreturn function), followed by the ucontext (RIP and RSP in
//     its mcontext) and the siginfo. The interrupted stack belongs to
//     whichever of the M's curg and g0 has the interrupted RSP inside its
//     stack bounds.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/debugger/godwarf"
	"github.com/gouth-emu/gouth-emu/debugger/unwind"
	"github.com/gouth-emu/gouth-emu/loader"
)

// goRuntime reads the runtime's g and m structures of one guest. Without
// DWARF (info nil) it knows no g or m, and follows signal frames only.
type goRuntime struct {
	info *godwarf.Info
	mem  godwarf.Memory
}

var errNoDWARF = errors.New("no DWARF for runtime.g and runtime.m")

// gState is what the debugger uses of a runtime.g.
type gState struct {
	addr             uint64
	goid             uint64
	m                uint64 // *runtime.m running it, 0 if none
	startPC          uint64 // the goroutine's function
	lo, hi           uint64 // stack bounds
	schedPC, schedSP uint64 // saved context when switched out
}

// savedStart is where to unwind a switched-out g from: its g.sched. The
// saved pc is a return address (into gopark, Gosched, systemstack_switch)
// except for a goroutine that never ran: newproc points it at the
// function's entry.
func (g gState) savedStart(f *loader.File) unwind.Start {
	fn, ok := f.FuncAt(g.schedPC)
	entry := ok && fn.Entry == g.schedPC
	return unwind.Start{PC: g.schedPC, SP: g.schedSP, Return: !entry}
}

// onStack reports whether sp is inside the g's stack.
func (g gState) onStack(sp uint64) bool { return g.lo < g.hi && sp >= g.lo && sp < g.hi }

// mState is what the debugger uses of a runtime.m.
type mState struct {
	addr              uint64
	id                int64
	g0, curg, gsignal uint64
	procid            uint64 // the thread's id, once minit ran on it
}

// uintPath reads a dot-separated path of fields of v as an integer.
func uintPath(v godwarf.Value, path string) (uint64, error) {
	var err error
	for _, f := range strings.Split(path, ".") {
		if v, err = v.Field(f); err != nil {
			return 0, err
		}
	}
	return v.Uint()
}

func (rt *goRuntime) g(addr uint64) (gState, error) {
	if rt.info == nil {
		return gState{}, errNoDWARF
	}
	if addr == 0 {
		return gState{}, errors.New("nil g")
	}
	v, err := rt.info.At("runtime.g", addr, rt.mem)
	if err != nil {
		return gState{}, err
	}
	g := gState{addr: addr}
	for _, f := range []struct {
		path string
		dst  *uint64
	}{
		{"goid", &g.goid}, {"m", &g.m}, {"startpc", &g.startPC},
		{"stack.lo", &g.lo}, {"stack.hi", &g.hi},
		{"sched.pc", &g.schedPC}, {"sched.sp", &g.schedSP},
	} {
		if *f.dst, err = uintPath(v, f.path); err != nil {
			return gState{}, err
		}
	}
	return g, nil
}

func (rt *goRuntime) m(addr uint64) (mState, error) {
	if rt.info == nil {
		return mState{}, errNoDWARF
	}
	if addr == 0 {
		return mState{}, errors.New("nil m")
	}
	v, err := rt.info.At("runtime.m", addr, rt.mem)
	if err != nil {
		return mState{}, err
	}
	m := mState{addr: addr}
	id, err := v.Field("id")
	if err == nil {
		m.id, err = id.Int()
	}
	if err != nil {
		return mState{}, err
	}
	for _, f := range []struct {
		path string
		dst  *uint64
	}{{"g0", &m.g0}, {"curg", &m.curg}, {"gsignal", &m.gsignal}, {"procid", &m.procid}} {
		if *f.dst, err = uintPath(v, f.path); err != nil {
			return mState{}, err
		}
	}
	return m, nil
}

// tlsG returns the g in the TLS slot of a thread with FS base fs, 0 if
// there is none (FS not set up yet, or the slot is empty).
func (rt *goRuntime) tlsG(fs uint64) uint64 {
	if fs < 8 {
		return 0
	}
	var b [8]byte
	if rt.mem.Peek(fs-8, b[:]) != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b[:])
}

// threadG is tlsG for thread tid: 0 when the slot's g belongs to an M
// that minit has bound to another thread. go1.11's runtime.clone passes no
// CLONE_SETTLS (go1.19's does), so a new thread runs on its parent's FS
// base, whose TLS names the parent's M, until the child calls settls.
func (rt *goRuntime) threadG(tid int, fs uint64) uint64 {
	g := rt.tlsG(fs)
	gs, err := rt.g(g)
	if err != nil {
		return g
	}
	if ms, err := rt.m(gs.m); err == nil && ms.procid != 0 && ms.procid != uint64(tid) {
		return 0
	}
	return g
}

// owner returns the g whose stack holds sp among g itself and the g0,
// curg and gsignal of its M; 0 if none does.
func (rt *goRuntime) owner(g, sp uint64) uint64 {
	gs, err := rt.g(g)
	if err != nil {
		return 0
	}
	if gs.onStack(sp) {
		return g
	}
	ms, err := rt.m(gs.m)
	if err != nil {
		return 0
	}
	for _, c := range []uint64{ms.g0, ms.curg, ms.gsignal} {
		if cs, err := rt.g(c); err == nil && cs.onStack(sp) {
			return c
		}
	}
	return 0
}

// goRuntime returns the runtime reader, nil without a process.
func (s *Session) goRuntime() *goRuntime {
	if s.t == nil {
		return nil
	}
	rt := &goRuntime{mem: s.t}
	if info, err := s.dwarf(); err == nil {
		_, gerr := info.Type("runtime.g")
		_, merr := info.Type("runtime.m")
		if gerr == nil && merr == nil {
			rt.info = info
		}
	}
	return rt
}

// stackPart is the part of a backtrace on one stack.
type stackPart struct {
	note   string // the line that introduces it; "" for the innermost part
	g      uint64 // the g whose stack it is, 0 if not known
	frames []unwind.Frame
}

// hop is where a backtrace continues on another stack.
type hop struct {
	start unwind.Start
	g     uint64 // the g owning the new stack, 0 if unknown
	note  string
}

// maxStackParts bounds the stacks one backtrace crosses.
const maxStackParts = 8

// stacks unwinds from (pc, sp) on a thread with FS base fs, following
// stack switches, and returns at most max frames in all. The error is
// that of the last part's walk, as unwind.Unwind reports it.
func (s *Session) stacks(pc, sp, fs uint64, max int) ([]stackPart, error) {
	rt := s.goRuntime()
	var g uint64
	if rt != nil {
		g = rt.owner(rt.tlsG(fs), sp)
	}
	start := unwind.Start{PC: pc, SP: sp}
	var parts []stackPart
	note, n := "", 0
	seen := map[unwind.Start]bool{}
	for {
		seen[start] = true
		frames, err := unwind.Walk(s.cfg.File, s.t, start, max-n)
		if err != nil && isCloneChild(frames) {
			err = errCloneChild
		}
		parts = append(parts, stackPart{note: note, g: g, frames: frames})
		n += len(frames)
		if rt == nil || len(frames) == 0 || errors.Is(err, unwind.ErrMaxFrames) || len(parts) == maxStackParts {
			return parts, err
		}
		h, ok := rt.next(s.cfg.File, g, frames[len(frames)-1], err)
		if !ok || seen[h.start] {
			return parts, err
		}
		if n >= max {
			return parts, unwind.ErrMaxFrames
		}
		start, g, note = h.start, h.g, h.note
	}
}

// errCloneChild ends the backtrace of a thread that clone just made: its
// stack is fresh, and what lies above the frame is not a return address.
var errCloneChild = errors.New("a new thread still in runtime.clone, on a fresh stack nothing called into; clone calls mstart next")

// isCloneChild reports whether a walk that failed ended in runtime.clone:
// the parent's clone unwinds like any call, so that is the child's.
func isCloneChild(frames []unwind.Frame) bool {
	return len(frames) > 0 && strings.TrimSuffix(frames[len(frames)-1].Func, ".abi0") == "runtime.clone"
}

// next decides where a walk on g's stack that ended at frame last with
// err goes on.
func (rt *goRuntime) next(f *loader.File, g uint64, last unwind.Frame, err error) (hop, bool) {
	// g and its M, when known: a signal frame is followed without them.
	var (
		gs gState
		ms mState
	)
	if g != 0 {
		var gerr, merr error
		gs, gerr = rt.g(g)
		if gerr == nil {
			ms, merr = rt.m(gs.m)
		}
		if gerr != nil || merr != nil {
			g, gs, ms = 0, gState{}, mState{}
		}
	}
	var sw *unwind.SwitchError
	switch {
	case errors.As(err, &sw) && g != 0 && g == ms.g0:
		switch sw.Func {
		case "runtime.systemstack", "runtime.mcall", "runtime.morestack":
		default:
			return hop{}, false
		}
		if ms.curg != 0 {
			cg, cerr := rt.g(ms.curg)
			if cerr != nil || cg.m != ms.addr || cg.schedPC == 0 || !cg.onStack(cg.schedSP) {
				return hop{}, false
			}
			return hop{
				start: unwind.Start{PC: cg.schedPC, SP: cg.schedSP, Return: sw.Func != "runtime.systemstack"},
				g:     ms.curg,
				note:  fmt.Sprintf("--- switched to goroutine %d stack ---", cg.goid),
			}, true
		}
		if sw.Func == "runtime.mcall" && gs.schedPC != 0 && gs.schedSP > last.SP && gs.onStack(gs.schedSP) {
			return hop{
				start: unwind.Start{PC: gs.schedPC, SP: gs.schedSP, Return: true},
				g:     g,
				note:  "--- continued from g0.sched, the base of the g0 stack ---",
			}, true
		}
	case err == nil && last.Func == "runtime.sigtramp":
		return rt.signalHop(f, ms, last)
	}
	return hop{}, false
}

// Signal frame layout (syscalls/signal.go, Linux's rt_sigframe): the
// restorer address where sigtramp's return address would be, then the
// ucontext, then the siginfo.
const (
	ucMcontext = 40 // uc_mcontext in the ucontext
	ucSize     = 40 + 256 + 8
	gregRSP    = 15
	gregRIP    = 16
)

// signalHop finds the context a signal interrupted from the frame of
// runtime.sigtramp, the handler's entry on the M's gsignal stack.
func (rt *goRuntime) signalHop(f *loader.File, ms mState, tramp unwind.Frame) (hop, bool) {
	delta, ok := f.SPDelta(tramp.CallPC)
	if !ok {
		return hop{}, false
	}
	frame := tramp.SP + uint64(delta)
	var b [8]byte
	word := func(addr uint64) (uint64, bool) {
		if rt.mem.Peek(addr, b[:]) != nil {
			return 0, false
		}
		return binary.LittleEndian.Uint64(b[:]), true
	}
	// The kernel's frame starts with the handler's return address, the
	// sa_restorer Go installs: without it this is no signal frame.
	restorer, ok := word(frame)
	if !ok {
		return hop{}, false
	}
	if fn, ok := f.FuncAt(restorer); !ok || !strings.HasPrefix(fn.Name, "runtime.sigreturn") {
		return hop{}, false
	}
	uc := frame + 8
	rip, ok1 := word(uc + ucMcontext + 8*gregRIP)
	rsp, ok2 := word(uc + ucMcontext + 8*gregRSP)
	if !ok1 || !ok2 || rsp == 0 {
		return hop{}, false
	}
	if _, ok := f.FuncAt(rip); !ok {
		return hop{}, false
	}
	sig := ""
	if rt.mem.Peek(uc+ucSize, b[:4]) == nil {
		if n := int(binary.LittleEndian.Uint32(b[:4])); n > 0 && n <= abi.NSIG {
			sig = abi.SignalName(n)
		}
	}
	where := "the interrupted stack"
	var owner uint64
find:
	for _, c := range []uint64{ms.curg, ms.g0, ms.gsignal} {
		cs, err := rt.g(c)
		if err != nil || !cs.onStack(rsp) {
			continue
		}
		owner = c
		switch c {
		case ms.g0:
			where = "g0 stack"
		case ms.gsignal:
			where = "gsignal stack"
		default:
			where = fmt.Sprintf("goroutine %d stack", cs.goid)
		}
		break find
	}
	note := "--- switched to " + where
	if sig != "" {
		note += ", interrupted by " + sig
	}
	return hop{start: unwind.Start{PC: rip, SP: rsp}, g: owner, note: note + " ---"}, true
}

// threadLabel describes the M and g thread tid, with FS base fs, runs:
// "M0 G1 (runtime.main)", "M2 g0", "M0 g0 (curg G1 runtime.main)"; "" when
// unknown.
func (s *Session) threadLabel(rt *goRuntime, tid int, fs uint64) string {
	if rt == nil {
		return ""
	}
	gs, err := rt.g(rt.threadG(tid, fs))
	if err != nil {
		return ""
	}
	ms, err := rt.m(gs.m)
	if err != nil {
		if gs.goid == 0 {
			return ""
		}
		return fmt.Sprintf("G%d (%s)", gs.goid, s.funcName(gs.startPC))
	}
	switch gs.addr {
	case ms.g0:
		l := fmt.Sprintf("M%d g0", ms.id)
		if cg, err := rt.g(ms.curg); err == nil && cg.m == ms.addr {
			l += fmt.Sprintf(" (curg G%d %s)", cg.goid, s.funcName(cg.startPC))
		}
		return l
	case ms.gsignal:
		return fmt.Sprintf("M%d gsignal", ms.id)
	}
	return fmt.Sprintf("M%d G%d (%s)", ms.id, gs.goid, s.funcName(gs.startPC))
}

// funcName names the function at pc, "?" if none.
func (s *Session) funcName(pc uint64) string {
	if sym, _, ok := s.syms.ByAddr(pc); ok {
		return strings.TrimSuffix(sym.Name, ".abi0")
	}
	return "?"
}
