// Package mem is the guest's address space as Linux keeps it: a sorted list
// of mappings (VMAs) with protections and names, and the mmap placement
// rules. It decides layout only; package emu mirrors every change into the
// page table behind Unicorn's TLB.
package mem

import (
	"errors"
	"fmt"
	"sort"
)

// PageSize is the guest page size.
const PageSize = 4096

// Address-space bounds: the lowest mappable address (Linux's default
// vm.mmap_min_addr) and the end of user space on x86-64.
const (
	MinAddr = 0x10000
	MaxAddr = 0x7ffffffff000
)

// Prot is a set of page permissions.
type Prot uint8

const (
	Read  Prot = 1
	Write Prot = 2
	Exec  Prot = 4
)

func (p Prot) String() string {
	b := []byte("---")
	if p&Read != 0 {
		b[0] = 'r'
	}
	if p&Write != 0 {
		b[1] = 'w'
	}
	if p&Exec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// VMA is one mapping: [Start, End) with one protection.
type VMA struct {
	Start, End uint64
	Prot       Prot
	Name       string // "[stack]", the binary's path, "" for anonymous
}

// Errors, mapped to errno by the caller.
var (
	ErrNoMem = errors.New("out of address space") // ENOMEM
	ErrInval = errors.New("invalid range")        // EINVAL
	ErrExist = errors.New("range in use")         // EEXIST
)

// Space is an address space. The zero value is not usable; call New.
type Space struct {
	vmas []VMA  // sorted by Start, non-overlapping
	top  uint64 // top-down placement starts below this address
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

// Map adds a mapping of length bytes and returns its start. Replaced ranges
// (Fixed) are reported through unmapped so the caller can free them.
func (s *Space) Map(addr, length uint64, prot Prot, how Placement, name string) (start uint64, unmapped [][2]uint64, err error) {
	length, ok := pageUp(length)
	if length == 0 || !ok {
		return 0, nil, ErrInval
	}
	if addr%PageSize != 0 && how != Hint {
		return 0, nil, ErrInval
	}
	addr &^= PageSize - 1
	inRange := addr >= MinAddr && addr+length > addr && addr+length <= MaxAddr
	switch how {
	case Fixed:
		if !inRange {
			return 0, nil, ErrNoMem
		}
		unmapped = s.unmap(addr, addr+length)
	case FixedNoReplace:
		if !inRange {
			return 0, nil, ErrNoMem
		}
		if !s.free(addr, addr+length) {
			return 0, nil, ErrExist
		}
	case Hint:
		if addr == 0 || !inRange || !s.free(addr, addr+length) {
			addr, ok = s.findTopDown(length)
			if !ok {
				return 0, nil, ErrNoMem
			}
		}
	}
	s.insert(VMA{Start: addr, End: addr + length, Prot: prot, Name: name})
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
	return x.End == y.Start && x.Prot == y.Prot && x.Name == y.Name
}

// Unmap removes [addr, addr+length), splitting mappings at the edges, and
// returns the ranges that were mapped.
func (s *Space) Unmap(addr, length uint64) ([][2]uint64, error) {
	length, ok := pageUp(length)
	if addr%PageSize != 0 || length == 0 || !ok || addr+length < addr {
		return nil, ErrInval
	}
	return s.unmap(addr, addr+length), nil
}

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
			out = append(out, VMA{v.Start, start, v.Prot, v.Name})
		}
		if v.End > end {
			out = append(out, VMA{end, v.End, v.Prot, v.Name})
		}
	}
	s.vmas = out
	return removed
}

// Protect changes the protection of [addr, addr+length). Like Linux it
// fails with ErrNoMem if part of the range is not mapped.
func (s *Space) Protect(addr, length uint64, prot Prot) error {
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
	var out []VMA
	for _, v := range s.vmas {
		if v.End <= addr || v.Start >= end {
			out = append(out, v)
			continue
		}
		if v.Start < addr {
			out = append(out, VMA{v.Start, addr, v.Prot, v.Name})
		}
		out = append(out, VMA{max(v.Start, addr), min(v.End, end), prot, v.Name})
		if v.End > end {
			out = append(out, VMA{end, v.End, v.Prot, v.Name})
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

// Maps renders the space like /proc/self/maps.
func (s *Space) Maps() string {
	out := ""
	for _, v := range s.vmas {
		out += fmt.Sprintf("%012x-%012x %sp 00000000 00:00 0 %s\n", v.Start, v.End, v.Prot, v.Name)
	}
	return out
}
