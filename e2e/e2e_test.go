package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
	"github.com/gouth-emu/gouth-emu/loader"
)

const (
	// emuTimeout bounds one guest run inside the emulator; runTimeout bounds
	// any process the tests start, so a hang fails instead of stalling.
	emuTimeout = "60s"
	runTimeout = 90 * time.Second
)

var (
	repoRoot  string // the module root, parent of this directory
	guestsDir string // testdata/guests
	emulator  string // absolute path to bin/gouth-emu
	workDir   string // scratch directory for binaries built by TestMain

	// toolchains holds every toolchain of testbin.Toolchains, oldest
	// first, with its builds of the guests; machine is the one of the go
	// command running the tests, for tests that need just one.
	toolchains []*guestBuilds
	machine    *guestBuilds
	go117Bin   string // the go1.17 binary shipped in GOROOT, or "" on error
	go117Err   error
)

// guestBuilds is one toolchain's builds of the guests, made by TestMain.
type guestBuilds struct {
	tc      *testbin.Toolchain
	version loader.Version // tc's release; zero when not installed

	mu     sync.Mutex
	bins   map[string]string // guest name -> binary
	errors map[string]error  // guest name -> build failure
}

// name is the subtest name: the toolchain's version, e.g. "go1.26.8".
func (b *guestBuilds) name() string {
	if ok, _ := b.tc.Available(); ok {
		return b.tc.Name
	}
	return b.tc.Short
}

// guestNeeds lists the guests some Go releases cannot build or run, each
// with the releases it works on and why. The matrix skips the other
// (guest, toolchain) pairs, naming the reason.
var guestNeeds = []struct {
	guest    string
	versions loader.Range
	why      string
}{
	// Before asynchronous preemption (go1.14) the spinning goroutine
	// keeps the garbage collector from stopping the world: a go1.11 build
	// never ends natively.
	{"preempt", loader.Range{From: loader.MustVersion("go1.19")}, "uses sync/atomic.Bool (go1.19) and needs asynchronous preemption (go1.14)"},
	{"sandbox", loader.Range{From: loader.MustVersion("go1.16")}, "uses io/fs and os.ReadDir (go1.16)"},
}

// unsupported returns why guest cannot be built or run with a toolchain of
// version v, or "" if it can.
func unsupported(guest string, v loader.Version) string {
	for _, n := range guestNeeds {
		if n.guest == guest && !n.versions.Contains(v) {
			return fmt.Sprintf("guest %s does not work with %v: it %s", guest, v, n.why)
		}
	}
	return ""
}

func (b *guestBuilds) binary(t *testing.T, guest string) string {
	t.Helper()
	b.tc.Need(t)
	if why := unsupported(guest, b.version); why != "" {
		t.Skip(why)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.errors[guest]; err != nil {
		t.Fatalf("building guest %s with %s: %v", guest, b.name(), err)
	}
	bin, ok := b.bins[guest]
	if !ok {
		t.Fatalf("guest %s was not built with %s", guest, b.name())
	}
	return bin
}

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e setup failed:\n%v\n", err)
		if workDir != "" {
			os.RemoveAll(workDir)
		}
		return 1
	}
	defer os.RemoveAll(workDir)
	return m.Run()
}

func setup() error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	repoRoot = filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(repoRoot, "go.mod")); err != nil {
		return fmt.Errorf("cannot find the module root above %s: %v", wd, err)
	}
	guestsDir = filepath.Join(repoRoot, "testdata", "guests")
	workDir, err = os.MkdirTemp("", "gouth-e2e-")
	if err != nil {
		return err
	}

	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}

	if p := os.Getenv("GOUTH_EMU"); p != "" {
		if !filepath.IsAbs(p) {
			return fmt.Errorf("GOUTH_EMU=%q: want an absolute path", p)
		}
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("GOUTH_EMU: %v", err)
		}
		emulator = p
	} else if emulator, err = buildEmulator(goCmd); err != nil {
		return err
	}

	guests, err := listGuests()
	if err != nil {
		return err
	}
	for _, tc := range testbin.Toolchains {
		b := &guestBuilds{tc: tc}
		if ok, _ := tc.Available(); ok {
			v, ok := loader.ParseVersion(tc.Name)
			if !ok {
				return fmt.Errorf("toolchain %s reports version %q, which is not a Go release", tc.Short, tc.Name)
			}
			b.version = v
		}
		toolchains = append(toolchains, b)
		if tc == testbin.Machine {
			machine = b
		}
	}

	var wg sync.WaitGroup
	for _, b := range toolchains {
		if !b.version.Known() {
			continue
		}
		wg.Add(1)
		go func(b *guestBuilds) {
			defer wg.Done()
			b.buildAll(guests)
		}(b)
	}
	wg.Wait()

	go117Bin, go117Err = decodeGo117(goCmd)
	return nil
}

// buildEmulator builds cmd/gouth-emu into workDir the way the Makefile does.
func buildEmulator(goCmd string) (string, error) {
	env := os.Environ()
	if os.Getenv("CGO_CFLAGS") == "" {
		cmd := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}}", "github.com/unicorn-engine/unicorn")
		cmd.Dir = repoRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("locating the unicorn module: %v\n%s", err, out)
		}
		env = append(env, "CGO_CFLAGS=-I"+filepath.Join(strings.TrimSpace(string(out)), "include"))
	}
	if os.Getenv("CGO_LDFLAGS") == "" {
		lib := filepath.Join(repoRoot, "build", "unicorn")
		if fi, err := os.Stat(lib); err != nil || !fi.IsDir() {
			lib = "/tmp/ub"
		}
		env = append(env, "CGO_LDFLAGS=-L"+lib)
	}
	env = append(env, "CGO_ENABLED=1")
	out := filepath.Join(workDir, "gouth-emu")
	cmd := exec.Command(goCmd, "build", "-tags", "static", "-o", out, "./cmd/gouth-emu")
	cmd.Dir = repoRoot
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building gouth-emu (%s): %v\n%s", strings.Join(cmd.Args, " "), err, b)
	}
	return out, nil
}

// listGuests returns the names of the directories under testdata/guests
// that hold a main.go.
func listGuests() ([]string, error) {
	ents, err := os.ReadDir(guestsDir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(guestsDir, e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no guests in %s", guestsDir)
	}
	return names, nil
}

// buildAll builds every guest the toolchain supports. The first build
// runs alone so that it fills the build cache (the standard library); the
// rest then run in parallel.
func (b *guestBuilds) buildAll(guests []string) {
	b.bins = map[string]string{}
	b.errors = map[string]error{}
	var todo []string
	for _, g := range guests {
		if unsupported(g, b.version) == "" {
			todo = append(todo, g)
		}
	}
	dir := filepath.Join(workDir, b.tc.Short)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		for _, g := range todo {
			b.errors[g] = err
		}
		return
	}
	build := func(g string) {
		out := filepath.Join(dir, g)
		src := filepath.Join(guestsDir, g)
		// Building the single file avoids module questions: old
		// toolchains cannot parse this module's go.mod (see Legacy).
		cmd := exec.Command(b.tc.GoCmd(), b.tc.BuildArgs(out, src, "main.go")...)
		cmd.Dir = src
		cmd.Env = b.tc.Env()
		out2, err := cmd.CombinedOutput()
		b.mu.Lock()
		defer b.mu.Unlock()
		if err != nil {
			b.errors[g] = fmt.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out2)
			return
		}
		// The matrix is only as good as its toolchains: GOTOOLCHAIN, for
		// one, silently does nothing in GOPATH mode.
		f, err := loader.Open(out)
		if err != nil {
			b.errors[g] = err
			return
		}
		if f.Version() != b.version {
			b.errors[g] = fmt.Errorf("%s: got a binary of %v, want %v", strings.Join(cmd.Args, " "), f.Version(), b.version)
			return
		}
		b.bins[g] = out
	}
	if len(todo) == 0 {
		return
	}
	build(todo[0])
	var wg sync.WaitGroup
	for _, g := range todo[1:] {
		wg.Add(1)
		go func(g string) {
			defer wg.Done()
			build(g)
		}(g)
	}
	wg.Wait()
}

// decodeGo117 writes out the tiny go1.17 binary that Go ships as test data
// for debug/buildinfo.
func decodeGo117(goCmd string) (string, error) { return testbin.Go117(goCmd, workDir) }

// result is what one run of a program produced.
type result struct {
	stdout, stderr []byte
	status         int // exit status; -1 if it did not exit normally
	how            string
}

func (r result) String() string {
	return fmt.Sprintf("status %d (%s), %d bytes of stdout, %d bytes of stderr", r.status, r.how, len(r.stdout), len(r.stderr))
}

// run starts name with args and exactly env, waits for it and collects
// its output. Only failures to start it at all are fatal.
func run(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if env == nil {
		env = []string{}
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.Bytes(), stderr: stderr.Bytes(), how: "exited"}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.status = ee.ExitCode()
		if r.status < 0 {
			r.how = ee.String()
		}
	default:
		t.Fatalf("running %s: %v", name, err)
	}
	if ctx.Err() != nil {
		r.how = fmt.Sprintf("killed after the test's %v timeout", runTimeout)
	}
	return r
}

// runNative runs bin directly, with exactly env as its environment.
func runNative(t *testing.T, env []string, bin string, args ...string) result {
	t.Helper()
	return run(t, env, bin, args...)
}

// nativeTries bounds the native runs nativeAgreeing makes.
const nativeTries = 3

// nativeAgreeing runs bin natively as the reference for an emulated run:
// when same says a native run disagrees, it runs it again, up to
// nativeTries times in all, and returns the first that agrees, else the
// first. A native run is at the mercy of the host (a loaded machine
// wakes timers late and out of order; a huge address-space reservation
// can fail), while the emulated one is deterministic; one native run that
// agrees shows that Linux gives that output too.
func nativeAgreeing(t *testing.T, same func(native result) bool, env []string, bin string, args ...string) result {
	t.Helper()
	first := runNative(t, env, bin, args...)
	for i, r := 1, first; !same(r); i++ {
		if i == nativeTries {
			return first
		}
		t.Logf("native run %d disagrees with gouth-emu; running it again", i)
		r = runNative(t, env, bin, args...)
		if same(r) {
			return r
		}
	}
	return first
}

// sameRun reports whether two runs exited alike and printed the same.
func sameRun(a, b result) bool {
	return a.status == b.status && a.how == b.how && bytes.Equal(a.stdout, b.stdout) && bytes.Equal(a.stderr, b.stderr)
}

// emuArgs is the gouth-emu command line that runs bin with args in a clean
// environment holding exactly env.
func emuArgs(flags, env []string, bin string, args ...string) []string {
	a := []string{"run", "--clean-env", "--timeout", emuTimeout}
	a = append(a, flags...)
	for _, kv := range env {
		a = append(a, "--env", kv)
	}
	a = append(a, bin)
	return append(a, args...)
}

// runEmu runs bin under gouth-emu. The emulator itself gets an empty
// environment too; the guest's comes only from --env.
func runEmu(t *testing.T, flags, env []string, bin string, args ...string) result {
	t.Helper()
	return run(t, nil, emulator, emuArgs(flags, env, bin, args...)...)
}

// compare reports every difference between the emulated and native runs.
// On a difference it reruns the guest with --strace and logs the tail.
func compare(t *testing.T, emu, native result, flags, env []string, bin string, args ...string) {
	t.Helper()
	bad := false
	if emu.status != native.status || emu.how != native.how {
		bad = true
		t.Errorf("exit status: got %d (%s) under gouth-emu, want %d (%s) as native", emu.status, emu.how, native.status, native.how)
	}
	if !bytes.Equal(emu.stdout, native.stdout) {
		bad = true
		t.Errorf("stdout differs: got (gouth-emu) %s, want (native) %s", show(emu.stdout), show(native.stdout))
	}
	if !bytes.Equal(emu.stderr, native.stderr) {
		bad = true
		t.Errorf("stderr differs: got (gouth-emu) %s, want (native) %s", show(emu.stderr), show(native.stderr))
	}
	if bad {
		t.Logf("native: %v / gouth-emu: %v", native, emu)
		logStraceTail(t, flags, env, bin, args...)
	}
}

// show formats output for a failure message: quoted when short, as an
// indented block when long.
func show(b []byte) string {
	if len(b) <= 200 {
		return strconv.Quote(string(b))
	}
	return fmt.Sprintf("(%d bytes)\n\t| %s", len(b), strings.ReplaceAll(strings.TrimRight(string(b), "\n"), "\n", "\n\t| "))
}

func logStraceTail(t *testing.T, flags, env []string, bin string, args ...string) {
	t.Helper()
	argv := emuArgs(append([]string{"--strace"}, flags...), env, bin, args...)
	r := run(t, nil, emulator, argv...)
	lines := strings.Split(strings.TrimRight(string(r.stderr), "\n"), "\n")
	// Writes to stderr are left out: their text is shown above.
	var strace []string
	for _, l := range lines {
		if strings.HasPrefix(l, "[") && !strings.Contains(l, "] write(2, ") {
			strace = append(strace, l)
		}
	}
	if len(strace) > 25 {
		strace = strace[len(strace)-25:]
	}
	t.Logf("gouth-emu %s (rerun, status %d): last %d strace lines other than writes to fd 2:\n\t%s",
		strings.Join(argv, " "), r.status, len(strace), strings.Join(strace, "\n\t"))
}

var numCPULine = regexp.MustCompile(`(?m)^NumCPU: \d+$`)

// guestCase is one run of one guest.
type guestCase struct {
	name       string
	guest      string
	args       []string
	env        []string
	cpus       int // >0: run with --cpus cpus
	wantStatus int // expected exit status (checked on the native run)
	// traceback: stderr holds a Go traceback whose argument values may be
	// heap addresses, which differ natively from run to run; they are
	// masked before comparing, everything else (pc, addr, offsets, file:line)
	// must match.
	traceback bool
}

// tracebackArgs matches the argument list of a traceback frame line such
// as "main.div(0x4cf888?, 0xc000012345?)".
var tracebackArgs = regexp.MustCompile(`(?m)^([\w./*()\[\]-]+)\(((0x[0-9a-f]+\??|\.\.\.|\{[^}]*\})(, )?)+\)$`)

// maskTracebackArgs replaces traceback argument values with "...".
func maskTracebackArgs(b []byte) []byte {
	return tracebackArgs.ReplaceAll(b, []byte("$1(...)"))
}

func guestCases() []guestCase {
	input := filepath.Join(guestsDir, "readfile", "input.txt")
	missing := filepath.Join(guestsDir, "readfile", "no-such-file.txt")
	return []guestCase{
		{name: "hello", guest: "hello"},
		{name: "goroutines", guest: "goroutines"},
		{name: "goroutines-cpus1", guest: "goroutines", cpus: 1},
		{name: "goroutines-cpus4", guest: "goroutines", cpus: 4},
		{name: "gc", guest: "gc"},
		{name: "timers", guest: "timers"},
		{name: "args-status3", guest: "args", args: []string{"3", "foo", "two words"}, env: []string{"GOUTH_TEST_VAR=hello-env"}, wantStatus: 3},
		{name: "args-status0", guest: "args", args: []string{"0"}},
		{name: "readfile", guest: "readfile", args: []string{input}},
		{name: "readfile-missing", guest: "readfile", args: []string{missing}, wantStatus: 1},
		{name: "nilrecover", guest: "nilrecover"},
		{name: "nilpanic", guest: "nilpanic", wantStatus: 2, traceback: true},
		{name: "divzero", guest: "divzero", wantStatus: 2, traceback: true},
		{name: "preempt", guest: "preempt"},
		{name: "preempt-cpus1", guest: "preempt", cpus: 1},
		{name: "preempt-cpus2", guest: "preempt", cpus: 2},
		{name: "notify", guest: "notify"},
		{name: "timerblock", guest: "timerblock"},
		{name: "numg", guest: "numg"},
		{name: "frameargs", guest: "frameargs"},
		{name: "sigsse", guest: "sigsse"},
	}
}

func TestGuests(t *testing.T) {
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name(), func(t *testing.T) {
			t.Parallel()
			for _, c := range guestCases() {
				c := c
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					bin := tc.binary(t, c.guest)
					if c.cpus > 0 {
						testCPUs(t, c, bin)
						return
					}
					emu := runEmu(t, nil, c.env, bin, c.args...)
					if c.traceback {
						emu.stderr = maskTracebackArgs(emu.stderr)
					}
					native := nativeAgreeing(t, func(n result) bool {
						if c.traceback {
							n.stderr = maskTracebackArgs(n.stderr)
						}
						return sameRun(emu, n)
					}, c.env, bin, c.args...)
					if native.status != c.wantStatus {
						t.Fatalf("native run (the guest itself is wrong): got status %d, want %d; %v", native.status, c.wantStatus, native)
					}
					if c.traceback {
						native.stderr = maskTracebackArgs(native.stderr)
					}
					compare(t, emu, native, nil, c.env, bin, c.args...)
				})
			}
		})
	}
}

// testCPUs runs the guest with --cpus N. The native side is pinned to N
// CPUs with taskset when the machine has them; otherwise the emulated
// output must equal the unpinned native output with the NumCPU line
// replaced by N.
func testCPUs(t *testing.T, c guestCase, bin string) {
	flags := []string{"--cpus", strconv.Itoa(c.cpus)}
	wantLine := fmt.Sprintf("NumCPU: %d", c.cpus)
	emu := runEmu(t, flags, c.env, bin, c.args...)

	if taskset, err := exec.LookPath("taskset"); err == nil && runtime.NumCPU() >= c.cpus {
		cpuList := fmt.Sprintf("0-%d", c.cpus-1)
		native := run(t, c.env, taskset, append([]string{"-c", cpuList, bin}, c.args...)...)
		if line := numCPULine.Find(native.stdout); line == nil || string(line) == wantLine {
			compare(t, emu, native, flags, c.env, bin, c.args...)
			return
		}
		t.Logf("taskset -c %s did not give the guest %d CPUs (%v); comparing against the unpinned run", cpuList, c.cpus, native)
	}

	native := runNative(t, c.env, bin, c.args...)
	// Guests that print NumCPU show the emulated count; others must not
	// depend on it at all.
	native.stdout = numCPULine.ReplaceAll(native.stdout, []byte(wantLine))
	compare(t, emu, native, flags, c.env, bin, c.args...)
}

// TestGo117 runs the go1.17 binary that ships with Go as debug/buildinfo
// test data; it prints nothing and exits 0.
func TestGo117(t *testing.T) {
	t.Parallel()
	if go117Err != nil {
		t.Fatalf("preparing the go1.17 test binary: %v", go117Err)
	}
	native := runNative(t, nil, go117Bin)
	if native.status != 0 {
		t.Fatalf("native run: got status %d, want 0; %v", native.status, native)
	}
	emu := runEmu(t, nil, nil, go117Bin)
	compare(t, emu, native, nil, nil, go117Bin)
}

// TestDeterminism runs guests twice and requires the same trace (--strace)
// and the same instruction count (--stats). It covers every toolchain:
// go1.11, go1.17 and go1.19 seed per-M random state from RDTSC, so they
// catch a host TSC leaking in.
func TestDeterminism(t *testing.T) {
	type target struct{ name, bin string }
	var targets []target
	for _, guest := range []string{"hello", "goroutines"} {
		targets = append(targets, target{machine.name() + "/" + guest, machine.binary(t, guest)})
	}
	for _, tc := range toolchains {
		if tc != machine && tc.version.Known() {
			targets = append(targets, target{tc.name() + "/hello", tc.binary(t, "hello")})
		}
	}
	if go117Err == nil {
		targets = append(targets, target{"go1.17", go117Bin})
	}
	for _, tg := range targets {
		tg := tg
		t.Run(tg.name, func(t *testing.T) {
			t.Parallel()
			flags := []string{"--strace", "--stats"}
			var first result
			var firstErr string
			for i := 0; i < 2; i++ {
				r := runEmu(t, flags, nil, tg.bin)
				if r.status != 0 {
					t.Fatalf("run %d: got status %d, want 0; %v", i+1, r.status, r)
				}
				errText := stableStderr(r.stderr)
				if !strings.Contains(errText, "exit_group(") {
					t.Errorf("run %d: got strace output without exit_group(, want a full trace:\n%s", i+1, errText)
				}
				if !regexp.MustCompile(`(?m)^gouth-emu: stats: \d+ instructions`).MatchString(errText) {
					t.Errorf("run %d: got no instruction-count stats line, want one:\n%s", i+1, errText)
				}
				if i == 0 {
					first, firstErr = r, errText
					continue
				}
				if !bytes.Equal(r.stdout, first.stdout) {
					t.Errorf("stdout: got %q on the second run, want %q as on the first", r.stdout, first.stdout)
				}
				if errText != firstErr {
					t.Errorf("stderr (strace + stats) differs between runs:\n%s", diffLines(errText, firstErr))
				}
			}
		})
	}
}

// stableStderr drops the stats lines that hold wall-clock measurements.
func stableStderr(b []byte) string {
	var keep []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(l, "gouth-emu: stats: ") && (strings.Contains(l, "wall time") || strings.Contains(l, "MIPS")) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "")
}

// diffLines describes the first line where got and want differ.
func diffLines(got, want string) string {
	if d := testbin.DiffLines(got, want); len(d) > 0 {
		return fmt.Sprintf("first difference at line %d (of %d vs %d): got %q, want %q",
			d[0].N, strings.Count(got, "\n")+1, strings.Count(want, "\n")+1, d[0].Got, d[0].Want)
	}
	return "no line differs"
}
