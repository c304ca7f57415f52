package rsp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// The byte strings in these tables follow the examples and rules of gdb's
// protocol documentation (Overview: checksums, escapes, run-length
// encoding; qXfer; register and memory packets).

func TestAppendPacket(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{"", "$#00"},
		{"OK", "$OK#9a"},
		{"g", "$g#67"},
		{"?", "$?#3f"},
		{"S05", "$S05#b8"},
		{"E01", "$E01#a6"},
		{"QStartNoAckMode", "$QStartNoAckMode#b0"},
		{"vMustReplyEmpty", "$vMustReplyEmpty#3a"},
		{"m401000,40", "$m401000,40#22"},
		{"qSupported:multiprocess+;swbreak+", "$qSupported:multiprocess+;swbreak+#1b"},
		// The checksum is over the bytes as sent, encodings included.
		{"0* ", "$0* #7a"},
	} {
		if got := string(AppendPacket(nil, []byte(tc.data))); got != tc.want {
			t.Errorf("AppendPacket(%q) = %q, want %q", tc.data, got, tc.want)
		}
	}
	if got := Checksum([]byte{0xff, 0xff, 0x03}); got != 0x01 {
		t.Errorf("Checksum wraps: got %#x, want 0x01", got)
	}
}

func TestEscape(t *testing.T) {
	for _, tc := range []struct{ data, wire string }{
		{"", ""},
		{"abc", "abc"},
		{"}", "}]"},                      // 0x7d: the documentation's example
		{"#", "}\x03"},                   // 0x23
		{"$", "}\x04"},                   // 0x24
		{"*", "}\x0a"},                   // 0x2a, escaped in replies so it is not read as RLE
		{"\x03\x00\xff", "\x03\x00\xff"}, // other bytes, 0x03 included, go as they are
		{"a$#}*b", "a}\x04}\x03}]}\x0ab"},
	} {
		if got := string(AppendEscaped(nil, []byte(tc.data))); got != tc.wire {
			t.Errorf("AppendEscaped(%q) = %q, want %q", tc.data, got, tc.wire)
		}
		got, err := Unescape([]byte(tc.wire))
		if err != nil || string(got) != tc.data {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.wire, got, err, tc.data)
		}
	}
	for _, tc := range []struct{ wire, want string }{
		{"*", "*"},        // an unescaped '*' from a client is data
		{"}\x20", "\x00"}, // any byte may be escaped
		{"}}", "]"},       // '}' escaped is 0x5d
	} {
		got, err := Unescape([]byte(tc.wire))
		if err != nil || string(got) != tc.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tc.wire, got, err, tc.want)
		}
	}
	for _, wire := range []string{"}", "abc}"} {
		if _, err := Unescape([]byte(wire)); !errors.Is(err, ErrEscape) {
			t.Errorf("Unescape(%q): err %v, want ErrEscape", wire, err)
		}
	}
}

func TestRLE(t *testing.T) {
	run := strings.Repeat
	for _, tc := range []struct{ data, wire string }{
		{"", ""},
		{"0", "0"},
		{"000", "000"},  // a run of 3 gains nothing
		{"0000", "0* "}, // the documentation's example: ' ' is 3 more
		{"00000", "0*!"},
		{"000000", "0*\""},     // 5 more
		{"0000000", "0*\"0"},   // 6 more would be '#': 5 more and a plain 0
		{"00000000", "0*\"00"}, // 7 more would be '$': the documentation's example
		{"000000000", "0*%"},   // 8 more
		{run("0", 98), "0*~"},  // 97 more, '~', the largest count
		{run("0", 99), "0*~0"},
		{run("0", 102), "0*~0* "},
		{run("0", 104), "0*~0*\""},
		{run("0", 105), "0*~0*\"0"},
		{"a0000b1111111", "a0* b1*\"1"},
		{"xxxxyyyyzzzz", "x* y* z* "},
		{"}]]]]]", "}]*!"}, // runs after an escape are still runs
	} {
		got := string(AppendRLE(nil, []byte(tc.data)))
		if got != tc.wire {
			t.Errorf("AppendRLE(%q) = %q, want %q", tc.data, got, tc.wire)
		}
		back, err := ExpandRLE([]byte(tc.wire))
		if err != nil || string(back) != tc.data {
			t.Errorf("ExpandRLE(%q) = %q, %v; want %q", tc.wire, back, err, tc.data)
		}
	}
	// A count may repeat a byte that was itself a repeat, as gdb's
	// decoder allows.
	if got, err := ExpandRLE([]byte("0*!*!")); err != nil || string(got) != run("0", 9) {
		t.Errorf("ExpandRLE(0*!*!) = %q, %v", got, err)
	}
	for _, wire := range []string{
		"*!",     // nothing to repeat
		"0*",     // no count
		"0*#",    // 6 repeats: forbidden
		"0*$",    // 7 repeats: forbidden
		"0*\x1f", // not printable (2 repeats)
		"0*\x7f", // over 126
		"0*\xff",
	} {
		if _, err := ExpandRLE([]byte(wire)); !errors.Is(err, ErrRLE) {
			t.Errorf("ExpandRLE(%q): err %v, want ErrRLE", wire, err)
		}
	}
}

// TestEncodeRoundTrip sends random binary data the way a binary reply goes
// (escaped, run-length encoded, framed) and decodes it the way gdb does
// (framing, expansion, unescaping).
func TestEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	special := []byte("$#}*\x03\x00\x20\x5d+-%")
	for i := 0; i < 2000; i++ {
		data := make([]byte, rng.IntN(300))
		for j := 0; j < len(data); {
			b := byte(rng.UintN(256))
			if rng.IntN(3) == 0 {
				b = special[rng.IntN(len(special))]
			}
			n := 1 + rng.IntN(4)
			if rng.IntN(8) == 0 {
				n = rng.IntN(250) // long runs, through the piece boundaries
			}
			for ; n > 0 && j < len(data); n-- {
				data[j] = b
				j++
			}
		}
		wire := AppendRLE(nil, AppendEscaped(nil, data))
		if bytes.ContainsAny(wire, "$#") {
			t.Fatalf("data %q: wire form %q holds '$' or '#'", data, wire)
		}
		frame := AppendPacket(nil, wire)
		c, _ := pipeConn(string(frame), 0)
		p, err := c.ReadPacket()
		if err != nil || p.Kind != Command {
			t.Fatalf("data %q: reading frame %q: %v, %v", data, frame, p.Kind, err)
		}
		expanded, err := ExpandRLE(p.Data)
		if err != nil {
			t.Fatalf("data %q: ExpandRLE(%q): %v", data, p.Data, err)
		}
		got, err := Unescape(expanded)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("data %q: round trip gave %q, %v", data, got, err)
		}
	}
}

func TestHex(t *testing.T) {
	if got := string(AppendHex(nil, []byte{0xde, 0xad, 0x00, 0x0f})); got != "dead000f" {
		t.Errorf("AppendHex = %q", got)
	}
	for _, tc := range []struct {
		v    uint64
		size int
		hex  string
	}{
		{0x401000, 8, "0010400000000000"}, // rip
		{0x246, 4, "46020000"},            // eflags
		{0x33, 4, "33000000"},             // cs
		{0xffffffffffffffff, 8, "ffffffffffffffff"},
		{0x1234, 1, "34"}, // only the low size bytes
	} {
		if got := string(AppendLE(nil, tc.v, tc.size)); got != tc.hex {
			t.Errorf("AppendLE(%#x, %d) = %q, want %q", tc.v, tc.size, got, tc.hex)
		}
		want := tc.v & (1<<(8*tc.size) - 1)
		if tc.size == 8 {
			want = tc.v
		}
		if got, err := ParseLE([]byte(tc.hex)); err != nil || got != want {
			t.Errorf("ParseLE(%q) = %#x, %v; want %#x", tc.hex, got, err, want)
		}
	}
	if got := string(AppendUnavailable(nil, 2)); got != "xxxx" {
		t.Errorf("AppendUnavailable(2) = %q", got)
	}
	if got, err := DecodeHex([]byte("DEADbeef00")); err != nil || !bytes.Equal(got, []byte{0xde, 0xad, 0xbe, 0xef, 0}) {
		t.Errorf("DecodeHex = %x, %v", got, err)
	}
	for _, hex := range []string{"0", "0g", "xx", "+1"} {
		if _, err := DecodeHex([]byte(hex)); !errors.Is(err, ErrHex) {
			t.Errorf("DecodeHex(%q): err %v, want ErrHex", hex, err)
		}
	}
	for _, hex := range []string{"", "0", "001040000000000000", "zz"} {
		if _, err := ParseLE([]byte(hex)); !errors.Is(err, ErrHex) {
			t.Errorf("ParseLE(%q): err %v, want ErrHex", hex, err)
		}
	}
	for _, tc := range []struct {
		hex string
		v   uint64
	}{
		{"0", 0}, {"401000", 0x401000}, {"FFB", 0xffb},
		{"ffffffffffffffff", 1<<64 - 1}, {"00000000000000000001", 1},
	} {
		if got, err := ParseUint([]byte(tc.hex)); err != nil || got != tc.v {
			t.Errorf("ParseUint(%q) = %#x, %v; want %#x", tc.hex, got, err, tc.v)
		}
	}
	for _, hex := range []string{"", "10000000000000000", "0x10", "-1", "1 "} {
		if _, err := ParseUint([]byte(hex)); !errors.Is(err, ErrHex) {
			t.Errorf("ParseUint(%q): err %v, want ErrHex", hex, err)
		}
	}
}

func TestErrorReply(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{Error(0), "E00"},
		{Error(0x0e), "E0e"},
		{Error(0xff), "Eff"},
		{errors.New("anything"), "E01"},
		{malformed("x"), "E00"}, // wrapped
	} {
		if got := string(ErrorReply(tc.err)); got != tc.want {
			t.Errorf("ErrorReply(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
