package rsp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestGDB runs Debian's gdb against a toy stub built on Conn, to check the
// packet layer against a real client: gdb's packets decode (first of all
// its qSupported, then the rest in no-ack mode), gdb decodes our replies
// (run-length encoded throughout, including the counts that need a
// workaround; a target description paged a few bytes at a time with
// escaped bytes in it), and our Unescape reads gdb's escaped X data. It is
// skipped without gdb.
func TestGDB(t *testing.T) {
	gdb, err := exec.LookPath("gdb")
	if err != nil {
		t.Skip("gdb is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stub := &toyStub{mem: map[uint64]byte{}, running: make(chan bool, 1)}
	served := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(time.Minute))
		served <- stub.serve(nc)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gdb, "-nx", "-batch",
		"-ex", "set remotetimeout 30",
		"-ex", "target remote "+ln.Addr().String(),
		"-ex", "show architecture",
		"-ex", "info registers rip eflags cs",
		"-ex", "x/1xg 0x1000", // one m packet of 8 bytes
		"-ex", "set *(unsigned int *)0x2000 = 0x2a7d2324", // the bytes $ # } *
		"-ex", "continue", // interrupted by the SIGINT below: gdb sends 0x03
	)
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		if <-stub.running {
			cmd.Process.Signal(os.Interrupt) // Ctrl-C
		}
	}()
	err = cmd.Wait()
	select {
	case stub.running <- false: // ends the goroutine if it still waits
	default:
	}
	out := outBuf.Bytes()
	t.Logf("gdb:\n%s", out)
	if err != nil {
		t.Fatalf("gdb: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("stub: %v", err)
	}
	t.Logf("packets: %q", stub.packets)

	for _, want := range []string{
		`\(currently "i386:x86-64"\)`, // the paged target description
		`rip\s+0x401000\s`,            // the run-length encoded g reply
		`eflags\s+0x246\s`,
		`cs\s+0x33\s`,
		`0x1000:\s+0x111111111f111111`, // hex runs of 7 and 8 digits
		`received signal SIGINT`,       // the stop reply to the interrupt
	} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("gdb's output lacks %#q", want)
		}
	}
	for _, bad := range []string{"Invalid run length", "too long", "Ignoring packet error", "Bad checksum", "Remote failure"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("gdb's output has %q", bad)
		}
	}
	// The m reply for it needed the workaround for both forbidden counts.
	if want := `$1*"1f1*"11#`; !strings.Contains(stub.wire.String(), want) {
		t.Errorf("the stub did not send %q", want)
	}
	if len(stub.packets) == 0 || !strings.HasPrefix(stub.packets[0], "qSupported:") {
		t.Errorf("first packet is not qSupported")
	}
	if !stub.interrupted {
		t.Errorf("the stub saw no interrupt")
	}
	if stub.xfers < 3 {
		t.Errorf("target description read in %d requests, want it paged", stub.xfers)
	}
	if got := []byte{stub.mem[0x2000], stub.mem[0x2001], stub.mem[0x2002], stub.mem[0x2003]}; string(got) != "$#}*" {
		t.Errorf("memory written by X is %q, want \"$#}*\"", got)
	}
}

// toyStub answers just enough of gdb's opening for the test: a target
// description, registers, and memory.
type toyStub struct {
	packets []string
	xfers   int
	mem     map[uint64]byte // bytes written; reads of others see pattern
	wire    bytes.Buffer    // what the stub sent
	// running gets true when the stub is told to continue, and then
	// waits for an interrupt.
	running     chan bool
	interrupted bool
}

// tdesc names only the architecture, so gdb uses its own amd64 registers.
// The comment holds each byte a binary reply must escape.
const tdesc = `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<!-- escaped: $ # } * -->
<target><architecture>i386:x86-64</architecture></target>
`

func (s *toyStub) serve(rw io.ReadWriter) error {
	c := NewConn(struct {
		io.Reader
		io.Writer
	}{rw, io.MultiWriter(rw, &s.wire)}, 0x4000)
	c.SetRLE(true)
	for {
		p, err := c.ReadPacket()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if p.Kind != Command {
			return fmt.Errorf("unexpected %v", p.Kind)
		}
		data := string(p.Data)
		s.packets = append(s.packets, data)
		var reply []byte
		switch {
		case strings.HasPrefix(data, "qSupported:"):
			reply = []byte("PacketSize=4000;QStartNoAckMode+;qXfer:features:read+")
		case data == "QStartNoAckMode":
			if err := c.WritePacket([]byte("OK")); err != nil {
				return err
			}
			c.SetNoAck(true)
			continue
		case strings.HasPrefix(data, "qXfer:"):
			s.xfers++
			r, err := ParseXferRead(p.Data)
			if err == nil && (r.Object != "features" || r.Annex != "target.xml") {
				err = Error(0)
			}
			if err == nil {
				reply, err = XferReply([]byte(tdesc), r.Offset, min(r.Length, 40))
			}
			if err != nil {
				reply = ErrorReply(err)
			}
		case data == "?":
			reply = []byte("S05")
		case data == "c":
			select {
			case s.running <- true:
			default:
			}
			p, err := c.ReadPacket()
			if err != nil || p.Kind != Interrupt {
				return fmt.Errorf("running: got %v, %v; want an interrupt", p.Kind, err)
			}
			s.interrupted = true
			reply = []byte("S02") // SIGINT
		case data == "g":
			reply = make([]byte, 0, 400)
			for i := 0; i < 16; i++ { // rax ... r15
				reply = AppendLE(reply, 0, 8)
			}
			reply = AppendLE(reply, 0x401000, 8)
			reply = AppendLE(reply, 0x246, 4)
			reply = AppendLE(reply, 0x33, 4) // cs
			reply = AppendLE(reply, 0x2b, 4) // ss
			for i := 0; i < 4; i++ {         // ds es fs gs
				reply = AppendLE(reply, 0, 4)
			}
		case strings.HasPrefix(data, "m"):
			addr, n, err := addrLen(data[1:])
			if err != nil {
				reply = ErrorReply(err)
				break
			}
			reply = []byte{}
			for i := uint64(0); i < n; i++ {
				reply = AppendHex(reply, []byte{s.read(addr + i)})
			}
		case strings.HasPrefix(data, "X"):
			head, bin, _ := bytes.Cut(p.Data[1:], []byte(":"))
			addr, n, err := addrLen(string(head))
			if err == nil {
				bin, err = Unescape(bin)
			}
			if err == nil && uint64(len(bin)) != n {
				err = Error(2)
			}
			if err != nil {
				reply = ErrorReply(err)
				break
			}
			for i, b := range bin {
				s.mem[addr+uint64(i)] = b
			}
			reply = []byte("OK")
		case data == "k":
			return nil
		case data == "D" || strings.HasPrefix(data, "D;") || strings.HasPrefix(data, "vKill"):
			return c.WritePacket([]byte("OK"))
		}
		// Anything else: the empty reply, "not supported".
		if err := c.WritePacket(reply); err != nil {
			return err
		}
	}
}

// read returns the byte at addr: one written, or a pattern with hex runs of
// 7 and 8 digits at 0x1000 (the run-length counts 6 and 7, which must be
// sent another way), or 0.
func (s *toyStub) read(addr uint64) byte {
	if b, ok := s.mem[addr]; ok {
		return b
	}
	pattern := []byte{0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11, 0x11}
	if addr >= 0x1000 && addr < 0x1000+uint64(len(pattern)) {
		return pattern[addr-0x1000]
	}
	return 0
}

// addrLen parses "addr,length" as in m and X packets.
func addrLen(s string) (addr, n uint64, err error) {
	a, l, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, errors.New("no length")
	}
	if addr, err = ParseUint([]byte(a)); err != nil {
		return 0, 0, err
	}
	if n, err = ParseUint([]byte(l)); err != nil || n > 0x1000 {
		return 0, 0, ErrHex
	}
	return addr, n, nil
}
