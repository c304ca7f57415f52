package target

import (
	"cmp"
	"fmt"

	"github.com/gouth-emu/gouth-emu/emu/mem"
)

// VMA is one mapping of the guest address space (its Prot is an
// abi.Prot).
type VMA = mem.VMA

// Maps returns the guest's mappings in address order.
func (t *Target) Maps() []VMA { return t.m.Space().VMAs() }

// AddBreakpoint makes o hold a code breakpoint at addr: every thread stops
// before executing it while any owner holds one there. Each call is one
// hold, released by one RemoveBreakpoint.
func (t *Target) AddBreakpoint(addr uint64, o Owner) error { return t.code.add(addr, o) }

// RemoveBreakpoint releases one of o's holds at addr; the machine's hook
// goes with the last hold of any owner.
func (t *Target) RemoveBreakpoint(addr uint64, o Owner) error { return t.code.remove(addr, o) }

// BreakpointOwners lists who holds a breakpoint at addr.
func (t *Target) BreakpointOwners(addr uint64) []Owner { return t.code.owners(addr) }

// Breakpoints lists the addresses that have a breakpoint, in order.
func (t *Target) Breakpoints() []uint64 { return t.code.keys(cmp.Less[uint64]) }

// AddWatch makes o hold a watchpoint on the n bytes at addr: a change by
// any thread or syscall stops the guest right after it (StopWatch). Holds
// on one address must agree on n.
func (t *Target) AddWatch(addr uint64, n int, o Owner) error {
	if have, ok := t.sizes[addr]; ok && have != n {
		return fmt.Errorf("%#x is already watched as %d bytes", addr, have)
	}
	if _, ok := t.sizes[addr]; !ok {
		t.sizes[addr] = n
	}
	err := t.watches.add(addr, o)
	if err != nil && len(t.watches.owners(addr)) == 0 {
		delete(t.sizes, addr)
	}
	return err
}

// RemoveWatch releases one of o's holds on the watch at addr.
func (t *Target) RemoveWatch(addr uint64, o Owner) error { return t.watches.remove(addr, o) }

// CatchSyscall makes o hold a catchpoint on syscall nr: a thread entering
// it stops (StopSyscall) before the call is made.
func (t *Target) CatchSyscall(nr int, o Owner) error { return t.catches.add(nr, o) }

// UncatchSyscall releases one of o's holds on the catchpoint for nr.
func (t *Target) UncatchSyscall(nr int, o Owner) error { return t.catches.remove(nr, o) }

func (t *Target) catching(nr int) bool { return len(t.catches.owners(nr)) > 0 }
