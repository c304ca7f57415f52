package syscalls

import (
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// TestTableNamed checks that Table and abi's names describe the same calls:
// every entry with anything in it is a syscall abi names, and Table is no
// longer than abi's list.
func TestTableNamed(t *testing.T) {
	if len(Table) > abi.NumSyscalls {
		t.Errorf("Table has %d entries, abi names only %d", len(Table), abi.NumSyscalls)
	}
	for nr, e := range Table {
		if (e.Handler != nil || e.Args != nil || e.Note != "") && abi.SyscallName(nr) == "" {
			t.Errorf("Table[%d] is filled in, but abi has no name for syscall %d", nr, nr)
		}
	}
}
