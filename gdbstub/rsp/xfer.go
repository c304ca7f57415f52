package rsp

import (
	"bytes"
	"fmt"
)

// XferRead is a qXfer read request, "qXfer:object:read:annex:offset,length":
// read length bytes at offset of the document the object and annex name
// (qXfer:features:read:target.xml:0,ffb).
type XferRead struct {
	Object, Annex  string
	Offset, Length uint64
}

// ParseXferRead parses the data of a qXfer read request. It fails, with
// Error(0) as the protocol asks for a malformed request, if data is not
// one. The annex may be empty, or hold ':'.
func ParseXferRead(data []byte) (XferRead, error) {
	rest, ok := bytes.CutPrefix(data, []byte("qXfer:"))
	if !ok {
		return XferRead{}, malformed("not a qXfer request")
	}
	object, rest, ok := bytes.Cut(rest, []byte(":read:"))
	if !ok || len(object) == 0 {
		return XferRead{}, malformed("not a qXfer read")
	}
	i := bytes.LastIndexByte(rest, ':')
	if i < 0 {
		return XferRead{}, malformed("no offset")
	}
	off, length, ok := bytes.Cut(rest[i+1:], []byte(","))
	if !ok {
		return XferRead{}, malformed("no length")
	}
	r := XferRead{Object: string(object), Annex: string(rest[:i])}
	var err1, err2 error
	r.Offset, err1 = ParseUint(off)
	r.Length, err2 = ParseUint(length)
	if err1 != nil || err2 != nil || r.Length == 0 {
		return XferRead{}, malformed("bad offset or length")
	}
	return r, nil
}

// XferReply returns the reply to a read of length bytes at offset of doc:
// 'l' and the bytes if they reach the end of doc ("l" alone at the end),
// 'm' and the bytes if more follow, the bytes escaped. gdb asks again at
// the offset after the last byte until it gets 'l'. It fails with Error(0)
// for a length of 0 (an 'm' with no bytes is an error to gdb), and Error(1)
// for an offset past the end of doc.
func XferReply(doc []byte, offset, length uint64) ([]byte, error) {
	if length == 0 {
		return nil, malformed("length 0")
	}
	if offset > uint64(len(doc)) {
		return nil, fmt.Errorf("qXfer offset %#x past the end (%#x): %w", offset, len(doc), Error(1))
	}
	chunk := doc[offset:]
	kind := byte('l')
	if uint64(len(chunk)) > length {
		chunk, kind = chunk[:length], 'm'
	}
	return AppendEscaped([]byte{kind}, chunk), nil
}

func malformed(why string) error {
	return fmt.Errorf("qXfer: %s: %w", why, Error(0))
}
