package timeline

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestMicros(t *testing.T) {
	for v, want := range map[uint64]string{0: "0", 1: "0.001", 10: "0.01", 1000: "1", 2100: "2.1", 7010: "7.01", 359209: "359.209", 123456789: "123456.789"} {
		b, _ := micros(v).MarshalJSON()
		if string(b) != want {
			t.Errorf("micros(%d) = %s, want %s", v, b, want)
		}
	}
}

// chromeTrace is the file as a trace viewer reads it.
type chromeTrace struct {
	DisplayTimeUnit string           `json:"displayTimeUnit"`
	TraceEvents     []map[string]any `json:"traceEvents"`
}

// checkChrome parses a Chrome trace and checks its structure: every event
// has a name and a phase; every complete slice has ts, dur, pid and tid;
// slices on a thread nest; flows come in s/f pairs with the same id, the
// f on a thread that has a track. It returns the stage names.
func checkChrome(t *testing.T, data []byte) (tr chromeTrace, stageNames map[string]bool) {
	t.Helper()
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(tr.TraceEvents) == 0 {
		t.Fatal("no traceEvents")
	}
	num := func(e map[string]any, k string) (float64, bool) {
		v, ok := e[k].(float64)
		return v, ok
	}
	type slice struct {
		name       string
		start, end int64 // ns
	}
	slices := map[float64][]slice{}
	named := map[float64]bool{}
	starts, finishes := map[float64]int{}, map[float64]int{}
	finishTid := map[float64]float64{}
	stageNames = map[string]bool{}
	for i, e := range tr.TraceEvents {
		name, _ := e["name"].(string)
		ph, _ := e["ph"].(string)
		if name == "" || ph == "" {
			t.Errorf("event %d: no name or ph: %v", i, e)
			continue
		}
		switch ph {
		case "M":
			if name == "thread_name" {
				tid, _ := num(e, "tid")
				named[tid] = true
			}
		case "X":
			ts, ok1 := num(e, "ts")
			dur, ok2 := num(e, "dur")
			_, ok3 := num(e, "pid")
			tid, ok4 := num(e, "tid")
			if !ok1 || !ok2 || !ok3 || !ok4 || dur < 0 {
				t.Errorf("X event %d lacks ts, dur, pid or tid: %v", i, e)
				continue
			}
			ns := func(us float64) int64 { return int64(math.Round(us * 1000)) }
			slices[tid] = append(slices[tid], slice{name, ns(ts), ns(ts) + ns(dur)})
			if e["cat"] == "stage" {
				stageNames[name] = true
			}
		case "i":
			if e["cat"] == "first use" {
				stageNames[name] = true
			}
		case "s", "f":
			id, ok := num(e, "id")
			if !ok {
				t.Errorf("flow event %d has no id: %v", i, e)
				continue
			}
			if ph == "s" {
				starts[id]++
			} else {
				finishes[id]++
				finishTid[id], _ = num(e, "tid")
			}
		}
	}
	for id, n := range starts {
		if n != 1 || finishes[id] != 1 {
			t.Errorf("flow %v: %d starts, %d finishes", id, n, finishes[id])
		}
	}
	for id, n := range finishes {
		if starts[id] == 0 {
			t.Errorf("flow %v: %d finishes and no start", id, n)
		}
		if !named[finishTid[id]] {
			t.Errorf("flow %v ends on thread %v, which has no thread_name", id, finishTid[id])
		}
	}
	for tid, ss := range slices {
		if !named[tid] {
			t.Errorf("slices on thread %v, which has no thread_name", tid)
		}
		for i, a := range ss {
			for _, b := range ss[i+1:] {
				disjoint := a.end <= b.start || b.end <= a.start
				nested := a.start <= b.start && b.end <= a.end || b.start <= a.start && a.end <= b.end
				if !disjoint && !nested {
					t.Errorf("thread %v: %s [%d,%d] and %s [%d,%d] overlap without nesting", tid, a.name, a.start, a.end, b.name, b.start, b.end)
				}
			}
		}
	}
	return tr, stageNames
}

func TestWriteChrome(t *testing.T) {
	tl := boot().Timeline()
	var buf bytes.Buffer
	if err := WriteChrome(&buf, tl, 1000, "hello (go1.26.8)"); err != nil {
		t.Fatal(err)
	}
	tr, names := checkChrome(t, buf.Bytes())
	for _, s := range tl.Stages {
		if !names[s.Symbol] {
			t.Errorf("stage %s missing from the trace", s.Symbol)
		}
	}
	if tr.DisplayTimeUnit != "ns" {
		t.Errorf("displayTimeUnit %q", tr.DisplayTimeUnit)
	}
	find := func(ph, name string, tid float64) map[string]any {
		for _, e := range tr.TraceEvents {
			if e["ph"] == ph && e["name"] == name && e["tid"] == tid {
				return e
			}
		}
		t.Fatalf("no %s event %q on thread %v", ph, name, tid)
		return nil
	}
	// Timestamps are instructions read as ns, in µs.
	if e := find("X", "runtime.schedinit", 1000); e["ts"] != 0.1 || e["dur"] != 0.9 {
		t.Errorf("schedinit: ts %v dur %v, want 0.1 and 0.9", e["ts"], e["dur"])
	}
	if e := find("X", "futex", 1000); e["ts"] != 2.3 || e["dur"] != 2.7 || e["cat"] != "syscall" {
		t.Errorf("futex: %v", e)
	}
	if e := find("X", "runtime.sysmon", 1001); e["args"].(map[string]any)["chapter"] != 5.0 {
		t.Errorf("sysmon: %v", e)
	}
	// The clone flow runs from the parent's clone to the child's track.
	if s := find("s", "clone", 1000); s["id"] != 1001.0 || s["ts"] != 2.1 {
		t.Errorf("flow start: %v", s)
	}
	find("f", "clone", 1001)
	if e := find("M", "thread_name", 1001); e["args"].(map[string]any)["name"] != "thread 1001 (cloned by 1000)" {
		t.Errorf("thread name: %v", e)
	}
	if e := find("M", "process_name", 1000); e["args"].(map[string]any)["name"] != "hello (go1.26.8)" {
		t.Errorf("process name: %v", e)
	}

	var again bytes.Buffer
	WriteChrome(&again, boot().Timeline(), 1000, "hello (go1.26.8)")
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Error("two traces of the same recording differ")
	}
	if n := strings.Count(buf.String(), "\n"); n != len(tr.TraceEvents)+2 {
		t.Errorf("want one event per line: %d lines for %d events", n, len(tr.TraceEvents))
	}
}
