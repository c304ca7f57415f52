package abi

import "testing"

// TestSyscallNumber checks that SyscallNumber inverts SyscallName for every
// named syscall (so no two share a name) and knows no others.
func TestSyscallNumber(t *testing.T) {
	for nr := range syscallNames {
		name := SyscallName(nr)
		if name == "" {
			continue
		}
		if got, ok := SyscallNumber(name); !ok || got != nr {
			t.Errorf("SyscallNumber(%q) = %d, %v; want %d", name, got, ok, nr)
		}
	}
	for _, c := range []struct {
		name   string
		wantNr int
		wantOK bool
	}{{"write", 1, true}, {"exit_group", 231, true}, {"", 0, false}, {"nosuch", 0, false}} {
		if got, ok := SyscallNumber(c.name); ok != c.wantOK || got != c.wantNr {
			t.Errorf("SyscallNumber(%q) = %d, %v; want %d, %v", c.name, got, ok, c.wantNr, c.wantOK)
		}
	}
	if SyscallName(-1) != "" || SyscallName(NumSyscalls) != "" {
		t.Errorf("SyscallName out of range is not empty")
	}
}
