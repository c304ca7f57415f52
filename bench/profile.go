package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profileTop is how many functions of each profile the report lists.
const profileTop = 8

// cgoFrames are the leaf frames pprof charges for time spent in C: the
// Unicorn engine and gouth-emu's engine.c run inside runtime.cgocall, and
// Go's profiler cannot see past it (no cgo traceback is registered).
var cgoFrames = []string{"runtime.cgocall", "runtime.asmcgocall", "runtime._ExternalCode"}

// profileRow is one line of `go tool pprof -top`.
type profileRow struct {
	flat    string  // as pprof prints it: 980ms, 2568kB
	flatPct float64 // of the profile's total
	name    string
}

// topProfile is what the report keeps of one profile.
type topProfile struct {
	total string // the profile's total, as pprof prints it
	rows  []profileRow
}

var (
	topTotalRE = regexp.MustCompile(`of ([0-9.]+[a-zA-Zµ]*) total`)
	topRowRE   = regexp.MustCompile(`^\s*([0-9.]+[a-zA-Zµ]*)\s+([0-9.]+)%\s+[0-9.]+%\s+[0-9.]+[a-zA-Zµ]*\s+[0-9.]+%\s+(.+)$`)
)

// readTop runs `go tool pprof -top` on file (with extra flags) and parses
// its table.
func readTop(goCmd, file string, extra ...string) (topProfile, error) {
	args := append([]string{"tool", "pprof", "-top", "-nodecount=200"}, extra...)
	out, err := exec.Command(goCmd, append(args, file)...).CombinedOutput()
	if err != nil {
		return topProfile{}, fmt.Errorf("go tool pprof %s: %v\n%s", filepath.Base(file), err, out)
	}
	var tp topProfile
	if m := topTotalRE.FindSubmatch(out); m != nil {
		tp.total = string(m[1])
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		m := topRowRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		pct, _ := strconv.ParseFloat(m[2], 64)
		tp.rows = append(tp.rows, profileRow{flat: m[1], flatPct: pct, name: strings.TrimSuffix(m[3], " (inline)")})
	}
	if tp.total == "" {
		return topProfile{}, fmt.Errorf("go tool pprof %s: no total in:\n%s", filepath.Base(file), out)
	}
	return tp, nil
}

// cgoShare is the percentage of a CPU profile's samples spent in C.
func (tp topProfile) cgoShare() float64 {
	s := 0.0
	for _, r := range tp.rows {
		if slices.Contains(cgoFrames, r.name) {
			s += r.flatPct
		}
	}
	return min(s, 100)
}

// goRows are the rows that are Go code, with a non-zero flat share.
func (tp topProfile) goRows() []profileRow {
	var out []profileRow
	for _, r := range tp.rows {
		if !slices.Contains(cgoFrames, r.name) && r.flatPct > 0 {
			out = append(out, r)
		}
	}
	return out
}

// workloadProfile is the profiles of one workload's run.
type workloadProfile struct {
	name     string
	wall     time.Duration
	cpu, mem topProfile
	fail     string
}

// profileWorkloads runs each workload once under `gouth-emu run` with
// --cpuprofile and --memprofile into dir, checks its output against the
// native run's, and reads the profiles back with go tool pprof.
func (h *harness) profileWorkloads(dir string, names []string, natives map[string]string) []workloadProfile {
	var out []workloadProfile
	for _, w := range names {
		fmt.Fprintf(os.Stderr, "bench: profiling %s\n", w)
		wp := workloadProfile{name: w}
		cpu := filepath.Join(dir, w+".cpu.pprof")
		mem := filepath.Join(dir, w+".mem.pprof")
		c := config{name: "run --cpuprofile --memprofile"}
		res := run([]string{h.emu, "run", "--clean-env", "--cpuprofile", cpu, "--memprofile", mem, h.bins[w]}, true)
		wp.wall = res.wall
		if _, ok := natives[w]; !ok {
			nat := run([]string{h.bins[w]}, false)
			if err := verify(config{name: cfgNative}, w, nat, natives); err != nil {
				wp.fail = "native run: " + err.Error()
				out = append(out, wp)
				continue
			}
		}
		err := verify(c, w, res, natives)
		if err == nil {
			wp.cpu, err = readTop(h.goCmd, cpu)
		}
		if err == nil {
			wp.mem, err = readTop(h.goCmd, mem, "-sample_index=alloc_space")
		}
		if err != nil {
			wp.fail = err.Error()
			fmt.Fprintf(os.Stderr, "bench: FAIL profiling %s: %v\n", w, err)
		}
		out = append(out, wp)
	}
	return out
}

// profileReport is the profiles section in Markdown.
func profileReport(profiles []workloadProfile, dir string) string {
	var b strings.Builder
	b.WriteString("# gouth-emu profiles\n\n")
	b.WriteString("Written by `make bench BENCHFLAGS=-profile DIR` (bench/profile.go); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- each workload run once as `gouth-emu run --clean-env --cpuprofile F --memprofile F`; the profiles are in `%s`\n", dir)
	b.WriteString("- these are profiles of gouth-emu, the host process, not of the guest. " +
		"The CPU profile samples at 100 Hz. Go's profiler cannot see into C: every sample taken while " +
		"Unicorn runs translated guest code, or in gouth-emu's engine.c hooks, is charged to " +
		"`runtime.cgocall`, so the C side appears as one frame. That is expected: the guest runs in C, " +
		"and Go is entered once per syscall and once per quantum. `perf record` shows inside it.\n")
	b.WriteString("- \"Go share\" is the part of the CPU samples whose leaf frame is Go code (everything but " +
		"`runtime.cgocall`, `runtime.asmcgocall`, `runtime._ExternalCode`); the Go functions listed are those " +
		"with flat time, largest first\n")
	b.WriteString("- the allocation profile (`-sample_index=alloc_space`, sampled every 4 KiB) counts everything " +
		"gouth-emu allocated during the run, start-up included (reading the binary, ELF symbols, the profiler's own buffers)\n\n")
	b.WriteString("| workload | wall | CPU samples | Go share | top Go functions (flat % of all samples) | allocated | top allocators (flat % of bytes) |\n")
	b.WriteString("| --- | ---: | ---: | ---: | --- | ---: | --- |\n")
	for _, p := range profiles {
		if p.fail != "" {
			fmt.Fprintf(&b, "| %s | failed: %s | | | | | |\n", p.name, firstLineOf(p.fail))
			continue
		}
		goShare := 100 - p.cpu.cgoShare()
		fmt.Fprintf(&b, "| %s | %s | %s | %.1f%% | %s | %s | %s |\n", p.name, ms(p.wall), p.cpu.total, goShare,
			rowList(p.cpu.goRows()), p.mem.total, rowList(p.mem.rows))
	}
	return b.String()
}

// rowList formats the first profileTop rows as "name 1.2%, ...".
func rowList(rows []profileRow) string {
	if len(rows) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rows[:min(len(rows), profileTop)] {
		parts = append(parts, fmt.Sprintf("`%s` %.1f%%", shortFunc(r.name), r.flatPct))
	}
	return strings.Join(parts, ", ")
}

// shortFunc drops the module path from a function name.
func shortFunc(name string) string {
	return strings.TrimPrefix(name, "github.com/gouth-emu/gouth-emu/")
}

func firstLineOf(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// writeProfiles profiles the workloads into dir and writes the report to
// dir/profiles.md and, if shared is set, to bench/profiles.md.
func (h *harness) writeProfiles(dir string, names []string, natives map[string]string, shared bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	profiles := h.profileWorkloads(abs, names, natives)
	report := profileReport(profiles, dir)
	fmt.Print("\n" + report)
	files := []string{filepath.Join(abs, "profiles.md")}
	if shared {
		files = append(files, filepath.Join(h.root, "bench", "profiles.md"))
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte(report), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s\n", f)
	}
	for _, p := range profiles {
		if p.fail != "" {
			return fmt.Errorf("profiling %s failed: %s", p.name, firstLineOf(p.fail))
		}
	}
	return nil
}
