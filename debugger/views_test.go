package debugger

import (
	"regexp"
	"strings"
	"testing"
)

// viewRow is a row of goroutines: mark, G, status, M, start, then the
// location and wait reason.
var viewRow = regexp.MustCompile(`^([ *]) +(\d+) +(\S+) +(\S+) +(\S+) +(\S.*)$`)

// viewRows parses a table printed by goroutines, ms or ps: the header,
// then one row per line, split at runs of spaces (the mark is column 0).
func viewRows(t *testing.T, out, header string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || strings.Join(strings.Fields(lines[0]), " ") != header {
		t.Fatalf("want a %q table, got:\n%s", header, out)
	}
	var rows [][]string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "(") {
			continue // a note after the table
		}
		if len(l) < 2 || l[0] != ' ' && l[0] != '*' {
			t.Fatalf("bad row %q in:\n%s", l, out)
		}
		rows = append(rows, append([]string{l[:1]}, strings.Fields(l[1:])...))
	}
	return rows
}

// TestViewsGoroutines stops in a worker goroutine of the goroutines guest
// (mutexCounter starts eight, each with main.mutexCounter.func1 as its
// function) and checks goroutines, ms and ps against each other.
func TestViewsGoroutines(t *testing.T) {
	const fn = "main.mutexCounter.func1"
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "goroutines")
			tr := rtRun(t, bin, "break "+fn+"\ncontinue\ncontinue\ncontinue\ngoroutines\nms\nps\n")
			out := rtOutputs(tr)
			if len(out) != 7 || !strings.HasPrefix(out[3], "Breakpoint 1, "+fn) {
				t.Fatalf("transcript:\n%s", tr)
			}

			gout := out[4]
			workers, running := 0, 0
			cur := ""
			for _, l := range strings.Split(strings.TrimRight(gout, "\n"), "\n")[1:] {
				if strings.HasPrefix(l, "(") {
					continue // the note on dead goroutines
				}
				m := viewRow.FindStringSubmatch(l)
				if m == nil {
					t.Fatalf("goroutines printed %q:\n%s", l, gout)
				}
				if m[3] == "dead" {
					t.Errorf("goroutines shows a dead goroutine without 'all': %q", l)
				}
				if m[5] != fn {
					continue
				}
				workers++
				if m[3] == "running" {
					running++
				}
				if m[1] == "*" {
					cur = m[2]
					// The current goroutine is where the thread is, not
					// where its sched says.
					if m[3] != "running" || m[4] == "-" || !strings.HasPrefix(m[6], fn+" ") {
						t.Errorf("current goroutine: %q", l)
					}
				}
			}
			if workers < 3 || running < 1 || cur == "" {
				t.Errorf("want several goroutines of %s, one running and current; got:\n%s", fn, gout)
			}
			if !strings.Contains(gout, " runtime.main ") || !regexp.MustCompile(`waiting .*\(\d+\)`).MatchString(gout) {
				t.Errorf("want runtime.main and a waiting goroutine with its reason:\n%s", gout)
			}

			// The current M runs the current goroutine on a P that ps
			// shows running on that M.
			var curM, curP string
			for _, r := range viewRows(t, out[5], "M tid curg P spinning") {
				if len(r) != 6 {
					t.Fatalf("ms row %q", r)
				}
				if r[0] == "*" {
					curM, curP = r[1], r[4]
					if r[3] != cur || r[2] == "-" {
						t.Errorf("current M runs %s (tid %s), want goroutine %s:\n%s", r[3], r[2], cur, out[5])
					}
				}
			}
			if curM == "" {
				t.Fatalf("no current M:\n%s", out[5])
			}
			found := false
			for _, r := range viewRows(t, out[6], "P status runq runnext M") {
				if len(r) != 6 {
					t.Fatalf("ps row %q", r)
				}
				if r[1] == curP {
					found = true
					if r[0] != "*" || r[2] != "running" || r[5] != curM {
						t.Errorf("P %s: %q, want the current one, running on M %s:\n%s", curP, r, curM, out[6])
					}
				}
			}
			if !found {
				t.Errorf("no P %s in:\n%s", curP, out[6])
			}
		})
	}
}

// TestViewsNoDWARF checks the one-line error of each view without DWARF.
func TestViewsNoDWARF(t *testing.T) {
	bin := rtGuest(t, machine, "hello-nodwarf")
	cmds := []string{"goroutines", "grs all", "ms", "ps", "sched"}
	out := rtOutputs(rtRun(t, bin, "break runtime.main\ncontinue\n"+strings.Join(cmds, "\n")+"\n"))
	if len(out) != 2+len(cmds) {
		t.Fatalf("outputs: %q", out)
	}
	for i, c := range cmds {
		name := strings.Fields(c)[0]
		if name == "grs" {
			name = "goroutines"
		}
		if want := "error: " + name + ": no DWARF debug info (built with -ldflags=-w?)\n"; out[2+i] != want {
			t.Errorf("%s printed %q, want %q", c, out[2+i], want)
		}
	}
}
