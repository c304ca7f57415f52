package timeline

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"sort"
)

// Run is one guest run in a comparison.
type Run struct {
	Title string // e.g. "hello (go1.11.1)"
	T     *Timeline
	// Keys name T's stages, by Symbol, the same way in every run, so that
	// stages line up across Go versions whose functions differ: the boot
	// table's stage IDs ("runtime_init" for runtime.init in go1.11 and
	// runtime.doInit1 in go1.26). A stage without a key is drawn where its
	// run reached it but lines up with nothing.
	Keys map[string]string
}

// slot is a stage on the common axis of a comparison.
type slot struct {
	key     string
	label   string   // the first run's label for it
	insns   []uint64 // per run: when it was reached
	has     []bool   // per run: whether it was reached
	n       int      // how many runs reached it
	x       float64
	mark    bool
	depth   int
	firstIn int // the first run that reached it, and where in that run
	firstAt int
}

// commonAxis chooses the stages that line up across runs and their x, and
// returns each run's scale: piecewise linear between the run's own hits of
// those stages, so that a stage reached by several runs is at the same x
// in all of them. A stage can line up only if the runs agree on its order
// with the stages already chosen; stages reached by more runs, top-level
// stages and boot steps (not first uses) are chosen first. Between two
// slots every run's instructions are spread linearly, and the interval is
// as wide as the logarithm of the longest run's length there, as in a
// single run's picture.
func commonAxis(runs []Run, x0, x1 float64) ([]*slot, []scale) {
	byKey := map[string]*slot{}
	var cands []*slot
	for ri, r := range runs {
		for si := range r.T.Stages {
			s := &r.T.Stages[si]
			key := r.Keys[s.Symbol]
			if key == "" {
				continue
			}
			sl := byKey[key]
			if sl == nil {
				sl = &slot{key: key, label: s.Label(), insns: make([]uint64, len(runs)), has: make([]bool, len(runs)),
					mark: s.Mark, depth: s.Depth, firstIn: ri, firstAt: si}
				byKey[key] = sl
				cands = append(cands, sl)
			}
			if !sl.has[ri] { // the first time the run reached it
				sl.has[ri], sl.insns[ri] = true, s.Start
				sl.n++
			}
		}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		switch {
		case a.n != b.n:
			return a.n > b.n
		case a.mark != b.mark:
			return !a.mark
		case a.depth != b.depth:
			return a.depth < b.depth
		case a.firstIn != b.firstIn:
			return a.firstIn < b.firstIn
		}
		return a.firstAt < b.firstAt
	})
	var chosen []*slot
	for _, c := range cands {
		if order, ok := consistentOrder(append(chosen, c), len(runs)); ok {
			chosen = order
		}
	}

	// Interval widths. Points are numbered 0 for the start, i+1 for
	// chosen[i] and len(chosen)+1 for the end; gap g lies between points
	// g-1 and g. A run that skips slots spreads its length evenly over the
	// gaps it spans.
	share := make([]float64, len(chosen)+2)
	for ri, r := range runs {
		prevPoint, prevInsn := 0, uint64(0)
		visit := func(point int, insn uint64) {
			if n := point - prevPoint; n > 0 {
				per := float64(insn-prevInsn) / float64(n)
				for g := prevPoint + 1; g <= point; g++ {
					share[g] = math.Max(share[g], per)
				}
			}
			prevPoint, prevInsn = point, insn
		}
		for i, sl := range chosen {
			if sl.has[ri] {
				visit(i+1, sl.insns[ri])
			}
		}
		visit(len(chosen)+1, r.T.End)
	}
	// A gap no run spends instructions in (a first stage at instruction 0)
	// takes no room; the others at least minSlotW where they fit, so that
	// the rotated labels of neighbouring stages do not overlap.
	width := make([]float64, len(share))
	for g, s := range share {
		if s > 0 {
			width[g] = 1 + math.Log1p(s)
		}
	}
	floor, total := 0.0, 0.0
	for iter := 0; iter < 8; iter++ {
		total = 0
		for _, wd := range width {
			if wd > 0 {
				total += math.Max(wd, floor)
			}
		}
		if total == 0 || float64(len(width))*minSlotW > x1-x0 {
			break
		}
		floor = minSlotW * total / (x1 - x0)
	}
	total = 0
	for g := range width {
		if width[g] > 0 {
			width[g] = math.Max(width[g], floor)
		}
		total += width[g]
	}
	if total == 0 {
		total = 1
	}
	x := x0
	for i, sl := range chosen {
		x += width[i+1] / total * (x1 - x0)
		sl.x = x
	}

	scales := make([]scale, len(runs))
	for ri, r := range runs {
		var sc scale
		add := func(insn uint64, x float64) {
			if n := len(sc.knots); n > 0 && sc.knots[n-1] >= insn {
				return // a stage at the start or the end: one knot
			}
			sc.knots = append(sc.knots, insn)
			sc.xs = append(sc.xs, x)
		}
		if len(chosen) == 0 || !chosen[0].has[ri] || chosen[0].insns[ri] > 0 {
			add(0, x0)
		}
		for _, sl := range chosen {
			if sl.has[ri] {
				add(sl.insns[ri], sl.x)
			}
		}
		add(r.T.End, x1)
		if len(sc.knots) == 1 {
			add(sc.knots[0]+1, x1)
		}
		scales[ri] = sc
	}
	return chosen, scales
}

// consistentOrder orders slots so that every run reaches them in that
// order, if there is such an order: each run's hits must be strictly
// increasing along it. Ties go to the earlier slot in the argument.
func consistentOrder(slots []*slot, runs int) ([]*slot, bool) {
	n := len(slots)
	before := make([][]bool, n) // before[a][b]: some run reaches a before b
	for a := range before {
		before[a] = make([]bool, n)
	}
	for r := 0; r < runs; r++ {
		for a := 0; a < n; a++ {
			for b := 0; b < n; b++ {
				if a == b || !slots[a].has[r] || !slots[b].has[r] {
					continue
				}
				if slots[a].insns[r] == slots[b].insns[r] {
					return nil, false // one instruction, two places on the axis
				}
				if slots[a].insns[r] < slots[b].insns[r] {
					before[a][b] = true
				}
			}
		}
	}
	placed := make([]bool, n)
	out := make([]*slot, 0, n)
	for len(out) < n {
		next := -1
		for b := 0; b < n && next < 0; b++ {
			if placed[b] {
				continue
			}
			ready := true
			for a := 0; a < n; a++ {
				if !placed[a] && before[a][b] {
					ready = false
					break
				}
			}
			if ready {
				next = b
			}
		}
		if next < 0 {
			return nil, false // the runs disagree on the order
		}
		placed[next] = true
		out = append(out, slots[next])
	}
	return out, true
}

// WriteCompareSVG draws runs one above the other on a common stage axis: a
// stage that several runs reach is at the same x in each (a dashed line
// joins them, labelled at the top), and between two such stages each run's
// instructions are spread linearly. Each run has its own lanes, one per
// thread, drawn as WriteSVG draws them, and its own instruction ticks.
func WriteCompareSVG(w io.Writer, runs []Run, o Options) error {
	bw := bufio.NewWriter(w)
	drawCompare(bw, runs, o)
	return bw.Flush()
}

// WriteCompareHTML writes the comparison's SVG inside a minimal HTML page.
func WriteCompareHTML(w io.Writer, runs []Run, o Options) error {
	bw := bufio.NewWriter(w)
	title := o.Title
	if title == "" {
		title = "boot timelines compared"
	}
	fmt.Fprintf(bw, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n"+
		"<style>body{margin:16px;background:#fff} svg{max-width:none}</style>\n</head>\n<body>\n", esc(title))
	drawCompare(bw, runs, o)
	bw.WriteString("</body>\n</html>\n")
	return bw.Flush()
}

// Layout of a comparison, in pixels.
const (
	stageHeadH = 130.0 // the rotated stage labels at the top
	runHeadH   = 40.0  // a run's title and counts
	runAxisH   = 30.0  // a run's instruction ticks
	runGap     = 14.0
	labelAngle = -55.0 // degrees
	labelLean  = 60.0  // px a rotated label reaches right of its stage
	minSlotW   = 15.0  // px between two stages on the common axis: a rotated label's height
)

func drawCompare(w *bufio.Writer, runs []Run, o Options) {
	width := float64(o.Width)
	if width <= 0 {
		width = 1600
	}
	// The last stages' labels lean right, past their x.
	plotX0, plotX1 := headerW, width-marginR-labelLean
	slots, scales := commonAxis(runs, plotX0, plotX1)

	const titleH = 48.0
	y := titleH + stageHeadH
	guideTop := y - 4
	type block struct {
		y, axisY float64
		lanes    []*lane
	}
	blocks := make([]block, len(runs))
	for i, r := range runs {
		b := block{y: y, axisY: y + runHeadH + runAxisH - 8}
		b.lanes = layoutLanes(r.T, scales[i], width)
		y = placeLanes(b.lanes, y+runHeadH+runAxisH) + runGap
		blocks[i] = b
	}
	lanesEnd := y - runGap
	legendY := lanesEnd + 28
	seen := map[int]bool{}
	var chapters []int
	for _, r := range runs {
		for _, ch := range usedChapters(r.T) {
			if !seen[ch] {
				seen[ch] = true
				chapters = append(chapters, ch)
			}
		}
	}
	sort.Ints(chapters)
	height := legendY + legendH(chapters)

	openSVG(w, width, height)
	title := o.Title
	if title == "" {
		title = "boot timelines compared"
	}
	fmt.Fprintf(w, "<text x=\"12\" y=\"22\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", esc(title))
	fmt.Fprintf(w, "<text x=\"12\" y=\"40\" fill=\"#555\">%s</text>\n", esc(
		"x: boot stages; a stage the runs share is at the same x in each (dashed line). Between two such stages each run's "+
			"instructions are spread linearly, the interval as wide as the log of its longest length."))

	// Stage labels along the top, rotated so that close stages fit.
	f := px
	w.WriteString("<g class=\"stage-axis\">\n")
	for _, sl := range slots {
		if sl.n < 2 {
			continue
		}
		fmt.Fprintf(w, "<text x=\"%s\" y=\"%s\" transform=\"rotate(%s %s %s)\" fill=\"#1d3f66\" class=\"slot\">%s</text>\n",
			f(sl.x), f(guideTop-4), f(labelAngle), f(sl.x), f(guideTop-4), esc(sl.label))
	}
	w.WriteString("</g>\n")

	for i, r := range runs {
		b := blocks[i]
		fmt.Fprintf(w, "<g class=\"run\" data-run=\"%d\">\n", i)
		fmt.Fprintf(w, "<rect x=\"0\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"#e3ebf3\"/>\n", f(b.y), f(width), f(runHeadH+runAxisH))
		fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" font-size=\"13\" font-weight=\"bold\" class=\"run-title\">%s</text>\n", f(b.y+16), esc(r.Title))
		fmt.Fprintf(w, "<text x=\"12\" y=\"%s\" fill=\"#333\">%s</text>\n", f(b.y+32), esc(summary(r.T)))
		drawAxis(w, scales[i], r.T.End, plotX0, plotX1, b.axisY, b.axisY)
		drawLanes(w, b.lanes, scales[i], width)
		drawClones(w, r.T, b.lanes, scales[i])
		w.WriteString("</g>\n")
	}

	// The guides, over the lanes so that they show through.
	w.WriteString("<g class=\"guides\">\n")
	for _, sl := range slots {
		if sl.n < 2 {
			continue
		}
		fmt.Fprintf(w, "<line class=\"guide\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#1d3f66\" stroke-opacity=\"0.35\" stroke-dasharray=\"4,3\"><title>%s</title></line>\n",
			f(sl.x), f(guideTop), f(sl.x), f(lanesEnd), esc(sl.label))
	}
	w.WriteString("</g>\n")
	drawLegend(w, legendY, width, chapters, o.Chapters)
	w.WriteString("</svg>\n")
}
