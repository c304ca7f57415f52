package loader

import (
	"bytes"
	"compress/zlib"
	"debug/dwarf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// errNoDWARF is returned by DWARF for binaries linked without debug info.
var errNoDWARF = errors.New("no DWARF debug info (built with -ldflags=-w?)")

// DWARF returns the guest's DWARF debug information, decompressing
// .zdebug_* and SHF_COMPRESSED sections as needed. A binary without debug
// sections gives an error saying so; malformed debug data gives an error,
// never a panic.
func (f *File) DWARF() (d *dwarf.Data, err error) {
	if f.ef == nil || f.ef.Section(".debug_info") == nil && f.ef.Section(".zdebug_info") == nil {
		return nil, errNoDWARF
	}
	defer func() {
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("malformed DWARF: debug/dwarf panicked: %v", r)
		}
	}()
	d, err = f.ef.DWARF()
	if err != nil {
		return nil, fmt.Errorf("malformed DWARF: %v", err)
	}
	return d, nil
}

// DWARFSection returns the contents of the debug section .debug_NAME
// (name is "loc", "loclists", "addr" ...), decompressed: an
// SHF_COMPRESSED section or the older .zdebug_NAME form ("ZLIB", the
// uncompressed size as 8 big-endian bytes, then a zlib stream), which
// go1.17 and earlier wrote. It returns nil and no error when the binary has
// no such section, and an error when the section cannot be read.
func (f *File) DWARFSection(name string) ([]byte, error) {
	if f.ef == nil {
		return nil, nil
	}
	if s := f.ef.Section(".debug_" + name); s != nil {
		b, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("reading .debug_%s: %v", name, err)
		}
		return b, nil
	}
	s := f.ef.Section(".zdebug_" + name)
	if s == nil {
		return nil, nil
	}
	b, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("reading .zdebug_%s: %v", name, err)
	}
	if len(b) < 12 || string(b[:4]) != "ZLIB" {
		return b, nil // stored uncompressed under the z name, as linkers may do
	}
	size := binary.BigEndian.Uint64(b[4:12])
	zr, err := zlib.NewReader(bytes.NewReader(b[12:]))
	if err != nil {
		return nil, fmt.Errorf("decompressing .zdebug_%s: %v", name, err)
	}
	defer zr.Close()
	if size > 1<<32 {
		return nil, fmt.Errorf("decompressing .zdebug_%s: implausible size %d", name, size)
	}
	out := make([]byte, size)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("decompressing .zdebug_%s: %v", name, err)
	}
	return out, nil
}
