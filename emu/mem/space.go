// Package mem is the guest's address space as Linux keeps it: a sorted list
// of mappings (VMAs) with protections and names, and the mmap placement
// rules. It decides layout only; package emu mirrors every change into the
// page table behind Unicorn's TLB.
package mem

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// PageSize is the guest page size.
const PageSize = 4096

// Address-space bounds: the lowest mappable address (Linux's default
// vm.mmap_min_addr) and the end of user space on x86-64.
const (
	MinAddr = 0x10000
	MaxAddr = 0x7ffffffff000
)

// VMA is one mapping: [Start, End) with one protection.
type VMA struct {
	Start, End uint64
	Prot       abi.Prot
	Name       string // "[stack]", the binary's path, "" for anonymous
	// Off is the file offset of Start for a mapping of a file (Name is a
	// path). Anonymous mappings keep Start here, as Linux keeps their page
	// offset, so that pieces split apart and joined again stay contiguous.
	Off uint64
}

// File reports whether v maps a file: its Name is a path, not "[stack]".
func (v VMA) File() bool { return strings.HasPrefix(v.Name, "/") }

// MapsLine renders v as one line of /proc/self/maps, laid out as Linux
// does: the name, if any, starts in column 74. Device and inode are always
// 00:00 0 so the text does not depend on the host's filesystem.
func (v VMA) MapsLine() string {
	var off uint64
	if v.File() {
		off = v.Off
	}
	s := fmt.Sprintf("%08x-%08x %sp %08x 00:00 0 ", v.Start, v.End, v.Prot, off)
	if v.Name != "" {
		const nameColumn = 25 + 6*8 - 1 // Linux's seq_setwidth for 64-bit
		if pad := nameColumn - len(s); pad > 0 {
			s += strings.Repeat(" ", pad)
		}
		s += " " + v.Name
	}
	return s + "\n"
}

// Errors, mapped to errno by the caller.
var (
	ErrNoMem  = errors.New("out of address space")       // ENOMEM
	ErrInval  = errors.New("invalid range")              // EINVAL
	ErrExist  = errors.New("range in use")               // EEXIST
	ErrCommit = errors.New("guest memory limit reached") // ENOMEM
)

// Space is an address space. The zero value is not usable; call New.
//
// Space also keeps Linux's strict overcommit accounting: the bytes of
// writable mappings are committed, whether or not they were touched, and a
// Map or Protect that would commit more than the limit fails with
// ErrCommit. PROT_NONE reservations cost nothing until they become
// writable, which is how the Go runtime reserves its heap.
type Space struct {
	vmas      []VMA  // sorted by Start, non-overlapping
	top       uint64 // top-down placement starts below this address
	committed uint64 // bytes in writable mappings
	limit     uint64 // most bytes that may be committed; 0: no limit
}

// New returns an empty space whose top-down mmap area ends at top.
func New(top uint64) *Space { return &Space{top: top} }

// Placement says how Map treats addr.
type Placement int

const (
	Hint           Placement = iota // use addr if the range is free, else search
	Fixed                           // replace whatever is there (MAP_FIXED)
	FixedNoReplace                  // use addr or fail with ErrExist
)

func pageUp(n uint64) (uint64, bool) {
	r := (n + PageSize - 1) &^ (PageSize - 1)
	return r, r >= n
}

// SetCommitLimit caps the committed bytes at n (0: no cap). Mappings made
// before keep their commitment even above n.
func (s *Space) SetCommitLimit(n uint64) { s.limit = n }

// Committed returns the bytes of writable mappings.
func (s *Space) Committed() uint64 { return s.committed }

// Size returns the bytes mapped (VmSize).
func (s *Space) Size() uint64 {
	var n uint64
	for _, v := range s.vmas {
		n += v.End - v.Start
	}
	return n
}

// writable returns the bytes of writable mappings in [start, end).
func (s *Space) writable(start, end uint64) uint64 {
	var n uint64
	for _, v := range s.vmas {
		if v.End > start && v.Start < end && v.Prot&abi.ProtWrite != 0 {
			n += min(v.End, end) - max(v.Start, start)
		}
	}
	return n
}

// commit checks that giving back freed bytes and committing added ones
// stays within the limit, and records the new total.
func (s *Space) commit(added, freed uint64) error {
	n := s.committed - freed + added
	if added > freed && s.limit != 0 && n > s.limit {
		return ErrCommit
	}
	s.committed = n
	return nil
}

// Map adds a mapping of length bytes and returns its start. Replaced ranges
// (Fixed) are reported through unmapped so the caller can free them. A
// writable mapping that would exceed the commit limit fails with ErrCommit
// and changes nothing.
func (s *Space) Map(addr, length uint64, prot abi.Prot, how Placement, name string) (start uint64, unmapped [][2]uint64, err error) {
	return s.MapFile(addr, length, prot, how, name, 0)
}

// MapFile is Map for a mapping of the file name from offset off (the
// executable's segments), which /proc/self/maps shows.
func (s *Space) MapFile(addr, length uint64, prot abi.Prot, how Placement, name string, off uint64) (start uint64, unmapped [][2]uint64, err error) {
	length, ok := pageUp(length)
	if length == 0 || !ok {
		return 0, nil, ErrInval
	}
	if addr%PageSize != 0 && how != Hint {
		return 0, nil, ErrInval
	}
	addr &^= PageSize - 1
	inRange := addr >= MinAddr && addr+length > addr && addr+length <= MaxAddr
	var added uint64
	if prot&abi.ProtWrite != 0 {
		added = length
	}
	switch how {
	case Fixed:
		if !inRange {
			return 0, nil, ErrNoMem
		}
		if err := s.commit(added, s.writable(addr, addr+length)); err != nil {
			return 0, nil, err
		}
		unmapped = s.unmap(addr, addr+length)
	case FixedNoReplace:
		if !inRange {
			return 0, nil, ErrNoMem
		}
		if !s.free(addr, addr+length) {
			return 0, nil, ErrExist
		}
		if err := s.commit(added, 0); err != nil {
			return 0, nil, err
		}
	case Hint:
		if addr == 0 || !inRange || !s.free(addr, addr+length) {
			addr, ok = s.findTopDown(length)
			if !ok {
				return 0, nil, ErrNoMem
			}
		}
		if err := s.commit(added, 0); err != nil {
			return 0, nil, err
		}
	}
	v := VMA{Start: addr, End: addr + length, Prot: prot, Name: name, Off: addr}
	if v.File() {
		v.Off = off
	}
	s.insert(v)
	return addr, unmapped, nil
}

// free reports whether no mapping intersects [start, end).
func (s *Space) free(start, end uint64) bool {
	i := sort.Search(len(s.vmas), func(i int) bool { return s.vmas[i].End > start })
	return i == len(s.vmas) || s.vmas[i].Start >= end
}

// findTopDown finds the highest free range of length bytes below s.top.
func (s *Space) findTopDown(length uint64) (uint64, bool) {
	hi := s.top
	for i := len(s.vmas) - 1; i >= -1; i-- {
		lo := uint64(MinAddr)
		if i >= 0 {
			v := s.vmas[i]
			if v.Start >= hi {
				continue
			}
			if v.End > lo {
				lo = v.End
			}
		}
		if hi > lo && hi-lo >= length {
			return hi - length, true
		}
		if i >= 0 && s.vmas[i].Start < hi {
			hi = s.vmas[i].Start
		}
	}
	return 0, false
}

func (s *Space) insert(v VMA) {
	i := sort.Search(len(s.vmas), func(i int) bool { return s.vmas[i].Start >= v.Start })
	s.vmas = append(s.vmas, VMA{})
	copy(s.vmas[i+1:], s.vmas[i:])
	s.vmas[i] = v
	s.merge(i)
}

// merge joins vmas[i] with equal neighbours, as Linux does for anonymous
// mappings with identical attributes.
func (s *Space) merge(i int) {
	if i+1 < len(s.vmas) && s.same(i, i+1) {
		s.vmas[i].End = s.vmas[i+1].End
		s.vmas = append(s.vmas[:i+1], s.vmas[i+2:]...)
	}
	if i > 0 && s.same(i-1, i) {
		s.vmas[i-1].End = s.vmas[i].End
		s.vmas = append(s.vmas[:i], s.vmas[i+1:]...)
	}
}

func (s *Space) same(a, b int) bool {
	x, y := s.vmas[a], s.vmas[b]
	return x.End == y.Start && x.Prot == y.Prot && x.Name == y.Name && x.Off+(x.End-x.Start) == y.Off
}

// piece is the part [start, end) of v, with its offset moved along.
func (v VMA) piece(start, end uint64) VMA {
	v.Off += start - v.Start
	v.Start, v.End = start, end
	return v
}

// Unmap removes [addr, addr+length), splitting mappings at the edges, and
// returns the ranges that were mapped.
func (s *Space) Unmap(addr, length uint64) ([][2]uint64, error) {
	length, ok := pageUp(length)
	if addr%PageSize != 0 || length == 0 || !ok || addr+length < addr {
		return nil, ErrInval
	}
	s.commit(0, s.writable(addr, addr+length))
	return s.unmap(addr, addr+length), nil
}

// unmap removes [start, end); the caller settles the commitment.
func (s *Space) unmap(start, end uint64) [][2]uint64 {
	var removed [][2]uint64
	var out []VMA
	for _, v := range s.vmas {
		if v.End <= start || v.Start >= end {
			out = append(out, v)
			continue
		}
		lo, hi := max(v.Start, start), min(v.End, end)
		removed = append(removed, [2]uint64{lo, hi})
		if v.Start < start {
			out = append(out, v.piece(v.Start, start))
		}
		if v.End > end {
			out = append(out, v.piece(end, v.End))
		}
	}
	s.vmas = out
	return removed
}

// Protect changes the protection of [addr, addr+length). Like Linux it
// fails with ErrNoMem if part of the range is not mapped, and with
// ErrCommit if making it writable would exceed the commit limit.
func (s *Space) Protect(addr, length uint64, prot abi.Prot) error {
	length, ok := pageUp(length)
	if addr%PageSize != 0 || !ok || addr+length < addr {
		return ErrInval
	}
	if length == 0 {
		return nil
	}
	end := addr + length
	// Check coverage first so a failing call changes nothing.
	cur := addr
	for _, v := range s.vmas {
		if v.End <= cur || v.Start >= end {
			continue
		}
		if v.Start > cur {
			return ErrNoMem
		}
		cur = v.End
		if cur >= end {
			break
		}
	}
	if cur < end {
		return ErrNoMem
	}
	var added uint64
	if prot&abi.ProtWrite != 0 {
		added = length
	}
	if err := s.commit(added, s.writable(addr, end)); err != nil {
		return err
	}
	var out []VMA
	for _, v := range s.vmas {
		if v.End <= addr || v.Start >= end {
			out = append(out, v)
			continue
		}
		if v.Start < addr {
			out = append(out, v.piece(v.Start, addr))
		}
		p := v.piece(max(v.Start, addr), min(v.End, end))
		p.Prot = prot
		out = append(out, p)
		if v.End > end {
			out = append(out, v.piece(end, v.End))
		}
	}
	s.vmas = out
	for i := len(s.vmas) - 1; i >= 0; i-- {
		if i < len(s.vmas) {
			s.merge(i)
		}
	}
	return nil
}

// Find returns the mapping that contains addr.
func (s *Space) Find(addr uint64) (VMA, bool) {
	i := sort.Search(len(s.vmas), func(i int) bool { return s.vmas[i].End > addr })
	if i < len(s.vmas) && s.vmas[i].Start <= addr {
		return s.vmas[i], true
	}
	return VMA{}, false
}

// VMAs returns a copy of the mappings in address order.
func (s *Space) VMAs() []VMA { return append([]VMA(nil), s.vmas...) }

// Maps renders the space as /proc/self/maps does.
func (s *Space) Maps() string {
	var b strings.Builder
	for _, v := range s.vmas {
		b.WriteString(v.MapsLine())
	}
	return b.String()
}
