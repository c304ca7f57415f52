package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/target"
	"github.com/gouth-emu/gouth-emu/timeline"
)

func newCompareCmd() *cobra.Command {
	var g guestFlags
	c := &cobra.Command{
		Use:   "compare [flags] BINARY BINARY...",
		Short: "Boot two or more Go binaries with the stages watched and show the boots side by side",
		Long: `compare runs each binary in turn as 'run --stages' does, with run's flags,
without showing the guests' output, and prints one table: a row per boot
stage, a column per binary with the instruction count at which the stage
was reached, "absent [N]" where the binary's Go has no such function (note N says why),
"inlined into F" where the compiler inlined it, or "not reached"; then the
syscalls of each run by name, and its totals. Run it on builds of one
program by two Go versions to see what changed in the runtime's boot.
-o FILE.svg (or FILE.html) also draws the runs' timelines one above the
other, with the stages they share lined up. The output is the same on
every run (host times only with --stats). If a guest does not exit 0 the
table is printed all the same and the status is that of the first such
guest.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usageError{fmt.Errorf("compare: want two or more binaries, got %d (see 'gouth-emu compare --help')", len(args))}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			return compareGuests(&g, args, os.Stdout)
		},
	}
	g.register(c)
	c.Flags().Lookup("stats").Usage = "add each run's host wall time and MIPS to the table"
	c.Flags().Lookup("timeout").Usage = "stop each guest after this much host time, e.g. 10s (exit status 124)"
	c.Flags().StringVarP(&g.picture, "output", "o", "", "also draw the timelines one above the other, stages lined up, to FILE.svg (or FILE.html: the SVG in a web page)")
	return c
}

// boot is one binary's run in a comparison.
type boot struct {
	arg   string // as the user gave it
	file  *loader.File
	title string // column header: file name and Go version
	tr    *stages.Tracker
	// inlined: for a stage whose function has no code of its own, the
	// functions it was inlined into.
	inlined map[string][]string
	stats   emu.Stats
	exit    *emu.Exit
	rec     *recording
}

// compareGuests checks every binary and the -o path, boots the binaries
// one after the other, writes the table to out and the picture to -o, and
// returns the first non-zero guest status as an exitError.
func compareGuests(g *guestFlags, args []string, out io.Writer) error {
	html := false
	if g.picture != "" {
		var ok bool
		if html, ok = pictureKind(g.picture); !ok {
			return usageError{fmt.Errorf("-o %s: want a file ending in .svg or .html", g.picture)}
		}
	}
	cfg, err := g.config(nil)
	if err != nil {
		return err
	}
	// Every binary is checked before any runs, so that a typo in the last
	// one does not cost the others' runs.
	boots := make([]*boot, len(args))
	for i, a := range args {
		f, err := openGuest(a)
		if err != nil {
			return err
		}
		boots[i] = &boot{arg: a, file: f}
	}
	titleBoots(boots)
	var picture *os.File
	if g.picture != "" {
		if picture, err = os.Create(g.picture); err != nil {
			return usageError{fmt.Errorf("-o %s: %v", g.picture, errors.Unwrap(err))}
		}
		defer func() {
			if picture != nil { // not written: leave no half picture
				picture.Close()
				os.Remove(picture.Name())
			}
		}()
	}

	for i, b := range boots {
		if err := b.run(g, cfg); err != nil {
			return err
		}
		// Ctrl-C ends the guest that is running and the comparison: the
		// user wants it all to stop, not one guest after another.
		if b.exit.Signal == int(syscall.SIGINT) && i < len(boots)-1 {
			fmt.Fprintf(os.Stderr, "gouth-emu: %s: killed by SIGINT; the binaries after it were not run\n", b.arg)
			return exitError{b.exit.Status}
		}
	}
	if _, err := out.Write(compareTable(boots, g.stats)); err != nil {
		return err
	}

	if picture != nil {
		runs := make([]timeline.Run, len(boots))
		var titles []string
		for i, b := range boots {
			keys := map[string]string{}
			for _, r := range b.tr.Stages() {
				if r.Symbol != "" {
					keys[r.Name()] = r.ID
				}
			}
			runs[i] = timeline.Run{Title: b.title, T: b.rec.rec.Timeline(), Keys: keys}
			titles = append(titles, b.title)
		}
		o := timeline.Options{Title: strings.Join(titles, " vs "), Chapters: chapterNames()}
		write := timeline.WriteCompareSVG
		if html {
			write = timeline.WriteCompareHTML
		}
		if err := write(picture, runs, o); err != nil {
			return fmt.Errorf("-o %s: %v", picture.Name(), err)
		}
		if err := picture.Close(); err != nil {
			return fmt.Errorf("-o %s: %v", picture.Name(), err)
		}
		picture = nil
	}

	status := 0
	for _, b := range boots {
		switch {
		case b.exit.Detail != "":
			fmt.Fprintf(os.Stderr, "gouth-emu: %s: %s\n", b.arg, b.exit.Detail)
		case b.exit.Status != 0:
			fmt.Fprintf(os.Stderr, "gouth-emu: %s: exit status %d\n", b.arg, b.exit.Status)
		}
		if b.exit.Status != 0 && status == 0 {
			status = b.exit.Status
		}
	}
	if status != 0 {
		return exitError{status}
	}
	return nil
}

// titleBoots names each column by its file name and Go version, or by the
// path as given where two binaries share a file name.
func titleBoots(boots []*boot) {
	names := map[string]int{}
	for _, b := range boots {
		names[filepath.Base(b.arg)]++
	}
	for _, b := range boots {
		name := filepath.Base(b.arg)
		if names[name] > 1 {
			name = b.arg
		}
		v := b.file.GoVersion
		if v == "" {
			v = "Go version unknown"
		}
		b.title = name + " (" + v + ")"
	}
}

// run boots b under emulation with its stages watched, as run --stages
// does, recording the timeline; the guest's output goes nowhere.
func (b *boot) run(g *guestFlags, cfg emu.Config) error {
	cfg.Args = []string{b.arg}
	cfg.Stdin = bytes.NewReader(nil)
	cfg.Stdout, cfg.Stderr = io.Discard, io.Discard
	if cfg.Trace != nil {
		fmt.Fprintf(cfg.Trace, "gouth-emu: compare: %s\n", b.arg)
	}
	b.rec = &recording{rec: timeline.NewRecorder()}
	cfg.Events = b.rec.rec
	b.file.Prefetch()
	m, err := emu.New(b.file, cfg)
	if err != nil {
		return fmt.Errorf("%s: %v", b.arg, err)
	}
	defer m.Close()
	defer interruptOnCtrlC(m)()
	t := target.Over(m, b.file)
	if b.tr, err = stages.Watch(t, b.file); err != nil {
		return fmt.Errorf("%s: %v", b.arg, err)
	}
	b.inlined = inlinedStages(b.file, b.tr)
	b.exit = runStages(t, b.tr, false, b.rec)
	b.rec.rec.End(m.Insns())
	b.stats = m.Stats()
	return nil
}

// inlinedStages finds the stages of tr whose function has no entry of its
// own in f, only inline sites, and the functions holding those sites.
func inlinedStages(f *loader.File, tr *stages.Tracker) map[string][]string {
	out := map[string][]string{}
	syms, err := f.Symbols()
	if err != nil {
		return out
	}
	for _, r := range tr.Stages() {
		if r.Symbol == "" {
			continue
		}
		if _, ok := syms.Func(r.Symbol); ok {
			continue
		}
		sites, err := f.InlineSites(r.Symbol)
		if err != nil {
			continue
		}
		seen := map[string]bool{}
		var callers []string
		for _, s := range sites {
			if !seen[s.Caller] {
				seen[s.Caller] = true
				callers = append(callers, s.Caller)
			}
		}
		sort.Strings(callers)
		out[r.ID] = callers
	}
	return out
}

// compareTable lays out the comparison: the stages in the table's order
// (the boot's), then the syscalls by name, then the totals.
func compareTable(boots []*boot, hostTimes bool) []byte {
	head := []string{"stage", "ch."}
	for _, b := range boots {
		head = append(head, b.title)
	}
	rows := [][]string{head}
	section := func(name string) { rows = append(rows, []string{name}) }

	// One row per stage of the table that some binary has; the trackers
	// all list the whole table, in its order. Why a stage is absent can
	// take a sentence: the cell gets a note number, the note follows the
	// stages.
	var notes []string
	note := func(text string) string {
		notes = append(notes, text)
		return fmt.Sprintf("[%d]", len(notes))
	}
	first := boots[0].tr.Stages()
	for _, later := range []bool{false, true} {
		if later {
			rows = append(rows, []string{""})
			section("first uses")
		} else {
			section("boot")
		}
		for i, st := range first {
			if st.Later != later {
				continue
			}
			any := false
			symbols := map[string]bool{}
			for _, b := range boots {
				if r := b.tr.Stages()[i]; r.Symbol != "" {
					any = true
					symbols[r.Symbol] = true
				}
			}
			if !any {
				continue
			}
			name := st.ID
			if st.Parent != "" {
				name = "  " + name
			}
			row := []string{name, strconv.Itoa(st.Chapter)}
			for _, b := range boots {
				row = append(row, stageCell(b, b.tr.Stages()[i], len(symbols) > 1, note))
			}
			rows = append(rows, row)
		}
	}

	if len(notes) > 0 {
		rows = append(rows, []string{""})
		for i, n := range notes {
			rows = append(rows, []string{fmt.Sprintf("[%d] %s", i+1, n)})
		}
	}

	rows = append(rows, []string{""})
	section("syscalls")
	names := map[string]bool{}
	for _, b := range boots {
		for n := range b.stats.SyscallsByName {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		row := []string{n, ""}
		for _, b := range boots {
			row = append(row, strconv.FormatUint(b.stats.SyscallsByName[n], 10))
		}
		rows = append(rows, row)
	}

	rows = append(rows, []string{""})
	section("totals")
	total := func(name string, cell func(b *boot) string) {
		row := []string{name, ""}
		for _, b := range boots {
			row = append(row, cell(b))
		}
		rows = append(rows, row)
	}
	total("instructions", func(b *boot) string { return strconv.FormatUint(b.stats.Insns, 10) })
	total("syscalls", func(b *boot) string { return strconv.FormatUint(b.stats.Syscalls, 10) })
	total("threads created", func(b *boot) string { return strconv.FormatUint(b.stats.Threads, 10) })
	total("peak guest memory", func(b *boot) string { return fmt.Sprintf("%d KiB", b.stats.PeakCommitted>>10) })
	total("exit status", func(b *boot) string { return exitCell(b.exit) })
	if hostTimes {
		total("wall time (host)", func(b *boot) string { return b.stats.Wall.Round(time.Microsecond).String() })
		total("MIPS (host)", func(b *boot) string {
			if b.stats.Wall <= 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f", float64(b.stats.Insns)/b.stats.Wall.Seconds()/1e6)
		})
	}
	return formatRows(rows)
}

// stageCell says when b reached stage r, or why not: an absent stage is
// "absent" and a note, which note adds and numbers. named adds the
// function that marks the stage, for rows the binaries resolve to
// different functions.
func stageCell(b *boot, r *stages.Resolved, named bool, note func(string) string) string {
	if r.Symbol == "" {
		return "absent " + note(r.ID+" "+r.Why)
	}
	var notes []string
	if named {
		notes = append(notes, r.Symbol)
	}
	if callers, ok := b.inlined[r.ID]; ok {
		notes = append(notes, "inlined into "+strings.Join(callers, ", "))
	}
	cell := "not reached"
	if r.Reached {
		cell = strconv.FormatUint(r.Insns, 10)
	}
	if len(notes) > 0 {
		cell += " (" + strings.Join(notes, ", ") + ")"
	}
	return cell
}

// exitCell is the guest's exit status, with the signal or limit that
// ended it.
func exitCell(x *emu.Exit) string {
	s := strconv.Itoa(x.Status)
	switch {
	case x.Limit != "":
		s += " (" + x.Limit + ")"
	case x.Signal != 0:
		s += fmt.Sprintf(" (signal %d)", x.Signal)
	}
	return s
}

// formatRows aligns rows in columns two spaces apart; a row of one cell is
// a section heading.
func formatRows(rows [][]string) []byte {
	var widths []int
	for _, row := range rows {
		if len(row) == 1 {
			continue
		}
		for i, c := range row {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	var buf bytes.Buffer
	for _, row := range rows {
		var line strings.Builder
		for i, c := range row {
			line.WriteString(c)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-len([]rune(c))+2))
			}
		}
		buf.WriteString(strings.TrimRight(line.String(), " "))
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}
