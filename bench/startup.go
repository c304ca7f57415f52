package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// startupLineRE matches the start-up line of `gouth-emu run --stats`.
var (
	startupLineRE  = regexp.MustCompile(`stats: startup wall time ([0-9.]+)ms to the first instruction: ([^;\n]*);`)
	startupPhaseRE = regexp.MustCompile(`([a-z_ -]+?) ([0-9.]+)ms`)
)

// startupRun is one `run --max-insns 1`: its wall time and the phases
// --stats reported, in ms, in the order printed.
type startupRun struct {
	wall   time.Duration
	total  float64
	phases []string
	ms     map[string]float64
}

// parseStartup reads the start-up line from run --stats output.
func parseStartup(stderr []byte) (startupRun, error) {
	m := startupLineRE.FindSubmatch(stderr)
	if m == nil {
		return startupRun{}, fmt.Errorf("no start-up line in:\n%s", tail(stderr, 5))
	}
	r := startupRun{ms: map[string]float64{}}
	r.total, _ = strconv.ParseFloat(string(m[1]), 64)
	for _, p := range startupPhaseRE.FindAllStringSubmatch(string(m[2]), -1) {
		name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p[1]), ","))
		v, _ := strconv.ParseFloat(p[2], 64)
		r.phases = append(r.phases, name)
		r.ms[name] = v
	}
	return r, nil
}

// measureStartup runs hello under `gouth-emu run --max-insns 1 --stats`
// once to warm up and then rounds times: the guest executes one
// instruction, so the wall time is gouth-emu's start-up and tear-down.
func (h *harness) measureStartup(rounds int) ([]startupRun, error) {
	fmt.Fprintf(os.Stderr, "bench: start-up, %d round(s)\n", rounds)
	var runs []startupRun
	for i := 0; i <= rounds; i++ {
		res := run([]string{h.emu, "run", "--clean-env", "--stats", "--max-insns", "1", h.bins["hello"]}, true)
		if code := exitCode(res.err); code != 124 {
			return nil, fmt.Errorf("run --max-insns 1: exit status %d, want 124 (a limit stopped it)\n%s", code, tail(res.stderr, 5))
		}
		r, err := parseStartup(res.stderr)
		if err != nil {
			return nil, err
		}
		r.wall = res.wall
		if i > 0 {
			runs = append(runs, r)
		}
	}
	return runs, nil
}

// exitCode is the exit status in err from exec, 0 for nil, -1 if it did
// not exit.
func exitCode(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

func medianF(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// startupReport is the start-up section of results.md: medians of the
// runs, against hello's whole native and qemu-user runs.
func startupReport(runs []startupRun, native, qemu stats, haveNative, haveQemu bool) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("\n## Start-up\n\n")
	p("`gouth-emu run --clean-env --stats --max-insns 1` on hello, one warm-up and %d measured runs: the guest executes one instruction, so the run is gouth-emu's start-up and exit. The phases are what `--stats` reports (host time from gouth-emu's `main` to the first instruction; the Go runtime's own start before `main` and the process's exec are in the wall time only). Medians:\n\n", len(runs))
	walls := make([]float64, len(runs))
	totals := make([]float64, len(runs))
	for i, r := range runs {
		walls[i] = float64(r.wall) / float64(time.Millisecond)
		totals[i] = r.total
	}
	p("| measure | median |\n| --- | ---: |\n")
	p("| wall time of `run --max-insns 1` | %.1f ms |\n", medianF(walls))
	p("| to the first instruction (`--stats`) | %.1f ms |\n", medianF(totals))
	for _, ph := range runs[0].phases {
		var v []float64
		for _, r := range runs {
			v = append(v, r.ms[ph])
		}
		p("| — %s | %.1f ms |\n", ph, medianF(v))
	}
	if haveNative {
		p("| hello, native, whole run | %s |\n", ms(native.median))
	}
	if haveQemu {
		p("| hello, qemu-user, whole run | %s |\n", ms(qemu.median))
	}
	return b.String()
}
