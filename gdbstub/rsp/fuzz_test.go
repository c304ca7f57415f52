package rsp

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadPacket feeds a Conn arbitrary client bytes after it has written
// a reply, and checks that it never panics or loops, keeps to its packet
// limit, writes nothing but acknowledgments and copies of the reply, and
// ends with an error from reading or ErrRetries. The decoders run on each
// packet's data too.
func FuzzReadPacket(f *testing.F) {
	for _, seed := range []string{
		"+$qSupported:multiprocess+;swbreak+#1b",
		"$g#67$g#00-+\x03",
		"$X0,4:}\x04}\x03}]}\x0a#00%Stop:T05#00",
		"$12345678901234567890123456789012345678901234567890123456789012345#00",
		"$0*\"00*#7a$abc$g#6$",
		"------",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	const max = 64
	const reply = "$OK#9a"
	f.Fuzz(func(t *testing.T, in []byte, noAck bool) {
		out := new(bytes.Buffer)
		c := NewConn(struct {
			io.Reader
			io.Writer
		}{bytes.NewReader(in), out}, max)
		if err := c.WritePacket([]byte("OK")); err != nil {
			t.Fatal(err)
		}
		c.SetNoAck(noAck)
		for n := 0; ; n++ {
			if n > len(in)+1 {
				t.Fatalf("%d reads from %d bytes", n, len(in))
			}
			p, err := c.ReadPacket()
			if errors.Is(err, ErrTooLong) {
				continue
			}
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && err != ErrRetries {
					t.Fatalf("ReadPacket: %v", err)
				}
				break
			}
			switch p.Kind {
			case Interrupt:
			case Command:
				if len(p.Data) > max || bytes.ContainsAny(p.Data, "$#") {
					t.Fatalf("packet data %q", p.Data)
				}
				ExpandRLE(p.Data)
				Unescape(p.Data)
				DecodeHex(p.Data)
				ParseXferRead(p.Data)
			default:
				t.Fatalf("kind %d", p.Kind)
			}
		}
		wrote := bytes.TrimPrefix(out.Bytes(), []byte(reply))
		for len(wrote) > 0 {
			if w, ok := bytes.CutPrefix(wrote, []byte(reply)); ok {
				wrote = w
			} else if wrote[0] == '+' || wrote[0] == '-' {
				wrote = wrote[1:]
			} else {
				t.Fatalf("wrote %q", out.Bytes())
			}
		}
	})
}
