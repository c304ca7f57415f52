package timeline

import (
	"bufio"
	"encoding/json"
	"io"
	"sort"
	"strconv"
)

// micros is an instruction count written as trace-event microseconds:
// one instruction is one nanosecond, so 1234 instructions are 1.234 µs.
// It is written exactly, without going through a float.
type micros uint64

func (m micros) MarshalJSON() ([]byte, error) {
	b := strconv.AppendUint(nil, uint64(m)/1000, 10)
	if f := uint64(m) % 1000; f != 0 {
		frac := []byte{'0' + byte(f/100), '0' + byte(f/10%10), '0' + byte(f%10)}
		for frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(append(b, '.'), frac...)
	}
	return b, nil
}

// traceEvent is one entry of the "traceEvents" array. Field order is
// fixed and args maps are written with sorted keys, so output is stable.
type traceEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   micros         `json:"ts"`
	Dur  *micros        `json:"dur,omitempty"`
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   int            `json:"id,omitempty"`
	S    string         `json:"s,omitempty"`
	Args map[string]any `json:"args,omitempty"`

	order int // tie-break among events at the same ts
}

// WriteChrome writes t as Chrome trace-event JSON, which Perfetto
// (ui.perfetto.dev) and chrome://tracing open: the guest process (named
// title) with one track per thread; boot stages and syscalls as complete
// ("X") slices on the thread that made them, first uses as instants, and
// each clone as a flow ("s"/"f") from the parent's clone to the child's
// first slice. Timestamps are instruction counts read as nanoseconds;
// pid is the guest's process id.
func WriteChrome(w io.Writer, t *Timeline, pid int, title string) error {
	var meta, evs []traceEvent
	meta = append(meta, traceEvent{Name: "process_name", Ph: "M", Pid: pid, Tid: pid,
		Args: map[string]any{"name": title}})
	for i, th := range t.Threads {
		name := "thread " + strconv.Itoa(th.Tid)
		if th.Parent != 0 {
			name += " (cloned by " + strconv.Itoa(th.Parent) + ")"
		}
		meta = append(meta,
			traceEvent{Name: "thread_name", Ph: "M", Pid: pid, Tid: th.Tid, Args: map[string]any{"name": name}},
			traceEvent{Name: "thread_sort_index", Ph: "M", Pid: pid, Tid: th.Tid, Args: map[string]any{"sort_index": i}})
	}
	dur := func(a, b uint64) *micros { d := micros(b - a); return &d }
	for _, s := range t.Stages {
		args := map[string]any{"stage": s.N, "chapter": s.Chapter}
		if s.Parent != "" {
			args["parent"] = s.Parent
		}
		if s.Mark {
			evs = append(evs, traceEvent{Name: s.Symbol, Cat: "first use", Ph: "i", S: "t",
				Ts: micros(s.Start), Pid: pid, Tid: s.Tid, Args: args, order: 3})
			continue
		}
		evs = append(evs, traceEvent{Name: s.Symbol, Cat: "stage", Ph: "X",
			Ts: micros(s.Start), Dur: dur(s.Start, s.End), Pid: pid, Tid: s.Tid, Args: args, order: 0})
	}
	for _, c := range t.Syscalls {
		evs = append(evs, traceEvent{Name: c.Name, Cat: "syscall", Ph: "X",
			Ts: micros(c.Start), Dur: dur(c.Start, c.End), Pid: pid, Tid: c.Tid,
			Args: map[string]any{"nr": c.Nr}, order: 1})
	}
	for _, th := range t.Threads {
		if th.Parent == 0 {
			continue
		}
		// The flow starts inside the parent's clone (the slice enclosing
		// its timestamp) and ends at the next slice that begins on the
		// child's track: its first.
		evs = append(evs,
			traceEvent{Name: "clone", Cat: "thread", Ph: "s", Ts: micros(th.Start), Pid: pid, Tid: th.Parent, ID: th.Tid, order: 2},
			traceEvent{Name: "clone", Cat: "thread", Ph: "f", Ts: micros(th.Start), Pid: pid, Tid: th.Tid, ID: th.Tid, order: 2})
	}
	// Slices that start together: the longer first, so that nesting reads
	// in order; flows after the slice they start in.
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := evs[i], evs[j]
		if a.Ts != b.Ts {
			return a.Ts < b.Ts
		}
		if a.order != b.order {
			return a.order < b.order
		}
		if a.Dur != nil && b.Dur != nil && *a.Dur != *b.Dur {
			return *a.Dur > *b.Dur
		}
		return false
	})

	bw := bufio.NewWriter(w)
	bw.WriteString("{\"displayTimeUnit\":\"ns\",\"otherData\":")
	other, err := json.Marshal(map[string]any{
		"title": title,
		"clock": "guest instructions: 1 instruction = 1 ns, ts in µs",
		"insns": t.End,
	})
	if err != nil {
		return err
	}
	bw.Write(other)
	bw.WriteString(",\"traceEvents\":[\n")
	all := append(meta, evs...)
	for i, e := range all {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		bw.Write(b)
		if i < len(all)-1 {
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
