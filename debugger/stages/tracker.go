package stages

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gouth-emu/gouth-emu/loader"
)

// Resolved is a stage as found in one binary.
type Resolved struct {
	*Stage
	N      int      // 1-based position among the stages this binary can reach
	Symbol string   // the name that matched
	Addrs  []uint64 // entry of the function, and inline sites
	Why    string   // for a stage that cannot be reached: why not
	// Variant is what the banner says for this binary's Go version.
	Variant *Variant

	Reached  bool
	Insns    uint64 // instruction count when reached
	Tid      int
	Syscalls uint64 // syscalls made before it was reached
}

// Tracker follows a run through the stages. It is used from one goroutine.
type Tracker struct {
	stages  []*Resolved
	byAddr  map[uint64][]*Resolved // stages that begin at an address, in table order
	total   int
	version string
	last    *Resolved // what the last Reach reached
}

// New resolves the stage table against f: each stage's first symbol that
// exists, plus the places where it was inlined.
func New(f *loader.File) (*Tracker, error) {
	syms, err := f.Symbols()
	if err != nil {
		return nil, err
	}
	t := &Tracker{byAddr: map[uint64][]*Resolved{}, version: f.GoVersion}
	v := f.Version()
	for i := range Table {
		st := &Table[i]
		r := &Resolved{Stage: st, Variant: st.Variant(v)}
		if r.Variant == nil {
			r.Variant = &Variant{} // a gap in the table, which TestVariantRanges rules out
		}
		for _, name := range st.Symbols {
			var addrs []uint64
			if s, ok := syms.Func(name); ok {
				addrs = append(addrs, s.Addr)
			}
			// Inlined calls have no entry of their own: their sites are
			// where the stage begins.
			if sites, err := f.InlineSites(name); err == nil {
				for _, site := range sites {
					addrs = append(addrs, site.PC)
				}
			}
			if len(addrs) > 0 {
				r.Symbol = name
				r.Addrs = dedup(addrs)
				break
			}
		}
		if r.Symbol == "" {
			r.Why = fmt.Sprintf("absent in %s (no function %s)", orUnknown(f.GoVersion), strings.Join(st.Symbols, " or "))
			if r.Variant.Absent != "" {
				r.Why = fmt.Sprintf("absent in %s: %s", orUnknown(f.GoVersion), r.Variant.Absent)
			}
		} else {
			t.total++
			r.N = t.total
			for _, a := range r.Addrs {
				t.byAddr[a] = append(t.byAddr[a], r)
			}
		}
		t.stages = append(t.stages, r)
	}
	return t, nil
}

func orUnknown(v string) string {
	if v == "" {
		return "this Go version"
	}
	return v
}

func dedup(a []uint64) []uint64 {
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	out := a[:0]
	for i, v := range a {
		if i == 0 || v != a[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Total is the number of stages this binary can reach.
func (t *Tracker) Total() int { return t.total }

// Stages lists every stage, reachable or not, in table order.
func (t *Tracker) Stages() []*Resolved { return t.stages }

// Pending returns the addresses of the stages not reached yet.
func (t *Tracker) Pending() []uint64 {
	var out []uint64
	for a, rs := range t.byAddr {
		for _, r := range rs {
			if !r.Reached {
				out = append(out, a)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// firstThread is the process's first thread (its tid is the pid).
const firstThread = 1000

// Hit records that thread tid reached pc. It returns the stage reached for
// the first time there, or nil. done lists addresses no stage waits for any
// more, which the caller need not watch.
func (t *Tracker) Hit(pc, insns uint64, tid int, syscalls uint64) (r *Resolved, done []uint64) {
	for _, c := range t.byAddr[pc] {
		if c.Reached || c.NewThread && tid == firstThread {
			continue
		}
		c.Reached, c.Insns, c.Tid, c.Syscalls = true, insns, tid, syscalls
		r = c
		break
	}
	if r == nil {
		return nil, nil
	}
	for _, a := range r.Addrs {
		if !t.waiting(a) {
			done = append(done, a)
		}
	}
	return r, done
}

// Reach is Hit as target.Stages has it: whether a stage was reached, and
// the addresses to stop watching. The stage is kept for Last.
func (t *Tracker) Reach(pc, insns uint64, tid int, syscalls uint64) (bool, []uint64) {
	r, done := t.Hit(pc, insns, tid, syscalls)
	t.last = r
	return r != nil, done
}

// Last is the stage the last Reach reached, nil if it reached none.
func (t *Tracker) Last() *Resolved { return t.last }

func (t *Tracker) waiting(a uint64) bool {
	for _, r := range t.byAddr[a] {
		if !r.Reached {
			return true
		}
	}
	return false
}

// Watches reports whether pc is a stage address still being watched.
func (t *Tracker) Watches(pc uint64) bool { return t.waiting(pc) }

// Find returns the stage with id or number s.
func (t *Tracker) Find(s string) (*Resolved, error) {
	var n int
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil {
		for _, r := range t.stages {
			if r.N == n && r.Symbol != "" {
				return r, nil
			}
		}
		return nil, fmt.Errorf("no stage %d (this binary has %d)", n, t.total)
	}
	for _, r := range t.stages {
		if r.ID == s || r.Symbol == s || strings.TrimPrefix(r.Symbol, "runtime.") == s {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no stage %q; 'stages' lists them", s)
}

// Line is the one-line record run --stages prints:
// "[stage 7] runtime.schedinit  ch.2  content/2-init.md  insn 14211".
func (r *Resolved) Line() string {
	ch := Chapters[r.Chapter]
	path := ch.Path
	if path == "" {
		path = "-"
	}
	return fmt.Sprintf("[stage %d] %s  ch.%d  %s  insn %d", r.N, r.Name(), r.Chapter, path, r.Insns)
}

// Name is the stage's symbol, marked "(newM)" for stages a new M reaches
// (no spaces: tools split these lines on spaces).
func (r *Resolved) Name() string {
	if r.NewThread {
		return r.Symbol + "(newM)"
	}
	return r.Symbol
}

// Heading is the banner's first line:
// "── stage 7/31 · runtime.schedinit ── ch.2 初始化概览 · content/2-init.md".
func (r *Resolved) Heading(total int) string {
	ch := Chapters[r.Chapter]
	h := fmt.Sprintf("── stage %d/%d · %s ── ch.%d %s", r.N, total, r.Name(), ch.N, ch.Title)
	if ch.Path != "" {
		h += " · " + ch.Path
	}
	return h
}
