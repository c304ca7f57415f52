package syscalls

import "testing"

// TestNumber checks that Number inverts Name for every syscall in the table
// (so no two share a name) and knows no others.
func TestNumber(t *testing.T) {
	for nr := range Table {
		name := Name(nr)
		if name == "" {
			continue
		}
		if got, ok := Number(name); !ok || got != nr {
			t.Errorf("Number(%q) = %d, %v; want %d", name, got, ok, nr)
		}
	}
	for _, c := range []struct {
		name   string
		wantNr int
		wantOK bool
	}{{"write", 1, true}, {"exit_group", 231, true}, {"", 0, false}, {"nosuch", 0, false}} {
		if got, ok := Number(c.name); ok != c.wantOK || got != c.wantNr {
			t.Errorf("Number(%q) = %d, %v; want %d, %v", c.name, got, ok, c.wantNr, c.wantOK)
		}
	}
}
