package gdbstub

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
	"github.com/gouth-emu/gouth-emu/target"
)

// fakeTarget is a Target with two threads, 64 bytes of memory at 0x1000
// and registers whose value is a function of thread and register. Its
// runs return the next of stops (or a breakpoint stop when there are
// none), and it records what the server asked of it.
type fakeTarget struct {
	tid    int
	mem    [64]byte
	stops  []target.Stop
	exited *target.Exit
	calls  []string
	// interrupts counts Interrupt calls, which depend on timing in a
	// script: its end may be read while a run is still going.
	interrupts int
	breaks     map[uint64]int
	watches    map[uint64]int
}

func newFake() *fakeTarget {
	f := &fakeTarget{tid: 1000, breaks: map[uint64]int{}, watches: map[uint64]int{}}
	for i := range f.mem {
		f.mem[i] = byte(i)
	}
	return f
}

const fakeMem = 0x1000

func (f *fakeTarget) run(what string) target.Stop {
	f.calls = append(f.calls, what)
	if len(f.stops) == 0 {
		return stopAt(target.StopBreakpoint, f.tid, 0x1234)
	}
	st := f.stops[0]
	f.stops = f.stops[1:]
	if st.Kind == target.StopExited {
		f.exited = st.Exit
	}
	return st
}

func (f *fakeTarget) Continue(target.Resume) target.Stop { return f.run("continue") }
func (f *fakeTarget) StepInstruction(n int64) target.Stop {
	return f.run(fmt.Sprintf("stepi %d on %d", n, f.tid))
}
func (f *fakeTarget) Interrupt() { f.interrupts++ }
func (f *fakeTarget) Threads() []target.ThreadInfo {
	return []target.ThreadInfo{{Tid: 1000}, {Tid: 1001}}
}
func (f *fakeTarget) ThreadReg(tid int, r abi.Reg) (uint64, error) {
	if tid != 1000 && tid != 1001 {
		return 0, fmt.Errorf("no thread %d", tid)
	}
	return uint64(tid)<<16 | uint64(r), nil
}
func (f *fakeTarget) Select(tid int) { f.tid = tid }
func (f *fakeTarget) Selected() int  { return f.tid }
func (f *fakeTarget) PeekPrefix(addr uint64, p []byte) int {
	if addr < fakeMem || addr >= fakeMem+uint64(len(f.mem)) {
		return 0
	}
	return copy(p, f.mem[addr-fakeMem:])
}
func (f *fakeTarget) Poke(addr uint64, p []byte) error {
	if addr < fakeMem || addr+uint64(len(p)) > fakeMem+uint64(len(f.mem)) || addr+uint64(len(p)) < addr {
		return fmt.Errorf("unmapped")
	}
	copy(f.mem[addr-fakeMem:], p)
	return nil
}
func (f *fakeTarget) AddBreakpoint(addr uint64, o target.Owner) error {
	if o != target.FrontEnd {
		return fmt.Errorf("owner %v", o)
	}
	f.breaks[addr]++
	return nil
}
func (f *fakeTarget) RemoveBreakpoint(addr uint64, o target.Owner) error {
	if f.breaks[addr] == 0 || o != target.FrontEnd {
		return fmt.Errorf("no breakpoint at %#x", addr)
	}
	f.breaks[addr]--
	return nil
}
func (f *fakeTarget) AddWatch(addr uint64, n int, o target.Owner) error {
	f.watches[addr] = n
	return nil
}
func (f *fakeTarget) RemoveWatch(addr uint64, o target.Owner) error {
	if _, ok := f.watches[addr]; !ok {
		return fmt.Errorf("no watch at %#x", addr)
	}
	delete(f.watches, addr)
	return nil
}
func (f *fakeTarget) SetSignalStops(func(int) bool) {}
func (f *fakeTarget) Exited() *target.Exit          { return f.exited }

// stopAt is a stop of kind on thread tid at pc.
func stopAt(kind target.StopKind, tid int, pc uint64) target.Stop {
	var st target.Stop
	st.Kind, st.Tid, st.PC = kind, tid, pc
	return st
}

// serveScript serves t with packets (their data) as the client's input,
// each acknowledged, and returns the replies' data and Serve's error.
func serveScript(t *testing.T, tg Target, packets []string) ([]string, error) {
	t.Helper()
	var in []byte
	for _, p := range packets {
		in = rsp.AppendPacket(in, []byte(p))
		in = append(in, '+') // the reply's acknowledgment
	}
	var out bytes.Buffer
	err := Serve(struct {
		io.Reader
		io.Writer
	}{bytes.NewReader(in), &out}, tg)
	return replies(t, out.Bytes()), err
}

// replies splits what the server wrote into its replies' data, dropping
// acknowledgments and checking checksums.
func replies(t *testing.T, wire []byte) []string {
	t.Helper()
	var got []string
	for len(wire) > 0 {
		if wire[0] == '+' {
			wire = wire[1:]
			continue
		}
		if wire[0] != '$' {
			t.Fatalf("server wrote %q between packets", wire)
		}
		end := bytes.IndexByte(wire, '#')
		if end < 0 || end+3 > len(wire) {
			t.Fatalf("unterminated reply %q", wire)
		}
		data := wire[1:end]
		if want := fmt.Sprintf("%02x", rsp.Checksum(data)); string(wire[end+1:end+3]) != want {
			t.Fatalf("reply %q: checksum %s, want %s", data, wire[end+1:end+3], want)
		}
		got = append(got, string(data))
		wire = wire[end+3:]
	}
	return got
}

// regHex is the fake's register r of thread tid as a g reply holds it.
func regHex(tid int, r abi.Reg, size int) string {
	return string(rsp.AppendLE(nil, uint64(tid)<<16|uint64(r), size))
}

// gReply is the g reply for the fake's thread tid.
func gReply(tid int) string {
	var b strings.Builder
	for _, d := range registers {
		if d.reg == noReg {
			b.WriteString(strings.Repeat("xx", d.bits/8))
		} else {
			b.WriteString(regHex(tid, d.reg, d.bits/8))
		}
	}
	return b.String()
}
