package syscalls

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/gouth-emu/gouth-emu/abi"
)

func getuid() int { return os.Getuid() }

// Signals: actions, per-thread masks, alternate stacks and pending sets, as
// Linux keeps them, and the rt_sigframe the kernel builds on delivery. The
// emulator decides when a thread returns to user mode and calls Dequeue,
// BuildFrame and Sigreturn; the layout work is here so it is tested without
// Unicorn.

// sigaction is the kernel's struct sigaction for x86-64.
type sigaction struct {
	handler, flags, restorer, mask uint64
}

// SigInfo is the part of siginfo_t the emulator fills in.
type SigInfo struct {
	Signo int
	Code  int32
	Addr  uint64 // faulting address, for SIGSEGV, SIGBUS, SIGILL, SIGFPE
	Pid   uint32 // sender, for SI_USER and SI_TKILL
	Uid   uint32
}

type altStack struct {
	sp    uint64
	flags int32
	size  uint64
}

func (a altStack) enabled() bool { return a.flags&abi.SS_DISABLE == 0 && a.size > 0 }

func (a altStack) contains(sp uint64) bool {
	return a.enabled() && sp > a.sp && sp <= a.sp+a.size
}

// threadSignals is one thread's signal state.
type threadSignals struct {
	mask    uint64
	alt     altStack
	pending uint64
	info    [abi.NSIG + 1]SigInfo
}

type signalState struct {
	actions     [abi.NSIG + 1]sigaction
	threads     map[int]*threadSignals
	procPending uint64
	procInfo    [abi.NSIG + 1]SigInfo
}

func (s *signalState) init() {
	s.threads = map[int]*threadSignals{}
	for i := range s.actions {
		s.actions[i].handler = abi.SIG_DFL
	}
}

func (s *signalState) thread(tid int) *threadSignals {
	t := s.threads[tid]
	if t == nil {
		t = &threadSignals{alt: altStack{flags: abi.SS_DISABLE}}
		s.threads[tid] = t
	}
	return t
}

func sigbit(sig int) uint64 { return 1 << uint(sig-1) }

const unblockable = 1<<(abi.SIGKILL-1) | 1<<(abi.SIGSTOP-1)

// ThreadCreated gives a new thread the signal mask of its creator, as clone
// does. The alternate stack is not inherited by threads.
func (k *Kernel) ThreadCreated(parent, child int) {
	k.sig.thread(child).mask = k.sig.thread(parent).mask
}

// ThreadExited forgets a thread's signal state.
func (k *Kernel) ThreadExited(tid int) { delete(k.sig.threads, tid) }

// SendThread makes sig pending for thread tid (tgkill, tkill, faults).
func (k *Kernel) SendThread(tid, sig int, info SigInfo) {
	t := k.sig.thread(tid)
	if t.pending&sigbit(sig) == 0 {
		info.Signo = sig
		t.info[sig] = info
	}
	t.pending |= sigbit(sig)
}

// SendProcess makes sig pending for the process (kill, the host's Ctrl-C):
// the first thread that does not block it takes it.
func (k *Kernel) SendProcess(sig int, info SigInfo) {
	if k.sig.procPending&sigbit(sig) == 0 {
		info.Signo = sig
		k.sig.procInfo[sig] = info
	}
	k.sig.procPending |= sigbit(sig)
}

// ignored reports whether delivering sig now would do nothing at all.
func (k *Kernel) ignored(sig int) bool {
	h := k.sig.actions[sig].handler
	return h == abi.SIG_IGN || h == abi.SIG_DFL && !defaultTerminates(sig)
}

// Deliverable reports the lowest signal thread tid would take now: pending
// for it or for the process, and not blocked. 0 if none.
func (k *Kernel) Deliverable(tid int) int {
	t := k.sig.thread(tid)
	set := (t.pending | k.sig.procPending) &^ (t.mask &^ unblockable)
	for sig := 1; sig <= abi.NSIG; sig++ {
		if set&sigbit(sig) != 0 {
			return sig
		}
	}
	return 0
}

// ThreadPending reports whether sig is pending for thread tid itself.
func (k *Kernel) ThreadPending(tid, sig int) bool {
	return k.sig.thread(tid).pending&sigbit(sig) != 0
}

// AnyPending reports whether any signal is pending, for the process or
// for any thread, blocked or not.
func (k *Kernel) AnyPending() bool {
	if k.sig.procPending != 0 {
		return true
	}
	for _, t := range k.sig.threads {
		if t.pending != 0 {
			return true
		}
	}
	return false
}

// ProcessPending reports whether some process-directed signal is pending.
func (k *Kernel) ProcessPending() bool { return k.sig.procPending != 0 }

// Blocks reports whether thread tid blocks sig.
func (k *Kernel) Blocks(tid, sig int) bool { return k.sig.thread(tid).mask&sigbit(sig) != 0 }

// Dequeue removes and returns the next signal thread tid takes, skipping
// signals whose action is to ignore them. ok is false when none is left.
func (k *Kernel) Dequeue(tid int) (info SigInfo, ok bool) {
	t := k.sig.thread(tid)
	for {
		sig := k.Deliverable(tid)
		if sig == 0 {
			return SigInfo{}, false
		}
		if t.pending&sigbit(sig) != 0 && t.mask&sigbit(sig) == 0 || sig == abi.SIGKILL {
			t.pending &^= sigbit(sig)
			info = t.info[sig]
		} else {
			k.sig.procPending &^= sigbit(sig)
			info = k.sig.procInfo[sig]
		}
		if info.Signo == 0 {
			info.Signo = sig
		}
		if !k.ignored(sig) {
			return info, true
		}
	}
}

// Disposition says what delivering sig does.
type Disposition int

const (
	Ignore    Disposition = iota // nothing
	Terminate                    // the default action ends the process
	Handle                       // a handler runs: build a frame
)

// Disposition returns what delivering sig to the process does now.
func (k *Kernel) Disposition(sig int) Disposition {
	switch h := k.sig.actions[sig].handler; {
	case sig == abi.SIGKILL:
		return Terminate
	case h == abi.SIG_IGN:
		return Ignore
	case h == abi.SIG_DFL:
		if defaultTerminates(sig) {
			return Terminate
		}
		return Ignore
	}
	return Handle
}

// ForceSynchronous prepares a synchronous fault signal as Linux's
// force_sig does: if the thread blocks it or ignores it, the signal cannot
// be handled and its action becomes the default (terminate).
func (k *Kernel) ForceSynchronous(tid, sig int) {
	t := k.sig.thread(tid)
	blocked := t.mask&sigbit(sig) != 0
	if blocked || k.sig.actions[sig].handler == abi.SIG_IGN {
		k.sig.actions[sig] = sigaction{handler: abi.SIG_DFL}
		t.mask &^= sigbit(sig)
	}
}

// Restarts reports whether a syscall interrupted by sig restarts rather
// than failing with EINTR (SA_RESTART on a handled signal).
func (k *Kernel) Restarts(sig int) bool {
	a := k.sig.actions[sig]
	return a.handler != abi.SIG_DFL && a.handler != abi.SIG_IGN && a.flags&abi.SA_RESTART != 0
}

// Interrupted gives the result of a sleeping call cut short by sig: the
// value for RAX and whether the thread must re-execute the syscall
// instruction (RIP - 2, RAX = the syscall number) instead. w must not be
// used afterwards.
func (k *Kernel) Interrupted(w *Wait, sig int) (rax uint64, restart bool) {
	c := w.call
	nr := c.Nr
	if k.Restarts(sig) && restartable(c) {
		c.restarted = true
		if k.cfg.Trace != nil {
			fmt.Fprintln(k.cfg.Trace, k.FormatCall(c))
		}
		k.recycle(c)
		return uint64(nr), true
	}
	rax = k.finish(c, 0, abi.EINTR)
	k.recycle(c)
	return rax, false
}

// restartable reports whether Linux restarts call c after a handler with
// SA_RESTART ran (it returns -ERESTARTSYS), rather than failing it with
// EINTR whatever the flag says: sleeps and waits with a timeout return
// -ERESTART_RESTARTBLOCK, and poll-like waits -ERESTARTNOHAND, which a
// handler turns into EINTR (arch/x86/kernel/signal.c, handle_signal).
func restartable(c *Call) bool {
	switch abi.SyscallName(c.Nr) {
	case "nanosleep", "clock_nanosleep",
		"epoll_wait", "epoll_pwait", "epoll_pwait2", "poll", "ppoll", "select", "pselect6",
		"pause", "rt_sigsuspend", "rt_sigtimedwait":
		return false
	case "futex":
		// FUTEX_WAIT and FUTEX_WAIT_BITSET restart only without a timeout.
		return c.Args[3] == 0
	}
	return true
}

// Regs are the general registers a signal frame saves and restores.
type Regs struct {
	R8, R9, R10, R11, R12, R13, R14, R15 uint64
	RDI, RSI, RBP, RBX, RDX, RAX, RCX    uint64
	RSP, RIP, EFLAGS                     uint64
	Err, Trapno, CR2                     uint64  // fault details for the frame
	FP                                   FPState // x87 and SSE state, the frame's fpstate
}

// Frame layout (arch/x86/include/asm/sigframe.h, uapi/asm/sigcontext.h).
const (
	ucOff       = 8         // struct ucontext after the return address
	ucStackOff  = 16        // uc_stack within ucontext
	mcontextOff = 40        // uc_mcontext within ucontext
	fpstatePtr  = 40 + 23*8 // uc_mcontext.fpstate
	sigmaskOff  = 40 + 256  // uc_sigmask
	ucSize      = sigmaskOff + 8
	siginfoOff  = ucOff + ucSize
	frameSize   = siginfoOff + 128
	fpstateSize = 512 // FXSAVE layout
	redZone     = 128

	// Selectors Linux uses for 64-bit user code: CS 0x33, SS 0x2b.
	csgsfs = 0x33 | 0x2b<<48

	ucFlags = 0x2 | 0x4 // UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS

	// EFLAGS bits user space may change through sigreturn.
	fixEflags = 0x40dd5
)

func (r *Regs) gregs(oldmask uint64) [23]uint64 {
	return [23]uint64{
		r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
		r.RDI, r.RSI, r.RBP, r.RBX, r.RDX, r.RAX, r.RCX, r.RSP, r.RIP,
		r.EFLAGS, csgsfs, r.Err, r.Trapno, oldmask, r.CR2,
	}
}

// BuildFrame delivers info to thread tid, whose registers are regs: it
// writes an rt_sigframe on the thread's stack (or its alternate stack, with
// SA_ONSTACK), updates the signal mask and returns the registers the handler
// starts with. An error means the frame could not be written; Linux then
// kills the process with SIGSEGV.
func (k *Kernel) BuildFrame(m Machine, tid int, info SigInfo, regs Regs) (Regs, error) {
	sig := info.Signo
	act := k.sig.actions[sig]
	t := k.sig.thread(tid)

	sp := regs.RSP
	onAlt := t.alt.contains(sp)
	if act.flags&abi.SA_ONSTACK != 0 && t.alt.enabled() && !onAlt {
		sp = t.alt.sp + t.alt.size
	} else {
		sp -= redZone
	}
	fpstate := (sp - fpstateSize) &^ 63
	frame := ((fpstate - frameSize) &^ 15) - 8 // (frame + 8) % 16 == 0, as after a call

	b := make([]byte, frameSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], act.restorer)
	uc := b[ucOff:]
	le.PutUint64(uc[0:], ucFlags)
	ssFlags := int32(0)
	switch {
	case !t.alt.enabled():
		ssFlags = abi.SS_DISABLE
	case onAlt:
		ssFlags = abi.SS_ONSTACK
	}
	le.PutUint64(uc[ucStackOff:], t.alt.sp)
	le.PutUint32(uc[ucStackOff+8:], uint32(ssFlags))
	le.PutUint64(uc[ucStackOff+16:], t.alt.size)
	for i, v := range regs.gregs(t.mask) {
		le.PutUint64(uc[mcontextOff+8*i:], v)
	}
	le.PutUint64(uc[fpstatePtr:], fpstate)
	le.PutUint64(uc[sigmaskOff:], t.mask)
	si := b[siginfoOff:]
	le.PutUint32(si[0:], uint32(sig))
	le.PutUint32(si[8:], uint32(info.Code))
	switch sig {
	case abi.SIGSEGV, abi.SIGBUS, abi.SIGILL, abi.SIGFPE, abi.SIGTRAP:
		if info.Code > 0 {
			le.PutUint64(si[16:], info.Addr)
			break
		}
		fallthrough
	default:
		le.PutUint32(si[16:], info.Pid)
		le.PutUint32(si[20:], info.Uid)
	}

	// The fpstate is the thread's FXSAVE image with sw_reserved left zero:
	// magic1 = 0 says the frame has no XSAVE extended state, which is true
	// (the emulated CPU has no AVX state to save), so readers of
	// _fpx_sw_bytes never look for an XSAVE header or FP_XSTATE_MAGIC2
	// past byte 512; Linux's own sigreturn then takes it as FXSAVE only.
	if err := m.WriteMem(fpstate, regs.FP.fxsave()); err != nil {
		return regs, err
	}
	if err := m.WriteMem(frame, b); err != nil {
		return regs, err
	}

	t.mask |= act.mask
	if act.flags&abi.SA_NODEFER == 0 {
		t.mask |= sigbit(sig)
	}
	t.mask &^= unblockable
	if act.flags&abi.SA_RESETHAND != 0 {
		k.sig.actions[sig] = sigaction{handler: abi.SIG_DFL}
	}

	h := regs
	h.RDI, h.RSI, h.RDX, h.RAX = uint64(sig), frame+siginfoOff, frame+ucOff, 0
	h.RSP, h.RIP = frame, act.handler
	h.EFLAGS &^= 0x100 | 0x400 | 0x10000 // TF, DF, RF
	h.FP = InitFPState                   // as fpu__clear_user_states does
	return h, nil
}

// Sigreturn reads the ucontext a handler returns through (at rsp, the stack
// pointer of the rt_sigreturn syscall) and gives back the registers to
// resume with, restoring the signal mask and alternate stack from it. The
// x87 and SSE state comes from the FXSAVE image uc_mcontext.fpstate points
// to, as the handler left it; a null pointer resets it (InitFPState). As
// on Linux, whose FXRSTOR of the image faults, an image that is unreadable,
// not 16-byte aligned or has MXCSR bits outside MXCSRMask makes sigreturn
// fail (the caller then raises SIGSEGV).
func (k *Kernel) Sigreturn(m Machine, tid int, rsp uint64, cur Regs) (Regs, error) {
	uc := make([]byte, ucSize)
	if err := m.ReadMem(rsp, uc); err != nil {
		return cur, abi.EFAULT
	}
	le := binary.LittleEndian
	var g [23]uint64
	for i := range g {
		g[i] = le.Uint64(uc[mcontextOff+8*i:])
	}
	r := Regs{
		R8: g[0], R9: g[1], R10: g[2], R11: g[3], R12: g[4], R13: g[5], R14: g[6], R15: g[7],
		RDI: g[8], RSI: g[9], RBP: g[10], RBX: g[11], RDX: g[12], RAX: g[13], RCX: g[14],
		RSP: g[15], RIP: g[16],
		EFLAGS: cur.EFLAGS&^fixEflags | g[17]&fixEflags,
		FP:     InitFPState,
	}
	if fp := le.Uint64(uc[fpstatePtr:]); fp != 0 {
		if fp%16 != 0 {
			return cur, abi.EFAULT
		}
		img := make([]byte, fpstateSize)
		if err := m.ReadMem(fp, img); err != nil {
			return cur, abi.EFAULT
		}
		var ok bool
		if r.FP, ok = fxrstor(img); !ok {
			return cur, abi.EFAULT
		}
	}
	t := k.sig.thread(tid)
	t.mask = le.Uint64(uc[sigmaskOff:]) &^ unblockable
	alt := altStack{sp: le.Uint64(uc[ucStackOff:]), flags: int32(le.Uint32(uc[ucStackOff+8:])), size: le.Uint64(uc[ucStackOff+16:])}
	if alt.flags&abi.SS_ONSTACK == 0 { // like do_sigaltstack: cannot change it while on it
		t.alt = alt
	}
	return r, nil
}

// sysRtSigreturn restores the context saved by BuildFrame from the frame
// at the stack pointer. Its result is the restored RAX, which is also what
// the trace shows. A frame it cannot read kills the process with SIGSEGV.
func sysRtSigreturn(c *Call) (uint64, error) {
	r, err := c.K.Sigreturn(c.M, c.Tid, c.M.RSP(), c.M.Regs())
	if err != nil {
		return 0, c.killedBy(abi.SIGSEGV, err)
	}
	return r.RAX, c.restored(&r)
}

func sysRtSigaction(c *Call) (uint64, error) {
	sig := int(c.int32(0))
	if c.uint(3) != 8 || sig < 1 || sig > abi.NSIG {
		return 0, abi.EINVAL
	}
	act, oldPtr := c.ptr(1), c.ptr(2)
	old := c.K.sig.actions[sig]
	if act != 0 {
		if sig == abi.SIGKILL || sig == abi.SIGSTOP {
			return 0, abi.EINVAL
		}
		b, err := c.read(act, 32)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		c.K.sig.actions[sig] = sigaction{le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:]) &^ unblockable}
		// Setting an ignoring action discards pending instances (POSIX).
		if c.K.ignored(sig) {
			c.K.sig.procPending &^= sigbit(sig)
			for _, t := range c.K.sig.threads {
				t.pending &^= sigbit(sig)
			}
		}
	}
	if oldPtr != 0 {
		b := make([]byte, 32)
		le := binary.LittleEndian
		le.PutUint64(b, old.handler)
		le.PutUint64(b[8:], old.flags)
		le.PutUint64(b[16:], old.restorer)
		le.PutUint64(b[24:], old.mask)
		return 0, c.write(oldPtr, b)
	}
	return 0, nil
}

func sysRtSigprocmask(c *Call) (uint64, error) {
	how, set, oldset := c.int32(0), c.ptr(1), c.ptr(2)
	if c.uint(3) != 8 {
		return 0, abi.EINVAL
	}
	t := c.K.sig.thread(c.Tid)
	old := t.mask
	if set != 0 {
		m, err := c.readU64(set)
		if err != nil {
			return 0, err
		}
		switch how {
		case abi.SIG_BLOCK:
			m = old | m
		case abi.SIG_UNBLOCK:
			m = old &^ m
		case abi.SIG_SETMASK:
		default:
			return 0, abi.EINVAL
		}
		t.mask = m &^ unblockable
	}
	if oldset != 0 {
		return 0, c.writeU64(oldset, old)
	}
	return 0, nil
}

func sysRtSigpending(c *Call) (uint64, error) {
	if c.uint(1) != 8 {
		return 0, abi.EINVAL
	}
	t := c.K.sig.thread(c.Tid)
	return 0, c.writeU64(c.ptr(0), (t.pending|c.K.sig.procPending)&t.mask)
}

func sysSigaltstack(c *Call) (uint64, error) {
	ss, oldss := c.ptr(0), c.ptr(1)
	t := c.K.sig.thread(c.Tid)
	old := t.alt
	sp := c.M.RSP()
	if ss != 0 {
		b, err := c.read(ss, 24)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		n := altStack{sp: le.Uint64(b), flags: int32(le.Uint32(b[8:])), size: le.Uint64(b[16:])}
		if n.flags&^abi.SS_DISABLE != 0 {
			return 0, abi.EINVAL
		}
		if old.contains(sp) {
			return 0, abi.EPERM
		}
		const minSigStkSz = 2048
		if n.flags&abi.SS_DISABLE == 0 && n.size < minSigStkSz {
			return 0, abi.ENOMEM
		}
		if n.flags&abi.SS_DISABLE != 0 {
			n = altStack{flags: abi.SS_DISABLE}
		}
		t.alt = n
	}
	if oldss != 0 {
		b := make([]byte, 24)
		le := binary.LittleEndian
		flags := old.flags
		if old.contains(sp) {
			flags = abi.SS_ONSTACK
		}
		le.PutUint64(b, old.sp)
		le.PutUint32(b[8:], uint32(flags))
		le.PutUint64(b[16:], old.size)
		return 0, c.write(oldss, b)
	}
	return 0, nil
}

// sysTgkill, sysTkill and sysKill send signals within the emulated process;
// other processes do not exist.
func sysTgkill(c *Call) (uint64, error) {
	if c.int32(0) != Pid {
		return 0, abi.ESRCH
	}
	return c.K.sendTo(c, int(c.int32(1)), int(c.int32(2)))
}

func sysTkill(c *Call) (uint64, error) { return c.K.sendTo(c, int(c.int32(0)), int(c.int32(1))) }

func sysKill(c *Call) (uint64, error) {
	// The emulated process is alone: its own pid, its process group (0 or
	// -Pid) and "everyone" (-1) reach it; any other process does not exist.
	if pid := c.int32(0); pid != Pid && pid != 0 && pid != -1 && pid != -Pid {
		return 0, abi.ESRCH
	}
	sig := int(c.int32(1))
	if sig < 0 || sig > abi.NSIG {
		return 0, abi.EINVAL
	}
	if sig != 0 {
		c.K.SendProcess(sig, SigInfo{Code: abi.SI_USER, Pid: Pid, Uid: uint32(getuid())})
	}
	return 0, nil
}

func (k *Kernel) sendTo(c *Call, tid, sig int) (uint64, error) {
	if sig < 0 || sig > abi.NSIG || tid <= 0 {
		return 0, abi.EINVAL
	}
	if !c.M.HasThread(tid) {
		return 0, abi.ESRCH
	}
	if sig != 0 {
		k.SendThread(tid, sig, SigInfo{Code: abi.SI_TKILL, Pid: Pid, Uid: uint32(getuid())})
	}
	return 0, nil
}

// defaultTerminates reports whether SIG_DFL for sig ends the process.
// Stop signals are treated as ignored: there is no job control.
func defaultTerminates(sig int) bool {
	switch sig {
	case abi.SIGCHLD, abi.SIGCONT, abi.SIGURG, abi.SIGWINCH, abi.SIGSTOP, abi.SIGTSTP, abi.SIGTTIN, abi.SIGTTOU:
		return false
	}
	return true
}
