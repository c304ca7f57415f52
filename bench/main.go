// Command bench measures gouth-emu against qemu-user and native runs
// (`make bench`).
//
// It builds the workloads in bench/workloads with the machine's Go
// (CGO_ENABLED=0), then runs each one natively, under qemu-x86_64, under
// `gouth-emu run --clean-env`, under `gouth-emu run --clean-env --stages`
// and under a `gouth-emu step --batch` session that stops at 20 runtime
// functions. Runs are interleaved (every configuration once per round, the
// first round a warm-up), and every run's standard output must equal the
// native run's. It prints, and writes to bench/results.md, each
// configuration's median wall time, min–max, peak RSS and ratio to
// qemu-user, the project's speed targets with pass or miss, and the
// single-step throughput of the debugger.
//
//	go run ./bench [-rounds N] [-only NAME] [-emu PATH] [-qemu PATH] [-out FILE] [-profile DIR]
//
// With hello among the workloads it also measures gouth-emu's start-up
// (`run --max-insns 1`, phases from --stats) in a section of its own. With
// -profile DIR it then runs each workload once with --cpuprofile and
// --memprofile into DIR and writes the top functions of each profile to
// DIR/profiles.md and, without -only, bench/profiles.md. With -only, results are printed but bench/results.md is left alone unless
// -out is given. The exit status is 1 if any run failed its check.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// workloadNames are the programs in bench/workloads, in table order.
var workloadNames = []string{"hello", "compute", "goroutines", "gc", "timers"}

// breakpointFuncs are the 20 functions of the breakpoint session: each is
// reached a bounded number of times (once, in these workloads) while the
// runtime boots, so the session's cost is the breakpoints themselves, not
// thousands of stops. None is inlined in go1.26 (runtime.stackinit,
// cpuinit and goenvs are, so they have no address to stop at).
var breakpointFuncs = []string{
	"runtime.rt0_go", "runtime.check", "runtime.args", "runtime.osinit",
	"runtime.schedinit", "runtime.mallocinit", "runtime.alginit",
	"runtime.modulesinit", "runtime.typelinksinit", "runtime.itabsinit",
	"runtime.goargs", "runtime.gcinit", "runtime.initsig", "runtime.main",
	"runtime.gcenable", "runtime.forcegchelper", "runtime.sysmon",
	"runtime.bgsweep", "runtime.bgscavenge", "main.main",
}

// stepiCount is the single-step session's `stepi` count: more than hello
// executes in all, so a working session single-steps the guest to its end.
const stepiCount = 1_000_000

// Configuration names, also the table's row labels.
const (
	cfgNative = "native"
	cfgQemu   = "qemu-user"
	cfgRun    = "run"
	cfgStages = "run --stages"
	cfgBreak  = "step, 20 breakpoints"
	cfgStepi  = "step, stepi to exit"
)

// config is one way of running a workload.
type config struct {
	name string
	// argv is the command line for a workload binary.
	argv func(h *harness, bin string) []string
	// session: stdout is a debugger transcript with the guest's output in it.
	session bool
	// check, if set, validates the run beyond its output.
	check func(stdout string) error
	// only, if set, limits the configuration to one workload.
	only string
}

// harness holds what every run needs.
type harness struct {
	goCmd, emu, qemu string
	root             string // the module root
	tmp              string
	bins             map[string]string // workload name → binary
	breakScript      string
	stepiScript      string
	// the host's 1-minute load average before and after the runs: other
	// work on the machine shows in the spread of the times
	loadStart, loadEnd string
}

// result is one finished run.
type result struct {
	stdout, stderr []byte
	wall           time.Duration
	rssKiB         int64
	err            error
}

// cell collects the measured runs of one workload under one configuration.
type cell struct {
	walls []time.Duration
	rss   []int64
	fail  string // first failure; the cell is not run again
}

func main() {
	rounds := flag.Int("rounds", 5, "measured rounds (after one warm-up round)")
	only := flag.String("only", "", "run only the workload `NAME`")
	emu := flag.String("emu", "", "gouth-emu binary (default: bin/gouth-emu of the module)")
	qemu := flag.String("qemu", "qemu-x86_64", "qemu-user binary")
	out := flag.String("out", "", "write the results to `FILE` (default bench/results.md, unless -only is given)")
	profile := flag.String("profile", "", "also run each workload once with --cpuprofile and --memprofile into `DIR` and write the top functions to DIR/profiles.md (and bench/profiles.md, unless -only is given)")
	flag.Parse()
	if err := mainErr(*rounds, *only, *emu, *qemu, *out, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func mainErr(rounds int, only, emu, qemu, out, profileDir string) error {
	if rounds < 1 {
		return fmt.Errorf("-rounds %d: want at least 1", rounds)
	}
	names := workloadNames
	if only != "" {
		if !slices.Contains(workloadNames, only) {
			return fmt.Errorf("-only %s: no such workload (have %s)", only, strings.Join(workloadNames, ", "))
		}
		names = []string{only}
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if out == "" && only == "" {
		out = filepath.Join(root, "bench", "results.md")
	}
	if emu == "" {
		emu = filepath.Join(root, "bin", "gouth-emu")
	}
	if _, err := os.Stat(emu); err != nil {
		return fmt.Errorf("gouth-emu: %v (run `make build`)", err)
	}
	if qemu, err = exec.LookPath(qemu); err != nil {
		return fmt.Errorf("qemu-user: %v (tools/deps.sh installs it)", err)
	}
	tmp, err := os.MkdirTemp("", "gouth-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	h := &harness{goCmd: goCmd(), emu: emu, qemu: qemu, root: root, tmp: tmp}
	fmt.Fprintf(os.Stderr, "bench: building %s\n", strings.Join(names, ", "))
	if h.bins, err = buildWorkloads(h.goCmd, root, tmp, names); err != nil {
		return err
	}
	if err := h.writeScripts(); err != nil {
		return err
	}

	// hello's instruction count, for the single-step throughput.
	var helloInsns int64
	if slices.Contains(names, "hello") {
		if helloInsns, err = h.instructions(h.bins["hello"]); err != nil {
			return err
		}
	}

	h.loadStart = loadAverage()
	configs := h.configs()
	cells := map[string]map[string]*cell{}
	natives := map[string]string{}
	for _, w := range names {
		cells[w] = map[string]*cell{}
		for _, c := range configs {
			if c.only == "" || c.only == w {
				cells[w][c.name] = &cell{}
			}
		}
	}
	for r := 0; r <= rounds; r++ {
		label := fmt.Sprintf("round %d/%d", r, rounds)
		if r == 0 {
			label = "warm-up round"
		}
		fmt.Fprintf(os.Stderr, "bench: %s\n", label)
		for _, w := range names {
			for _, c := range configs {
				ce := cells[w][c.name]
				if ce == nil || ce.fail != "" {
					continue
				}
				res := run(c.argv(h, h.bins[w]), c.name != cfgNative && c.name != cfgQemu)
				if err := verify(c, w, res, natives); err != nil {
					ce.fail = err.Error()
					fmt.Fprintf(os.Stderr, "bench: FAIL %s / %s: %v\n", w, c.name, err)
					continue
				}
				if r > 0 {
					ce.walls = append(ce.walls, res.wall)
					ce.rss = append(ce.rss, res.rssKiB)
				}
			}
		}
	}

	var startupRuns []startupRun
	if slices.Contains(names, "hello") {
		if startupRuns, err = h.measureStartup(rounds); err != nil {
			return fmt.Errorf("start-up: %v", err)
		}
	}

	h.loadEnd = loadAverage()
	report := h.report(names, configs, cells, rounds, helloInsns)
	if len(startupRuns) > 0 {
		n, nok := cells["hello"][cfgNative].stats()
		q, qok := cells["hello"][cfgQemu].stats()
		report += startupReport(startupRuns, n, q, nok, qok)
	}
	fmt.Print(report)
	if out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %s\n", out)
	}
	if profileDir != "" {
		if err := h.writeProfiles(profileDir, names, natives, only == ""); err != nil {
			return err
		}
	}
	var failed []string
	for _, w := range names {
		for _, c := range configs {
			if ce := cells[w][c.name]; ce != nil && ce.fail != "" {
				failed = append(failed, w+" / "+c.name)
			}
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d run(s) failed their check: %s", len(failed), strings.Join(failed, "; "))
	}
	return nil
}

// configs lists the configurations in the order each round runs them.
func (h *harness) configs() []config {
	emuRun := func(flags ...string) func(*harness, string) []string {
		return func(h *harness, bin string) []string {
			return append(append([]string{h.emu}, flags...), bin)
		}
	}
	return []config{
		{name: cfgNative, argv: func(_ *harness, bin string) []string { return []string{bin} }},
		{name: cfgQemu, argv: func(h *harness, bin string) []string { return []string{h.qemu, bin} }},
		{name: cfgRun, argv: emuRun("run", "--clean-env")},
		{name: cfgStages, argv: emuRun("run", "--clean-env", "--stages")},
		{name: cfgBreak, argv: func(h *harness, bin string) []string {
			return []string{h.emu, "step", "--clean-env", "--batch", "-x", h.breakScript, bin}
		}, session: true, check: checkBreakpoints},
		{name: cfgStepi, argv: func(h *harness, bin string) []string {
			return []string{h.emu, "step", "--clean-env", "--batch", "-x", h.stepiScript, bin}
		}, session: true, only: "hello"},
	}
}

// writeScripts writes the two debugger scripts. The breakpoint script
// continues more often than there are hits; a continue after the guest
// has exited only prints an error line.
func (h *harness) writeScripts() error {
	var b strings.Builder
	b.WriteString("# 20 breakpoints, each hit while the runtime boots, then on to the end.\n")
	for _, f := range breakpointFuncs {
		fmt.Fprintf(&b, "break %s\n", f)
	}
	for range 2 * len(breakpointFuncs) {
		b.WriteString("continue\n")
	}
	h.breakScript = filepath.Join(h.tmp, "breakpoints.gouth")
	if err := os.WriteFile(h.breakScript, []byte(b.String()), 0o644); err != nil {
		return err
	}
	h.stepiScript = filepath.Join(h.tmp, "stepi.gouth")
	return os.WriteFile(h.stepiScript, []byte(fmt.Sprintf("stepi %d\n", stepiCount)), 0o644)
}

var insnsRE = regexp.MustCompile(`stats: (\d+) instructions`)

// instructions runs bin once under `run --stats` and returns how many
// instructions it executes (the same in every run: gouth-emu is
// deterministic under --clean-env).
func (h *harness) instructions(bin string) (int64, error) {
	res := run([]string{h.emu, "run", "--clean-env", "--stats", bin}, true)
	if res.err != nil {
		return 0, fmt.Errorf("run --stats %s: %v\n%s", filepath.Base(bin), res.err, res.stderr)
	}
	m := insnsRE.FindSubmatch(res.stderr)
	if m == nil {
		return 0, fmt.Errorf("run --stats %s: no instruction count in:\n%s", filepath.Base(bin), res.stderr)
	}
	return strconv.ParseInt(string(m[1]), 10, 64)
}

// goCmd is the machine's Go: $GO if set, else go on $PATH.
func goCmd() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// moduleRoot finds the directory of gouth-emu's go.mod from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/gouth-emu/gouth-emu\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the gouth-emu module")
		}
		dir = parent
	}
}

// buildWorkloads builds bench/workloads/NAME for each name into dir as a
// static binary and returns name → path.
func buildWorkloads(goCmd, root, dir string, names []string) (map[string]string, error) {
	bins := map[string]string{}
	for _, n := range names {
		out := filepath.Join(dir, n)
		cmd := exec.Command(goCmd, "build", "-o", out, "./bench/workloads/"+n)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOFLAGS=")
		if b, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("building workload %s: %v\n%s", n, err, b)
		}
		bins[n] = out
	}
	return bins, nil
}

// run runs argv to completion and measures it. Native and qemu-user runs
// get an empty environment, as gouth-emu's guests do under --clean-env;
// hostEnv gives gouth-emu itself the host's.
func run(argv []string, hostEnv bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = []string{}
	if hostEnv {
		cmd.Env = os.Environ()
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	res := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), wall: time.Since(start), err: err}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			res.rssKiB = ru.Maxrss // KiB on Linux
		}
	}
	return res
}

// verify checks one run: a zero exit status, the native run's output (the
// native run of each workload sets it), and the configuration's own check.
func verify(c config, w string, res result, natives map[string]string) error {
	if res.err != nil {
		return fmt.Errorf("%v\n%s", res.err, tail(res.stderr, 10))
	}
	out := string(res.stdout)
	if c.session {
		var err error
		if out, err = guestOutput(out); err != nil {
			return fmt.Errorf("%v; the transcript ends:\n%s", err, tail(res.stdout, 10))
		}
	}
	if c.name == cfgNative {
		if out == "" {
			return errors.New("the native run printed nothing")
		}
		if prev, ok := natives[w]; ok && prev != out {
			return fmt.Errorf("native output changed between rounds: %q, then %q", prev, out)
		}
		natives[w] = out
	} else if want, ok := natives[w]; !ok {
		return errors.New("no native output to compare with")
	} else if out != want {
		return fmt.Errorf("stdout differs from the native run's:\n got: %q\nwant: %q", out, want)
	}
	if c.check != nil {
		return c.check(string(res.stdout))
	}
	return nil
}

const exitedLine = "[guest exited with status 0]\n"

// guestOutput extracts the guest's output from a debugger transcript. The
// scripts' last stop is the last breakpoint hit (or none) before the guest
// runs to its end, so the guest's output follows the echo of the last
// command before "[guest exited ...]".
func guestOutput(transcript string) (string, error) {
	end := strings.Index(transcript, exitedLine)
	if end < 0 {
		return "", errors.New("the guest did not run to its end (no " + strings.TrimSpace(exitedLine) + ")")
	}
	before := transcript[:end]
	cmd := strings.LastIndex(before, "\n(gouth) ")
	if cmd < 0 {
		return "", errors.New("no command echo before the guest's exit")
	}
	nl := strings.IndexByte(before[cmd+1:], '\n')
	if nl < 0 {
		return "", errors.New("a truncated command echo")
	}
	return before[cmd+1+nl+1:], nil
}

var hitRE = regexp.MustCompile(`(?m)^Breakpoint (\d+), `)

// checkBreakpoints checks that the breakpoint session set all 20
// breakpoints and stopped at each.
func checkBreakpoints(transcript string) error {
	if i := strings.Index(transcript, "error: no function"); i >= 0 {
		line, _, _ := strings.Cut(transcript[i:], "\n")
		return fmt.Errorf("a breakpoint could not be set: %s", line)
	}
	hit := map[string]bool{}
	for _, m := range hitRE.FindAllStringSubmatch(transcript, -1) {
		hit[m[1]] = true
	}
	if len(hit) != len(breakpointFuncs) {
		return fmt.Errorf("%d of the %d breakpoints were hit", len(hit), len(breakpointFuncs))
	}
	return nil
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "    " + strings.Join(lines, "\n    ")
}

// stats summarises a cell.
type stats struct {
	median, min, max time.Duration
	rssKiB           int64 // the largest of the runs' peaks
}

func (c *cell) stats() (stats, bool) {
	if c == nil || c.fail != "" || len(c.walls) == 0 {
		return stats{}, false
	}
	w := slices.Clone(c.walls)
	slices.Sort(w)
	med := w[len(w)/2]
	if len(w)%2 == 0 {
		med = (w[len(w)/2-1] + w[len(w)/2]) / 2
	}
	return stats{median: med, min: w[0], max: w[len(w)-1], rssKiB: slices.Max(c.rss)}, true
}

func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	if v < 10 {
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// report renders the results as Markdown.
func (h *harness) report(names []string, configs []config, cells map[string]map[string]*cell, rounds int, helloInsns int64) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# gouth-emu benchmarks\n\n")
	p("Written by `make bench` (bench/main.go); do not edit by hand.\n\n")
	p("- date: %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	p("- CPU: %s (%d logical CPUs)\n", cpuModel(), runtime.NumCPU())
	p("- Go: %s (workloads built with CGO_ENABLED=0)\n", strings.TrimPrefix(commandLine(h.goCmd, "version"), "go version "))
	p("- qemu-user: %s\n", commandLine(h.qemu, "--version"))
	p("- host load average (1 min) before / after the runs: %s / %s\n", h.loadStart, h.loadEnd)
	p("- rounds: one warm-up, then %d measured, interleaved (every configuration once per round)\n", rounds)
	p("- wall time is the median of the measured rounds, with min–max; peak RSS is the largest `Maxrss` of the runs; \"vs qemu\" is the median over qemu-user's median\n")
	p("- every run's standard output equals the native run's; gouth-emu runs use `--clean-env`, native and qemu-user runs an empty environment\n\n")

	p("| workload | configuration | median | min–max | peak RSS | vs qemu |\n")
	p("| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, w := range names {
		q, qok := cells[w][cfgQemu].stats()
		for _, c := range configs {
			ce := cells[w][c.name]
			if ce == nil {
				continue
			}
			label := c.name
			if c.name == cfgStepi {
				label = fmt.Sprintf("step, `stepi %d` (runs to exit)", stepiCount)
			}
			s, ok := ce.stats()
			if !ok {
				p("| %s | %s | FAILED | | | |\n", w, label)
				continue
			}
			ratio := ""
			if qok {
				ratio = fmt.Sprintf("%.2fx", float64(s.median)/float64(q.median))
			}
			p("| %s | %s | %s | %s–%s | %s | %s |\n", w, label, ms(s.median), ms(s.min), ms(s.max), mib(s.rssKiB), ratio)
		}
	}

	p("\n## Targets\n\n")
	p("| target | measured | result |\n| --- | ---: | --- |\n")
	get := func(w, c string) (stats, bool) {
		if cells[w] == nil {
			return stats{}, false
		}
		return cells[w][c].stats()
	}
	ratioRow := func(what, w, num, den string, limit float64) {
		if cells[w] == nil {
			return
		}
		n, nok := get(w, num)
		d, dok := get(w, den)
		if !nok || !dok {
			p("| %s | – | n/a (a run failed) |\n", what)
			return
		}
		r := float64(n.median) / float64(d.median)
		p("| %s | %.2fx | %s |\n", what, r, passMiss(r <= limit))
	}
	ratioRow("hello: `run` ≤ 0.8× qemu-user", "hello", cfgRun, cfgQemu, 0.8)
	for _, w := range []string{"compute", "goroutines", "gc", "timers"} {
		ratioRow(fmt.Sprintf("%s: `run` ≤ 1.5× qemu-user", w), w, cfgRun, cfgQemu, 1.5)
	}
	for _, w := range names {
		ratioRow(fmt.Sprintf("%s: `run --stages` ≤ 1.1× `run`", w), w, cfgStages, cfgRun, 1.1)
	}
	for _, w := range names {
		ratioRow(fmt.Sprintf("%s: 20-breakpoint session ≤ 1.2× `run`", w), w, cfgBreak, cfgRun, 1.2)
	}
	if cells["hello"] != nil {
		e, eok := get("hello", cfgRun)
		q, qok := get("hello", cfgQemu)
		if eok && qok {
			r := float64(e.rssKiB) / float64(q.rssKiB)
			p("| hello: peak RSS of `run` ≤ 3× qemu-user's | %.2fx (%s vs %s) | %s |\n", r, mib(e.rssKiB), mib(q.rssKiB), passMiss(r <= 3))
		} else {
			p("| hello: peak RSS of `run` ≤ 3× qemu-user's | – | n/a (a run failed) |\n")
		}
		if s, ok := get("hello", cfgStepi); ok {
			rate := float64(helloInsns) / s.median.Seconds()
			p("| single-step throughput ≥ 1,000,000 instructions/s | %s instructions/s | %s |\n", thousands(int64(rate)), passMiss(rate >= 1e6))
		} else {
			p("| single-step throughput ≥ 1,000,000 instructions/s | – | n/a (the session failed) |\n")
		}

		p("\n## Single-step throughput\n\n")
		p("`gouth-emu step --clean-env --batch` on hello with the script `stepi %d`, which is more than hello executes, ", stepiCount)
		p("so the session single-steps the guest to its exit (every thread runs under the stepping hook; the output is checked). ")
		p("hello executes %s instructions (`run --stats`, the same in every run); throughput = instructions / median wall time of the whole session, start-up included", thousands(helloInsns))
		if s, ok := get("hello", cfgStepi); ok {
			p(": %s / %s = **%s instructions/s**.\n", thousands(helloInsns), ms(s.median), thousands(int64(float64(helloInsns)/s.median.Seconds())))
		} else {
			p(".\n")
		}
	}

	var fails []string
	for _, w := range names {
		for _, c := range configs {
			if ce := cells[w][c.name]; ce != nil && ce.fail != "" {
				fails = append(fails, fmt.Sprintf("- %s / %s: %s", w, c.name, indent(ce.fail)))
			}
		}
	}
	if len(fails) > 0 {
		p("\n## Failures\n\n%s\n", strings.Join(fails, "\n"))
	}
	return b.String()
}

func passMiss(ok bool) string {
	if ok {
		return "pass"
	}
	return "**miss**"
}

// indent makes a multi-line message a Markdown list item's code block.
func indent(s string) string {
	first, rest, ok := strings.Cut(s, "\n")
	if !ok {
		return s
	}
	return first + "\n\n  ```\n" + strings.TrimRight(rest, "\n") + "\n  ```"
}

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// loadAverage is the 1-minute load average from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// commandLine is the first line of a command's output, or "unknown".
func commandLine(name string, args ...string) string {
	b, err := exec.Command(name, args...).Output()
	if err != nil {
		return "unknown"
	}
	l, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return l
}
