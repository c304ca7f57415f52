package testbin

import (
	"reflect"
	"testing"
)

func TestDiffLines(t *testing.T) {
	tests := []struct {
		got, want string
		diffs     []LineDiff
	}{
		{"a\nb", "a\nb", nil},
		{"a\nx\nc", "a\nb\nc", []LineDiff{{2, "x", "b"}}},
		{"a", "a\nb", []LineDiff{{2, "", "b"}}},
		// A third, empty line against none: the shorter text reads "" there.
		{"a\nb\n", "a\nb", nil},
	}
	for _, tt := range tests {
		if got := DiffLines(tt.got, tt.want); !reflect.DeepEqual(got, tt.diffs) {
			t.Errorf("DiffLines(%q, %q) = %v, want %v", tt.got, tt.want, got, tt.diffs)
		}
	}
}
