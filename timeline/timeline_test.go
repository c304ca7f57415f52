package timeline

import (
	"testing"
)

// Syscall numbers used below (Linux x86-64).
const (
	nrArchPrctl = 158
	nrClone     = 56
	nrFutex     = 202
	nrGettid    = 186
	nrWrite     = 1
)

// boot records a small boot shaped like a real one: nested stages, a
// clone, a first use, a blocking futex that a stage boundary falls in,
// and a sub-stage reached on the child thread.
func boot() *Recorder {
	r := NewRecorder()
	r.ThreadStart(1000, 0, 0)
	r.Stage(1, "_rt0_amd64_linux", 1, "", 1000, 0)
	r.Stage(3, "runtime.rt0_go", 1, "", 1000, 4)
	r.Stage(4, "runtime.settls", 1, "runtime.rt0_go", 1000, 36)
	r.Syscall(1000, nrArchPrctl, 40, 40)
	r.Stage(8, "runtime.schedinit", 2, "", 1000, 100)
	r.Stage(10, "runtime.mallocinit", 4, "runtime.schedinit", 1000, 200)
	r.Stage(21, "runtime.newproc", 3, "", 1000, 1000)
	r.Stage(30, "runtime.main", 3, "", 1000, 2000)
	r.Stage(31, "runtime.newm", 5, "runtime.main", 1000, 2050)
	r.ThreadStart(1001, 1000, 2100)
	r.Syscall(1000, nrClone, 2100, 2100)
	r.Mark(42, "runtime.makechan", 7, 1000, 2200)
	r.Syscall(1001, nrGettid, 2500, 2500)
	r.Stage(33, "runtime.sysmon", 5, "runtime.main", 1001, 2600)
	r.Syscall(1000, nrFutex, 2300, 5000) // reported when it returns
	r.Stage(40, "main.main", 3, "runtime.main", 1000, 6000)
	r.Syscall(1000, nrWrite, 6500, 6500)
	r.Stage(41, "runtime.exit", 3, "", 1000, 7000)
	r.End(7010)
	return r
}

func TestStageEnds(t *testing.T) {
	tl := boot().Timeline()
	type span struct {
		start, end uint64
		depth      int
		tid        int
	}
	want := map[string]span{
		"_rt0_amd64_linux":   {0, 4, 0, 1000},
		"runtime.rt0_go":     {4, 100, 0, 1000},
		"runtime.settls":     {36, 100, 1, 1000},
		"runtime.schedinit":  {100, 1000, 0, 1000},
		"runtime.mallocinit": {200, 1000, 1, 1000},
		"runtime.newproc":    {1000, 2000, 0, 1000},
		"runtime.main":       {2000, 7000, 0, 1000},
		// Ended by sysmon (2600), while thread 1000 sat in futex from
		// 2300: it ends where the futex began.
		"runtime.newm":     {2050, 2300, 1, 1000},
		"runtime.sysmon":   {2600, 6000, 1, 1001},
		"main.main":        {6000, 7000, 1, 1000},
		"runtime.exit":     {7000, 7010, 0, 1000},
		"runtime.makechan": {2200, 2200, 0, 1000},
	}
	if len(tl.Stages) != len(want) {
		t.Fatalf("got %d stages, want %d", len(tl.Stages), len(want))
	}
	var prev uint64
	for _, s := range tl.Stages {
		w, ok := want[s.Symbol]
		if !ok {
			t.Errorf("unexpected stage %s", s.Symbol)
			continue
		}
		got := span{s.Start, s.End, s.Depth, s.Tid}
		if got != w {
			t.Errorf("%s: got %+v, want %+v", s.Symbol, got, w)
		}
		if s.Start < prev {
			t.Errorf("%s out of order", s.Symbol)
		}
		prev = s.Start
		if s.Mark != (s.Symbol == "runtime.makechan") {
			t.Errorf("%s: Mark = %v", s.Symbol, s.Mark)
		}
	}
	if tl.End != 7010 {
		t.Errorf("End = %d, want 7010", tl.End)
	}
	if len(tl.Threads) != 2 || tl.Threads[1] != (Thread{Tid: 1001, Parent: 1000, Start: 2100, End: 7010}) {
		t.Errorf("threads: %+v", tl.Threads)
	}
	// Syscalls come sorted by start, whatever order they were reported in.
	var names []string
	for _, c := range tl.Syscalls {
		names = append(names, c.Name)
	}
	if got, want := join(names), "arch_prctl clone futex gettid write"; got != want {
		t.Errorf("syscalls: got %s, want %s", got, want)
	}
}

// TestNesting checks the invariant trace viewers need: on one thread,
// two slices (stages or syscalls) are either disjoint or one contains
// the other.
func TestNesting(t *testing.T) {
	tl := boot().Timeline()
	type slice struct {
		name       string
		start, end uint64
	}
	byTid := map[int][]slice{}
	for _, s := range tl.Stages {
		if !s.Mark {
			byTid[s.Tid] = append(byTid[s.Tid], slice{s.Symbol, s.Start, s.End})
		}
	}
	for _, c := range tl.Syscalls {
		byTid[c.Tid] = append(byTid[c.Tid], slice{c.Name, c.Start, c.End})
	}
	for tid, ss := range byTid {
		for i, a := range ss {
			for _, b := range ss[i+1:] {
				disjoint := a.end <= b.start || b.end <= a.start
				nested := a.start <= b.start && b.end <= a.end || b.start <= a.start && a.end <= b.end
				if !disjoint && !nested {
					t.Errorf("thread %d: %s [%d,%d] and %s [%d,%d] overlap without nesting", tid, a.name, a.start, a.end, b.name, b.start, b.end)
				}
			}
		}
	}
}

func TestThreadExitAndLateThreads(t *testing.T) {
	r := NewRecorder()
	r.ThreadStart(1000, 0, 0)
	r.Stage(1, "a", 1, "", 1000, 10)
	r.ThreadStart(1001, 1000, 20)
	r.Stage(2, "b", 1, "a", 1001, 30)
	r.ThreadExit(1001, 40)
	r.Syscall(1005, 9999, 50, 50) // a thread never announced, an unknown call
	r.End(100)
	tl := r.Timeline()
	if len(tl.Threads) != 3 {
		t.Fatalf("threads: %+v", tl.Threads)
	}
	if th := tl.Thread(1001); th == nil || !th.Exited || th.End != 40 {
		t.Errorf("thread 1001: %+v", th)
	}
	if th := tl.Thread(1005); th == nil || th.End != 100 {
		t.Errorf("thread 1005: %+v", th)
	}
	// b would last until the end, but its thread exited at 40.
	if s := tl.Stages[1]; s.End != 40 {
		t.Errorf("stage b ends at %d, want 40 (its thread's exit)", s.End)
	}
	if c := tl.Syscalls[0]; c.Name != "syscall_9999" {
		t.Errorf("unknown syscall named %q", c.Name)
	}
}

func TestLabel(t *testing.T) {
	for _, c := range []struct {
		sym     string
		chapter int
		want    string
	}{
		{"runtime.schedinit", 2, "ch.2 schedinit"},
		{"runtime.main", 3, "ch.3 runtime.main"},
		{"main.main", 3, "ch.3 main.main"},
		{"_rt0_amd64_linux", 1, "ch.1 _rt0_amd64_linux"},
		{"sync.init.0", 11, "ch.11 sync.init.0"},
	} {
		s := Stage{Symbol: c.sym, Chapter: c.chapter}
		if got := s.Label(); got != c.want {
			t.Errorf("Label(%s) = %q, want %q", c.sym, got, c.want)
		}
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
