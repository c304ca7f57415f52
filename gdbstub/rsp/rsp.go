// Package rsp is the packet layer of gdb's Remote Serial Protocol, the
// stub's side: framing and acknowledgments (Conn), the encodings packets
// carry (escaped binary data, run-length encoding, hex), qXfer paging and
// error replies. It knows no commands; a server reads packets from a Conn,
// interprets them, and writes replies.
//
// On the wire a packet is
//
//	$data#cs
//
// where cs is two hex digits, the sum of the bytes of data modulo 256. Data
// never holds '$' or '#' unescaped. Until both sides switch to no-ack mode
// (QStartNoAckMode) the receiver of a packet answers '+' (received) or '-'
// (send it again). Between packets gdb may also send the single byte 0x03,
// an interrupt request (Ctrl-C), which is not acknowledged.
package rsp

import (
	"errors"
	"fmt"
)

// Interrupt byte: gdb sends it between packets to stop a running target.
const interruptByte = 0x03

var (
	// ErrTooLong is returned by ReadPacket for a packet whose data is
	// longer than the Conn's limit. The packet was read to its end and
	// acknowledged, so the connection is still in step: the server should
	// reply with an error and read on.
	ErrTooLong = errors.New("rsp: packet too long")
	// ErrRetries is returned by ReadPacket when the client has asked for
	// the same reply again more than MaxRetries times: the link corrupts
	// every copy, and the connection should be closed.
	ErrRetries = errors.New("rsp: reply not acknowledged after retries")
	// ErrPayload is returned by WritePacket for data holding '$', '#' or
	// '*', which cannot reach gdb unchanged: binary data must go through
	// AppendEscaped first.
	ErrPayload = errors.New("rsp: reply holds '$', '#' or '*'")
	// ErrEscape is returned by Unescape for data ending in the escape
	// byte '}'.
	ErrEscape = errors.New("rsp: escape at end of data")
	// ErrRLE is returned by ExpandRLE for a malformed run-length encoding.
	ErrRLE = errors.New("rsp: bad run-length encoding")
	// ErrHex is returned by the hex decoders for input that is not an
	// even number of hex digits, or too long for the result.
	ErrHex = errors.New("rsp: bad hex")
)

// Checksum returns the checksum of a packet's data: the sum of its bytes
// modulo 256.
func Checksum(data []byte) uint8 {
	var sum uint8
	for _, b := range data {
		sum += b
	}
	return sum
}

// AppendPacket appends data framed as a packet, $data#cs, to dst. It frames
// data as given: no escaping, no run-length encoding, no checks.
func AppendPacket(dst, data []byte) []byte {
	dst = append(dst, '$')
	dst = append(dst, data...)
	sum := Checksum(data)
	return append(dst, '#', hexDigits[sum>>4], hexDigits[sum&0xf])
}

// Error is an error reply, "E NN" on the wire ("E01" for Error(1)). gdb
// shows the number to the user but gives it no meaning, except where a
// packet's documentation does (qXfer: E00 for a malformed request).
type Error uint8

// Error implements error.
func (e Error) Error() string { return fmt.Sprintf("rsp: error reply E%02x", uint8(e)) }

// Reply returns the reply's data, "E" and two hex digits.
func (e Error) Reply() []byte {
	return []byte{'E', hexDigits[e>>4], hexDigits[e&0xf]}
}

// ErrorReply returns the error reply for err: the Error it wraps, or E01.
// It is how a server answers a request it could not carry out.
func ErrorReply(err error) []byte {
	var e Error
	if errors.As(err, &e) {
		return e.Reply()
	}
	return Error(1).Reply()
}
