package loader

import "testing"

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Version
		ok   bool
	}{
		{"go1.11.1", Version{1, 11, 1}, true},
		{"go1.11", Version{1, 11, 0}, true},
		{"go1.26.8", Version{1, 26, 8}, true},
		{"go1.21rc2", Version{1, 21, 0}, true},
		{"go1.18beta1", Version{1, 18, 0}, true},
		{"go1.22.0 X:boringcrypto", Version{1, 22, 0}, true},
		{"devel +abc", Version{}, false},
		{"go1", Version{}, false},
		{"go1.x", Version{}, false},
		{"", Version{}, false},
	} {
		got, ok := ParseVersion(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestVersionOrderAndRanges(t *testing.T) {
	v111, v117, v126 := MustVersion("go1.11.1"), MustVersion("go1.17"), MustVersion("go1.26.8")
	if !v126.AtLeast(v117) || v111.AtLeast(v117) || !v117.AtLeast(v117) || !(Version{}).AtLeast(v126) {
		t.Error("AtLeast: wrong order")
	}
	r := Range{To: v117}
	for _, tc := range []struct {
		r    Range
		v    Version
		want bool
	}{
		{r, v111, true}, {r, v117, false}, {r, v126, false}, {r, Version{}, false},
		{Range{From: v117}, v111, false}, {Range{From: v117}, v117, true}, {Range{From: v117}, Version{}, true},
		{Range{From: MustVersion("go1.12"), To: MustVersion("go1.14")}, MustVersion("go1.13.15"), true},
		{Range{}, v111, true},
	} {
		if got := tc.r.Contains(tc.v); got != tc.want {
			t.Errorf("%v.Contains(%v) = %v, want %v", tc.r, tc.v, got, tc.want)
		}
	}
	if s := (Range{From: v111, To: v117}).String(); s != "go1.11.1 to before go1.17" {
		t.Errorf("Range.String() = %q", s)
	}
}
