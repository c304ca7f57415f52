// Package emu is gouth-emu's machine: one Unicorn CPU shared by the guest's
// threads, the guest address space, the initial process image, and the run
// loop that turns syscalls, faults and quanta into scheduling decisions.
package emu

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	uc "github.com/unicorn-engine/unicorn/bindings/go/unicorn"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/emu/sched"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// Config describes one guest process.
type Config struct {
	Args []string // argv, argv[0] included
	Env  []string // KEY=VALUE

	Cpus   int       // CPUs the guest sees (sched_getaffinity); default 2
	Stdin  io.Reader // guest fd 0
	Stdout io.Writer // guest fd 1
	Stderr io.Writer // guest fd 2
	Warn   io.Writer // gouth-emu's own warnings
	Trace  io.Writer // strace-style syscall lines, nil for none

	MaxInsns uint64          // stop after this many instructions; 0: no limit
	Timeout  time.Duration   // host wall-clock limit; 0: none
	MemLimit uint64          // bytes of writable private memory the guest may commit; 0: chosen to fit the host (Host.Budget)
	FS       syscalls.FSMode // the guest's view of the host filesystem (ro, rw, none)
	Quantum  int64           // instructions a thread runs before another gets the CPU
	History  int             // keep the last History syscalls for the debugger
	// Events, if set, hears about threads and syscalls as they happen, on
	// the instruction clock (for --trace-out and timelines).
	Events Events
	// Host is what the host allows (memory, ulimit -v, cgroup, overcommit);
	// nil: ReadHost("/").
	Host *Host
}

// WritesHost reports whether the guest may change host files (--fs rw):
// running it again would change them again.
func (c Config) WritesHost() bool { return c.FS == syscalls.FSReadWrite }

// Events receives what happened in the guest, with instruction counts. It
// is called from the run loop; implementations must not call back into the
// machine.
type Events interface {
	ThreadStart(tid, parent int, insn uint64)
	ThreadExit(tid int, insn uint64)
	Syscall(tid, nr int, start, end uint64)
}

// DefaultQuantum is long enough that switches are rare next to the work
// done, short enough that a spinning thread cannot hold up a stop-the-world.
const DefaultQuantum = 200_000

// nsPerInsn is the virtual clock's rate: one instruction is one nanosecond.
const nsPerInsn = 1

// Memory layout of the process image.
const (
	stackTop  = 0x7ffffffff000
	stackSize = 8 << 20
	mmapTop   = 0x7f0000000000
)

// Exit says how the guest ended.
type Exit struct {
	Status int    // the process exit status (128+N when killed by signal N)
	Signal int    // the signal that killed it, 0 if it exited
	Limit  string // the limit that stopped it ("max-insns", "timeout", "deadlock"), "" if none
	Detail string // one line for the user, "" for a normal exit
}

// Stats are the counters --stats prints.
type Stats struct {
	Insns, Blocks, Syscalls, Threads uint64
	Signals                          uint64 // handler frames built
	SyscallsByName                   map[string]uint64
	Virtual                          time.Duration
	Wall                             time.Duration
	PeakCommitted                    uint64 // bytes
}

// Machine is one emulated process. It is not safe for concurrent use,
// except Stop, which may be called from any goroutine.
type Machine struct {
	cfg    Config
	sizes  Budget // the host resources behind the guest
	file   *loader.File
	eng    *engine
	space  *mem.Space
	sched  *sched.Scheduler
	kernel *syscalls.Kernel

	cur     *sched.Thread
	nextTid int
	exited  *Exit
	lastSt  int // exit status of the last thread to exit

	keep        bool            // the current thread keeps the CPU
	budget      int64           // what is left of its quantum
	pendingSys  *pendingSyscall // stopped at the entry of this syscall
	last        Stop            // the last stop reported by Continue
	timer       *time.Timer     // --timeout
	breakpoints map[uint64]breakpoint
	watches     []watch
	sigStop     func(int) bool // Resume.SignalStop of the running Continue
	signalStop  *Stop          // a signal stop to report
	pendingSig  *pendingSignal // its signal, delivered on the next Continue
	exitedTids  []int          // threads that exited, for the debugger
	slices      []Slice        // who ran when (Slices)

	stopFlag   atomic.Int32 // why Stop was called: stopTimeout, stopInterrupt
	pause      atomic.Bool  // Pause was called and no Continue has returned for it yet
	hostSigs   atomic.Int32 // Ctrl-Cs not yet sent to the guest
	interrupts int          // Ctrl-Cs sent to the guest
	signals    uint64       // handler frames built
	peakPages  uint64
	wall       time.Duration
}

// thread is the machine's per-thread state, kept in sched.Thread.Ctx.
type thread struct {
	ctx *context
	// sigSaved holds the full CPU state at each signal delivery whose
	// handler has not returned yet, innermost last.
	sigSaved []*context
}

func (th *thread) free() {
	th.ctx.free()
	for _, c := range th.sigSaved {
		c.free()
	}
	th.sigSaved = nil
}

// New loads f into a fresh machine, ready to run from its entry point.
func New(f *loader.File, cfg Config) (*Machine, error) {
	if cfg.Cpus <= 0 {
		cfg.Cpus = 2
	}
	if cfg.Quantum <= 0 {
		cfg.Quantum = DefaultQuantum
	}
	host := cfg.Host
	if host == nil {
		h := ReadHost("/")
		host = &h
	}
	b, err := host.Budget(cfg.MemLimit)
	if err != nil {
		return nil, err
	}
	eng, b, err := reserve(*host, b, cfg.MemLimit != 0)
	if err != nil {
		return nil, err
	}
	cfg.MemLimit = b.Limit
	m := &Machine{cfg: cfg, sizes: b, file: f, eng: eng, space: mem.New(mmapTop), nextTid: syscalls.Pid}
	m.kernel = syscalls.NewKernel(syscalls.Config{
		Cpus: cfg.Cpus, ExePath: f.Path,
		Stdin: cfg.Stdin, Stdout: cfg.Stdout, Stderr: cfg.Stderr,
		Warn: cfg.Warn, Trace: cfg.Trace, RandSeed: 1, FS: cfg.FS,
		History: cfg.History, Insns: func() uint64 { return eng.insns() },
		OnSyscall: onSyscall(cfg.Events),
	})
	m.sched = sched.New(m.kernel.Complete)
	if err := m.load(); err != nil {
		eng.close()
		return nil, err
	}
	return m, nil
}

func onSyscall(ev Events) func(tid, nr int, start, end uint64) {
	if ev == nil {
		return nil
	}
	return ev.Syscall
}

// Close releases the Unicorn instance and guest memory.
func (m *Machine) Close() {
	for _, t := range m.sched.Threads() {
		t.Ctx.(*thread).free()
	}
	m.eng.close()
}

// insnSlack is how close to Resume.Insn a run gets without the stepping
// hook: more than the longest translation block, so a block that crosses
// the point always runs with the hook counting its instructions.
const insnSlack = 1024

// stopTimeout is the reason Stop records.
const stopTimeout = 1

// Stop asks a running machine to stop as if its timeout expired. It may be
// called from any goroutine.
func (m *Machine) Stop() {
	m.stopFlag.CompareAndSwap(0, stopTimeout)
	m.eng.requestStop()
}

// Pause makes the running Continue (or, if none runs, the next one)
// return StopPaused soon, between two blocks of guest code. The guest
// does not see it: the thread keeps the rest of its quantum, so the
// schedule and the instruction counts are those of a run that never
// stopped. It is the debugger's Ctrl-C, and may be called from any
// goroutine while the machine is open.
func (m *Machine) Pause() {
	m.pause.Store(true)
	m.eng.requestStop()
}

// Interrupt sends SIGINT to the guest, as the user's Ctrl-C would; a third
// one stops the guest even if it handles or ignores SIGINT. It may be
// called from any goroutine.
func (m *Machine) Interrupt() {
	m.hostSigs.Add(1)
	m.eng.requestStop()
}

// Kernel exposes the emulated kernel (for stats and the debugger).
func (m *Machine) Kernel() *syscalls.Kernel { return m.kernel }

// Space exposes the address space (for maps views).
func (m *Machine) Space() *mem.Space { return m.space }

// Run runs the guest until it exits or a limit stops it.
func (m *Machine) Run() (*Exit, error) {
	for {
		if st := m.Continue(Resume{}); st.Kind == StopExited {
			return st.Exit, nil
		}
	}
}

// Continue runs the guest until it exits, a limit stops it, or one of the
// debugging conditions in r (or a breakpoint) is met.
func (m *Machine) Continue(r Resume) Stop {
	start := time.Now()
	defer func() { m.wall += time.Since(start) }()
	if m.cfg.Timeout > 0 && m.timer == nil {
		m.timer = time.AfterFunc(m.cfg.Timeout, m.Stop)
	}
	stepsLeft := r.Steps
	// The step hook also checks the watchpoints.
	m.eng.stepHook(r.Steps > 0 || len(m.watches) > 0)
	// Resuming at the breakpoint we stopped at, or at a point a goto reached,
	// executes its instruction: the stop is already where the guest is.
	if (m.last.Kind == StopBreakpoint || m.last.Kind == StopInsn) && m.cur != nil && m.last.Tid == m.cur.Tid &&
		m.eng.reg(uc.X86_REG_RIP) == m.last.PC {
		m.eng.setBPSkip(m.last.PC)
	}
	m.sigStop = r.SignalStop
	m.resumeSignal()
	st := m.resume(r, &stepsLeft)
	m.sigStop = nil
	if r.Steps > 0 {
		st.StepsLeft = stepsLeft
	}
	m.eng.setBPSkip(0)
	m.last = st
	return st
}

func (m *Machine) resume(r Resume, stepsLeft *int64) Stop {
	for m.exited == nil {
		if m.stopFlag.Load() == stopTimeout {
			m.exited = &Exit{Status: 124, Limit: "timeout", Detail: fmt.Sprintf("stopped by --timeout %v", m.cfg.Timeout)}
			break
		}
		if n := m.hostSigs.Swap(0); n > 0 {
			m.interrupts += int(n)
			if m.interrupts >= 3 {
				m.exited = &Exit{Status: 128 + abi.SIGINT, Signal: abi.SIGINT, Detail: "stopped by a third Ctrl-C"}
				break
			}
			m.kernel.SendProcess(abi.SIGINT, syscalls.SigInfo{Code: abi.SI_KERNEL})
			m.interruptSleepers()
			m.keep = false
		}
		if m.cur != nil && m.pause.Swap(false) {
			return Stop{Kind: StopPaused, Tid: m.cur.Tid, PC: m.eng.reg(uc.X86_REG_RIP)}
		}
		if r.Insn > 0 && m.cur != nil && m.eng.insns() >= r.Insn {
			return Stop{Kind: StopInsn, Tid: m.cur.Tid, PC: m.eng.reg(uc.X86_REG_RIP)}
		}
		// A syscall the debugger stopped at the entry of runs first.
		if m.pendingSys != nil {
			ps := m.pendingSys
			m.pendingSys = nil
			m.keep = m.dispatch(ps.nr, ps.args) && m.budget > 0
			continue
		}
		t, err := m.sched.Next(m.cur, m.keep)
		if dl := asDeadlock(err); dl != nil {
			m.exited = &Exit{Status: 124, Limit: "deadlock", Detail: dl.Error()}
			break
		}
		if t == nil {
			m.exited = &Exit{Status: m.lastSt}
			break
		}
		if t != m.cur || !m.keep {
			m.budget = m.cfg.Quantum
		}
		m.switchTo(t)
		budget := m.budget
		if m.cfg.MaxInsns > 0 {
			if m.eng.insns() >= m.cfg.MaxInsns {
				m.exited = &Exit{Status: 124, Limit: "max-insns", Detail: fmt.Sprintf("stopped after %d instructions (--max-insns)", m.eng.insns())}
				break
			}
			budget = min(budget, int64(m.cfg.MaxInsns-m.eng.insns()))
		}
		m.deliverPending()
		if m.exited != nil {
			break
		}
		if st := m.signalStop; st != nil {
			m.signalStop = nil
			return *st
		}
		stepping := r.Steps > 0 && t.Tid == r.Tid
		left := *stepsLeft
		var withheld int64 // budget kept back from this run, still the thread's
		exact := false
		if r.Insn > 0 && r.Steps == 0 {
			// Run hook-free to within insnSlack of the point, then count
			// instructions with the stepping hook to stop exactly there.
			switch rem := r.Insn - m.eng.insns(); {
			case rem <= insnSlack:
				m.eng.stepHook(true)
				stepping, left, exact = true, int64(rem), true
			case int64(rem-insnSlack) < budget:
				withheld = budget - int64(rem-insnSlack)
				budget -= withheld
			}
		}
		m.eng.setStep(stepping, left)
		var stop *Stop
		before := m.eng.insns()
		m.keep, m.budget, stop = m.step(budget, withheld, r)
		m.logSlice(t.Tid, before, m.eng.insns())
		if stepping && !exact {
			*stepsLeft = m.eng.stepLeft()
		}
		if stop != nil {
			if exact && stop.Kind == StopStep {
				stop.Kind = StopInsn
			}
			return *stop
		}
		if st := m.signalStop; st != nil {
			m.signalStop = nil
			return *st
		}
	}
	m.eng.stepHook(false)
	return Stop{Kind: StopExited, Exit: m.exited}
}

// step runs the current thread once for budget instructions, withheld
// more being left of its quantum, and handles why it stopped. It returns
// whether the thread should keep the CPU, its remaining budget, and a stop
// to report to the debugger, if any.
func (m *Machine) step(budget, withheld int64, r Resume) (bool, int64, *Stop) {
	before := m.eng.insns()
	err := m.eng.run(m.eng.reg(uc.X86_REG_RIP), budget)
	reason := m.eng.stopReason()
	if reason == stopBreak || reason == stopStep || reason == stopWatch || (err != nil && reason == stopNone) {
		m.eng.uncountRest(m.eng.reg(uc.X86_REG_RIP), m.PeekPrefix)
	}
	m.sched.Advance(int64(m.eng.insns()-before) * nsPerInsn)
	if c := m.eng.committed(); c > m.peakPages {
		m.peakPages = c
	}
	left := m.eng.budget() + withheld
	tid := m.cur.Tid
	switch reason {
	case stopSyscall:
		nr, args := m.eng.syscall()
		if r.SyscallStop != nil && r.SyscallStop(int(nr)) {
			m.pendingSys = &pendingSyscall{nr, args}
			return true, left, &Stop{Kind: StopSyscall, Tid: tid, PC: m.eng.reg(uc.X86_REG_RIP) - 2, Syscall: int(nr)}
		}
		keep := m.dispatch(nr, args)
		if st := m.watchStop(); st != nil && m.exited == nil {
			return keep && left > 0, left, st
		}
		return keep && left > 0, left, nil
	case stopBudget:
		// Preempted right after a write to a watched range: report it now,
		// as this thread's, before another thread runs. A run that used
		// only what was not withheld is not a preemption.
		if left > 0 {
			return true, left, m.watchStop()
		}
		return false, 0, m.watchStop()
	case stopIntr:
		m.exception(m.eng.intno())
		return false, 0, nil
	case stopBreak:
		return true, left, &Stop{Kind: StopBreakpoint, Tid: tid, PC: m.eng.stopPC()}
	case stopStep:
		return true, left, &Stop{Kind: StopStep, Tid: tid, PC: m.eng.stopPC()}
	case stopWatch:
		return true, left, m.watchReport(m.eng.watchHit(), m.eng.stopPC())
	case stopRequest:
		return true, left, nil
	}
	if err != nil {
		m.fault(err)
		return false, 0, nil
	}
	// The engine stopped without a reason: only Stop and Interrupt do that.
	return true, left, nil
}

// dispatch runs the current thread's syscall and reports whether the
// thread may go on running.
func (m *Machine) dispatch(nr uint64, args [6]uint64) bool {
	return m.act(m.kernel.Dispatch(m, nr, args))
}

// act carries out a syscall's outcome for the current thread: the one
// place where a handler's request reaches the CPU and the scheduler. It
// reports whether the thread may go on running.
func (m *Machine) act(o syscalls.Outcome) bool {
	t := m.cur
	if m.exited != nil {
		return false
	}
	switch o.Action {
	case syscalls.ExitGroup:
		if o.Signal != 0 {
			m.fatalSignal(o.Signal, 0, false)
		} else {
			m.exited = &Exit{Status: o.Status}
		}
		return false
	case syscalls.ExitThread:
		m.lastSt = o.Status
		if m.cfg.Events != nil {
			m.cfg.Events.ThreadExit(t.Tid, m.eng.insns())
		}
		m.sched.Exit(t)
		m.exitedTids = append(m.exitedTids, t.Tid)
		m.kernel.ThreadExited(t.Tid)
		t.Ctx.(*thread).free()
		m.interruptSleepers() // a signal it left pending goes to another thread
		return false
	case syscalls.Block:
		m.sched.Block(t, o.Wait)
		m.interruptSleepers() // a signal may already be waiting for it
		return false
	case syscalls.Restored:
		m.sigreturn(o.Regs)
	default: // Return, Yield
		m.eng.setReg(uc.X86_REG_RAX, o.RAX)
	}
	m.interruptSleepers()
	return o.Action != syscalls.Yield
}

// sigreturn resumes the current thread from a signal handler: the general
// registers and the x87/SSE state are r, what the handler left in its
// frame; the rest of the CPU state (FS base, segment state) comes from the
// snapshot taken when the signal was delivered.
func (m *Machine) sigreturn(r *syscalls.Regs) {
	th := m.cur.Ctx.(*thread)
	if n := len(th.sigSaved); n > 0 {
		snap := th.sigSaved[n-1]
		th.sigSaved = th.sigSaved[:n-1]
		m.eng.restore(snap)
		snap.free()
	}
	m.setRegs(*r)
}

// switchTo makes t the thread on the CPU, saving the previous one.
func (m *Machine) switchTo(t *sched.Thread) {
	if m.cur != t {
		if m.cur != nil && m.cur.State != sched.Exited {
			m.eng.save(m.cur.Ctx.(*thread).ctx)
		}
		m.eng.restore(t.Ctx.(*thread).ctx)
		m.cur = t
	}
	// Pay what the scheduler owes the thread (nextReg says what that is).
	if t.Pending {
		m.eng.setReg(uc.X86_REG_RAX, m.nextReg(t, abi.RAX))
	}
	if t.Rewind { // restart the interrupted syscall
		m.eng.setReg(uc.X86_REG_RIP, m.nextReg(t, abi.RIP))
	}
	t.Pending, t.Rewind = false, false
}

// Stats returns the run's counters.
func (m *Machine) Stats() Stats {
	ks := m.kernel.Stats
	byName := make(map[string]uint64, len(ks.ByName))
	for k, v := range ks.ByName {
		byName[k] = v
	}
	return Stats{
		Insns: m.eng.insns(), Blocks: m.eng.blocks(), Syscalls: ks.Syscalls,
		Threads: ks.Threads, SyscallsByName: byName, Signals: m.signals,
		Virtual: time.Duration(m.sched.Now()), Wall: m.wall,
		PeakCommitted: m.peakPages * mem.PageSize,
	}
}
