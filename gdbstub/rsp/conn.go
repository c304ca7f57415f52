package rsp

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"sync"
)

// DefaultMaxPacket is the packet data limit NewConn uses when given none:
// what a server can advertise as PacketSize in its qSupported reply.
const DefaultMaxPacket = 16 << 10

// MaxRetries is how many times a Conn sends a reply again when the client
// answers '-' before ReadPacket gives up with ErrRetries.
const MaxRetries = 5

// Kind tells what ReadPacket received.
type Kind uint8

const (
	// Command is a packet from the client.
	Command Kind = iota + 1
	// Interrupt is the byte 0x03 between packets: the user pressed
	// Ctrl-C, and the server should stop the running target and send a
	// stop reply.
	Interrupt
)

// Packet is what ReadPacket received: a packet, or an interrupt request.
type Packet struct {
	Kind Kind
	// Data is a Command's data, between '$' and '#', as sent: binary
	// data still escaped (see Unescape). Clients do not run-length
	// encode what they send, so it is not expanded. Data is the caller's
	// to keep.
	Data []byte
}

// Conn is the stub's end of a connection: it reads the client's packets
// and writes replies, with the acknowledgments of either direction.
//
// Acknowledgments for the client's packets are sent by ReadPacket as it
// reads them. Those for replies arrive later, between the client's
// packets, so ReadPacket handles them too: '-' makes it send the last
// reply again (up to MaxRetries times), '+' ends that. WritePacket
// therefore never waits for the client, and a server can keep one
// goroutine in ReadPacket (to see interrupts while the target runs) while
// another writes.
//
// ReadPacket must not be called by two goroutines at once; WritePacket,
// SetNoAck and SetRLE may be called from any goroutine at any time.
type Conn struct {
	r         *bufio.Reader
	maxPacket int
	data      []byte // ReadPacket's buffer

	mu      sync.Mutex // guards everything below and writes to w
	w       io.Writer
	noAck   bool
	rle     bool
	frame   []byte // the last reply, framed; last aliases it
	last    []byte // the last reply, until acknowledged; nil in no-ack mode
	retries int    // times last was sent again
	scratch []byte // run-length encoded data
}

// NewConn returns a Conn reading and writing rw, in the protocol's
// initial state: acknowledgments on, no run-length encoding. maxPacket
// bounds the data of the packets it reads (the PacketSize the server
// advertises); 0 or less means DefaultMaxPacket.
func NewConn(rw io.ReadWriter, maxPacket int) *Conn {
	if maxPacket <= 0 {
		maxPacket = DefaultMaxPacket
	}
	return &Conn{r: bufio.NewReader(rw), w: rw, maxPacket: maxPacket}
}

// SetNoAck turns no-ack mode on or off. In no-ack mode the Conn sends no
// acknowledgments, expects none for its replies, and accepts packets
// whatever their checksum (the protocol lets a receiver ignore it then,
// and some clients send 00). A server turns it on after writing the OK
// that answers QStartNoAckMode: the client still acknowledges that OK,
// and a '-' for it is honoured, but nothing after.
func (c *Conn) SetNoAck(on bool) {
	c.mu.Lock()
	c.noAck = on
	c.mu.Unlock()
}

// SetRLE turns run-length encoding of replies (AppendRLE) on or off.
func (c *Conn) SetRLE(on bool) {
	c.mu.Lock()
	c.rle = on
	c.mu.Unlock()
}

// WritePacket sends data as one reply packet, run-length encoded if SetRLE
// is on. It fails with ErrPayload, sending nothing, if data holds '$', '#'
// or '*'. It does not wait for the acknowledgment (see Conn). The Conn
// keeps no reference to data.
func (c *Conn) WritePacket(data []byte) error {
	if bytes.ContainsAny(data, "$#*") {
		return ErrPayload
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rle {
		c.scratch = AppendRLE(c.scratch[:0], data)
		data = c.scratch
	}
	c.frame = AppendPacket(c.frame[:0], data)
	c.last, c.retries = nil, 0
	if !c.noAck {
		c.last = c.frame
	}
	_, err := c.w.Write(c.frame)
	return err
}

// ReadPacket returns the next packet or interrupt from the client. On the
// way it acknowledges packets ('+', or '-' for a bad checksum, after which
// it reads the copy the client sends again), sends the last reply again
// for a '-', skips notifications (%data#cs, which need no answer) and any
// other bytes between packets, and starts over at a '$' inside a packet,
// as gdb does.
//
// Errors: ErrTooLong for a packet over the limit (the connection is still
// usable); ErrRetries, or an error from writing, or one from reading (io.EOF
// between packets, io.ErrUnexpectedEOF inside one), after which it is not.
func (c *Conn) ReadPacket() (Packet, error) {
	for {
		b, err := c.r.ReadByte()
		if err != nil {
			return Packet{}, err
		}
		switch b {
		case '$':
			p, ok, err := c.readCommand()
			if ok || err != nil {
				return p, err
			}
		case '%':
			if err := c.skipNotification(); err != nil {
				return Packet{}, err
			}
		case interruptByte:
			return Packet{Kind: Interrupt}, nil
		case '+':
			c.mu.Lock()
			c.last = nil
			c.mu.Unlock()
		case '-':
			if err := c.resend(); err != nil {
				return Packet{}, err
			}
		}
		// Anything else between packets is line noise (or a stray
		// acknowledgment in no-ack mode), skipped.
	}
}

// readCommand reads a packet whose '$' has been read. It reports ok false
// for a packet rejected with '-', to be sent again.
func (c *Conn) readCommand() (p Packet, ok bool, err error) {
	sum, cs, tooLong, err := c.readFrame()
	for err == errRestart {
		sum, cs, tooLong, err = c.readFrame()
	}
	if err != nil {
		return Packet{}, false, err
	}
	c.mu.Lock()
	noAck := c.noAck
	c.mu.Unlock()
	if !noAck {
		hi, ok1 := unhex(cs[0])
		lo, ok2 := unhex(cs[1])
		if !ok1 || !ok2 || hi<<4|lo != sum {
			return Packet{}, false, c.ack('-')
		}
		if err := c.ack('+'); err != nil {
			return Packet{}, false, err
		}
	}
	if tooLong {
		return Packet{}, false, ErrTooLong
	}
	return Packet{Kind: Command, Data: bytes.Clone(c.data)}, true, nil
}

// errRestart is readFrame's report of a '$' inside a packet: the packet
// is abandoned, and the one the '$' starts read instead.
var errRestart = errors.New("rsp: packet restarted")

// readFrame reads a packet's data into c.data (up to the limit: tooLong
// says whether there was more) and its checksum digits, returning the sum
// of the data as read.
func (c *Conn) readFrame() (sum uint8, cs [2]byte, tooLong bool, err error) {
	c.data = c.data[:0]
	var b byte
	for {
		if b, err = c.r.ReadByte(); err != nil {
			return 0, cs, false, unexpected(err)
		}
		if b == '$' {
			return 0, cs, false, errRestart
		}
		if b == '#' {
			break
		}
		sum += b
		if len(c.data) < c.maxPacket {
			c.data = append(c.data, b)
		} else {
			tooLong = true // read on to the end, to stay in step
		}
	}
	for i := range cs {
		if cs[i], err = c.r.ReadByte(); err != nil {
			return 0, cs, false, unexpected(err)
		}
		if cs[i] == '$' {
			return 0, cs, false, errRestart
		}
	}
	return sum, cs, tooLong, nil
}

// skipNotification reads past a notification whose '%' has been read. A
// notification's data holds no '$', so one starts a packet, which is
// pushed back for ReadPacket.
func (c *Conn) skipNotification() error {
	for n := -1; n < 2; {
		b, err := c.r.ReadByte()
		if err != nil {
			return unexpected(err)
		}
		if b == '$' {
			return c.r.UnreadByte()
		}
		if n >= 0 {
			n++ // a checksum digit
		} else if b == '#' {
			n = 0
		}
	}
	return nil
}

func (c *Conn) ack(b byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.w.Write([]byte{b})
	return err
}

// resend answers a '-' from the client by sending the last reply again.
func (c *Conn) resend() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return nil // stray, or for a reply already acknowledged
	}
	if c.retries == MaxRetries {
		c.last = nil
		return ErrRetries
	}
	c.retries++
	_, err := c.w.Write(c.last)
	return err
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Command:
		return "Command"
	case Interrupt:
		return "Interrupt"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
