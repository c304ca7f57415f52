package testbin

import "strings"

// LineDiff is a line where two texts differ: N counts from 1, and a text
// shorter than the other reads as "" there.
type LineDiff struct {
	N         int
	Got, Want string
}

// DiffLines pairs the lines of got and want (split at "\n", as they are)
// and returns those that differ, in order.
func DiffLines(got, want string) []LineDiff {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var out []LineDiff
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			out = append(out, LineDiff{i + 1, gl, wl})
		}
	}
	return out
}
