package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
	"github.com/gouth-emu/gouth-emu/syscalls"
	"github.com/gouth-emu/gouth-emu/timeline"
)

func newTimelineCmd() *cobra.Command {
	var g guestFlags
	c := &cobra.Command{
		Use:   "timeline [flags] -o FILE.svg|FILE.html BINARY [ARGS...]",
		Short: "Run a Go binary and draw its boot: threads, stages with chapters, syscalls, clones (SVG or HTML)",
		Long: `timeline runs the guest as run does, with the boot stages watched, and draws
a self-contained picture of the run: one lane per guest thread along the
instruction axis, each boot stage as a bar labelled with its chapter of
Go: Under the Hood ("ch.2 schedinit"), first uses of channels, defer and
the like as diamonds, syscalls as ticks, clones as arrows between lanes.
-o FILE.svg writes the SVG, -o FILE.html the SVG inside a minimal page.
The same binary and flags give the same picture.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if g.picture == "" {
				return usageError{errors.New("timeline: -o FILE.svg or -o FILE.html is required")}
			}
			if _, ok := pictureKind(g.picture); !ok {
				return usageError{fmt.Errorf("-o %s: want a file ending in .svg or .html", g.picture)}
			}
			return runGuest(&g, args)
		},
	}
	c.Flags().SetInterspersed(false) // flags after BINARY belong to the guest
	g.register(c)
	c.Flags().StringVarP(&g.picture, "output", "o", "", "write the picture to FILE.svg, or FILE.html for the SVG in a web page")
	c.Flags().BoolVar(&g.stages, "stages", false, "also print one line on stderr for each boot stage reached")
	c.Flags().StringVar(&g.traceOut, "trace-out", "", "also write Chrome trace-event JSON (Perfetto, chrome://tracing) to FILE")
	return c
}

// pictureKind says whether path names an SVG or an HTML page.
func pictureKind(path string) (html, ok bool) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		return false, true
	case ".html", ".htm":
		return true, true
	}
	return false, false
}

// recording is what a run records for --trace-out and timeline -o: the
// files are created before the guest starts, so a bad path is reported
// at once, and written when it ends.
type recording struct {
	rec            *timeline.Recorder
	trace, picture *os.File
	html, done     bool
}

// startRecording returns nil if g asks for no trace and no picture;
// otherwise it creates the output files and makes cfg's events go to a
// recorder.
func startRecording(g *guestFlags, cfg *emu.Config) (*recording, error) {
	if g.traceOut == "" && g.picture == "" {
		return nil, nil
	}
	r := &recording{rec: timeline.NewRecorder()}
	var err error
	if g.traceOut != "" {
		if r.trace, err = os.Create(g.traceOut); err != nil {
			return nil, usageError{fmt.Errorf("--trace-out %s: %v", g.traceOut, errors.Unwrap(err))}
		}
	}
	if g.picture != "" {
		r.html, _ = pictureKind(g.picture)
		if r.picture, err = os.Create(g.picture); err != nil {
			r.close()
			return nil, usageError{fmt.Errorf("-o %s: %v", g.picture, errors.Unwrap(err))}
		}
	}
	cfg.Events = r.rec
	return r, nil
}

// stage records a stage reached; the tracker turns the table's parent
// IDs into the symbols the recorder knows stages by.
func (r *recording) stage(tr *stages.Tracker, s *stages.Resolved) {
	if r == nil {
		return
	}
	if s.Later {
		r.rec.Mark(s.N, s.Name(), s.Chapter, s.Tid, s.Insns)
		return
	}
	parent := ""
	if s.Parent != "" {
		if p, err := tr.Find(s.Parent); err == nil && p.Symbol != "" {
			parent = p.Symbol
		} else {
			parent = s.Parent
		}
	}
	r.rec.Stage(s.N, s.Name(), s.Chapter, parent, s.Tid, s.Insns)
}

// finish writes the files once the guest has ended.
func (r *recording) finish(m *emu.Machine, f *loader.File) error {
	if r == nil {
		return nil
	}
	r.rec.End(m.Insns())
	t := r.rec.Timeline()
	title := filepath.Base(f.Path)
	if f.GoVersion != "" {
		title += " (" + f.GoVersion + ")"
	}
	if r.trace != nil {
		if err := timeline.WriteChrome(r.trace, t, syscalls.Pid, title); err != nil {
			return fmt.Errorf("--trace-out %s: %v", r.trace.Name(), err)
		}
		if err := r.trace.Close(); err != nil {
			return fmt.Errorf("--trace-out: %v", err)
		}
	}
	if r.picture != nil {
		o := timeline.Options{Title: title, Chapters: chapterNames()}
		write := timeline.WriteSVG
		if r.html {
			write = timeline.WriteHTML
		}
		if err := write(r.picture, t, o); err != nil {
			return fmt.Errorf("-o %s: %v", r.picture.Name(), err)
		}
		if err := r.picture.Close(); err != nil {
			return fmt.Errorf("-o: %v", err)
		}
	}
	r.done = true
	return nil
}

// close removes the files of a recording that was never finished.
func (r *recording) close() {
	if r == nil || r.done {
		return
	}
	for _, f := range []*os.File{r.trace, r.picture} {
		if f != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}
}

// chapterNames are the book's chapter titles in the Latin script, for the
// picture's legend: "引导 (boot)" becomes "boot".
func chapterNames() map[int]string {
	out := map[int]string{}
	for n, ch := range stages.Chapters {
		title := ch.Title
		if i, j := strings.IndexByte(title, '('), strings.IndexByte(title, ')'); i >= 0 && j > i && !isASCII(title[:i]) {
			title = title[i+1:j] + title[j+1:]
		}
		out[n] = title
	}
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
