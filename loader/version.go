package loader

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Go release as a number that orders: go1.11.1 is {1, 11, 1}.
// Pre-releases (go1.21rc2, go1.18beta1) count as their release's .0, and
// the zero Version means unknown.
type Version struct{ Major, Minor, Patch int }

// ParseVersion parses runtime.Version()'s form ("go1.26.8", "go1.11",
// "go1.21rc2", "go1.22.0 X:boringcrypto"); ok is false for anything else
// (devel builds included).
func ParseVersion(s string) (v Version, ok bool) {
	s, _, _ = strings.Cut(s, " ")
	rest, found := strings.CutPrefix(s, "go")
	if !found {
		return Version{}, false
	}
	if i := strings.IndexAny(rest, "rb"); i >= 0 { // rc, beta
		rest = rest[:i]
	}
	parts := strings.Split(rest, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, false
	}
	var n [3]int
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || x < 0 {
			return Version{}, false
		}
		n[i] = x
	}
	return Version{n[0], n[1], n[2]}, n[0] > 0
}

// MustVersion is ParseVersion for constants in tables; it panics on a
// malformed literal.
func MustVersion(s string) Version {
	v, ok := ParseVersion(s)
	if !ok {
		panic("loader: bad Go version literal " + strconv.Quote(s))
	}
	return v
}

// Known reports whether v is a parsed version rather than unknown.
func (v Version) Known() bool { return v.Major > 0 }

// Compare returns -1, 0 or +1 as v is older than, equal to or newer than w.
func (v Version) Compare(w Version) int {
	for _, d := range [...]int{v.Major - w.Major, v.Minor - w.Minor, v.Patch - w.Patch} {
		if d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// AtLeast reports whether v is w or newer. An unknown v is taken to be
// newer than every release: binaries without a version are devel builds.
func (v Version) AtLeast(w Version) bool { return !v.Known() || v.Compare(w) >= 0 }

// String gives the release's name: "go1.11.1", "go1.26" for a .0.
func (v Version) String() string {
	if !v.Known() {
		return "unknown Go version"
	}
	if v.Patch == 0 {
		return fmt.Sprintf("go%d.%d", v.Major, v.Minor)
	}
	return fmt.Sprintf("go%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// Range is a span of Go versions, [From, To), either end open when zero:
// the versions a fact about the runtime holds for.
type Range struct{ From, To Version }

// Contains reports whether v is in r. An unknown v is in the ranges that
// hold for the newest releases (To open).
func (r Range) Contains(v Version) bool {
	if !v.Known() {
		return !r.To.Known()
	}
	return (!r.From.Known() || v.Compare(r.From) >= 0) && (!r.To.Known() || v.Compare(r.To) < 0)
}

// String reads "go1.11–go1.16" style: "go1.17 and later", "before go1.14".
func (r Range) String() string {
	switch {
	case !r.From.Known() && !r.To.Known():
		return "every version"
	case !r.To.Known():
		return r.From.String() + " and later"
	case !r.From.Known():
		return "before " + r.To.String()
	}
	return r.From.String() + " to before " + r.To.String()
}

// Version is the parsed GoVersion; zero if unknown.
func (f *File) Version() Version {
	v, _ := ParseVersion(f.GoVersion)
	return v
}
