// Package timeline records what happened in a guest run on the instruction
// axis (threads, syscalls, boot stages) and draws it: Chrome trace-event
// JSON for Perfetto and chrome://tracing (WriteChrome), and a
// self-contained SVG picture of the boot (WriteSVG, WriteHTML).
//
// The package knows nothing of the machine: a Recorder has the shape of
// emu.Events and receives plain events, so it needs no cgo. Everything is
// measured in guest instructions (one instruction is one virtual
// nanosecond), never in host time, so the same run gives the same output.
package timeline

import (
	"sort"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Recorder collects events as the guest runs. Its ThreadStart, ThreadExit
// and Syscall methods make it an emu.Events; Stage and Mark are fed by
// whoever watches the boot stages. It is used from one goroutine.
type Recorder struct {
	threads  []Thread
	byTid    map[int]int // tid -> index in threads
	stages   []Stage
	syscalls []Syscall
	end      uint64
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{byTid: map[int]int{}} }

// Thread is one guest thread.
type Thread struct {
	Tid    int
	Parent int    // the thread that cloned it; 0 for the first thread
	Start  uint64 // instruction count at the clone
	End    uint64 // at its exit, or the end of the run
	Exited bool   // it called exit before the run ended
}

// Syscall is one finished system call. A call that blocked ends when it
// returned; one that did not has End == Start.
type Syscall struct {
	Tid        int
	Nr         int
	Name       string // Linux's name, or "syscall_N"
	Start, End uint64
}

// Stage is a boot stage reached, or (Mark) the first use of a runtime
// mechanism.
type Stage struct {
	N       int    // the stage's number in the boot table
	Symbol  string // the function that marks it
	Chapter int    // of Go: Under the Hood
	Parent  string // the enclosing stage's Symbol, "" at the top level
	Tid     int    // the thread that reached it
	Start   uint64 // instruction count when it was reached
	// End is when the next stage at the same or a higher level was reached
	// (on any thread), cut where needed so that stages and syscalls of one
	// thread nest; the end of the run for the last ones. Equal to Start for
	// a mark.
	End   uint64
	Depth int  // 0 at the top level, 1 for a sub-stage...
	Mark  bool // an instant, not a span: a first use rather than a boot step
}

// Label is how pictures name a stage: "ch.2 schedinit".
func (s *Stage) Label() string {
	return "ch." + strconv.Itoa(s.Chapter) + " " + ShortName(s.Symbol)
}

// ShortName drops the "runtime." prefix that most stage symbols share,
// except where the rest would read as the program's own (runtime.main).
func ShortName(sym string) string {
	const p = "runtime."
	if rest, ok := strings.CutPrefix(sym, p); ok && rest != "" && rest != "main" && rest != "init" {
		return rest
	}
	return sym
}

// ThreadStart records thread tid, cloned by parent (0 for the first).
func (r *Recorder) ThreadStart(tid, parent int, insn uint64) {
	if _, ok := r.byTid[tid]; ok {
		return
	}
	r.byTid[tid] = len(r.threads)
	r.threads = append(r.threads, Thread{Tid: tid, Parent: parent, Start: insn})
	r.see(insn)
}

// ThreadExit records that thread tid exited on its own.
func (r *Recorder) ThreadExit(tid int, insn uint64) {
	i, ok := r.byTid[tid]
	if !ok {
		r.ThreadStart(tid, 0, insn)
		i = r.byTid[tid]
	}
	r.threads[i].End, r.threads[i].Exited = insn, true
	r.see(insn)
}

// Syscall records a finished system call.
func (r *Recorder) Syscall(tid, nr int, start, end uint64) {
	if end < start {
		end = start
	}
	name := abi.SyscallName(nr)
	if name == "" {
		name = "syscall_" + strconv.Itoa(nr)
	}
	r.syscalls = append(r.syscalls, Syscall{Tid: tid, Nr: nr, Name: name, Start: start, End: end})
	r.see(end)
}

// Stage records that thread tid reached boot stage n at insn. parent is
// the Symbol of the stage it nests in, "" at the top level.
func (r *Recorder) Stage(n int, symbol string, chapter int, parent string, tid int, insn uint64) {
	r.stages = append(r.stages, Stage{N: n, Symbol: symbol, Chapter: chapter, Parent: parent, Tid: tid, Start: insn})
	r.see(insn)
}

// Mark records the first use of a runtime mechanism (a channel, defer, a
// finalizer, a GC cycle): shown as an instant, it does not end a stage.
func (r *Recorder) Mark(n int, symbol string, chapter int, tid int, insn uint64) {
	r.stages = append(r.stages, Stage{N: n, Symbol: symbol, Chapter: chapter, Tid: tid, Start: insn, Mark: true})
	r.see(insn)
}

// End records the instruction count at which the run ended.
func (r *Recorder) End(insn uint64) { r.see(insn) }

func (r *Recorder) see(insn uint64) {
	if insn > r.end {
		r.end = insn
	}
}

// Timeline is a finished recording.
type Timeline struct {
	Threads  []Thread  // by tid
	Stages   []Stage   // in the order reached
	Syscalls []Syscall // by start, then tid
	End      uint64    // instruction count at the end of the run
}

// Timeline computes stage ends and returns the recording so far. The
// recorder may go on recording.
func (r *Recorder) Timeline() *Timeline {
	t := &Timeline{End: r.end}
	t.Threads = append([]Thread(nil), r.threads...)
	t.Syscalls = append([]Syscall(nil), r.syscalls...)
	t.Stages = append([]Stage(nil), r.stages...)
	// Stages and syscalls may come from threads the recorder never heard
	// start (it was attached late): give them a lane.
	known := map[int]bool{}
	for _, th := range t.Threads {
		known[th.Tid] = true
	}
	addThread := func(tid int, at uint64) {
		if !known[tid] {
			known[tid] = true
			t.Threads = append(t.Threads, Thread{Tid: tid, Start: at})
		}
	}
	for _, s := range t.Stages {
		addThread(s.Tid, s.Start)
	}
	for _, c := range t.Syscalls {
		addThread(c.Tid, c.Start)
	}
	sort.SliceStable(t.Threads, func(i, j int) bool { return t.Threads[i].Tid < t.Threads[j].Tid })
	for i := range t.Threads {
		if !t.Threads[i].Exited {
			t.Threads[i].End = t.End
		}
	}
	sort.SliceStable(t.Syscalls, func(i, j int) bool {
		a, b := t.Syscalls[i], t.Syscalls[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		return a.Tid < b.Tid
	})
	sort.SliceStable(t.Stages, func(i, j int) bool { return t.Stages[i].Start < t.Stages[j].Start })
	t.stageEnds()
	return t
}

// Thread returns the thread with tid, or nil.
func (t *Timeline) Thread(tid int) *Thread {
	for i := range t.Threads {
		if t.Threads[i].Tid == tid {
			return &t.Threads[i]
		}
	}
	return nil
}

// stageEnds gives every stage its depth and end: the next stage at the
// same or a higher level ends it, then the end is cut so that on each
// thread stages never end inside one of its syscalls, nor after their
// enclosing stage.
func (t *Timeline) stageEnds() {
	bySym := map[string]*Stage{}
	for i := range t.Stages {
		if s := &t.Stages[i]; !s.Mark {
			if _, dup := bySym[s.Symbol]; !dup {
				bySym[s.Symbol] = s
			}
		}
	}
	for i := range t.Stages {
		s := &t.Stages[i]
		if s.Mark {
			continue
		}
		// Depth follows the parents the table declares; a parent never
		// reached still makes its child a sub-stage.
		seen := map[string]bool{s.Symbol: true}
		for p := s.Parent; p != "" && !seen[p]; {
			seen[p] = true
			s.Depth++
			ps, ok := bySym[p]
			if !ok {
				break
			}
			p = ps.Parent
		}
	}
	ends := func(th *Thread) uint64 {
		if th == nil {
			return t.End
		}
		return th.End
	}
	for i := range t.Stages {
		s := &t.Stages[i]
		s.End = t.End
		if s.Mark {
			s.End = s.Start
			continue
		}
		for j := i + 1; j < len(t.Stages); j++ {
			if n := &t.Stages[j]; !n.Mark && n.Depth <= s.Depth {
				s.End = n.Start
				break
			}
		}
		if e := ends(t.Thread(s.Tid)); s.End > e && e >= s.Start {
			s.End = e
		}
		// The thread was in a syscall when the stage ended: end it where
		// the syscall began.
		for _, c := range t.Syscalls {
			if c.Tid == s.Tid && c.Start < s.End && s.End < c.End && c.Start >= s.Start {
				s.End = c.Start
				break
			}
		}
	}
	// Nest per thread: a stage that outlives the one enclosing it ends
	// with it.
	byThread := map[int][]*Stage{}
	var tids []int
	for i := range t.Stages {
		s := &t.Stages[i]
		if s.Mark {
			continue
		}
		if byThread[s.Tid] == nil {
			tids = append(tids, s.Tid)
		}
		byThread[s.Tid] = append(byThread[s.Tid], s)
	}
	for _, tid := range tids {
		var stack []*Stage
		for _, s := range byThread[tid] {
			for len(stack) > 0 && stack[len(stack)-1].End <= s.Start {
				stack = stack[:len(stack)-1]
			}
			if len(stack) > 0 && s.End > stack[len(stack)-1].End {
				s.End = stack[len(stack)-1].End
			}
			stack = append(stack, s)
		}
	}
}
