// Package gdbstub serves gdb's remote serial protocol over a target: gdb,
// or any client of the protocol, debugs the emulated process as it would
// a process under gdbserver. It is a front end of package target, beside
// the step debugger, and speaks to the client through gdbstub/rsp.
//
// The server is all-stop: the client resumes every thread and gets one
// stop reply when the target stops. Every guest thread is a client
// thread whose id is its tid. Breakpoints (Z0, Z1) and write
// watchpoints (Z2) are the target's, held by target.FrontEnd: memory is
// never patched. It runs forward only for now, and registers cannot be
// written (the target has no register writes).
package gdbstub

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
	"github.com/gouth-emu/gouth-emu/target"
)

// Target is what the server needs of a target; *target.Target has it.
// Tests serve a fake.
type Target interface {
	Continue(target.Resume) target.Stop
	StepInstruction(n int64) target.Stop
	Interrupt()
	Threads() []target.ThreadInfo
	ThreadReg(tid int, r abi.Reg) (uint64, error)
	Select(tid int)
	Selected() int
	PeekPrefix(addr uint64, p []byte) int
	Poke(addr uint64, p []byte) error
	AddBreakpoint(addr uint64, o target.Owner) error
	RemoveBreakpoint(addr uint64, o target.Owner) error
	AddWatch(addr uint64, n int, o target.Owner) error
	RemoveWatch(addr uint64, o target.Owner) error
	SetSignalStops(stop func(sig int) bool)
	Exited() *target.Exit
}

var _ Target = (*target.Target)(nil)

// maxPacket is the packet size the server advertises and accepts.
const maxPacket = rsp.DefaultMaxPacket

// ErrKilled is Serve's report that the client killed the guest (k,
// vKill) or detached from it (D); the caller ends it.
var ErrKilled = errors.New("gdbstub: the client killed or detached from the guest")

// server is one client's session with a target.
type server struct {
	t Target
	c *rsp.Conn

	// stepTid is the thread Hc named for s and S, 0 for the selected one.
	stepTid int
	// breaks holds the Z0/Z1 breakpoints inserted, by address, with the
	// packet type that inserted them ('0' software, '1' hardware): a
	// repeated Z is one hold, as the protocol asks Z to be idempotent.
	breaks map[breakKey]bool
	// watches holds the Z2 watchpoints inserted: address and length.
	watches map[watchKey]bool
	// pass holds the gdb signal numbers QPassSignals said not to stop for.
	pass map[int]bool
	// threadsDoc is the qXfer:threads document being paged, made at the
	// request for offset 0, so that its pages agree.
	threadsDoc []byte

	// Packets come from one reader goroutine, one per request on want,
	// so that none is being read while the Conn's mode changes
	// (QStartNoAckMode) and a running target can be interrupted.
	want    chan struct{}
	in      chan incoming
	pending bool       // a request is on want, its packet not yet taken
	held    []incoming // read while the target ran, for after its stop reply

	// after, if set, runs once the reply is written.
	after func()
	// end makes Serve return ErrKilled after the reply.
	end bool
}

type breakKey struct {
	addr uint64
	kind byte
}

type watchKey struct {
	addr uint64
	n    int
}

// incoming is what the reader read: a packet, or the error that ended it.
type incoming struct {
	p   rsp.Packet
	err error
}

// errNoReply is a handler's way to say that its packet gets no reply (k).
var errNoReply = errors.New("no reply")

// Serve serves one client on rw until it disconnects (nil, even in the
// middle of a packet or a run), kills the guest or detaches (ErrKilled),
// or the connection fails. Client input never ends it otherwise: a packet
// it cannot carry out gets an error reply. It sets the target's signal
// stops (gdb's QPassSignals). The caller closes rw afterwards, which ends
// the goroutine reading it, and owns the target: Serve leaves it as it is,
// breakpoints included.
func Serve(rw io.ReadWriter, t Target) error {
	s := newServer(rw, t)
	defer close(s.want)
	for {
		r := s.next()
		if errors.Is(r.err, rsp.ErrTooLong) {
			if err := s.c.WritePacket(rsp.Error(1).Reply()); err != nil {
				return err
			}
			continue
		}
		if disconnected(r.err) {
			return nil
		}
		if r.err != nil {
			return r.err
		}
		if r.p.Kind != rsp.Command {
			continue // a Ctrl-C while stopped: nothing runs to stop
		}
		reply, err := s.handle(r.p.Data)
		switch {
		case err == errNoReply:
			return ErrKilled
		case err != nil:
			reply = rsp.ErrorReply(err)
		}
		// A reply that cannot be written after the connection was seen
		// to end is no error: that end is the next thing next returns.
		if err := s.c.WritePacket(reply); err != nil && !s.lost() {
			return err
		}
		if s.after != nil {
			s.after()
			s.after = nil
		}
		if s.end {
			return ErrKilled
		}
	}
}

func newServer(rw io.ReadWriter, t Target) *server {
	s := &server{
		t:       t,
		c:       rsp.NewConn(rw, maxPacket),
		breaks:  map[breakKey]bool{},
		watches: map[watchKey]bool{},
		pass:    map[int]bool{},
		want:    make(chan struct{}, 1),
		in:      make(chan incoming, 1), // the last send never blocks
	}
	go s.read()
	t.SetSignalStops(func(sig int) bool { return !s.pass[toGDBSignal(sig)] })
	return s
}

// read reads one packet for each request on want, until want closes or
// the connection fails.
func (s *server) read() {
	for range s.want {
		p, err := s.c.ReadPacket()
		s.in <- incoming{p, err}
		if err != nil && !errors.Is(err, rsp.ErrTooLong) {
			return
		}
	}
}

// disconnected reports whether err is the client going away: the end of
// the connection between packets or inside one, or a reset.
func disconnected(err error) bool {
	return err == io.EOF || err == io.ErrUnexpectedEOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// request makes sure the reader is reading the next packet.
func (s *server) request() {
	if !s.pending {
		s.want <- struct{}{}
		s.pending = true
	}
}

// next returns the next packet, or the error that ended the connection.
func (s *server) next() incoming {
	if len(s.held) > 0 {
		r := s.held[0]
		s.held = s.held[1:]
		return r
	}
	s.request()
	r := <-s.in
	s.pending = false
	return r
}

// handle interprets one packet and returns its reply: nil or empty for
// the empty reply, which says "not supported".
func (s *server) handle(data []byte) ([]byte, error) {
	h, args := lookup(data)
	if h == nil {
		return nil, nil
	}
	return h(s, args)
}

// resume runs the target with run, on another goroutine, while reading
// the client: an interrupt (Ctrl-C) stops the run. A packet that comes
// while it runs (gdb sends none in all-stop mode) is kept for after the
// stop reply; so is the end of the connection, which also stops the run.
// It returns the stop reply.
func (s *server) resume(run func() target.Stop) ([]byte, error) {
	if x := s.t.Exited(); x != nil {
		return exitReply(x), nil
	}
	done := make(chan target.Stop, 1)
	go func() { done <- run() }()
	for {
		if !s.lost() {
			s.request()
		}
		select {
		case st := <-done:
			return s.stopped(st), nil
		case r := <-s.in:
			s.pending = false
			switch {
			case r.err != nil && !errors.Is(r.err, rsp.ErrTooLong):
				s.held = append(s.held, r)
				s.t.Interrupt() // the client is gone: stop for it
			case r.err == nil && r.p.Kind == rsp.Interrupt:
				s.t.Interrupt()
			default:
				s.held = append(s.held, r)
			}
		}
	}
}

// lost reports whether the connection has ended (the reader has stopped).
func (s *server) lost() bool {
	n := len(s.held)
	return n > 0 && s.held[n-1].err != nil && !errors.Is(s.held[n-1].err, rsp.ErrTooLong)
}

// stopped selects the thread that stopped, as gdb then assumes (its
// registers are what g reads next), and returns the stop reply for st.
func (s *server) stopped(st target.Stop) []byte {
	if st.Kind == target.StopExited {
		return exitReply(st.Exit)
	}
	if st.Tid != 0 {
		s.t.Select(st.Tid)
	}
	sig := 5 // SIGTRAP
	var why string
	switch st.Kind {
	case target.StopPaused:
		sig = 2 // SIGINT, as gdb expects after its Ctrl-C
	case target.StopSignal:
		sig = toGDBSignal(st.Signal)
	case target.StopWatch:
		why = fmt.Sprintf("watch:%x;", st.Watch)
	case target.StopBreakpoint:
		why = "swbreak:;"
		if s.breaks[breakKey{st.PC, '1'}] && !s.breaks[breakKey{st.PC, '0'}] {
			why = "hwbreak:;"
		}
	}
	reply := fmt.Appendf(nil, "T%02x%sthread:%x;", sig, why, s.t.Selected())
	// The registers gdb reads first at every stop, so that it need not
	// ask for them.
	for _, r := range []abi.Reg{abi.RBP, abi.RSP, abi.RIP} {
		if v, err := s.t.ThreadReg(s.t.Selected(), r); err == nil {
			reply = fmt.Appendf(reply, "%02x:", r.GDB())
			reply = append(rsp.AppendLE(reply, v, 8), ';')
		}
	}
	return reply
}

// exitReply is the stop reply for the guest's end: W and the exit status,
// or X and the signal that killed it.
func exitReply(x *target.Exit) []byte {
	if x == nil {
		return []byte("W00")
	}
	if x.Signal != 0 {
		return fmt.Appendf(nil, "X%02x", toGDBSignal(x.Signal))
	}
	return fmt.Appendf(nil, "W%02x", x.Status&0xff)
}
