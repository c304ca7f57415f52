package gdbstub

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
	"github.com/gouth-emu/gouth-emu/target"
)

// expedite is the registers a stop reply on the fake's thread tid carries.
func expedite(tid int) string {
	return fmt.Sprintf("06:%s;07:%s;10:%s;", regHex(tid, abi.RBP, 8), regHex(tid, abi.RSP, 8), regHex(tid, abi.RIP, 8))
}

func exitStop(status, sig int) target.Stop {
	st := stopAt(target.StopExited, 0, 0)
	st.Exit = &target.Exit{Status: status, Signal: sig}
	return st
}

// TestHandlers serves scripts of packets to a fake target and checks each
// reply, the calls the target saw, and how the session ended.
func TestHandlers(t *testing.T) {
	watch := stopAt(target.StopWatch, 1001, 0x401000)
	watch.Watch = 0x1008
	signal := stopAt(target.StopSignal, 1000, 0x401000)
	signal.Signal = abi.SIGUSR1
	xx := func(n int) string { return strings.Repeat("xx", n) }
	for _, tc := range []struct {
		name    string
		stops   []target.Stop
		packets []string
		want    []string
		calls   []string
		err     error
	}{
		{name: "features", packets: []string{"qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+", "vMustReplyEmpty", "qTStatus", ""},
			want: []string{"PacketSize=4000;QStartNoAckMode+;qXfer:features:read+;qXfer:threads:read+;swbreak+;hwbreak+;vContSupported+;QPassSignals+", "", "", ""}},
		{name: "first stop", packets: []string{"?", "qC", "qAttached", "qOffsets", "qSymbol::"},
			want: []string{"T05thread:3e8;", "QC3e8", "1", "Text=0;Data=0;Bss=0", "OK"}},
		{name: "registers", packets: []string{"g", "p10", "p7", "p11", "p3a", "p3b", "p18", "p27", "p39", "p28", "p3c", "pzz", "p", "P10=0000000000000000", "G00"},
			want: []string{gReply(1000), regHex(1000, abi.RIP, 8), regHex(1000, abi.RSP, 8), regHex(1000, abi.EFLAGS, 4),
				regHex(1000, abi.FSBase, 8), regHex(1000, abi.GSBase, 8), xx(10), xx(4), xx(8), "E01", "E01", "E01", "E01", "E01", "E01"}},
		{name: "threads", packets: []string{"qfThreadInfo", "qsThreadInfo", "T3e9", "T5", "T0", "Tzz", "Hg3e9", "g", "qC", "Hg5", "Hx1", "H", "Hg0", "qC", "Hg-1", "Hc-1"},
			want: []string{"m3e8,3e9", "l", "OK", "E01", "E01", "E01", "OK", gReply(1001), "QC3e9", "E01", "E01", "E01", "OK", "QC3e9", "OK", "OK"}},
		{name: "memory", packets: []string{"m1000,4", "m103e,8", "m0,4", "m1000", "m1000,0", "mzz,1", "m1000,100000",
			"M1000,2:aabb", "m1000,2", "M1000,2:aa", "M1000,1:zz", "M0,1:00", "M1000,1", "X1000,0:", "X1001,1:}]", "m1000,2", "X1000,2:}", "X0,1:a"},
			want: []string{"00010203", "3e3f", "E01", "E01", "", "E01", "E01",
				"OK", "aabb", "E01", "E01", "E01", "E01", "OK", "OK", "aa7d", "E01", "E01"}},
		{name: "breakpoints", packets: []string{"Z0,401000,1", "Z0,401000,1", "Z1,401000,1", "z0,401000,1", "z0,401000,1", "z1,401000,1", "z1,401000,1",
			"Z0,401000,1;X2,0a", "z0,401000,1", "Z3,1000,8", "Z4,1000,8", "z3,1000,8", "Z9,1,1", "Z0", "Z0,zz,1", "Z0401000,1", "Z2,1000,8", "Z2,1000,8", "z2,1000,8", "Z2,1000,0", "Z2,1000,1000"},
			want: []string{"OK", "OK", "OK", "OK", "OK", "OK", "OK", "OK", "OK", "", "", "", "", "E01", "E01", "E01", "OK", "OK", "OK", "E01", "E01"}},
		{name: "continue to a breakpoint", packets: []string{"Z0,1234,1", "c", "Z1,1234,1", "z0,1234,1", "c", "c 401000", "qC", "z1,1234,1"},
			want:  []string{"OK", "T05swbreak:;thread:3e8;" + expedite(1000), "OK", "OK", "T05hwbreak:;thread:3e8;" + expedite(1000), "E01", "QC3e8", "OK"},
			calls: []string{"continue", "continue"}},
		{name: "stops", stops: []target.Stop{watch, signal, stopAt(target.StopPaused, 1001, 0), stopAt(target.StopStep, 1000, 0)},
			packets: []string{"c", "C1e", "vCont;c", "vCont;C1e:3e8;c", "qC"},
			want: []string{"T05watch:1008;thread:3e9;" + expedite(1001), "T1ethread:3e8;" + expedite(1000), "T02thread:3e9;" + expedite(1001),
				"T05thread:3e8;" + expedite(1000), "QC3e8"},
			calls: []string{"continue", "continue", "continue", "continue"}},
		{name: "steps", stops: []target.Stop{stopAt(target.StopStep, 1001, 0), stopAt(target.StopStep, 1000, 0), stopAt(target.StopStep, 1001, 0), stopAt(target.StopStep, 1000, 0)},
			packets: []string{"vCont?", "vCont;s:3e9;c", "s", "Hc3e9", "s", "Hc0", "S05", "vCont;s:5", "vCont;x", "vCont;", "vCont", "vCont;s:zz", "vCont;Czz", "s 1000"},
			want: []string{"vCont;c;C;s;S", "T05thread:3e9;" + expedite(1001), "T05thread:3e8;" + expedite(1000), "OK", "T05thread:3e9;" + expedite(1001),
				"OK", "T05thread:3e8;" + expedite(1000), "E01", "E01", "E01", "E01", "E01", "E01", "E01"},
			calls: []string{"stepi 1 on 1001", "stepi 1 on 1001", "stepi 1 on 1001", "stepi 1 on 1001"}},
		{name: "exit", stops: []target.Stop{exitStop(3, 0)}, packets: []string{"c", "?", "g", "p10", "c", "vCont;s:3e8"},
			want: []string{"W03", "W03", "E01", "E01", "W03", "W03"}, calls: []string{"continue"}},
		{name: "killed by a signal", stops: []target.Stop{exitStop(128+abi.SIGSEGV, abi.SIGSEGV)}, packets: []string{"c"},
			want: []string{"X0b"}, calls: []string{"continue"}},
		{name: "pass signals", packets: []string{"QPassSignals:e;10;14", "QPassSignals:", "QPassSignals:zz", "QPassSignals"},
			want: []string{"OK", "OK", "E01", "E01"}},
		{name: "xfer", packets: []string{"qXfer:features:read:target.xml:0,30", "qXfer:features:read:foo.xml:0,10", "qXfer:threads:read::0,fff",
			"qXfer:threads:read::0,0", "qXfer:features:read:target.xml:100000,10", "qXfer:bogus", "qXfer:exec-file:read::0,10"},
			want: []string{"m" + string(targetXML[:0x30]), "E00", "l<?xml version=\"1.0\"?>\n<threads>\n<thread id=\"3e8\"/>\n<thread id=\"3e9\"/>\n</threads>\n",
				"E00", "E01", "E00", "E00"}},
		{name: "no-ack mode", packets: []string{"QStartNoAckMode", "?"}, want: []string{"OK", "T05thread:3e8;"}},
		{name: "k", packets: []string{"k", "?"}, err: ErrKilled},
		{name: "D", packets: []string{"D", "?"}, want: []string{"OK"}, err: ErrKilled},
		{name: "D;pid", packets: []string{"D;1", "?"}, want: []string{"OK"}, err: ErrKilled},
		{name: "vKill", packets: []string{"vKill;1", "?"}, want: []string{"OK"}, err: ErrKilled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.stops = tc.stops
			got, err := serveScript(t, f, tc.packets)
			if !errors.Is(err, tc.err) {
				t.Errorf("Serve: %v, want %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d replies %q, want %d %q", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("%q: got %q, want %q", tc.packets[i], got[i], tc.want[i])
				}
			}
			if fmt.Sprint(f.calls) != fmt.Sprint(tc.calls) {
				t.Errorf("target calls %q, want %q", f.calls, tc.calls)
			}
			for a, n := range f.breaks {
				if n != 0 {
					t.Errorf("%d holds left at %#x", n, a)
				}
			}
		})
	}
}

// TestTargetXML checks the register table the description is made from:
// numbers unique and in order, the core registers at gdb's numbers.
func TestTargetXML(t *testing.T) {
	seen := map[int]bool{}
	for i, d := range registers {
		if seen[d.num] || i > 0 && d.num < registers[i-1].num {
			t.Errorf("register %s: number %d repeated or out of order", d.name, d.num)
		}
		seen[d.num] = true
		if d.reg != noReg && d.num != d.reg.GDB() {
			t.Errorf("register %s: number %d, abi says %d", d.name, d.num, d.reg.GDB())
		}
		if !strings.Contains(string(targetXML), fmt.Sprintf("<reg name=%q bitsize=\"%d\"", d.name, d.bits)) {
			t.Errorf("register %s missing from the description", d.name)
		}
	}
	if len(registers) != 24+16+1+2 {
		t.Errorf("%d registers, want 43", len(registers))
	}
}

// blockingTarget's Continue runs until Interrupt.
type blockingTarget struct {
	*fakeTarget
	stop chan struct{}
}

func (b *blockingTarget) Continue(target.Resume) target.Stop {
	<-b.stop
	return stopAt(target.StopPaused, 1000, 0)
}

func (b *blockingTarget) Interrupt() { close(b.stop) }

// TestInterrupt sends Ctrl-C while a continue runs: the target is
// interrupted and the reply is T02; then a disconnect in a second run
// interrupts it too and ends Serve cleanly, leaving no goroutine behind.
func TestInterrupt(t *testing.T) {
	before := runtime.NumGoroutine()
	tg := &blockingTarget{fakeTarget: newFake(), stop: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		server, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		served <- Serve(server, tg)
		server.Close()
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client.SetDeadline(time.Now().Add(10 * time.Second))

	send := func(b []byte) {
		if _, err := client.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	// The client's side: it reads the server's acknowledgment and reply.
	reply := func() string {
		var buf [1]byte
		for {
			if _, err := client.Read(buf[:]); err != nil {
				t.Fatal(err)
			}
			if buf[0] == '$' {
				break
			}
		}
		var data []byte
		for {
			if _, err := client.Read(buf[:]); err != nil {
				t.Fatal(err)
			}
			if buf[0] == '#' {
				break
			}
			data = append(data, buf[0])
		}
		client.Read(buf[:])
		client.Read(buf[:])
		send([]byte("+"))
		return string(data)
	}
	send(rsp.AppendPacket(nil, []byte("c")))
	time.Sleep(50 * time.Millisecond) // let it run
	send([]byte{0x03})
	if got, want := reply(), "T02thread:3e8;"+expedite(1000); got != want {
		t.Errorf("after Ctrl-C: %q, want %q", got, want)
	}

	tg.stop = make(chan struct{})
	send(rsp.AppendPacket(nil, []byte("c")))
	time.Sleep(50 * time.Millisecond)
	client.Close()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after a disconnect while running: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the client went away")
	}
	select {
	case <-tg.stop:
	default:
		t.Error("the run was not interrupted when the client went away")
	}
	ln.Close()
	for i := 0; runtime.NumGoroutine() > before; i++ {
		if i == 100 {
			t.Fatalf("%d goroutines after the session, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
