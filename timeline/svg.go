package timeline

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Options control the picture.
type Options struct {
	Title    string         // first line of the picture, e.g. "hello (go1.26.8)"
	Chapters map[int]string // chapter titles for the legend; "" or missing: "ch.N"
	Width    int            // pixels; default 1600
}

// Layout constants, in pixels. Labels use a monospace font so that their
// width is known here and they can be kept apart.
const (
	fontSize   = 11.0
	charW      = 0.602 * fontSize // DejaVu Sans Mono's advance
	headerW    = 170.0            // lane headers on the left
	marginR    = 24.0
	rowH       = 16.0
	barH       = 12.0
	bandH      = 18.0 // the syscall band at the bottom of a lane
	lanePad    = 6.0
	minLaneH   = 54.0
	labelGap   = 8.0 // between two items that share a row
	fontFamily = "DejaVu Sans Mono, Menlo, Consolas, monospace"
)

func textW(s string) float64 { return float64(len([]rune(s))) * charW }

// chapterColors fill the stage bars, by chapter; dark text reads on all.
var chapterColors = map[int]string{
	1: "#8ecae6", 2: "#a7c957", 3: "#f4a261", 4: "#e9c46a", 5: "#c3a6d8", 6: "#f29e8e",
	7: "#7fd1b9", 8: "#f7d08a", 9: "#b8c4d6", 10: "#e0b1cb", 11: "#ffc2d1",
}

func chapterColor(ch int) string {
	if c, ok := chapterColors[ch]; ok {
		return c
	}
	return "#d0d0d0"
}

// scale maps instruction counts to x: piecewise linear between knots (0,
// every stage start, every thread start, the end), each interval as wide
// as the logarithm of its length. Early boot, where stages are tens of
// instructions apart, gets as much room per stage as the rest.
type scale struct {
	knots []uint64
	xs    []float64
}

func newScale(t *Timeline, x0, x1 float64) scale {
	set := map[uint64]bool{0: true, t.End: true}
	for _, s := range t.Stages {
		set[s.Start] = true
	}
	for _, th := range t.Threads {
		set[th.Start] = true
	}
	var s scale
	for k := range set {
		s.knots = append(s.knots, k)
	}
	sort.Slice(s.knots, func(i, j int) bool { return s.knots[i] < s.knots[j] })
	if len(s.knots) == 1 {
		s.knots = append(s.knots, s.knots[0]+1)
	}
	w := make([]float64, len(s.knots))
	total := 0.0
	for i := 1; i < len(s.knots); i++ {
		w[i] = 1 + math.Log1p(float64(s.knots[i]-s.knots[i-1]))
		total += w[i]
	}
	s.xs = make([]float64, len(s.knots))
	s.xs[0] = x0
	for i := 1; i < len(s.knots); i++ {
		s.xs[i] = s.xs[i-1] + w[i]/total*(x1-x0)
	}
	s.xs[len(s.xs)-1] = x1
	return s
}

func (s scale) x(v uint64) float64 {
	i := sort.Search(len(s.knots), func(i int) bool { return s.knots[i] >= v })
	switch {
	case i == len(s.knots):
		return s.xs[len(s.xs)-1]
	case s.knots[i] == v || i == 0:
		return s.xs[i]
	}
	a, b := s.knots[i-1], s.knots[i]
	return s.xs[i-1] + (s.xs[i]-s.xs[i-1])*float64(v-a)/float64(b-a)
}

// item is a stage or mark placed in a lane.
type item struct {
	s          *Stage
	x0, x1     float64 // the bar (x0 == x1 for a mark)
	lx         float64 // where the label starts
	inside     bool    // the label is drawn inside the bar
	row        int
	left       float64 // leftmost pixel used, label included
	right      float64 // rightmost pixel used, label included
	labelWidth float64
}

type lane struct {
	th    *Thread
	items []*item
	rows  int
	y, h  float64
	calls []Syscall
}

// WriteSVG draws t as a self-contained SVG: one lane per thread along the
// instruction axis, stages as bars labelled with their chapter, first uses
// as diamonds, syscalls as ticks, clones as arrows between lanes.
func WriteSVG(w io.Writer, t *Timeline, o Options) error {
	bw := bufio.NewWriter(w)
	drawSVG(bw, t, o)
	return bw.Flush()
}

// WriteHTML writes the SVG inside a minimal HTML page.
func WriteHTML(w io.Writer, t *Timeline, o Options) error {
	bw := bufio.NewWriter(w)
	title := o.Title
	if title == "" {
		title = "boot timeline"
	}
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n"+
		"<style>body{margin:16px;background:#fff} svg{max-width:none}</style>\n</head>\n<body>\n", esc(title))
	drawSVG(bw, t, o)
	bw.WriteString("</body>\n</html>\n")
	return bw.Flush()
}

func drawSVG(w *bufio.Writer, t *Timeline, o Options) {
	width := float64(o.Width)
	if width <= 0 {
		width = 1600
	}
	plotX0, plotX1 := headerW, width-marginR
	sc := newScale(t, plotX0, plotX1)
	lanes := layoutLanes(t, sc, width)

	// Vertical layout.
	const titleH, axisH = 66.0, 44.0
	lanesEnd := placeLanes(lanes, titleH+axisH)
	legendY := lanesEnd + 28
	chapters := usedChapters(t)
	height := legendY + legendH(chapters)

	openSVG(w, width, height)

	// Title.
	title := o.Title
	if title == "" {
		title = "boot timeline"
	}
	fmt.Fprintf(w, "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", esc(title))
	fmt.Fprintf(w, "<text x=\"12\" y=\"40\" fill=\"#333\">%s</text>\n", esc(summary(t)))
	fmt.Fprintf(w, "<text x=\"12\" y=\"56\" fill=\"#555\">%s</text>\n", esc(
		"x: instructions executed (1 instruction = 1 ns of virtual time), stretched where stages are close: "+
			"linear between two stage starts, each such interval as wide as the log of its length."))

	drawAxis(w, sc, t.End, plotX0, plotX1, titleH+axisH-8, lanesEnd)
	drawLanes(w, lanes, sc, width)
	drawClones(w, t, lanes, sc)
	drawLegend(w, legendY, width, chapters, o.Chapters)
	w.WriteString("</svg>\n")
}

// summary says "359,210 instructions, 4 threads, 201 syscalls, 41 stages
// and 5 first uses reached."
func summary(t *Timeline) string {
	return fmt.Sprintf("%s instructions, %s, %s, %s reached.",
		group(t.End), plural(len(t.Threads), "thread"), plural(len(t.Syscalls), "syscall"), stageCount(t))
}

// openSVG writes the root element, the clone arrow's marker and the white
// background.
func openSVG(w *bufio.Writer, width, height float64) {
	fmt.Fprintf(w, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"%s\" font-size=\"%s\">\n",
		px(width), px(height), px(width), px(height), fontFamily, px(fontSize))
	w.WriteString("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">" +
		"<path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c0392b\"/></marker></defs>\n")
	fmt.Fprintf(w, "<rect width=\"%s\" height=\"%s\" fill=\"#ffffff\"/>\n", px(width), px(height))
}

// px writes a coordinate with one decimal.
func px(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// layoutLanes makes one lane per thread of t and places its stages and
// marks along sc: an item goes in the first row, below its parent's, where
// it does not run into what is already there.
func layoutLanes(t *Timeline, sc scale, width float64) []*lane {
	lanes := make([]*lane, len(t.Threads))
	byTid := map[int]*lane{}
	for i := range t.Threads {
		lanes[i] = &lane{th: &t.Threads[i]}
		byTid[t.Threads[i].Tid] = lanes[i]
	}
	for _, c := range t.Syscalls {
		if l := byTid[c.Tid]; l != nil {
			l.calls = append(l.calls, c)
		}
	}
	for i := range t.Stages {
		s := &t.Stages[i]
		l := byTid[s.Tid]
		if l == nil {
			continue
		}
		it := &item{s: s, x0: sc.x(s.Start), x1: sc.x(s.End)}
		label := s.Label()
		it.labelWidth = textW(label)
		// The label goes inside the bar if it fits, else after it, else
		// (at the right edge) before it.
		it.left, it.right = it.x0, it.x1
		after := it.x1 + 3
		if s.Mark {
			it.left, it.right = it.x0-5, it.x0+5
			after = it.x0 + 7
		}
		switch {
		case !s.Mark && it.x1-it.x0 >= it.labelWidth+6:
			it.inside = true
			it.lx = it.x0 + 3
		case after+it.labelWidth <= width-4:
			it.lx = after
			it.right = after + it.labelWidth
		default:
			it.lx = it.left - 3 - it.labelWidth
			it.left = it.lx
		}
		l.items = append(l.items, it)
	}
	for _, l := range lanes {
		var used []float64 // per row: rightmost pixel taken
		rowOf := map[string]int{}
		for _, it := range l.items {
			min := 0
			if p, ok := rowOf[it.s.Parent]; ok && it.s.Parent != "" {
				min = p + 1
			}
			left := it.left
			r := min
			for ; r < len(used); r++ {
				if used[r]+labelGap <= left {
					break
				}
			}
			for len(used) <= r {
				used = append(used, math.Inf(-1))
			}
			used[r] = it.right
			it.row = r
			if !it.s.Mark {
				rowOf[it.s.Symbol] = r
			}
		}
		l.rows = len(used)
	}
	return lanes
}

// placeLanes stacks the lanes from y down and returns where they end.
func placeLanes(lanes []*lane, y float64) float64 {
	for _, l := range lanes {
		l.y = y
		l.h = math.Max(minLaneH, lanePad+float64(l.rows)*rowH+bandH+lanePad)
		y += l.h
	}
	return y
}

// drawAxis draws the instruction axis at axisY, its round counts, and
// their gridlines down to gridEnd.
func drawAxis(w *bufio.Writer, sc scale, end uint64, plotX0, plotX1, axisY, gridEnd float64) {
	f := px
	fmt.Fprintf(w, "<g class=\"axis\">\n<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#333\"/>\n", f(plotX0), f(axisY), f(plotX1), f(axisY))
	fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" fill=\"#333\">instructions</text>\n", f(axisY-6))
	ticks := axisTicks(sc, end)
	for _, v := range minorTicks(sc, end, ticks) {
		x := sc.x(v)
		fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#777\"><title>%s</title></line>\n", f(x), f(axisY-2), f(x), f(axisY+2), group(v))
	}
	for _, tk := range ticks {
		x := sc.x(tk.v)
		fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#333\"/>\n", f(x), f(axisY-4), f(x), f(axisY+4))
		fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#ddd\" stroke-dasharray=\"3,3\"/>\n", f(x), f(axisY+4), f(x), f(gridEnd))
		fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" text-anchor=\"%s\" fill=\"#333\">%s</text>\n", f(x), f(axisY-8), tk.anchor, esc(tk.label))
	}
	w.WriteString("</g>\n")
}

// drawLanes draws placed lanes: background, thread header, life line,
// syscall ticks, stage bars and marks.
func drawLanes(w *bufio.Writer, lanes []*lane, sc scale, width float64) {
	f := px
	for i, l := range lanes {
		bg := "#f7f7f7"
		if i%2 == 1 {
			bg = "#eeeeee"
		}
		th := l.th
		fmt.Fprintf(w, "<g class=\"lane\" data-tid=\"%d\">\n", th.Tid)
		fmt.Fprintf(w, "<rect x=\"0\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\"/>\n", f(l.y), f(width), f(l.h), bg)
		fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" font-weight=\"bold\">thread %d</text>\n", f(l.y+16), th.Tid)
		sub := "first thread"
		if th.Parent != 0 {
			sub = fmt.Sprintf("cloned by %d", th.Parent)
		}
		fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" fill=\"#555\">%s</text>\n", f(l.y+30), esc(sub))
		fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" fill=\"#555\">%s</text>\n", f(l.y+44), esc(plural(len(l.calls), "syscall")))

		// Life line and syscall ticks.
		by := l.y + l.h - lanePad - bandH/2
		fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#999\"/>\n", f(sc.x(th.Start)), f(by), f(sc.x(th.End)), f(by))
		if th.Exited {
			fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" fill=\"#999\" text-anchor=\"middle\">×<title>thread %d exited at insn %s</title></text>\n",
				f(sc.x(th.End)), f(by+4), th.Tid, group(th.End))
		}
		for _, c := range l.calls {
			x0, x1 := sc.x(c.Start), sc.x(c.End)
			color := "#444"
			if c.Name == "clone" || c.Name == "clone3" {
				color = "#c0392b"
			}
			tip := fmt.Sprintf("%s (thread %d) at insn %s", c.Name, c.Tid, group(c.Start))
			if c.End > c.Start {
				tip += fmt.Sprintf(", blocked until %s", group(c.End))
				fmt.Fprintf(w, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"3\" fill=\"%s\" opacity=\"0.45\"><title>%s</title></rect>\n",
					f(x0), f(by-1.5), f(math.Max(x1-x0, 0.5)), color, esc(tip))
			}
			fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" stroke-width=\"1\"><title>%s</title></line>\n",
				f(x0), f(by-6), f(x0), f(by+6), color, esc(tip))
		}

		// Stages and marks.
		for _, it := range l.items {
			s := it.s
			top := l.y + lanePad + float64(it.row)*rowH
			ty := top + barH - 2.5
			tip := fmt.Sprintf("stage %d %s, chapter %d: insn %s", s.N, s.Symbol, s.Chapter, group(s.Start))
			if s.Mark {
				tip = fmt.Sprintf("first use: %s, chapter %d, at insn %s", s.Symbol, s.Chapter, group(s.Start))
				cx, cy := it.x0, top+barH/2
				fmt.Fprintf(w, "<path d=\"M%s,%s L%s,%s L%s,%s L%s,%s z\" fill=\"%s\" stroke=\"#333\" stroke-width=\"0.6\"><title>%s</title></path>\n",
					f(cx), f(cy-5), f(cx+5), f(cy), f(cx), f(cy+5), f(cx-5), f(cy), chapterColor(s.Chapter), esc(tip))
				fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" font-style=\"italic\" fill=\"#333\" class=\"stage\">%s</text>\n", f(it.lx), f(ty), esc(s.Label()))
				continue
			}
			if s.End > s.Start {
				tip += fmt.Sprintf(" to %s (%s instructions)", group(s.End), group(s.End-s.Start))
			}
			fmt.Fprintf(w, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"2\" fill=\"%s\" stroke=\"#555\" stroke-width=\"0.5\"><title>%s</title></rect>\n",
				f(it.x0), f(top), f(math.Max(it.x1-it.x0, 1.5)), f(barH), chapterColor(s.Chapter), esc(tip))
			fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" fill=\"#111\" class=\"stage\">%s</text>\n", f(it.lx), f(ty), esc(s.Label()))
		}
		w.WriteString("</g>\n")
	}
}

// drawClones draws an arrow for each clone: from the parent's clone tick
// down (or up) to the child's lane, at the instruction of the clone.
func drawClones(w *bufio.Writer, t *Timeline, lanes []*lane, sc scale) {
	f := px
	byTid := map[int]*lane{}
	for _, l := range lanes {
		byTid[l.th.Tid] = l
	}
	w.WriteString("<g class=\"clones\">\n")
	for _, th := range t.Threads {
		if th.Parent == 0 {
			continue
		}
		pl, cl := byTid[th.Parent], byTid[th.Tid]
		if pl == nil || cl == nil {
			continue
		}
		x := sc.x(th.Start)
		// From the parent's clone tick to where the child's life line
		// starts.
		y0 := pl.y + pl.h - lanePad - bandH/2 + 6
		y1 := cl.y + cl.h - lanePad - bandH/2 - 3
		if cl.y < pl.y {
			y0 -= 12
			y1 += 6
		}
		fmt.Fprintf(w, "<path class=\"clone\" d=\"M%s,%s L%s,%s\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\">"+
			"<title>thread %d clones thread %d at insn %s</title></path>\n",
			f(x), f(y0), f(x), f(y1), th.Parent, th.Tid, group(th.Start))
	}
	w.WriteString("</g>\n")
}

// legendH is the height of the legend for these chapters.
func legendH(chapters []int) float64 { return 20*float64(2+(len(chapters)+3)/4) + 10 }

// drawLegend explains the marks at y: stage bars, first uses, syscalls,
// clones, and the colour of each chapter.
func drawLegend(w *bufio.Writer, y, width float64, chapters []int, names map[int]string) {
	f := px
	ly := y
	lx := 12.0
	fmt.Fprintf(w, "<g class=\"legend\">\n")
	fmt.Fprintf(w, "<rect x=\"%s\" y=\"%s\" width=\"26\" height=\"%s\" rx=\"2\" fill=\"#ddd\" stroke=\"#555\" stroke-width=\"0.5\"/>", f(lx), f(ly-barH+2), f(barH))
	lx += 32
	s := "stage: from when it is reached until the next stage at its level"
	fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\">%s</text>\n", f(lx), f(ly), esc(s))
	lx += textW(s) + 24
	fmt.Fprintf(w, "<path d=\"M%s,%s l5,5 l-5,5 l-5,-5 z\" fill=\"#ddd\" stroke=\"#333\" stroke-width=\"0.6\"/>", f(lx+5), f(ly-9))
	lx += 14
	s = "first use"
	fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\">%s</text>\n", f(lx), f(ly), esc(s))
	lx += textW(s) + 24
	fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#444\"/>", f(lx), f(ly-10), f(lx), f(ly+2))
	lx += 8
	s = "syscall"
	fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\">%s</text>\n", f(lx), f(ly), esc(s))
	lx += textW(s) + 24
	fmt.Fprintf(w, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#c0392b\" stroke-width=\"1.3\" marker-end=\"url(#arrow)\"/>", f(lx), f(ly-4), f(lx+24), f(ly-4))
	lx += 32
	s = "clone (new thread)"
	fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\">%s</text>\n", f(lx), f(ly), esc(s))
	for i, ch := range chapters {
		cx := 12 + float64(i%4)*((width-24)/4)
		cy := ly + 20*float64(1+i/4)
		name := names[ch]
		label := fmt.Sprintf("ch.%d", ch)
		if name != "" {
			label += " " + name
		}
		fmt.Fprintf(w, "<rect x=\"%s\" y=\"%s\" width=\"26\" height=\"%s\" rx=\"2\" fill=\"%s\" stroke=\"#555\" stroke-width=\"0.5\"/>", f(cx), f(cy-barH+2), f(barH), chapterColor(ch))
		fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\">%s</text>\n", f(cx+32), f(cy), esc(label))
	}
	w.WriteString("</g>\n")
}

// stageCount says "41 stages and 4 first uses".
func stageCount(t *Timeline) string {
	marks := 0
	for _, s := range t.Stages {
		if s.Mark {
			marks++
		}
	}
	out := plural(len(t.Stages)-marks, "stage")
	if marks > 0 {
		out += " and " + plural(marks, "first use")
	}
	return out
}

// usedChapters lists the chapters of the stages in t, in order.
func usedChapters(t *Timeline) []int {
	seen := map[int]bool{}
	var out []int
	for _, s := range t.Stages {
		if !seen[s.Chapter] {
			seen[s.Chapter] = true
			out = append(out, s.Chapter)
		}
	}
	sort.Ints(out)
	return out
}

type tick struct {
	v      uint64
	label  string
	anchor string
}

// axisTicks picks round instruction counts (1, 2, 5 times a power of ten)
// and the end, as many as fit without their labels touching.
func axisTicks(sc scale, end uint64) []tick {
	type span struct{ a, b float64 }
	var taken []span
	free := func(x0, x1 float64) bool {
		for _, s := range taken {
			if x0 < s.b+10 && s.a < x1+10 {
				return false
			}
		}
		return true
	}
	place := func(tk tick) bool {
		x, wd := sc.x(tk.v), textW(tk.label)
		x0 := x - wd/2
		switch tk.anchor {
		case "start":
			x0 = x
		case "end":
			x0 = x - wd
		}
		if !free(x0, x0+wd) {
			return false
		}
		taken = append(taken, span{x0, x0 + wd})
		return true
	}
	var out []tick
	endTick := tick{end, group(end), "end"}
	place(endTick)
	first := tick{0, "0", "start"}
	if place(first) {
		out = append(out, first)
	}
	// Powers of ten first, so that each decade gets a label before any
	// of its 2s and 5s do.
	for _, m := range []uint64{1, 2, 5} {
		for p := uint64(1); p <= end/m && p < math.MaxUint64/10; p *= 10 {
			if v := p * m; v < end {
				if tk := (tick{v, short(v), "middle"}); place(tk) {
					out = append(out, tk)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].v < out[j].v })
	return append(out, endTick)
}

// minorTicks are the round counts without a label, where they are not
// crowded: they show how the scale stretches.
func minorTicks(sc scale, end uint64, major []tick) []uint64 {
	var xs []float64
	for _, tk := range major {
		xs = append(xs, sc.x(tk.v))
	}
	var out []uint64
	for p := uint64(1); p < end && p < math.MaxUint64/10; p *= 10 {
		for _, m := range []uint64{1, 2, 5} {
			v := p * m
			if v >= end {
				break
			}
			x := sc.x(v)
			ok := true
			for _, o := range xs {
				if math.Abs(o-x) < 4 {
					ok = false
					break
				}
			}
			if ok {
				xs = append(xs, x)
				out = append(out, v)
			}
		}
	}
	return out
}

// short writes a round count: 500, 2k, 50k, 1M.
func short(v uint64) string {
	switch {
	case v >= 1e9 && v%1e9 == 0:
		return strconv.FormatUint(v/1e9, 10) + "G"
	case v >= 1e6 && v%1e6 == 0:
		return strconv.FormatUint(v/1e6, 10) + "M"
	case v >= 1e3 && v%1e3 == 0:
		return strconv.FormatUint(v/1e3, 10) + "k"
	}
	return strconv.FormatUint(v, 10)
}

// group writes 359209 as 359,209.
func group(v uint64) string {
	s := strconv.FormatUint(v, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&#39;")

func esc(s string) string { return escaper.Replace(s) }
