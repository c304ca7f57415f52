package rsp

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestParseXferRead(t *testing.T) {
	for _, tc := range []struct {
		data string
		want XferRead
	}{
		{"qXfer:features:read:target.xml:0,ffb", XferRead{"features", "target.xml", 0, 0xffb}},
		{"qXfer:features:read:64bit-sse.xml:7fe,ffb", XferRead{"features", "64bit-sse.xml", 0x7fe, 0xffb}},
		{"qXfer:threads:read::0,fff", XferRead{"threads", "", 0, 0xfff}},
		{"qXfer:exec-file:read:2a:10,100", XferRead{"exec-file", "2a", 0x10, 0x100}},
		{"qXfer:x:read:a:b:1,2", XferRead{"x", "a:b", 1, 2}},
	} {
		got, err := ParseXferRead([]byte(tc.data))
		if err != nil || got != tc.want {
			t.Errorf("ParseXferRead(%q) = %+v, %v; want %+v", tc.data, got, err, tc.want)
		}
	}
	for _, data := range []string{
		"", "qXfer", "qXfer:features:write:target.xml:0,1", "qXfer::read:a:0,1",
		"qXfer:features:read:target.xml", "qXfer:features:read:target.xml:0",
		"qXfer:features:read:target.xml:0,", "qXfer:features:read:target.xml:,1",
		"qXfer:features:read:target.xml:zz,1", "qXfer:features:read:target.xml:0,0",
		"qXfer:features:read:target.xml:0,10000000000000000",
	} {
		_, err := ParseXferRead([]byte(data))
		if !errors.Is(err, Error(0)) || string(ErrorReply(err)) != "E00" {
			t.Errorf("ParseXferRead(%q): err %v, want an E00", data, err)
		}
	}
}

func TestXferReply(t *testing.T) {
	doc := []byte("<a>$#}*</a>") // 11 bytes, 4 to escape
	for _, tc := range []struct {
		offset, length uint64
		want           string
	}{
		{0, 0xffb, "l<a>}\x04}\x03}]}\x0a</a>"},
		{0, 11, "l<a>}\x04}\x03}]}\x0a</a>"}, // exactly to the end: last
		{0, 10, "m<a>}\x04}\x03}]}\x0a</a"},
		{0, 3, "m<a>"},
		{3, 2, "m}\x04}\x03"},
		{10, 1, "l>"},
		{10, 100, "l>"},
		{11, 100, "l"}, // at the end: empty, last
	} {
		got, err := XferReply(doc, tc.offset, tc.length)
		if err != nil || string(got) != tc.want {
			t.Errorf("XferReply(%d, %d) = %q, %v; want %q", tc.offset, tc.length, got, err, tc.want)
		}
	}
	if _, err := XferReply(doc, 12, 1); string(ErrorReply(err)) != "E01" {
		t.Errorf("offset past the end: err %v, want E01", err)
	}
	if _, err := XferReply(doc, 0, 0); string(ErrorReply(err)) != "E00" {
		t.Errorf("length 0: err %v, want E00", err)
	}
}

// TestXferPaging reads random documents the way gdb does: from offset 0,
// each request at the end of the bytes so far, until an 'l'.
func TestXferPaging(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 300; i++ {
		doc := make([]byte, rng.IntN(200))
		for j := range doc {
			doc[j] = byte(rng.UintN(256))
		}
		length := uint64(1 + rng.IntN(40))
		var got []byte
		for n := 0; ; n++ {
			reply, err := XferReply(doc, uint64(len(got)), length)
			if err != nil || n > len(doc)+1 {
				t.Fatalf("doc %q, length %d: %v after %d replies", doc, length, err, n)
			}
			if bytes.ContainsAny(reply[1:], "$#*") {
				t.Fatalf("reply %q holds unescaped bytes", reply)
			}
			data, err := Unescape(reply[1:])
			if err != nil || uint64(len(data)) > length {
				t.Fatalf("reply %q: %d bytes, %v", reply, len(data), err)
			}
			got = append(got, data...)
			if reply[0] == 'l' {
				break
			}
			if reply[0] != 'm' || len(data) == 0 {
				t.Fatalf("reply %q: want l, or m with data", reply)
			}
		}
		if !bytes.Equal(got, doc) {
			t.Fatalf("paged %q, want %q", got, doc)
		}
	}
}
