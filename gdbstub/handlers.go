package gdbstub

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
	"github.com/gouth-emu/gouth-emu/target"
)

// handler carries out one kind of packet. args is the packet's data after
// its name. A nil or empty reply is the empty reply ("not supported"); an
// error becomes an E NN reply (rsp.ErrorReply).
type handler func(s *server, args []byte) ([]byte, error)

// handlers is the one table of the packets the server knows, by name. A
// packet whose first byte is q, Q or v is named by its first word, up to
// ':', ';' or ','; any other by its first byte. A packet not here gets
// the empty reply.
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"qSupported":      (*server).qSupported,
		"QStartNoAckMode": (*server).startNoAck,
		"vMustReplyEmpty": func(*server, []byte) ([]byte, error) { return nil, nil },
		"qXfer":           (*server).qXfer,
		"qfThreadInfo":    (*server).qfThreadInfo,
		"qsThreadInfo":    func(*server, []byte) ([]byte, error) { return []byte("l"), nil },
		"qC":              func(s *server, _ []byte) ([]byte, error) { return fmt.Appendf(nil, "QC%x", s.t.Selected()), nil },
		"qAttached":       func(*server, []byte) ([]byte, error) { return []byte("1"), nil },
		"qOffsets":        func(*server, []byte) ([]byte, error) { return []byte("Text=0;Data=0;Bss=0"), nil },
		"qSymbol":         func(*server, []byte) ([]byte, error) { return []byte("OK"), nil },
		"QPassSignals":    (*server).passSignals,
		"vCont?":          func(*server, []byte) ([]byte, error) { return []byte("vCont;c;C;s;S"), nil },
		"vCont":           (*server).vCont,
		"vKill":           (*server).kill,
		"?":               (*server).why,
		"g":               (*server).readRegs,
		"G":               (*server).writeRegs,
		"p":               (*server).readReg,
		"P":               (*server).writeReg,
		"m":               (*server).readMem,
		"M":               (*server).writeMem,
		"X":               (*server).writeMemBinary,
		"Z":               (*server).insert,
		"z":               (*server).remove,
		"c":               (*server).cont,
		"C":               (*server).contSignal,
		"s":               (*server).step,
		"S":               (*server).stepSignal,
		"H":               (*server).setThread,
		"T":               (*server).threadAlive,
		"k":               func(*server, []byte) ([]byte, error) { return nil, errNoReply },
		"D":               (*server).detach,
	}
}

// lookup finds the handler for a packet and the arguments after its name.
func lookup(data []byte) (handler, []byte) {
	if len(data) == 0 {
		return nil, nil
	}
	name, args := data[:1], data[1:]
	if c := data[0]; c == 'q' || c == 'Q' || c == 'v' {
		i := bytes.IndexAny(data, ":;,")
		if i < 0 {
			i = len(data)
		}
		name, args = data[:i], data[i:]
	}
	return handlers[string(name)], args
}

// errMalformed is the error for a packet whose arguments do not parse.
var errMalformed = rsp.Error(1)

// qSupported answers gdb's first packet with the server's features.
func (s *server) qSupported([]byte) ([]byte, error) {
	return fmt.Appendf(nil, "PacketSize=%x;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;"+
		"swbreak+;hwbreak+;vContSupported+;QPassSignals+", maxPacket), nil
}

// startNoAck turns acknowledgments off once the OK is written.
func (s *server) startNoAck([]byte) ([]byte, error) {
	s.after = func() { s.c.SetNoAck(true) }
	return []byte("OK"), nil
}

// qXfer reads the target description and the thread list.
func (s *server) qXfer(args []byte) ([]byte, error) {
	r, err := rsp.ParseXferRead(append([]byte("qXfer"), args...))
	if err != nil {
		return nil, err
	}
	var doc []byte
	switch {
	case r.Object == "features" && r.Annex == "target.xml":
		doc = targetXML
	case r.Object == "threads" && r.Annex == "":
		if r.Offset == 0 || s.threadsDoc == nil {
			s.threadsDoc = s.threadsXML()
		}
		doc = s.threadsDoc
	default:
		return nil, rsp.Error(0)
	}
	return rsp.XferReply(doc, r.Offset, min(r.Length, maxPacket-1))
}

// threadsXML lists the live threads for qXfer:threads:read.
func (s *server) threadsXML() []byte {
	b := []byte("<?xml version=\"1.0\"?>\n<threads>\n")
	for _, th := range s.t.Threads() {
		b = fmt.Appendf(b, "<thread id=\"%x\"/>\n", th.Tid)
	}
	return append(b, "</threads>\n"...)
}

// qfThreadInfo lists the live threads in one reply (qsThreadInfo ends it).
func (s *server) qfThreadInfo([]byte) ([]byte, error) {
	b := []byte("m")
	for i, th := range s.t.Threads() {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(th.Tid), 16)
	}
	if len(b) == 1 {
		return []byte("l"), nil
	}
	return b, nil
}

// passSignals records the signals gdb wants passed to the guest without
// a stop ("QPassSignals:e;f;14", gdb's numbers).
func (s *server) passSignals(args []byte) ([]byte, error) {
	list, ok := bytes.CutPrefix(args, []byte(":"))
	if !ok {
		return nil, errMalformed
	}
	pass := map[int]bool{}
	for _, f := range bytes.Split(list, []byte(";")) {
		if len(f) == 0 {
			continue
		}
		n, err := rsp.ParseUint(f)
		if err != nil || n > 0xffff {
			return nil, errMalformed
		}
		pass[int(n)] = true
	}
	s.pass = pass
	return []byte("OK"), nil
}

// why is '?': the reason the target is stopped. Before any run that is
// the first instruction, a SIGTRAP stop as after exec under gdbserver.
func (s *server) why([]byte) ([]byte, error) {
	if x := s.t.Exited(); x != nil {
		return exitReply(x), nil
	}
	return fmt.Appendf(nil, "T05thread:%x;", s.t.Selected()), nil
}

// readRegs is g: every register of the selected thread in table order.
func (s *server) readRegs([]byte) ([]byte, error) {
	if s.t.Exited() != nil {
		return nil, rsp.Error(1)
	}
	b := make([]byte, 0, 1200)
	var err error
	for _, d := range registers {
		if b, err = appendReg(b, s.t, s.t.Selected(), d); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// writeRegs is G, which the target cannot do (it has no register writes).
func (s *server) writeRegs([]byte) ([]byte, error) { return nil, rsp.Error(1) }

// readReg is p N: one register of the selected thread.
func (s *server) readReg(args []byte) ([]byte, error) {
	n, err := rsp.ParseUint(args)
	if err != nil {
		return nil, errMalformed
	}
	d, ok := regByNum(n)
	if !ok || s.t.Exited() != nil {
		return nil, rsp.Error(1)
	}
	return appendReg(nil, s.t, s.t.Selected(), d)
}

// writeReg is P N=V, which the target cannot do; it is refused with an
// error rather than the empty reply, so that gdb says the write failed.
func (s *server) writeReg(args []byte) ([]byte, error) { return nil, rsp.Error(1) }

// addrLen parses "ADDR,LENGTH" (m, M, X, Z) with a length of at most max.
func addrLen(b []byte, max uint64) (addr, n uint64, err error) {
	a, l, ok := bytes.Cut(b, []byte(","))
	if !ok {
		return 0, 0, errMalformed
	}
	if addr, err = rsp.ParseUint(a); err != nil {
		return 0, 0, errMalformed
	}
	if n, err = rsp.ParseUint(l); err != nil || n > max {
		return 0, 0, errMalformed
	}
	return addr, n, nil
}

// readMem is m ADDR,LENGTH: as many of the bytes as can be read from ADDR
// on, an error if none can.
func (s *server) readMem(args []byte) ([]byte, error) {
	addr, n, err := addrLen(args, maxPacket/2)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []byte{}, nil
	}
	buf := make([]byte, n)
	got := s.t.PeekPrefix(addr, buf)
	if got == 0 {
		return nil, rsp.Error(1)
	}
	return rsp.AppendHex(nil, buf[:got]), nil
}

// writeMem is M ADDR,LENGTH:HEX, written as ptrace would (code too).
func (s *server) writeMem(args []byte) ([]byte, error) { return s.writeMemAs(args, rsp.DecodeHex) }

// writeMemBinary is X ADDR,LENGTH:DATA, M with escaped binary data. A
// length of 0 is gdb's probe for X.
func (s *server) writeMemBinary(args []byte) ([]byte, error) { return s.writeMemAs(args, rsp.Unescape) }

// writeMemAs writes ADDR,LENGTH:DATA with DATA decoded by decode, which
// must give exactly LENGTH bytes.
func (s *server) writeMemAs(args []byte, decode func([]byte) ([]byte, error)) ([]byte, error) {
	head, enc, ok := bytes.Cut(args, []byte(":"))
	if !ok {
		return nil, errMalformed
	}
	addr, n, err := addrLen(head, maxPacket)
	if err != nil {
		return nil, err
	}
	data, err := decode(enc)
	if err != nil || uint64(len(data)) != n {
		return nil, errMalformed
	}
	return s.poke(addr, data)
}

func (s *server) poke(addr uint64, data []byte) ([]byte, error) {
	if len(data) > 0 {
		if err := s.t.Poke(addr, data); err != nil {
			return nil, rsp.Error(1)
		}
	}
	return []byte("OK"), nil
}

// parseZ parses the arguments of Z and z, "T,ADDR,KIND" with anything
// after a ';' (conditions, which are not advertised) ignored.
func parseZ(args []byte) (typ byte, addr, kind uint64, err error) {
	args, _, _ = bytes.Cut(args, []byte(";"))
	if len(args) < 2 || args[1] != ',' {
		return 0, 0, 0, errMalformed
	}
	addr, kind, err = addrLen(args[2:], 1<<20)
	return args[0], addr, kind, err
}

// insert is Z: Z0 and Z1 are the target's code breakpoints, Z2 its
// write watchpoints; read and access watchpoints (Z3, Z4) are not
// supported (the empty reply).
func (s *server) insert(args []byte) ([]byte, error) {
	typ, addr, kind, err := parseZ(args)
	if err != nil {
		return nil, err
	}
	switch typ {
	case '0', '1':
		k := breakKey{addr, typ}
		if !s.breaks[k] {
			if err := s.t.AddBreakpoint(addr, target.FrontEnd); err != nil {
				return nil, rsp.Error(1)
			}
			s.breaks[k] = true
		}
	case '2':
		k := watchKey{addr, int(kind)}
		if kind == 0 || kind > target.MaxWatchLen {
			return nil, rsp.Error(1)
		}
		if !s.watches[k] {
			if err := s.t.AddWatch(addr, int(kind), target.FrontEnd); err != nil {
				return nil, rsp.Error(1)
			}
			s.watches[k] = true
		}
	default:
		return nil, nil
	}
	return []byte("OK"), nil
}

// remove is z, the inverse of insert; removing what is not inserted is
// OK, as the protocol asks for idempotent packets.
func (s *server) remove(args []byte) ([]byte, error) {
	typ, addr, kind, err := parseZ(args)
	if err != nil {
		return nil, err
	}
	switch typ {
	case '0', '1':
		k := breakKey{addr, typ}
		if s.breaks[k] {
			delete(s.breaks, k)
			if err := s.t.RemoveBreakpoint(addr, target.FrontEnd); err != nil {
				return nil, rsp.Error(1)
			}
		}
	case '2':
		k := watchKey{addr, int(kind)}
		if s.watches[k] {
			delete(s.watches, k)
			if err := s.t.RemoveWatch(addr, target.FrontEnd); err != nil {
				return nil, rsp.Error(1)
			}
		}
	default:
		return nil, nil
	}
	return []byte("OK"), nil
}

// cont is c: continue every thread. Resuming at another address would
// need a register write, so "c ADDR" is refused.
func (s *server) cont(args []byte) ([]byte, error) {
	if len(args) > 0 {
		return nil, rsp.Error(1)
	}
	return s.resume(func() target.Stop { return s.t.Continue(target.Resume{}) })
}

// contSignal is C SIG[;ADDR]: continue. A signal the guest stopped for is
// delivered by the target whatever SIG says (it cannot drop one).
func (s *server) contSignal(args []byte) ([]byte, error) {
	sig, addr, _ := bytes.Cut(args, []byte(";"))
	if _, err := rsp.ParseUint(sig); err != nil {
		return nil, errMalformed
	}
	return s.cont(addr)
}

// step is s: one instruction of the Hc thread, or the selected one.
func (s *server) step(args []byte) ([]byte, error) {
	if len(args) > 0 {
		return nil, rsp.Error(1)
	}
	return s.stepThread(s.stepTid)
}

// stepSignal is S SIG[;ADDR], s as C is c.
func (s *server) stepSignal(args []byte) ([]byte, error) {
	sig, addr, _ := bytes.Cut(args, []byte(";"))
	if _, err := rsp.ParseUint(sig); err != nil {
		return nil, errMalformed
	}
	return s.step(addr)
}

// stepThread executes one instruction of thread tid (0: the selected
// one); the other threads run meanwhile as the scheduler decides.
func (s *server) stepThread(tid int) ([]byte, error) {
	if tid > 0 {
		if !s.alive(tid) {
			return nil, rsp.Error(1)
		}
		s.t.Select(tid)
	}
	return s.resume(func() target.Stop { return s.t.StepInstruction(1) })
}

// vCont is vCont;ACTION[:TID]...: a step action (s, S) for a thread steps
// it, the others running meanwhile; otherwise any c or C continues all.
func (s *server) vCont(args []byte) ([]byte, error) {
	if len(args) < 2 || args[0] != ';' {
		return nil, errMalformed
	}
	stepTid, step, cont := 0, false, false
	for _, a := range bytes.Split(args[1:], []byte(";")) {
		act, tidText, hasTid := bytes.Cut(a, []byte(":"))
		tid := -1
		if hasTid {
			n, err := parseThreadID(tidText)
			if err != nil {
				return nil, err
			}
			tid = n
		}
		if len(act) == 0 {
			return nil, errMalformed
		}
		switch act[0] {
		case 'c', 's':
			if len(act) != 1 {
				return nil, errMalformed
			}
		case 'C', 'S':
			if _, err := rsp.ParseUint(act[1:]); err != nil {
				return nil, errMalformed
			}
		default:
			return nil, errMalformed
		}
		switch act[0] {
		case 's', 'S':
			if !step { // the first step action is the one carried out
				step, stepTid = true, max(tid, 0)
			}
		default:
			cont = true
		}
	}
	if step {
		return s.stepThread(stepTid)
	}
	if !cont {
		return nil, errMalformed
	}
	return s.resume(func() target.Stop { return s.t.Continue(target.Resume{}) })
}

// parseThreadID parses a thread id: hex, or -1 for all threads (0 is any).
func parseThreadID(b []byte) (int, error) {
	if string(b) == "-1" {
		return -1, nil
	}
	n, err := rsp.ParseUint(b)
	if err != nil || n > 1<<31-1 {
		return 0, errMalformed
	}
	return int(n), nil
}

// alive reports whether tid is a live thread.
func (s *server) alive(tid int) bool {
	for _, th := range s.t.Threads() {
		if th.Tid == tid {
			return true
		}
	}
	return false
}

// setThread is H OP TID: Hg selects the thread registers and memory are
// read from, Hc the one s steps; 0 and -1 leave the choice to the server.
func (s *server) setThread(args []byte) ([]byte, error) {
	if len(args) < 2 {
		return nil, errMalformed
	}
	tid, err := parseThreadID(args[1:])
	if err != nil {
		return nil, err
	}
	if tid > 0 && !s.alive(tid) {
		return nil, rsp.Error(1)
	}
	switch args[0] {
	case 'g':
		if tid > 0 {
			s.t.Select(tid)
		}
	case 'c':
		s.stepTid = max(tid, 0)
	default:
		return nil, errMalformed
	}
	return []byte("OK"), nil
}

// threadAlive is T TID: OK if the thread lives.
func (s *server) threadAlive(args []byte) ([]byte, error) {
	tid, err := parseThreadID(args)
	if err != nil {
		return nil, err
	}
	if tid <= 0 || !s.alive(tid) {
		return nil, rsp.Error(1)
	}
	return []byte("OK"), nil
}

// kill is vKill;PID: OK, and the session ends with the guest.
func (s *server) kill([]byte) ([]byte, error) {
	s.end = true
	return []byte("OK"), nil
}

// detach is D or D;PID: OK, and the session ends. The guest cannot run
// on without a client, so it ends too.
func (s *server) detach([]byte) ([]byte, error) {
	s.end = true
	return []byte("OK"), nil
}
