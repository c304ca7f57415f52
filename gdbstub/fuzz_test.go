package gdbstub

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"sort"
	"testing"

	"github.com/gouth-emu/gouth-emu/gdbstub/rsp"
	"github.com/gouth-emu/gouth-emu/target"
)

// fuzzStops is what the fake's runs return in the fuzz tests, in turn.
func fuzzStops() []target.Stop {
	w := stopAt(target.StopWatch, 1001, 0x1000)
	w.Watch = 0x1008
	sig := stopAt(target.StopSignal, 1000, 0x1000)
	sig.Signal = 99 // no such signal
	var out []target.Stop
	for i := 0; i < 50; i++ {
		out = append(out, stopAt(target.StopStep, 1000+i%3, 0x1000), w, sig, stopAt(target.StopPaused, 5, 0))
	}
	return append(out, exitStop(0, 0))
}

// FuzzHandle feeds one packet's data straight to the handlers of a
// server on the fake target: no panic, and a reply that can be sent.
func FuzzHandle(f *testing.F) {
	for name := range handlers {
		f.Add([]byte(name))
	}
	for _, seed := range []string{
		"qXfer:features:read:target.xml:0,ffb", "qXfer:threads:read::ffffffffffffffff,1", "m1000,ffffffffffffffff",
		"M1000,2:aabbcc", "X1000,1:}", "Z0,ffffffffffffffff,1", "Z2,1000,ffffffff", "vCont;s:3e9;c", "vCont;S05:-1",
		"Hg-1", "Hc0", "p3a", "P10=00", "QPassSignals:e;;14", "vCont;c:", "T-1", "qSupported:xmlRegisters=i386",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fk := newFake()
		fk.stops = fuzzStops()
		s := newServer(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(nil), io.Discard}, fk)
		defer close(s.want)
		reply, err := s.handle(data)
		if err != nil {
			reply = rsp.ErrorReply(err)
		}
		if bytes.ContainsAny(reply, "$#") {
			t.Fatalf("%q: reply %q holds a frame byte", data, reply)
		}
	})
}

// TestRandomPackets serves many random packets, made of the handlers'
// names and random bytes, with the connection's own noise (bad
// checksums, Ctrl-C, stray acknowledgments) between them, to the fake
// target: the server must answer them all without panicking and end only
// at the end of its input (or at a D that the random bytes happen to make).
func TestRandomPackets(t *testing.T) {
	var names []string
	for name := range handlers {
		if name != "k" && name != "D" && name != "vKill" { // they end the session
			names = append(names, name)
		}
	}
	sort.Strings(names) // the seed gives the same packets every run
	const alphabet = "0123456789abcdefABCDEFxX:;,=-+$#}*\x03 qsmMgGpPZz?"
	rng := rand.New(rand.NewSource(15))
	answered := 0
	for round := 0; round < 200; round++ {
		var in []byte
		for i := 0; i < 100; i++ {
			var p []byte
			if rng.Intn(4) > 0 {
				p = append(p, names[rng.Intn(len(names))]...)
			}
			for n := rng.Intn(24); n > 0; n-- {
				p = append(p, alphabet[rng.Intn(len(alphabet))])
			}
			switch rng.Intn(10) {
			case 0: // raw bytes, framing and all
				in = append(in, p...)
			case 1: // a bad checksum
				in = append(in, '$')
				in = append(in, p...)
				in = append(in, "#zz"...)
			default:
				in = rsp.AppendPacket(in, p)
			}
			in = append(in, "+"[:rng.Intn(2)]...)
		}
		fk := newFake()
		fk.stops = fuzzStops()
		var out bytes.Buffer
		err := Serve(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(in), &out}, fk)
		if err != nil && !errors.Is(err, ErrKilled) && !errors.Is(err, rsp.ErrRetries) {
			t.Fatalf("round %d: Serve: %v\ninput %q", round, err, in)
		}
		answered += bytes.Count(out.Bytes(), []byte("$"))
	}
	// Many packets are lost to their own random '$', '#' and '-' bytes
	// (framing and resend requests), so not all are answered.
	if answered < 200*100/4 {
		t.Errorf("%d replies to 20000 packets: the sessions ended early", answered)
	}
	t.Logf("%d replies", answered)
}
