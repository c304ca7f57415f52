package abi

import "testing"

func TestProtString(t *testing.T) {
	tests := []struct {
		p    Prot
		want string
	}{
		{0, "---"},
		{ProtRead, "r--"},
		{ProtRead | ProtExec, "r-x"},
		{ProtRead | ProtWrite, "rw-"},
		{ProtRead | ProtWrite | ProtExec, "rwx"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("Prot(%d).String(): got %q, want %q", tt.p, got, tt.want)
		}
	}
}
