package e2e

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestTraceOutAndTimeline checks run --trace-out and the timeline command
// against run --stages on every toolchain: the trace is valid Chrome
// trace-event JSON with every stage reached at its instruction, one track
// per thread and paired clone flows; the picture is well-formed SVG with
// one lane per thread and every stage's label, the same on every run; and
// recording changes neither the guest's output nor its instruction count.
func TestTraceOutAndTimeline(t *testing.T) {
	type target struct{ name, bin string }
	var targets []target
	for _, tc := range toolchains {
		if tc.version.Known() {
			targets = append(targets, target{tc.name(), tc.binary(t, "hello")})
		}
	}
	if go117Err == nil {
		targets = append(targets, target{"go1.17", go117Bin})
	}
	insnsRE := regexp.MustCompile(`(?m)^gouth-emu: stats: (\d+) instructions, \d+ blocks, \d+ syscalls, (\d+) threads created`)
	for _, tg := range targets {
		tg := tg
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			staged := runEmu(t, []string{"--stats", "--stages"}, nil, tg.bin)
			ref := insnsRE.FindSubmatch(staged.stderr)
			if ref == nil {
				t.Fatalf("no stats from run --stages: %s", staged.stderr)
			}
			threads, _ := strconv.Atoi(string(ref[2]))
			threads++ // the first one is not created by clone
			type reached struct {
				chapter string
				insn    uint64
			}
			want := map[string]reached{}
			for _, l := range strings.Split(string(staged.stderr), "\n") {
				if m := stageLine.FindStringSubmatch(l); m != nil {
					n, _ := strconv.ParseUint(m[5], 10, 64)
					want[m[2]] = reached{m[3], n}
				}
			}
			if len(want) < 20 {
				t.Fatalf("only %d stages from run --stages", len(want))
			}

			// run --trace-out: watches the stages without printing them.
			trace := filepath.Join(dir, "boot.json")
			traced := runEmu(t, []string{"--stats", "--trace-out", trace}, nil, tg.bin)
			if traced.status != staged.status || !bytes.Equal(traced.stdout, staged.stdout) {
				t.Errorf("--trace-out changed the guest: %v %q, want %v %q", traced, traced.stdout, staged, staged.stdout)
			}
			if bytes.Contains(traced.stderr, []byte("[stage ")) {
				t.Errorf("--trace-out without --stages printed stages:\n%s", traced.stderr)
			}
			if got := insnsRE.FindSubmatch(traced.stderr); got == nil || string(got[1]) != string(ref[1]) {
				t.Errorf("instruction count with --trace-out: got %s, want %s", got, ref[1])
			}
			data, err := os.ReadFile(trace)
			if err != nil {
				t.Fatal(err)
			}
			checkTrace(t, data, threads, func(name string, ts float64) {
				w, ok := want[name]
				if !ok {
					t.Errorf("trace has stage %s, which run --stages did not report", name)
					return
				}
				if got := fmt.Sprintf("%.3f", ts); got != fmt.Sprintf("%d.%03d", w.insn/1000, w.insn%1000) {
					t.Errorf("stage %s at ts %s µs, want insn %d", name, got, w.insn)
				}
				delete(want, name)
			})
			for name := range want {
				t.Errorf("stage %s missing from the trace", name)
			}

			// timeline -o: the same picture every time.
			var pictures [][]byte
			for i := 0; i < 2; i++ {
				out := filepath.Join(dir, fmt.Sprintf("boot%d.svg", i))
				r := run(t, nil, emulator, "timeline", "--clean-env", "--timeout", emuTimeout, "-o", out, tg.bin)
				if r.status != 0 || !bytes.Equal(r.stdout, staged.stdout) {
					t.Fatalf("timeline: %v, stdout %q, stderr %s", r, r.stdout, r.stderr)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				pictures = append(pictures, b)
			}
			if !bytes.Equal(pictures[0], pictures[1]) {
				t.Error("two timelines of the same binary differ")
			}
			lanes, texts := checkPicture(t, pictures[0])
			if lanes != threads {
				t.Errorf("%d lanes, want one per thread (%d)", lanes, threads)
			}
			for _, l := range strings.Split(string(staged.stderr), "\n") {
				if m := stageLine.FindStringSubmatch(l); m != nil {
					label := "ch." + m[3] + " " + shortStage(m[2])
					if !texts[label] {
						t.Errorf("no label %q in the picture", label)
					}
				}
			}

			page := filepath.Join(dir, "boot.html")
			if r := run(t, nil, emulator, "timeline", "--clean-env", "-o", page, tg.bin); r.status != 0 {
				t.Fatalf("timeline -o boot.html: %v %s", r, r.stderr)
			}
			if b, _ := os.ReadFile(page); !bytes.HasPrefix(b, []byte("<!DOCTYPE html>")) || !bytes.Contains(b, pictures[0]) {
				t.Error("the HTML page does not hold the SVG")
			}

			if rsvg, err := exec.LookPath("rsvg-convert"); err != nil {
				t.Log("rsvg-convert not installed (Debian package librsvg2-bin): not rendering the SVG to PNG")
			} else {
				png := filepath.Join(dir, "boot.png")
				if out, err := exec.Command(rsvg, "-o", png, filepath.Join(dir, "boot0.svg")).CombinedOutput(); err != nil {
					t.Errorf("rsvg-convert: %v\n%s", err, out)
				} else if b, _ := os.ReadFile(png); !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
					t.Error("rsvg-convert did not write a PNG")
				}
			}
		})
	}
}

func TestTimelineUsage(t *testing.T) {
	bin := machine.binary(t, "hello")
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"timeline", bin}, "-o FILE.svg or -o FILE.html is required"},
		{[]string{"timeline", "-o", filepath.Join(dir, "boot.png"), bin}, "want a file ending in .svg or .html"},
		{[]string{"timeline", "-o", filepath.Join(dir, "no", "such", "boot.svg"), bin}, "no such file or directory"},
		{[]string{"run", "--trace-out", filepath.Join(dir, "no", "such.json"), bin}, "--trace-out"},
	} {
		r := run(t, nil, emulator, c.args...)
		if r.status != 2 || !strings.Contains(string(r.stderr), c.want) || len(r.stdout) != 0 {
			t.Errorf("gouth-emu %s: %v, stderr %q; want status 2 and %q before the guest runs", strings.Join(c.args, " "), r, r.stderr, c.want)
		}
	}
}

// shortStage is the stage's name in the picture: without "runtime."
// unless that would leave "main" or "init".
func shortStage(sym string) string {
	if rest, ok := strings.CutPrefix(sym, "runtime."); ok && rest != "main" && rest != "init" {
		return rest
	}
	return sym
}

// checkTrace checks a Chrome trace-event file's structure and calls stage
// for every stage slice or first-use instant.
func checkTrace(t *testing.T, data []byte, threads int, stage func(name string, ts float64)) {
	t.Helper()
	var tr struct {
		TraceEvents []map[string]any `json:"traceEvents"`
	}
	if err := json.Unmarshal(data, &tr); err != nil {
		t.Fatalf("--trace-out wrote bad JSON: %v", err)
	}
	named := map[float64]bool{}
	flows := map[float64]string{}
	type slice struct {
		name       string
		start, end int64 // instructions
	}
	slices := map[float64][]slice{}
	var xs int
	for i, e := range tr.TraceEvents {
		ph, _ := e["ph"].(string)
		name, _ := e["name"].(string)
		ts, hasTs := e["ts"].(float64)
		tid, hasTid := e["tid"].(float64)
		_, hasPid := e["pid"].(float64)
		switch ph {
		case "M":
			if name == "thread_name" {
				named[tid] = true
			}
		case "X":
			xs++
			dur, hasDur := e["dur"].(float64)
			if !hasTs || !hasDur || !hasPid || !hasTid || name == "" {
				t.Errorf("event %d: X without name, ts, dur, pid or tid: %v", i, e)
			}
			start := int64(math.Round(ts * 1000))
			slices[tid] = append(slices[tid], slice{name, start, start + int64(math.Round(dur*1000))})
			if e["cat"] == "stage" {
				stage(name, ts)
			}
		case "i":
			if e["cat"] == "first use" {
				stage(name, ts)
			}
		case "s", "f":
			id, ok := e["id"].(float64)
			if !ok {
				t.Errorf("flow without id: %v", e)
			}
			flows[id] += ph
		default:
			t.Errorf("event %d: unexpected phase %q", i, ph)
		}
	}
	if len(named) != threads {
		t.Errorf("%d thread tracks, want %d", len(named), threads)
	}
	if len(flows) != threads-1 {
		t.Errorf("%d clone flows, want %d", len(flows), threads-1)
	}
	for id, s := range flows {
		if s != "sf" {
			t.Errorf("flow %v: phases %q, want one s then one f", id, s)
		}
	}
	if xs == 0 {
		t.Error("no slices")
	}
	// Trace viewers need the slices of a thread to nest.
	for tid, ss := range slices {
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
}

// checkPicture parses an SVG and returns its lane count and texts.
func checkPicture(t *testing.T, data []byte) (lanes int, texts map[string]bool) {
	t.Helper()
	texts = map[string]bool{}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return lanes, texts
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		for _, a := range el.Attr {
			if a.Name.Local == "class" && a.Value == "lane" {
				lanes++
			}
		}
		if el.Name.Local == "text" {
			var s string
			if err := d.DecodeElement(&s, &el); err != nil {
				t.Fatalf("text element: %v", err)
			}
			texts[strings.TrimSpace(s)] = true
		}
	}
}
