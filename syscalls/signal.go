package syscalls

import "encoding/binary"

// Signal state. This issue keeps the bookkeeping Linux does (actions,
// per-thread masks and alternate stacks) so the runtime's set-up succeeds and
// reads back what it wrote; delivering signals into the guest comes later.

// sigaction is the kernel's struct sigaction for x86-64.
type sigaction struct {
	handler, flags, restorer, mask uint64
}

const (
	SIG_DFL = 0
	SIG_IGN = 1
)

type altStack struct {
	sp    uint64
	flags int32
	size  uint64
}

type signalState struct {
	actions [NSIG + 1]sigaction
	masks   map[int]uint64   // per thread
	alt     map[int]altStack // per thread
}

func (s *signalState) init() {
	s.masks = map[int]uint64{}
	s.alt = map[int]altStack{}
}

func sysRtSigaction(c *Call) (uint64, error) {
	sig := int(c.int32(0))
	if c.uint(3) != 8 || sig < 1 || sig > NSIG {
		return 0, EINVAL
	}
	act, oldPtr := c.ptr(1), c.ptr(2)
	old := c.K.sig.actions[sig]
	if act != 0 {
		if sig == SIGKILL || sig == SIGSTOP {
			return 0, EINVAL
		}
		b, err := c.read(act, 32)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		c.K.sig.actions[sig] = sigaction{le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])}
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
		return 0, EINVAL
	}
	old := c.K.sig.masks[c.Tid]
	if set != 0 {
		m, err := c.readU64(set)
		if err != nil {
			return 0, err
		}
		const unblockable = 1<<(SIGKILL-1) | 1<<(SIGSTOP-1)
		switch how {
		case SIG_BLOCK:
			m = old | m
		case SIG_UNBLOCK:
			m = old &^ m
		case SIG_SETMASK:
		default:
			return 0, EINVAL
		}
		c.K.sig.masks[c.Tid] = m &^ unblockable
	}
	if oldset != 0 {
		return 0, c.writeU64(oldset, old)
	}
	return 0, nil
}

func sysSigaltstack(c *Call) (uint64, error) {
	ss, oldss := c.ptr(0), c.ptr(1)
	old, ok := c.K.sig.alt[c.Tid]
	if !ok {
		old.flags = SS_DISABLE
	}
	if ss != 0 {
		b, err := c.read(ss, 24)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		n := altStack{sp: le.Uint64(b), flags: int32(le.Uint32(b[8:])), size: le.Uint64(b[16:])}
		if n.flags&^SS_DISABLE != 0 {
			return 0, EINVAL
		}
		const minSigStkSz = 2048
		if n.flags&SS_DISABLE == 0 && n.size < minSigStkSz {
			return 0, ENOMEM
		}
		c.K.sig.alt[c.Tid] = n
	}
	if oldss != 0 {
		b := make([]byte, 24)
		le := binary.LittleEndian
		le.PutUint64(b, old.sp)
		le.PutUint32(b[8:], uint32(old.flags))
		le.PutUint64(b[16:], old.size)
		return 0, c.write(oldss, b)
	}
	return 0, nil
}

// sysTgkill handles signals a guest sends to itself. Signal delivery into
// the guest is not built yet: a signal whose action is to terminate ends the
// process as Linux would (status 128+N); SIGURG, the runtime's preemption
// request, is dropped (Go then preempts cooperatively); others are dropped
// with a warning.
func sysTgkill(c *Call) (uint64, error) {
	if c.int32(0) != Pid {
		return 0, ESRCH
	}
	return c.K.sendSelf(c, int(c.int32(2)))
}

func sysTkill(c *Call) (uint64, error) { return c.K.sendSelf(c, int(c.int32(1))) }

func sysKill(c *Call) (uint64, error) {
	if pid := c.int32(0); pid != Pid && pid != 0 {
		return 0, EPERM
	}
	return c.K.sendSelf(c, int(c.int32(1)))
}

func (k *Kernel) sendSelf(c *Call, sig int) (uint64, error) {
	if sig < 0 || sig > NSIG {
		return 0, EINVAL
	}
	if sig == 0 {
		return 0, nil
	}
	act := k.sig.actions[sig]
	switch {
	case sig == SIGKILL || act.handler == SIG_DFL && defaultTerminates(sig):
		k.KilledBy = sig
		c.M.Exit(128+sig, true)
	case act.handler == SIG_IGN || act.handler == SIG_DFL:
	case sig == SIGURG:
	default:
		if !k.warnedSig[sig] {
			k.warnedSig[sig] = true
			k.warnf("warning: %s sent to a handler; signal delivery is not emulated yet, dropped", SignalName(sig))
		}
	}
	return 0, nil
}

// defaultTerminates reports whether SIG_DFL for sig ends the process.
func defaultTerminates(sig int) bool {
	switch sig {
	case SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
		return false
	}
	return true
}
