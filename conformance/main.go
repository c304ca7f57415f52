// Command conformance judges gouth-emu by the Go standard library's own
// tests (`make conformance`).
//
// For each package and each toolchain at hand (go1.11.1, go1.19, the
// machine's go, go1.27.3; a missing one is noted and skipped) it builds the
// package's test binary (`go test -c`, CGO_ENABLED=0) into build/conformance,
// runs it natively, under qemu-x86_64 and under `gouth-emu run --fs rw`,
// each with -test.short -test.v, in GOROOT/src/PKG, with TMPDIR a fresh
// scratch directory and a wall-clock timeout, and compares every test's
// outcome (subtests too) under each emulator with the native one. It
// writes conformance/results.md: the pass/fail/skip counts and wall times
// per package and toolchain, then every test that differs, with its
// failure line and, for gouth-emu, the last failing system calls of a
// rerun of that test under --strace.
//
// conformance/expected.txt lists the gouth-emu differences that a
// documented limit explains; the exit status is 1 if any other difference
// appears (qemu-user's are reported, not judged).
//
//	go run ./conformance [-pkgs a,b] [-toolchains go1.19,go-machine] [-timeout 5m] [-j 1] [-budget 0] [-fresh] [-unlisted FILE]
//
// A binary that dies in one test (a helper process that cannot start
// makes some tests panic) is run again on the tests it never finished,
// so one crash does not hide the rest. Runs are cached by the hashes of
// the test binary and of the emulator under build/conformance/runs, so a
// second run with nothing changed only writes the report; -fresh runs
// everything again. -unlisted writes the unexplained differences in
// expected.txt's format, for a maintainer to give a reason or file a bug.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// defaultPackages are the packages of the full matrix; runtime, by far
// the slowest, comes last, so that a run cut short by -budget still has
// the rest.
var defaultPackages = []string{
	"sort", "strings", "strconv", "bytes", "math", "math/big", "sync", "sync/atomic",
	"context", "time", "fmt", "reflect", "encoding/json", "regexp", "bufio", "io",
	"os", "path/filepath", "crypto/sha256", "compress/gzip", "text/template",
	"go/parser", "runtime/debug", "unicode/utf8", "errors", "container/list",
	"encoding/binary", "encoding/base64", "hash/crc32", "io/ioutil", "os/signal",
	"runtime",
}

// config is one harness run's settings.
type config struct {
	root, cache string
	emu, qemu   string // qemu "" skips qemu-user runs
	emuHash     string
	qemuHash    string
	timeout     time.Duration
	strace      int // most --strace reruns per binary
	// straceAll reruns expected failures under --strace too (after the
	// unexpected ones); without it only unexpected ones are.
	straceAll bool
	fresh     bool
	// state holds the cached runs and logs, cache/state by default.
	state string
	exps  []*expectation
	logf  func(format string, args ...any)
}

// job is one package built and run with one toolchain.
type job struct {
	tc  *toolchain
	pkg string
	// args are extra test flags (a -test.run subset).
	args     []string
	bin      string
	buildErr string
	runs     map[string]*testRun // by runner
	runErr   map[string]string
	diffs    map[string][]*diff // emu and qemu runs against native
	// unexpected counts gouth-emu differences expected.txt does not explain.
	unexpected int
	done       bool
}

func main() {
	var (
		pkgs     = flag.String("pkgs", strings.Join(defaultPackages, ","), "comma-separated packages")
		tcFilter = flag.String("toolchains", "", "comma-separated toolchain labels (go1.11, go1.19, go-machine, go1.27) or versions; default all")
		emuPath  = flag.String("emu", "bin/gouth-emu", "gouth-emu binary")
		qemuPath = flag.String("qemu", "qemu-x86_64", "qemu-user binary (\"\" to skip)")
		timeout  = flag.Duration("timeout", 5*time.Minute, "wall-clock limit of each run (also -test.timeout)")
		jobs     = flag.Int("j", 1, "binaries run at once")
		budget   = flag.Duration("budget", 0, "start no new package after this much time (0: no limit); the rest is reported as not run")
		strace   = flag.Int("strace", 4, "most --strace reruns per binary for evidence")
		fresh    = flag.Bool("fresh", false, "ignore cached runs")
		out      = flag.String("out", "conformance/results.md", "report file (\"\" for none)")
		expected = flag.String("expected", "conformance/expected.txt", "expected differences")
		unlisted = flag.String("unlisted", "", "write the unexpected gouth-emu differences to FILE as expected.txt lines (reason TODO), each after its evidence")
	)
	flag.Parse()
	root, err := testbin.RepoRoot()
	if err != nil {
		fatal(err)
	}
	cache := filepath.Join(root, "build", "conformance")
	c := &config{root: root, cache: cache, state: cache, timeout: *timeout,
		strace: *strace, straceAll: true, fresh: *fresh, logf: func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }}
	if c.emu, err = filepath.Abs(*emuPath); err != nil {
		fatal(err)
	}
	if c.emuHash = fileHash(c.emu); c.emuHash == "" {
		fatal(fmt.Errorf("%s: not found (make build)", c.emu))
	}
	qemuNote := ""
	if *qemuPath != "" {
		if p, err := exec.LookPath(*qemuPath); err == nil {
			c.qemu, c.qemuHash = p, fileHash(p)
		} else {
			qemuNote = fmt.Sprintf("%s not found (tools/deps.sh installs qemu-user): qemu-user runs skipped", *qemuPath)
			c.logf("%s", qemuNote)
		}
	}
	if *expected != "" {
		if !filepath.IsAbs(*expected) {
			*expected = filepath.Join(root, *expected)
		}
		if c.exps, err = readExpected(*expected); err != nil {
			fatal(err)
		}
	}
	var tcs []*toolchain
	for _, tc := range toolchains(root) {
		if *tcFilter == "" || listed(*tcFilter, tc.short) || listed(*tcFilter, tc.name) {
			tcs = append(tcs, tc)
		}
	}
	var all []*job
	for _, p := range strings.Split(*pkgs, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		for _, tc := range tcs {
			all = append(all, &job{tc: tc, pkg: p})
		}
	}

	t0 := time.Now()
	var mu sync.Mutex
	report := func() {
		if *out == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err := writeReport(filepath.Join(root, *out), c, tcs, all, qemuNote, t0); err != nil {
			c.logf("writing %s: %v", *out, err)
		}
	}
	work := make(chan *job)
	var wg sync.WaitGroup
	for i := 0; i < max(*jobs, 1); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				c.runJob(j)
				mu.Lock()
				j.done = true
				mu.Unlock()
				c.logf("%s %s: %s (%s elapsed)", j.tc.label(), j.pkg, j.summary(), time.Since(t0).Round(time.Second))
				report()
			}
		}()
	}
	for _, j := range all {
		if *budget > 0 && time.Since(t0) > *budget {
			break
		}
		if j.tc.goCmd == "" {
			mu.Lock()
			j.done = true
			mu.Unlock()
			continue
		}
		work <- j
	}
	close(work)
	wg.Wait()
	report()

	bad := 0
	for _, j := range all {
		bad += j.unexpected
	}
	if *unlisted != "" {
		if err := writeUnlisted(*unlisted, all); err != nil {
			fatal(err)
		}
	}
	c.logf("conformance: %d packages × %d toolchains in %s; %d unexpected gouth-emu differences (see %s)",
		len(all)/max(len(tcs), 1), len(tcs), time.Since(t0).Round(time.Second), bad, *out)
	if bad > 0 {
		os.Exit(1)
	}
}

// listed reports whether the comma-separated list holds s.
func listed(list, s string) bool {
	for _, x := range strings.Split(list, ",") {
		if strings.TrimSpace(x) == s && s != "" {
			return true
		}
	}
	return false
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "conformance:", err)
	os.Exit(2)
}

// summary is the job's result in a few words, for the progress log.
func (j *job) summary() string {
	if j.buildErr != "" {
		return "build: " + j.buildErr
	}
	var parts []string
	for _, r := range []string{native, qemu, emu} {
		if run := j.runs[r]; run != nil {
			p, f, s, cr := run.counts()
			parts = append(parts, fmt.Sprintf("%s %d/%d/%d/%d %.1fs", r, p, f, s, cr, run.Seconds))
		} else if e := j.runErr[r]; e != "" {
			parts = append(parts, r+" error: "+e)
		}
	}
	return strings.Join(parts, ", ") + fmt.Sprintf("; %d gouth-emu differences, %d unexpected", len(j.diffs[emu]), j.unexpected)
}

// fileName is the package path as one file name.
func fileName(pkg string) string { return strings.ReplaceAll(pkg, "/", "_") }

// build makes the job's test binary, reusing one built by the same
// toolchain version.
func (c *config) build(j *job) {
	dir := filepath.Join(c.cache, "bin", j.tc.short)
	stamp := filepath.Join(dir, "VERSION")
	// The stamp names the recipe too, so that a change to it rebuilds.
	want := j.tc.name + " built in GOROOT/src"
	if b, err := os.ReadFile(stamp); err != nil || strings.TrimSpace(string(b)) != want {
		os.RemoveAll(dir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			j.buildErr = err.Error()
			return
		}
		if err := os.WriteFile(stamp, []byte(want+"\n"), 0o644); err != nil {
			j.buildErr = err.Error()
			return
		}
	}
	j.bin = filepath.Join(dir, fileName(j.pkg)+".test")
	if _, err := os.Stat(j.bin); err == nil {
		return
	}
	// Built under another name and renamed, so that a concurrent run
	// never sees half a binary.
	part := fmt.Sprintf("%s.%d.part", j.bin, os.Getpid())
	defer os.Remove(part)
	cmd := exec.Command(j.tc.goCmd, "test", "-c", "-o", part, j.pkg)
	// In GOROOT/src the main module is std, as for `go test PKG` there:
	// elsewhere a module without a go line would set older GODEBUG
	// defaults (panicnil=1 fails runtime's TestPanicNil natively).
	cmd.Dir = filepath.Join(j.tc.goroot, "src")
	cmd.Env = j.tc.buildEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		first := strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
		j.buildErr = fmt.Sprintf("go test -c: %v: %s", err, first)
		return
	}
	if err := os.Rename(part, j.bin); err != nil {
		j.buildErr = "go test -c made no binary (no test files?)"
	}
}

// testArgs are the test binary's flags in every run.
func (c *config) testArgs() []string {
	return []string{"-test.short", "-test.v", "-test.timeout=" + c.timeout.String()}
}

// argv is the command line of a runner.
func (c *config) argv(runner, bin string, extra ...string) []string {
	args := append(c.testArgs(), extra...)
	args = args[:len(args):len(args)]
	switch runner {
	case qemu:
		return append([]string{c.qemu, bin}, args...)
	case emu:
		return append([]string{c.emu, "run", "--fs", "rw", "--timeout", (c.timeout + 15*time.Second).String(), bin}, args...)
	}
	return append([]string{bin}, args...)
}

// runJob builds the job's binary, runs it with each runner (or takes the
// cached run), compares, and gathers --strace evidence for gouth-emu's
// failures.
func (c *config) runJob(j *job) {
	j.runs, j.runErr, j.diffs = map[string]*testRun{}, map[string]string{}, map[string][]*diff{}
	c.build(j)
	if j.buildErr != "" {
		return
	}
	binHash := fileHash(j.bin)
	dir := filepath.Join(j.tc.goroot, "src", filepath.FromSlash(j.pkg))
	runDir := filepath.Join(c.state, "runs", j.tc.short)
	os.MkdirAll(runDir, 0o755)
	runners := []string{native, emu}
	if c.qemu != "" {
		runners = []string{native, qemu, emu}
	}
	for _, r := range runners {
		argv := c.argv(r, j.bin, j.args...)
		key := strings.Join(append([]string{r, binHash, c.emuHashFor(r), c.qemuHashFor(r)}, argv[1:]...), " ")
		cached := filepath.Join(runDir, fileName(j.pkg)+"."+r+".json")
		if !c.fresh {
			if run := loadRun(cached, key); run != nil {
				j.runs[r] = run
				continue
			}
		}
		run, err := c.runOnce(j, r, argv, dir, filepath.Join(c.state, "logs", j.tc.short, fileName(j.pkg)+"."+r+".log"), c.timeout+45*time.Second)
		if err != nil {
			j.runErr[r] = err.Error()
			continue
		}
		run.Key = key
		saveRun(cached, run)
		j.runs[r] = run
	}
	nat := j.runs[native]
	if nat == nil {
		return
	}
	for _, r := range []string{qemu, emu} {
		if run := j.runs[r]; run != nil && c.resume(j, nat, run, dir) {
			saveRun(filepath.Join(runDir, fileName(j.pkg)+"."+r+".json"), run)
		}
	}
	for _, r := range []string{qemu, emu} {
		if other := j.runs[r]; other != nil {
			j.diffs[r] = compareRuns(nat, other)
		}
	}
	j.unexpected = explain(c.exps, j.tc.name, j.pkg, j.diffs[emu])
	if j.unexpected > 0 {
		c.confirmNativeFailures(j, dir)
	}
	c.gatherStrace(j, dir)
}

// confirmNativeFailures reruns natively, alone, each test that failed
// natively but not under gouth-emu and is not listed: a native run on a
// loaded machine misses timing-sensitive deadlines now and then. When the
// rerun's outcome is gouth-emu's, the difference was the native run's.
func (c *config) confirmNativeFailures(j *job, dir string) {
	for _, d := range j.diffs[emu] {
		if d.Reason != "" || d.Native != fail || (d.Other != pass && d.Other != skip) {
			continue
		}
		argv := c.argv(native, j.bin, append(append([]string(nil), j.args...), "-test.run", runPattern(d.Test))...)
		log := filepath.Join(c.state, "logs", j.tc.short, fileName(j.pkg)+".native-rerun.log")
		run, err := c.runOnce(j, native, argv, dir, log, c.timeout+45*time.Second)
		if err != nil {
			continue
		}
		if run.Tests[d.Test] == d.Other {
			d.Reason = fmt.Sprintf("native flake: %s natively when rerun alone", d.Other)
			j.unexpected--
		}
	}
}

// maxResumes bounds the continuations of one run.
const maxResumes = 3

// resume continues a run whose binary ended early (a test that panics
// when a process cannot be started takes the whole binary with it): it
// runs the same binary again with -test.run selecting the top-level tests
// the native run had and this one never started, and merges the outcomes,
// up to maxResumes times. The test the binary died in keeps its outcome.
// It reports whether run changed.
func (c *config) resume(j *job, nat, run *testRun, dir string) bool {
	changed := false
	for len(run.Resumed) < maxResumes && !run.TimedOut {
		// The tests never started, and those caught running (parallel
		// ones, paused) when another test took the binary down.
		culprit, _, _ := strings.Cut(run.DiedIn, "/")
		var rest []string
		for _, name := range nat.Order {
			if strings.Contains(name, "/") || name == culprit {
				continue
			}
			if o, ok := run.Tests[name]; (!ok && !run.completed()) || o == crash {
				rest = append(rest, regexp.QuoteMeta(name))
			}
		}
		if len(rest) == 0 {
			break
		}
		n := len(run.Resumed) + 1
		argv := c.argv(run.Runner, j.bin, append(append([]string(nil), j.args...), "-test.run", "^("+strings.Join(rest, "|")+")$")...)
		log := filepath.Join(c.state, "logs", j.tc.short, fmt.Sprintf("%s.%s.resume%d.log", fileName(j.pkg), run.Runner, n))
		cont, err := c.runOnce(j, run.Runner, argv, dir, log, c.timeout+45*time.Second)
		if err != nil {
			break
		}
		run.Resumed = append(run.Resumed, log)
		run.Seconds += cont.Seconds
		run.merge(cont)
		changed = true
		if len(cont.Order) == 0 {
			break
		}
	}
	return changed
}

// emuHashFor and qemuHashFor put the emulator's hash in the cache key of
// its own runs only.
func (c *config) emuHashFor(r string) string {
	if r == emu {
		return c.emuHash
	}
	return "-"
}

func (c *config) qemuHashFor(r string) string {
	if r == qemu {
		return c.qemuHash
	}
	return "-"
}

// runOnce runs argv in a fresh TMPDIR, which it removes afterwards.
func (c *config) runOnce(j *job, runner string, argv []string, dir, log string, timeout time.Duration) (*testRun, error) {
	tmpRoot := filepath.Join(c.cache, "tmp")
	if err := os.MkdirAll(tmpRoot, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(tmpRoot, j.tc.short+"-"+fileName(j.pkg)+"-"+runner+"-")
	if err != nil {
		return nil, err
	}
	defer removeAll(tmp)
	return execute(runSpec{runner: runner, argv: argv, dir: dir, env: j.tc.runEnv(tmp), timeout: timeout, log: log})
}

// removeAll removes a scratch directory, first making read-only
// directories (some tests leave them) writable.
func removeAll(dir string) {
	if os.RemoveAll(dir) == nil {
		return
	}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
	os.RemoveAll(dir)
}

// gatherStrace reruns up to c.strace of gouth-emu's failing tests, those
// that pass or skip natively and have no differing subtests, unexpected
// ones first, under --strace; the results are cached with the run.
func (c *config) gatherStrace(j *job, dir string) {
	run := j.runs[emu]
	if run == nil || c.strace <= 0 {
		return
	}
	diffs := j.diffs[emu]
	var picks []*diff
	for _, d := range diffs {
		if d.Test == notRunTest || d.Test == exitTest || (d.Other != fail && d.Other != crash) ||
			(d.Native != pass && d.Native != skip) {
			continue
		}
		leaf := true
		for _, o := range diffs {
			if strings.HasPrefix(o.Test, d.Test+"/") {
				leaf = false
				break
			}
		}
		if leaf && (d.Reason == "" || c.straceAll) {
			picks = append(picks, d)
		}
	}
	sort.SliceStable(picks, func(a, b int) bool { return picks[a].Reason == "" && picks[b].Reason != "" })
	if len(picks) > c.strace {
		picks = picks[:c.strace]
	}
	cachePath := filepath.Join(c.state, "runs", j.tc.short, fileName(j.pkg)+".strace.json")
	cache := loadStrace(cachePath, run.Key)
	changed := false
	for _, d := range picks {
		if lines, ok := cache.Lines[d.Test]; ok {
			d.Strace = lines
			continue
		}
		tmp, err := os.MkdirTemp(filepath.Join(c.cache, "tmp"), "strace-")
		if err != nil {
			continue
		}
		argv := append([]string{c.emu, "run", "--fs", "rw", "--strace", "--timeout", "60s", j.bin,
			"-test.short", "-test.v"}, j.args...)
		argv = append(argv, "-test.run", runPattern(d.Test))
		d.Strace = straceEvidence(runSpec{runner: emu, argv: argv, dir: dir, env: j.tc.runEnv(tmp), timeout: 90 * time.Second})
		removeAll(tmp)
		cache.Lines[d.Test] = d.Strace
		changed = true
	}
	if changed {
		saveStrace(cachePath, cache)
	}
}

// writeUnlisted writes the differences expected.txt does not explain in
// its own format, for a maintainer to give each a reason or fix the bug.
func writeUnlisted(path string, jobs []*job) error {
	var b strings.Builder
	for _, j := range jobs {
		for _, d := range j.diffs[emu] {
			if d.Reason != "" || d.Test == notRunTest || d.Test == exitTest {
				continue
			}
			fmt.Fprintf(&b, "# %s → %s: %s\n", d.Native, d.Other, strings.ReplaceAll(d.Evidence, "\n", " ⏎ "))
			for _, l := range d.Strace {
				fmt.Fprintf(&b, "#   %s\n", l)
			}
			fmt.Fprintf(&b, "%s %s %s TODO\n", j.tc.name, j.pkg, d.Test)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
