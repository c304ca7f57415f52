package syscalls

// Action is what the machine must do with the calling thread once its
// syscall has returned. Handlers ask for anything but Return by returning
// a control (see Call.yield and the others below) or a *Wait as their
// error; Dispatch turns that into an Outcome, which the machine acts on.
type Action uint8

const (
	// Return writes Outcome.RAX and lets the thread go on.
	Return Action = iota
	// Yield writes Outcome.RAX and lets the scheduler run another thread
	// first.
	Yield
	// Restored loads Outcome.Regs, the context rt_sigreturn read back,
	// together with the rest of the CPU state the machine saved when it
	// delivered the signal; RAX is not written on its own (it is
	// Regs.RAX).
	Restored
	// Block puts the thread to sleep on Outcome.Wait; Kernel.Complete
	// gives its RAX when it is woken.
	Block
	// ExitThread ends the calling thread with Outcome.Status.
	ExitThread
	// ExitGroup ends the process: with Outcome.Status, or killed by
	// Outcome.Signal when that is not 0.
	ExitGroup
)

// Outcome is a dispatched syscall's result and what the machine must do.
type Outcome struct {
	Action Action
	// RAX is the raw result, -errno for a failure (for Return and Yield;
	// for the other actions it is what the trace showed).
	RAX    uint64
	Wait   *Wait // Block
	Regs   *Regs // Restored
	Status int   // ExitThread, ExitGroup
	Signal int   // ExitGroup: the signal the process dies of, 0 for an exit
}

// control is a handler's request for an action other than Return,
// returned as its error so that handlers keep one signature. err is the
// call's own failure, if any (a frame rt_sigreturn cannot read), which is
// what the trace and RAX show.
type control struct {
	out Outcome
	err error
}

func (*control) Error() string { return "syscall control" }

// ctl fills in c's own control and returns it for the handler to return
// as its error, so that asking for an action allocates nothing.
func (c *Call) ctl(o Outcome, err error) error {
	c.control = control{out: o, err: err}
	return &c.control
}

// yield asks the scheduler to run another thread after this call.
func (c *Call) yield() error { return c.ctl(Outcome{Action: Yield}, nil) }

// exitThread ends the calling thread with status.
func (c *Call) exitThread(status int) error {
	return c.ctl(Outcome{Action: ExitThread, Status: status}, nil)
}

// exitGroup ends the process with status.
func (c *Call) exitGroup(status int) error {
	return c.ctl(Outcome{Action: ExitGroup, Status: status}, nil)
}

// killedBy ends the process as killed by sig; the call itself failed
// with err.
func (c *Call) killedBy(sig int, err error) error {
	return c.ctl(Outcome{Action: ExitGroup, Signal: sig}, err)
}

// restored resumes the thread with r instead of writing a result.
func (c *Call) restored(r *Regs) error { return c.ctl(Outcome{Action: Restored, Regs: r}, nil) }
