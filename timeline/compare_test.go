package timeline

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// twoRuns are two boots of one program by different Go versions: the
// second marks package initialisation with another function, has a stage
// the first lacks, and reaches "b" and "c" in the other order.
func twoRuns() []Run {
	older := NewRecorder()
	older.ThreadStart(1000, 0, 0)
	older.Stage(1, "start", 1, "", 1000, 0)
	older.Stage(2, "schedinit", 2, "", 1000, 100)
	older.Stage(3, "b", 2, "schedinit", 1000, 150)
	older.Stage(4, "c", 2, "schedinit", 1000, 180)
	older.Stage(5, "runtime.init", 3, "", 1000, 5000)
	older.Stage(6, "main.main", 3, "", 1000, 9000)
	older.End(9100)

	newer := NewRecorder()
	newer.ThreadStart(1000, 0, 0)
	newer.Stage(1, "start", 1, "", 1000, 0)
	newer.Stage(2, "schedinit", 2, "", 1000, 300)
	newer.Stage(3, "c", 2, "schedinit", 1000, 310)
	newer.Stage(4, "b", 2, "schedinit", 1000, 900)
	newer.Stage(5, "only-new", 2, "schedinit", 1000, 1000)
	newer.Stage(6, "runtime.doInit1", 3, "", 1000, 2000)
	newer.ThreadStart(1001, 1000, 2500)
	newer.Stage(7, "main.main", 3, "", 1000, 3000)
	newer.End(3500)

	keys := func(extra map[string]string) map[string]string {
		k := map[string]string{"start": "start", "schedinit": "schedinit", "b": "b", "c": "c", "main.main": "main.main"}
		for s, id := range extra {
			k[s] = id
		}
		return k
	}
	return []Run{
		{Title: "old (go1.11.1)", T: older.Timeline(), Keys: keys(map[string]string{"runtime.init": "init"})},
		{Title: "new (go1.26.8)", T: newer.Timeline(), Keys: keys(map[string]string{"runtime.doInit1": "init", "only-new": "only-new"})},
	}
}

func TestCommonAxis(t *testing.T) {
	runs := twoRuns()
	slots, scales := commonAxis(runs, 100, 1100)
	x := func(run int, sym string) float64 {
		for _, s := range runs[run].T.Stages {
			if s.Symbol == sym {
				return scales[run].x(s.Start)
			}
		}
		t.Fatalf("run %d has no stage %s", run, sym)
		return 0
	}
	// The stages both runs reach in one order line up, whatever their
	// functions; of b and c, which the runs reach in opposite orders, only
	// one can.
	for _, c := range []struct{ old, new string }{
		{"start", "start"}, {"schedinit", "schedinit"}, {"runtime.init", "runtime.doInit1"}, {"main.main", "main.main"},
	} {
		if a, b := x(0, c.old), x(1, c.new); math.Abs(a-b) > 1e-9 {
			t.Errorf("%s at x %.2f, %s at x %.2f: want them lined up", c.old, a, c.new, b)
		}
	}
	bAligned := math.Abs(x(0, "b")-x(1, "b")) < 1e-9
	cAligned := math.Abs(x(0, "c")-x(1, "c")) < 1e-9
	if bAligned == cAligned {
		t.Errorf("b lined up %v, c lined up %v: want exactly one, the runs disagree on their order", bAligned, cAligned)
	}
	var keys []string
	for _, s := range slots {
		keys = append(keys, s.key)
	}
	if got := strings.Join(keys, " "); got != "start schedinit b only-new init main.main" && got != "start schedinit c only-new init main.main" {
		t.Errorf("axis %q, want start schedinit, one of b and c, only-new, init, main.main", got)
	}
	for i, sc := range scales {
		if sc.x(0) != 100 || sc.x(runs[i].T.End) != 1100 {
			t.Errorf("run %d: [0, end] maps to [%.1f, %.1f], want [100, 1100]", i, sc.x(0), sc.x(runs[i].T.End))
		}
		prev := -1.0
		for v := uint64(0); v <= runs[i].T.End; v++ {
			if x := sc.x(v); x < prev {
				t.Fatalf("run %d: scale not monotonic at %d", i, v)
			} else {
				prev = x
			}
		}
	}
	// Neighbouring stages are far enough apart for their rotated labels.
	for i := 1; i < len(slots); i++ {
		if d := slots[i].x - slots[i-1].x; d < minSlotW-1e-9 {
			t.Errorf("%s and %s %.1f px apart, want at least %v", slots[i-1].key, slots[i].key, d, minSlotW)
		}
	}
}

func TestConsistentOrder(t *testing.T) {
	a := &slot{key: "a", has: []bool{true, true}, insns: []uint64{1, 5}}
	b := &slot{key: "b", has: []bool{true, false}, insns: []uint64{2, 0}}
	c := &slot{key: "c", has: []bool{false, true}, insns: []uint64{0, 3}}
	d := &slot{key: "d", has: []bool{true, true}, insns: []uint64{3, 4}}
	same := &slot{key: "same", has: []bool{true, false}, insns: []uint64{2, 0}}
	for _, tc := range []struct {
		slots []*slot
		want  string // "" for no order
	}{
		{[]*slot{a, b}, "a b"},
		{[]*slot{b, a}, "a b"},
		{[]*slot{c, a}, "c a"},
		{[]*slot{a, b, c}, "c a b"}, // c before a in run 1, a before b in run 0
		{[]*slot{a, d}, ""},         // run 0: a before d, run 1: d before a
		{[]*slot{b, same}, ""},
	} {
		order, ok := consistentOrder(tc.slots, 2)
		var got []string
		for _, s := range order {
			got = append(got, s.key)
		}
		if g := strings.Join(got, " "); ok != (tc.want != "") || g != tc.want {
			t.Errorf("consistentOrder(%v): got %q %v, want %q", keysOf(tc.slots), g, ok, tc.want)
		}
	}
}

func keysOf(slots []*slot) []string {
	var out []string
	for _, s := range slots {
		out = append(out, s.key)
	}
	return out
}

func TestWriteCompareSVG(t *testing.T) {
	var buf bytes.Buffer
	o := Options{Title: "old vs new", Chapters: map[int]string{1: "boot"}}
	if err := WriteCompareSVG(&buf, twoRuns(), o); err != nil {
		t.Fatal(err)
	}
	f := checkSVG(t, buf.Bytes())
	if f.lanes != 3 {
		t.Errorf("%d lanes, want 3 (one thread, then two)", f.lanes)
	}
	if f.clones != 1 {
		t.Errorf("%d clone arrows, want 1", f.clones)
	}
	for _, want := range []string{"old vs new", "old (go1.11.1)", "new (go1.26.8)", "ch.3 runtime.init", "ch.3 doInit1", "ch.2 only-new", "ch.1 boot", "9,100", "3,500"} {
		if !f.texts[want] {
			t.Errorf("no text %q", want)
		}
	}
	// A stage reached by one run only has no guide.
	if n := strings.Count(buf.String(), `class="guide"`); n != 5 {
		t.Errorf("%d guides, want 5 (start, schedinit, b or c, init, main.main)", n)
	}
	var again bytes.Buffer
	WriteCompareSVG(&again, twoRuns(), o)
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two pictures of the same runs differ")
	}
	var page bytes.Buffer
	if err := WriteCompareHTML(&page, twoRuns(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(page.String(), "<!DOCTYPE html>") || !strings.Contains(page.String(), buf.String()) {
		t.Error("the HTML page does not hold the SVG")
	}
}
