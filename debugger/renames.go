package debugger

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/gouth-emu/gouth-emu/loader"
)

// Rename says that a runtime name the book uses (go1.11's) is called New
// in the Go versions In, or, with New empty, has no equivalent there and
// Gone says what replaced it. print, watch, display and break (and the
// stage banners' watches) go through resolveName, so that a reader types
// what the book shows on every version, and a newer name works on go1.11.
type Rename struct {
	Old  string
	New  string
	In   loader.Range
	Gone string
}

// Renames is the table; rows for one Old do not overlap (tested against
// the toolchains' binaries). Boundaries were read in the runtime sources
// of go1.11.1, go1.17 (its test binary), go1.19, go1.21, go1.22, go1.24,
// go1.25, go1.26 and go1.27, and for go1.12–go1.16 in the release history.
var Renames = []Rename{
	{Old: "runtime.ncpu", New: "runtime.numCPUStartup", In: rangeFrom("go1.25")},
	{Old: "runtime.gcpercent", New: "runtime.gcController.gcPercent", In: rangeFrom("go1.17")},
	{Old: "runtime.startupRandomData", New: "runtime.startupRand", In: rangeFrom("go1.22")},
	{Old: "runtime.main_init_done", New: "runtime.mainInitDoneChan", In: rangeFrom("go1.27")},
	// runtime.main's own names for the package inits (go:linkname).
	{Old: "runtime.runtime_init", New: "runtime.init", In: rangeBefore("go1.13")},
	{Old: "runtime.runtime_init", In: rangeFrom("go1.13"),
		Gone: "from go1.13 runtime.main runs the runtime's init task with doInit (doInit1 from go1.21): 'break runtime.doInit' or 'stage runtime_init'"},
	{Old: "runtime.main_init", New: "main.init", In: rangeBefore("go1.13")},
	{Old: "runtime.main_init", In: rangeFrom("go1.13"),
		Gone: "from go1.13 runtime.main runs main's init task (and its imports') with doInit: 'break main.init' exists only if package main has initialisers"},
	// The scheduler's global run queue and free lists became typed lists
	// in go1.12; the queue's length moved into it in go1.25.
	{Old: "runtime.sched.runqhead", New: "runtime.sched.runq.head", In: rangeFrom("go1.12")},
	{Old: "runtime.sched.runqtail", New: "runtime.sched.runq.tail", In: rangeFrom("go1.12")},
	{Old: "runtime.sched.runqsize", New: "runtime.sched.runq.size", In: rangeFrom("go1.25")},
	{Old: "runtime.sched.gfreeStack", New: "runtime.sched.gFree.stack", In: rangeFrom("go1.12")},
	{Old: "runtime.sched.gfreeNoStack", New: "runtime.sched.gFree.noStack", In: rangeFrom("go1.12")},
	{Old: "runtime.sched.gflock", New: "runtime.sched.gFree.lock", In: rangeFrom("go1.12")},
	{Old: "runtime.sched.ngfree", New: "runtime.sched.gFree.n", In: rangeBetween("go1.12", "go1.25")},
	{Old: "runtime.sched.ngfree", In: rangeFrom("go1.25"),
		Gone: "from go1.25 each free list counts itself: runtime.sched.gFree.stack.size and runtime.sched.gFree.noStack.size"},
	// m's random state: fastrand, cheaprand from go1.22 (chacha8rand).
	{Old: "runtime.m0.fastrand", New: "runtime.m0.cheaprand", In: rangeFrom("go1.22")},
	{Old: "runtime.m0.mcache", In: rangeFrom("go1.16"),
		Gone: "from go1.16 the mcache belongs only to the P: print runtime.allp[0].mcache"},
}

// identifier matches a Go name without a package.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func rangeFrom(v string) loader.Range   { return loader.Range{From: loader.MustVersion(v)} }
func rangeBefore(v string) loader.Range { return loader.Range{To: loader.MustVersion(v)} }
func rangeBetween(a, b string) loader.Range {
	return loader.Range{From: loader.MustVersion(a), To: loader.MustVersion(b)}
}

// resolved is a name as the user typed it and as the binary calls it.
type resolved struct {
	Typed string // what the user typed
	Expr  string // what to evaluate or look up in this binary
	Note  string // "" or why Expr differs: "runtime.numCPUStartup in go1.26.8"
}

// Label is how output shows the name: "runtime.ncpu (runtime.numCPUStartup
// in go1.26.8)", or just what was typed.
func (r resolved) Label() string {
	if r.Note == "" {
		return r.Typed
	}
	return r.Typed + " (" + r.Note + ")"
}

// resolveName maps expr, whose leading dotted name the binary (of version
// v) does not know, through Renames: a book name to the version's name,
// or a newer name back to the one v has. ok is false when no row applies;
// err explains a name that is gone with no equivalent. A name without a
// package ("ncpu", "main_init") is taken to be the runtime's.
// resolveName is pure; the commands call it only for a name that fails.
func resolveName(expr string, v loader.Version) (r resolved, ok bool, err error) {
	r = resolved{Typed: expr, Expr: expr}
	for _, full := range []string{expr, "runtime." + expr} {
		if full != expr && strings.Contains(expr, ".") {
			break
		}
		// The book's name, in a version that renamed or dropped it.
		for _, rn := range Renames {
			rest, match := cutName(full, rn.Old)
			if !match || !rn.In.Contains(v) {
				continue
			}
			if rn.New == "" {
				return r, false, fmt.Errorf("%s is not in %s: %s", rn.Old, v, rn.Gone)
			}
			r.Expr = rn.New + rest
			r.Note = fmt.Sprintf("%s in %s", rn.New, v)
			return r, true, nil
		}
		// A newer name, in a version that has another (or the book's).
		for _, rn := range Renames {
			rest, match := cutName(full, rn.New)
			if !match || rn.New == "" || rn.In.Contains(v) {
				continue
			}
			name := rn.Old
			for _, other := range Renames {
				if other.Old == rn.Old && other.In.Contains(v) {
					if other.New == "" {
						return r, false, fmt.Errorf("%s is not in %s: %s", rn.New, v, other.Gone)
					}
					name = other.New
				}
			}
			if name+rest == expr {
				continue
			}
			r.Expr = name + rest
			r.Note = fmt.Sprintf("%s in %s", name, v)
			return r, true, nil
		}
	}
	if identifier.MatchString(expr) {
		// The book writes the runtime's globals without their package.
		r.Expr, r.Note = "runtime."+expr, "runtime."+expr
		return r, true, nil
	}
	return r, false, nil
}

// cutName reports whether expr starts with the dotted name, whole (followed
// by nothing, a field or an index), and returns the rest.
func cutName(expr, name string) (rest string, ok bool) {
	if name == "" || !strings.HasPrefix(expr, name) {
		return "", false
	}
	rest = expr[len(name):]
	if rest != "" && rest[0] != '.' && rest[0] != '[' {
		return "", false
	}
	return rest, true
}
