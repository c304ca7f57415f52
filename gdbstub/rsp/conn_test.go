package rsp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
)

// pipeConn returns a Conn that reads in and records what it writes.
func pipeConn(in string, maxPacket int) (*Conn, *bytes.Buffer) {
	out := new(bytes.Buffer)
	rw := struct {
		io.Reader
		io.Writer
	}{strings.NewReader(in), out}
	return NewConn(rw, maxPacket), out
}

// readAll reads until an error other than ErrTooLong, returning what was
// read as strings: "$data" for a command, "^C" for an interrupt, "!err"
// for an error.
func readAll(c *Conn) []string {
	var got []string
	for {
		p, err := c.ReadPacket()
		switch {
		case errors.Is(err, ErrTooLong):
			got = append(got, "!too long")
			continue
		case err != nil:
			return append(got, "!"+err.Error())
		case p.Kind == Interrupt:
			got = append(got, "^C")
		case p.Kind == Command:
			got = append(got, "$"+string(p.Data))
		default:
			return append(got, fmt.Sprintf("!kind %d", p.Kind))
		}
	}
}

func TestReadPacket(t *testing.T) {
	eof := "!" + io.EOF.Error()
	trunc := "!" + io.ErrUnexpectedEOF.Error()
	for _, tc := range []struct {
		name  string
		in    string
		noAck bool
		max   int
		want  []string
		wrote string // acknowledgments
	}{
		{name: "one", in: "$OK#9a", want: []string{"$OK", eof}, wrote: "+"},
		{name: "empty", in: "$#00", want: []string{"$", eof}, wrote: "+"},
		{name: "two", in: "$g#67$?#3f", want: []string{"$g", "$?", eof}, wrote: "++"},
		{name: "upper case checksum", in: "$OK#9A", want: []string{"$OK", eof}, wrote: "+"},
		// gdb starts a connection with a '+'; acks and noise between
		// packets are skipped.
		{name: "noise", in: "+xyz\r\n-+$g#67 ", want: []string{"$g", eof}, wrote: "+"},
		{name: "bad checksum retried", in: "$g#00$g#67", want: []string{"$g", eof}, wrote: "-+"},
		{name: "checksum not hex", in: "$g#zz$g#67", want: []string{"$g", eof}, wrote: "-+"},
		{name: "interrupt", in: "\x03$g#67\x03", want: []string{"^C", "$g", "^C", eof}, wrote: "+"},
		// Inside a packet 0x03 is data (binary X data is not escaped
		// for it).
		{name: "0x03 in data", in: "$X0,1:\x03#" + cs("X0,1:\x03"), want: []string{"$X0,1:\x03", eof}, wrote: "+"},
		{name: "binary data", in: "$X0,2:}]*#" + cs("X0,2:}]*"), want: []string{"$X0,2:}]*", eof}, wrote: "+"},
		// Notifications are not acknowledged, and skipped.
		{name: "notification", in: "%Stop:T05#00$g#67", want: []string{"$g", eof}, wrote: "+"},
		{name: "notification then packet", in: "%Stop:T0$g#67", want: []string{"$g", eof}, wrote: "+"},
		{name: "notification truncated", in: "%Stop:T05#0", want: []string{trunc}},
		// A '$' inside a packet starts a new one, as in gdb.
		{name: "restart", in: "$abc$g#67", want: []string{"$g", eof}, wrote: "+"},
		{name: "restart in checksum", in: "$g#6$g#67", want: []string{"$g", eof}, wrote: "+"},
		{name: "truncated data", in: "$g", want: []string{trunc}},
		{name: "truncated checksum", in: "$g#6", want: []string{trunc}},
		{name: "eof", in: "", want: []string{eof}},
		{name: "too long", in: "$12345#" + cs("12345") + "$1234#" + cs("1234"), max: 4,
			want: []string{"!too long", "$1234", eof}, wrote: "++"},
		{name: "too long, bad checksum", in: "$12345#00", max: 4, want: []string{eof}, wrote: "-"},
		{name: "no-ack", in: "$g#67$?#00+-", noAck: true, want: []string{"$g", "$?", eof}},
		{name: "no-ack too long", in: "$12345#00", noAck: true, max: 4, want: []string{"!too long", eof}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := pipeConn(tc.in, tc.max)
			c.SetNoAck(tc.noAck)
			got := readAll(c)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			if out.String() != tc.wrote {
				t.Errorf("wrote %q, want %q", out.String(), tc.wrote)
			}
		})
	}
}

func cs(data string) string { return fmt.Sprintf("%02x", Checksum([]byte(data))) }

func TestWritePacket(t *testing.T) {
	c, out := pipeConn("", 0)
	for _, data := range []string{"$", "a#", "0*!"} {
		if err := c.WritePacket([]byte(data)); !errors.Is(err, ErrPayload) {
			t.Errorf("WritePacket(%q): err %v, want ErrPayload", data, err)
		}
	}
	if out.Len() != 0 {
		t.Errorf("rejected packets wrote %q", out)
	}
	if err := c.WritePacket([]byte("OK")); err != nil || out.String() != "$OK#9a" {
		t.Errorf("WritePacket(OK): wrote %q, %v", out, err)
	}
	out.Reset()
	c.SetRLE(true)
	if err := c.WritePacket([]byte("00000000ff")); err != nil || out.String() != "$0*\"00ff#"+cs("0*\"00ff") {
		t.Errorf("WritePacket with RLE: wrote %q, %v", out, err)
	}
}

// TestRetransmit checks that a '-' for a reply gets it sent again, up to
// MaxRetries times, and that '+' or a newer reply ends that.
func TestRetransmit(t *testing.T) {
	const ok = "$OK#9a"
	for _, tc := range []struct {
		name    string
		in      string
		noAck   int // 1: before the reply, 2: after it
		want    []string
		resends int
	}{
		{name: "acked", in: "+-$g#67", want: []string{"$g", "!EOF"}},
		{name: "one nak", in: "-+$g#67", want: []string{"$g", "!EOF"}, resends: 1},
		{name: "naks", in: strings.Repeat("-", MaxRetries) + "+", want: []string{"!EOF"}, resends: MaxRetries},
		{name: "too many naks", in: strings.Repeat("-", MaxRetries+1) + "+", want: []string{"!" + ErrRetries.Error()}, resends: MaxRetries},
		// gdb acks the OK to QStartNoAckMode; the server switches after
		// writing it, so a nak for it is still honoured.
		{name: "no-ack after reply", in: "-+-", noAck: 2, want: []string{"!EOF"}, resends: 1},
		{name: "no-ack before reply", in: "-", noAck: 1, want: []string{"!EOF"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, out := pipeConn(tc.in, 0)
			c.SetNoAck(tc.noAck == 1)
			if err := c.WritePacket([]byte("OK")); err != nil {
				t.Fatal(err)
			}
			c.SetNoAck(tc.noAck != 0)
			got := readAll(c)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("read %q, want %q", got, tc.want)
			}
			wrote := strings.TrimSuffix(out.String(), "+") // the ack for $g
			if want := strings.Repeat(ok, 1+tc.resends); wrote != want {
				t.Errorf("wrote %q, want %q", wrote, want)
			}
		})
	}
}

// TestConcurrent is the way a server sees Ctrl-C while the target runs:
// one goroutine stays in ReadPacket while another writes the stop reply,
// whose acknowledgment (and a request to send it again) the reader
// handles. Run it with -race.
func TestConcurrent(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	c := NewConn(server, 0)
	packets := make(chan Packet)
	readErr := make(chan error, 1)
	go func() {
		for {
			p, err := c.ReadPacket()
			if err != nil {
				readErr <- err
				return
			}
			packets <- p
		}
	}()
	send := func(s string) {
		t.Helper()
		if _, err := client.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(want string) {
		t.Helper()
		got := make([]byte, len(want))
		if _, err := io.ReadFull(client, got); err != nil || string(got) != want {
			t.Fatalf("client read %q, %v; want %q", got, err, want)
		}
	}

	send("$vCont;c#a8")
	expect("+")
	if p := <-packets; string(p.Data) != "vCont;c" {
		t.Fatalf("got %q", p.Data)
	}
	send("\x03")
	if p := <-packets; p.Kind != Interrupt {
		t.Fatalf("got %v, want Interrupt", p.Kind)
	}
	const stop = "T02thread:1;"
	frame := string(AppendPacket(nil, []byte(stop)))
	wrote := make(chan error, 1)
	go func() { wrote <- c.WritePacket([]byte(stop)) }()
	expect(frame)
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	send("-")
	expect(frame)
	send("+$g#67")
	expect("+")
	if p := <-packets; string(p.Data) != "g" {
		t.Fatalf("got %q", p.Data)
	}
	client.Close()
	if err := <-readErr; err != io.EOF {
		t.Fatalf("after the client closed: %v, want EOF", err)
	}
}
