package godwarf

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Location lists: where a variable lives over ranges of pc. Go's
// debug/dwarf returns the offset of a list (DW_FORM_sec_offset) but cannot
// read it, so this file parses both encodings Go toolchains write:
// DWARF 4's .debug_loc (go1.19 and earlier: pairs of addresses relative to
// the unit's base address, or a base address selection entry) and DWARF 5's
// .debug_loclists (go1.25 and later: DW_LLE_* entries, addresses as indexes
// into .debug_addr).

// LocEntry is one entry of a location list: Expr describes the location
// for Lo <= pc < Hi. A DWARF 5 default location (DW_LLE_default_location)
// has Default set and applies where no other entry does.
type LocEntry struct {
	Lo, Hi  uint64
	Expr    []byte
	Default bool
}

// maxLocEntries bounds one list, against malformed input.
const maxLocEntries = 1 << 16

var errLocTruncated = errors.New("location list truncated")

// ParseLoc parses the DWARF 4 location list at off in a .debug_loc
// section. base is the base address of its compilation unit (the unit's
// DW_AT_low_pc); a base address selection entry (begin = all ones)
// replaces it for the entries that follow. The list ends at an entry of
// two zero addresses. Empty ranges are dropped.
func ParseLoc(sec []byte, off, base uint64) ([]LocEntry, error) {
	if off >= uint64(len(sec)) {
		return nil, fmt.Errorf("location list offset %#x outside .debug_loc (%d bytes)", off, len(sec))
	}
	b := sec[off:]
	var out []LocEntry
	for n := 0; n < maxLocEntries; n++ {
		if len(b) < 16 {
			return nil, errLocTruncated
		}
		lo, hi := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		b = b[16:]
		switch {
		case lo == 0 && hi == 0:
			return out, nil
		case lo == ^uint64(0):
			base = hi
			continue
		}
		if len(b) < 2 {
			return nil, errLocTruncated
		}
		n := int(binary.LittleEndian.Uint16(b))
		b = b[2:]
		if len(b) < n {
			return nil, errLocTruncated
		}
		if lo < hi {
			out = append(out, LocEntry{Lo: base + lo, Hi: base + hi, Expr: b[:n:n]})
		}
		b = b[n:]
	}
	return nil, errors.New("location list too long")
}

// DWARF 5 location list entry kinds (DW_LLE_*).
const (
	lleEndOfList       = 0x00
	lleBaseAddressx    = 0x01
	lleStartxEndx      = 0x02
	lleStartxLength    = 0x03
	lleOffsetPair      = 0x04
	lleDefaultLocation = 0x05
	lleBaseAddress     = 0x06
	lleStartEnd        = 0x07
	lleStartLength     = 0x08
)

// ParseLoclists parses the DWARF 5 location list at off in a
// .debug_loclists section (off is what DW_FORM_sec_offset gives: from the
// start of the section). base is the unit's base address (its
// DW_AT_low_pc); addrx resolves an index into the unit's part of
// .debug_addr, for the DW_LLE_*x entries. Empty ranges are dropped.
func ParseLoclists(sec []byte, off, base uint64, addrx func(uint64) (uint64, error)) ([]LocEntry, error) {
	if off >= uint64(len(sec)) {
		return nil, fmt.Errorf("location list offset %#x outside .debug_loclists (%d bytes)", off, len(sec))
	}
	r := &reader{b: sec[off:]}
	idx := func() uint64 {
		i := r.uleb()
		if r.err != nil {
			return 0
		}
		a, err := addrx(i)
		if err != nil && r.err == nil {
			r.err = err
		}
		return a
	}
	var out []LocEntry
	for n := 0; n < maxLocEntries; n++ {
		kind := r.u8()
		var lo, hi uint64
		def := false
		switch kind {
		case lleEndOfList:
			if r.err != nil {
				return nil, r.err
			}
			return out, nil
		case lleBaseAddressx:
			base = idx()
			continue
		case lleBaseAddress:
			base = r.u64()
			continue
		case lleStartxEndx:
			lo = idx()
			hi = idx()
		case lleStartxLength:
			lo = idx()
			hi = lo + r.uleb()
		case lleOffsetPair:
			lo = base + r.uleb()
			hi = base + r.uleb()
		case lleDefaultLocation:
			def = true
		case lleStartEnd:
			lo = r.u64()
			hi = r.u64()
		case lleStartLength:
			lo = r.u64()
			hi = lo + r.uleb()
		default:
			if r.err != nil {
				return nil, r.err
			}
			return nil, fmt.Errorf("unknown location list entry kind %#x at offset %#x", kind, off+uint64(r.off-1))
		}
		expr := r.bytes(r.uleb())
		if r.err != nil {
			return nil, r.err
		}
		if def || lo < hi {
			out = append(out, LocEntry{Lo: lo, Hi: hi, Expr: expr, Default: def})
		}
	}
	return nil, errors.New("location list too long")
}

// Find returns the expression that applies at pc: the entry whose range
// holds it, else a default entry; false if none does.
func Find(list []LocEntry, pc uint64) ([]byte, bool) {
	var def []byte
	hasDef := false
	for _, e := range list {
		if e.Default {
			def, hasDef = e.Expr, true
			continue
		}
		if e.Lo <= pc && pc < e.Hi {
			return e.Expr, true
		}
	}
	return def, hasDef
}

// reader decodes the little-endian encodings of DWARF; the first error
// sticks and later reads return zero.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errLocTruncated
	}
	r.off = len(r.b)
}

func (r *reader) u8() byte {
	if r.off >= len(r.b) {
		r.fail()
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) u64() uint64 {
	if len(r.b)-r.off < 8 {
		r.fail()
		return 0
	}
	r.off += 8
	return binary.LittleEndian.Uint64(r.b[r.off-8:])
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := uint(0); ; shift += 7 {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		if c&0x80 == 0 {
			return v
		}
	}
}

func (r *reader) sleb() int64 {
	var v int64
	shift := uint(0)
	for {
		c := r.u8()
		if r.err != nil {
			return 0
		}
		if shift < 64 {
			v |= int64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return v
		}
	}
}

func (r *reader) bytes(n uint64) []byte {
	if uint64(len(r.b)-r.off) < n {
		r.fail()
		return nil
	}
	out := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return out
}
