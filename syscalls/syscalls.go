// Package syscalls is gouth-emu's Linux: the x86-64 system call table, one
// handler per implemented call, and the process-wide kernel state those
// handlers share (descriptors, signal actions, epoll sets). It sees the
// emulated machine only through the Machine interface, so it is tested
// without Unicorn.
package syscalls

import (
	"errors"
	"fmt"
	"io"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Machine is what a handler may ask of the emulated machine. It is
// implemented by package emu, and by a fake in tests. All methods are called
// from the emulator's single run loop; none of them may block the host.
type Machine interface {
	// ReadMem and WriteMem copy guest memory; a bad pointer is EFAULT.
	ReadMem(addr uint64, p []byte) error
	WriteMem(addr uint64, p []byte) error
	// Access checks that n bytes at addr may be read (or written) without
	// copying anything.
	Access(addr, n uint64, write bool) error

	// Mmap, Munmap and Mprotect change the anonymous guest address space with
	// Linux semantics; errors are Errno values.
	Mmap(addr, length uint64, prot, flags int) (uint64, error)
	Munmap(addr, length uint64) error
	Mprotect(addr, length uint64, prot int) error
	// Discard drops the contents of a mapped range (MADV_DONTNEED): the
	// pages read as zeros afterwards.
	Discard(addr, length uint64) error

	// Tid is the calling guest thread.
	Tid() int
	// FSBase and SetFSBase read and write the calling thread's FS base (TLS).
	FSBase() uint64
	SetFSBase(v uint64)
	// Clone creates a thread that shares the address space and resumes after
	// the syscall instruction with RAX = 0 and RSP = stack (if non-zero), and
	// FS base = tls when flags has CLONE_SETTLS. It returns the new tid.
	Clone(flags, stack, tls uint64) (int, error)

	// RSP reads the calling thread's stack pointer; Regs reads the
	// registers a signal frame holds.
	RSP() uint64
	Regs() Regs
	// HasThread reports whether thread tid exists.
	HasThread(tid int) bool

	// FutexWake makes up to n threads waiting on addr runnable, in the order
	// they started waiting, and returns how many it woke.
	FutexWake(addr uint64, n int) int
	// Now is the virtual clock in nanoseconds since boot.
	Now() int64

	// Proc describes the process for /proc/self: argv, environment, the
	// address space, its size and resident memory, the live threads.
	Proc() ProcInfo
}

// Wait is returned (as the error) by a handler whose thread must sleep. The
// scheduler keeps the thread off the CPU until Ready reports true, a futex
// wake names Addr, or the virtual clock reaches Deadline; then Done computes
// the syscall's result.
type Wait struct {
	Kind     string      // "futex", "sleep", "epoll", "read": for thread listings and deadlock reports
	Addr     uint64      // the futex word, for Kind "futex"
	Deadline int64       // virtual ns; NoDeadline if the wait is unbounded
	Ready    func() bool // nil unless readiness is polled (pipes, epoll)
	// Done gives the result once the thread is woken; timedOut tells why.
	Done func(timedOut bool) (uint64, error)

	call *Call // the call being completed, for the trace
}

// NoDeadline marks a wait without timeout.
const NoDeadline = int64(-1)

func (w *Wait) Error() string { return "blocked in " + w.Kind }

// Call is one system call in flight. Calls are recycled by the Kernel
// once finished (see Kernel.newCall), so nothing may keep a *Call, or a
// Wait it returned, after the call's result went to the guest.
type Call struct {
	Nr        int
	Args      [6]uint64
	M         Machine
	K         *Kernel
	Tid       int
	ret       uint64
	err       error
	done      bool
	restarted bool   // interrupted by a signal, to be restarted
	start     uint64 // instruction count at entry
	outBuf    []byte // bytes the call returned to the guest, for the trace

	// wait is the Wait a sleeping call returns (see block), and control
	// the action another handler asks for (see ctl), so that neither
	// allocates.
	wait    Wait
	control control
	// scratch holds the few bytes a handler copies to or from the guest
	// (a timespec, a signal mask, a futex word) without a heap allocation.
	scratch [16]byte
	// ep, epBuf and epMax are a sleeping epoll_wait's arguments, read by
	// epReady and epDone; those are made once per Call and kept across
	// reuse.
	ep      *epollFile
	epBuf   uint64
	epMax   int
	epReady func() bool
	epDone  func(bool) (uint64, error)
	free    bool // in the Kernel's free list
}

// block makes the calling thread sleep: it returns c's own Wait, filled
// in, for the handler to return as its error.
func (c *Call) block(kind string, addr uint64, deadline int64, ready func() bool, done func(bool) (uint64, error)) *Wait {
	c.wait = Wait{Kind: kind, Addr: addr, Deadline: deadline, Ready: ready, Done: done, call: c}
	return &c.wait
}

// newCall returns a zeroed Call for nr, from the free list when it can.
func (k *Kernel) newCall(m Machine, nr uint64, args [6]uint64) *Call {
	var c *Call
	if n := len(k.freeCalls); n > 0 {
		c = k.freeCalls[n-1]
		k.freeCalls = k.freeCalls[:n-1]
		ready, done := c.epReady, c.epDone
		*c = Call{epReady: ready, epDone: done}
	} else {
		c = new(Call)
	}
	c.Nr, c.Args, c.M, c.K, c.Tid = int(nr), args, m, k, m.Tid()
	return c
}

// recycle puts a finished (or dropped) call back on the free list. A call
// recycled twice (a Wait completed twice) is kept only once.
func (k *Kernel) recycle(c *Call) {
	if c.free || len(k.freeCalls) >= maxFreeCalls {
		return
	}
	c.free = true
	c.M, c.err, c.outBuf, c.ep, c.wait, c.control = nil, nil, nil, nil, Wait{}, control{}
	k.freeCalls = append(k.freeCalls, c)
}

// maxFreeCalls bounds the free list: more calls than this are in flight
// only when that many threads sleep at once.
const maxFreeCalls = 64

// Handler implements one system call. It returns the result or an Errno;
// when the machine must do more than write the result to RAX, the error
// is instead a *Wait (the thread sleeps) or one of the Call's controls
// (yield, exitThread, exitGroup, killedBy, restored).
type Handler func(c *Call) (uint64, error)

// Entry describes one Linux x86-64 system call.
type Entry struct {
	Handler Handler // nil: not implemented, the guest gets ENOSYS
	Args    []Arg   // how strace shows each argument
	Note    string  // what is supported and what is not
}

// Dispatch runs system call nr for the calling thread and returns what the
// machine must do, with the value for RAX; for Block the RAX value comes
// later from Complete. Dispatch (through finish) is the single place where
// handler errors become -errno.
func (k *Kernel) Dispatch(m Machine, nr uint64, args [6]uint64) Outcome {
	c := k.newCall(m, nr, args)
	if k.cfg.Insns != nil {
		c.start = k.cfg.Insns()
	}
	k.Stats.Syscalls++
	var e *Entry
	if nr < uint64(len(Table)) && abi.SyscallName(int(nr)) != "" {
		e = &Table[nr]
	}
	if e == nil || e.Handler == nil {
		k.warnUnimplemented(c)
		ret := k.finish(c, 0, abi.ENOSYS)
		k.recycle(c)
		return Outcome{RAX: ret}
	}
	k.Stats.ByName[abi.SyscallName(int(nr))]++
	v, err := k.safeCall(e.Handler, c)
	if w := asWait(err); w != nil {
		w.call = c
		return Outcome{Action: Block, Wait: w}
	}
	var out Outcome
	if ct, ok := err.(*control); ok {
		out, err = ct.out, ct.err
	}
	out.RAX = k.finish(c, v, err)
	k.recycle(c)
	return out
}

// asWait returns err as a *Wait, or nil if it is not one. Handlers return
// their Wait unwrapped; the type assertion keeps the common case free of
// the allocation errors.As costs.
func asWait(err error) *Wait {
	switch e := err.(type) {
	case nil, abi.Errno, *control:
		return nil
	case *Wait:
		return e
	}
	var w *Wait
	if errors.As(err, &w) {
		return w
	}
	return nil
}

// Complete finishes a call that slept; the result goes to the sleeper's
// RAX. w must not be used afterwards.
func (k *Kernel) Complete(w *Wait, timedOut bool) uint64 {
	c := w.call
	v, err := w.Done(timedOut)
	ret := k.finish(c, v, err)
	k.recycle(c)
	return ret
}

// safeCall runs a handler, turning a Go panic (a bug in gouth-emu, provoked by
// whatever the guest passed) into EFAULT plus a warning, so a guest can never
// crash the host process.
func (k *Kernel) safeCall(h Handler, c *Call) (v uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			k.warnf("internal error in %s: %v (returned EFAULT)", callName(c.Nr), r)
			v, err = 0, abi.EFAULT
		}
	}()
	return h(c)
}

// finish converts a handler's outcome into the raw RAX value and traces it.
func (k *Kernel) finish(c *Call, v uint64, err error) uint64 {
	ret := v
	if err != nil {
		ret = uint64(-int64(k.errno(c, err)))
		k.Stats.Errors++
	}
	c.ret, c.err, c.done = ret, err, true
	if k.cfg.Trace != nil {
		fmt.Fprintln(k.cfg.Trace, k.FormatCall(c))
	}
	if k.cfg.History > 0 {
		k.remember(c)
	}
	if k.cfg.OnSyscall != nil && k.cfg.Insns != nil {
		k.cfg.OnSyscall(c.Tid, c.Nr, c.start, k.cfg.Insns())
	}
	return ret
}

// errno is the Errno a handler's error stands for: the error itself, one it
// wraps, or EIO with a warning for anything else (a bug in a handler).
func (k *Kernel) errno(c *Call, err error) abi.Errno {
	if en, ok := err.(abi.Errno); ok {
		return en
	}
	var en abi.Errno
	if errors.As(err, &en) {
		return en
	}
	k.warnf("%s: %v (returned EIO)", callName(c.Nr), err)
	return abi.EIO
}

// pastCall is one entry of the history ring. Most calls are kept raw and
// formatted only when History is asked for: formatting every call made a
// debugger session with many syscalls measurably slower. Calls whose trace
// reads guest memory (paths, buffers, timespecs, CPU masks) are formatted
// at once, while that memory still holds what the call saw.
type pastCall struct {
	nr, tid int
	args    [6]uint64
	ret     uint64
	failed  bool
	insns   uint64 // the instruction count when it finished, if Config.Insns is set
	line    string // the formatted call, if made eagerly
}

// remember appends c to the history ring.
func (k *Kernel) remember(c *Call) {
	// Only finished calls come here: a restarted one is not finished.
	p := pastCall{nr: c.Nr, tid: c.Tid, args: c.Args, ret: c.ret, failed: c.err != nil}
	if k.cfg.Insns != nil {
		p.insns = k.cfg.Insns()
	}
	if readsMemory(c.Nr) {
		p.line = k.FormatCall(c)
	}
	if len(k.history) < k.cfg.History {
		k.history = append(k.history, p)
		return
	}
	k.history[k.histNext] = p
	k.histNext = (k.histNext + 1) % len(k.history)
}

// readsMemory reports whether the trace of syscall nr reads guest memory.
func readsMemory(nr int) bool {
	if nr < 0 || nr >= len(Table) {
		return false
	}
	for _, a := range Table[nr].Args {
		switch a {
		case Path, InBuf, OutBuf, Timespec, CPUMask:
			return true
		}
	}
	return false
}

// format renders p as the trace line, prefixed with its instruction count.
func (k *Kernel) format(p *pastCall) string {
	line := p.line
	if line == "" {
		c := Call{Nr: p.nr, Tid: p.tid, Args: p.args, ret: p.ret, done: true}
		if p.failed {
			c.err = abi.Errno(-int64(p.ret))
		}
		line = k.FormatCall(&c)
	}
	if k.cfg.Insns != nil {
		line = fmt.Sprintf("insn %-10d %s", p.insns, line)
	}
	return line
}

// History returns the last n syscalls, oldest first.
func (k *Kernel) History(n int) []string {
	total := len(k.history)
	n = min(n, total)
	out := make([]string, 0, n)
	for i := total - n; i < total; i++ {
		out = append(out, k.format(&k.history[(k.histNext+i)%total]))
	}
	return out
}

func (k *Kernel) warnUnimplemented(c *Call) {
	if k.warned[c.Nr] {
		return
	}
	k.warned[c.Nr] = true
	k.warnf("warning: syscall %d (%s) not implemented, returned ENOSYS", c.Nr, callName(c.Nr))
}

func (k *Kernel) warnf(format string, args ...any) {
	if k.cfg.Warn != nil {
		fmt.Fprintf(k.cfg.Warn, "gouth-emu: "+format+"\n", args...)
	}
}

func callName(nr int) string {
	if nr >= 0 && nr < len(Table) && abi.SyscallName(nr) != "" {
		return abi.SyscallName(nr)
	}
	return "unknown"
}

// Config is what the kernel needs from the command line.
type Config struct {
	Cpus     int       // CPUs reported by sched_getaffinity
	ExePath  string    // absolute path answered for /proc/self/exe
	Stdin    io.Reader // guest fd 0
	Stdout   io.Writer // guest fd 1
	Stderr   io.Writer // guest fd 2
	Warn     io.Writer // one-line warnings ("gouth-emu: warning: ...")
	Trace    io.Writer // strace-style lines, nil for none
	RandSeed uint64    // seed of getrandom's deterministic stream
	// History > 0 keeps the last History syscalls, strace style, for the
	// debugger; Insns stamps them with the instruction count.
	History int
	Insns   func() uint64
	// OnSyscall, if set, is told of every finished call: the calling
	// thread, the number, and the instruction counts at entry and at
	// completion (later than entry for calls that slept).
	OnSyscall func(tid, nr int, start, end uint64)
	FS        FSMode // what the guest may do to the host filesystem
}

// Stats counts what the guest asked for.
type Stats struct {
	Syscalls uint64
	Errors   uint64
	Threads  uint64 // created by clone
	ByName   map[string]uint64
}

// Kernel is the process-wide state of the emulated Linux. It is used from
// the emulator's run loop only and is not safe for concurrent use.
type Kernel struct {
	cfg    Config
	fds    *fdTable
	sig    signalState
	warned map[int]bool
	rng    uint64

	history  []pastCall // ring of the last cfg.History calls
	histNext int

	freeCalls []*Call      // finished calls for reuse (newCall, recycle)
	ioBuf     []byte       // write's copy of the guest's bytes, reused
	epEvents  []epollEvent // epoll_wait's ready events, reused
	epBytes   []byte       // and their guest layout

	clearTID    map[int]uint64 // tid -> clear_child_tid address
	rlimits     map[int]rlimit
	threadNames map[int]string
	keepCaps    map[int]bool         // PR_SET_KEEPCAPS, per thread as in Linux
	fifos       map[fifoID]*fifoEnds // the guest's open FIFO ends
	fsys        fsState              // working directory and umask (path.go)
	groups      []uint32             // supplementary groups (proc.go)

	// Stats counts what the guest asked for.
	Stats Stats
}

// NewKernel returns a kernel with stdio on descriptors 0, 1 and 2.
func NewKernel(cfg Config) *Kernel {
	if cfg.Cpus <= 0 {
		cfg.Cpus = 2
	}
	k := &Kernel{
		cfg:    cfg,
		warned: map[int]bool{},
		rng:    cfg.RandSeed ^ 0x9e3779b97f4a7c15,
		Stats:  Stats{ByName: map[string]uint64{}},

		clearTID:    map[int]uint64{},
		rlimits:     defaultRlimits(),
		threadNames: map[int]string{},
		keepCaps:    map[int]bool{},
		fsys:        newFSState(cfg.FS),
		groups:      hostGroups(),
	}
	k.fds = newFDTable(cfg)
	k.fds.max = int(k.rlimits[abi.RLIMIT_NOFILE].cur)
	k.sig.init()
	return k
}

// arg helpers keep handlers short.
func (c *Call) int(i int) int64   { return int64(c.Args[i]) }
func (c *Call) int32(i int) int32 { return int32(c.Args[i]) }
func (c *Call) uint(i int) uint64 { return c.Args[i] }
func (c *Call) fd(i int) int      { return int(int32(c.Args[i])) }
func (c *Call) ptr(i int) uint64  { return c.Args[i] }
func (c *Call) u32(i int) uint32  { return uint32(c.Args[i]) }
