package rsp

import "math/bits"

const hexDigits = "0123456789abcdef"

// escapeByte starts an escape in binary data: '}' and then the escaped byte
// XOR 0x20.
const escapeByte = '}'

// needsEscape reports whether b must be escaped in binary data sent to gdb:
// '$' and '#' frame packets, '}' escapes, and '*' would be read as
// run-length encoding, which gdb undoes before it unescapes.
func needsEscape(b byte) bool {
	return b == '$' || b == '#' || b == escapeByte || b == '*'
}

// AppendEscaped appends binary data to dst with '$', '#', '}' and '*'
// escaped, as replies with binary data (qXfer, x, vFile) need. The result
// never holds those four bytes unescaped, so WritePacket accepts it.
func AppendEscaped(dst, data []byte) []byte {
	for _, b := range data {
		if needsEscape(b) {
			dst = append(dst, escapeByte, b^0x20)
		} else {
			dst = append(dst, b)
		}
	}
	return dst
}

// Unescape returns binary data from a packet (X, vFile:pwrite) with its
// escapes undone: '}' and the byte after it become that byte XOR 0x20. Any
// other byte, '*' included, stands for itself. It fails with ErrEscape if
// data ends in '}'. The result is a new slice.
func Unescape(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		b := data[i]
		if b == escapeByte {
			i++
			if i == len(data) {
				return nil, ErrEscape
			}
			b = data[i] ^ 0x20
		}
		out = append(out, b)
	}
	return out, nil
}

// Run-length encoding: "c*n" stands for c and then n-29 more copies of c.
// The count byte must be printable (n-29 from 3, ' ', to 97, '~'), and
// must not be '#' or '$' (6 or 7 repeats), which a receiver would take
// for the end or the start of a packet.
const (
	rleBias      = 29
	rleMinRepeat = ' ' - rleBias // 3
	rleMaxRepeat = '~' - rleBias // 97
)

// rleCountOK reports whether c may follow '*' as a repeat count.
func rleCountOK(c byte) bool {
	return c >= ' ' && c <= '~' && c != '#' && c != '$'
}

// AppendRLE appends data to dst run-length encoded, as gdb accepts in
// replies: a run of four or more copies of a byte c becomes c, '*' and a
// count byte; runs that would need the forbidden counts 6 and 7 are sent
// with a count of 5 and the rest as plain bytes, and runs longer than 98 in
// several pieces. Data must not hold '*' (AppendEscaped escapes it), as a
// receiver would take it for an encoding.
func AppendRLE(dst, data []byte) []byte {
	for i := 0; i < len(data); {
		c := data[i]
		n := 1 // length of the run at i, up to the longest one piece encodes
		for i+n < len(data) && data[i+n] == c && n <= rleMaxRepeat {
			n++
		}
		dst = append(dst, c)
		repeat := n - 1
		if repeat >= rleMinRepeat {
			if !rleCountOK(byte(repeat + rleBias)) {
				repeat = '"' - rleBias // 5
			}
			dst = append(dst, '*', byte(repeat+rleBias))
		} else {
			repeat = 0
		}
		for k := 1 + repeat; k < n; k++ {
			dst = append(dst, c)
		}
		i += n
	}
	return dst
}

// ExpandRLE returns data with its run-length encoding undone: each "*n" is
// replaced by n-29 copies of the byte before it. It is what a client does
// to a reply before anything else, and the inverse of AppendRLE. It fails
// with ErrRLE for a '*' with no byte before or after it, and for a count
// byte AppendRLE never writes: one that is not printable, or is '#' or '$'
// (a framed packet cannot hold those unescaped anyway). The result is a new
// slice, at most 49 times as long as data.
func ExpandRLE(data []byte) ([]byte, error) {
	out := make([]byte, 0, len(data))
	for i := 0; i < len(data); i++ {
		b := data[i]
		if b != '*' {
			out = append(out, b)
			continue
		}
		i++
		if len(out) == 0 || i == len(data) || !rleCountOK(data[i]) {
			return nil, ErrRLE
		}
		c := out[len(out)-1]
		for n := int(data[i]) - rleBias; n > 0; n-- {
			out = append(out, c)
		}
	}
	return out, nil
}

// AppendHex appends data to dst as two lowercase hex digits a byte, in
// order: the encoding of memory in m replies.
func AppendHex(dst, data []byte) []byte {
	for _, b := range data {
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
	}
	return dst
}

// AppendLE appends the low size bytes of v to dst as hex, least
// significant byte first: a register of up to 8 bytes in a g or p reply
// on a little-endian target (rip 0x401000 is "0010400000000000").
func AppendLE(dst []byte, v uint64, size int) []byte {
	for i := 0; i < size; i++ {
		b := byte(v >> (8 * i))
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xf])
	}
	return dst
}

// AppendUnavailable appends "xx" for each of size bytes: a register whose
// value the stub cannot supply, in a g or p reply.
func AppendUnavailable(dst []byte, size int) []byte {
	for i := 0; i < size; i++ {
		dst = append(dst, 'x', 'x')
	}
	return dst
}

// DecodeHex returns the bytes that hex stands for, two digits a byte, in
// either case: the data of an M packet or a G packet. It fails with ErrHex
// for an odd count or a byte that is not a hex digit.
func DecodeHex(hex []byte) ([]byte, error) {
	if len(hex)%2 != 0 {
		return nil, ErrHex
	}
	out := make([]byte, len(hex)/2)
	for i := range out {
		hi, ok1 := unhex(hex[2*i])
		lo, ok2 := unhex(hex[2*i+1])
		if !ok1 || !ok2 {
			return nil, ErrHex
		}
		out[i] = hi<<4 | lo
	}
	return out, nil
}

// ParseLE returns the value of a little-endian hex register of 1 to 8
// bytes, as in a P packet: "0010400000000000" is 0x401000. It fails with
// ErrHex for anything else.
func ParseLE(hex []byte) (uint64, error) {
	if len(hex) == 0 || len(hex) > 16 {
		return 0, ErrHex
	}
	b, err := DecodeHex(hex)
	if err != nil {
		return 0, err
	}
	var v uint64
	for i, x := range b {
		v |= uint64(x) << (8 * i)
	}
	return v, nil
}

// ParseUint returns the value of a number written in hex, most significant
// digit first, as addresses, lengths and thread ids are ("m401000,40").
// It fails with ErrHex for an empty string, a byte that is not a hex digit,
// or a value over 64 bits.
func ParseUint(hex []byte) (uint64, error) {
	if len(hex) == 0 {
		return 0, ErrHex
	}
	var v uint64
	for _, c := range hex {
		d, ok := unhex(c)
		if !ok || bits.LeadingZeros64(v) < 4 {
			return 0, ErrHex
		}
		v = v<<4 | uint64(d)
	}
	return v, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
