package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Test outcomes. crash is a test that started and never reported: the
// binary ended inside it (a panic in another goroutine, a fatal error, a
// timeout, the emulator stopping it).
const (
	pass  = "PASS"
	fail  = "FAIL"
	skip  = "SKIP"
	crash = "CRASH"
)

// Runner names, also the table's column heads.
const (
	native = "native"
	qemu   = "qemu-user"
	emu    = "gouth-emu"
)

// testRun is one run of a test binary, parsed from its -test.v output.
type testRun struct {
	Key      string   `json:"key"`  // what the run depended on (cache key)
	When     string   `json:"when"` // when it started, UTC, whenLayout
	Runner   string   `json:"runner"`
	Argv     []string `json:"argv"`
	Status   int      `json:"status"` // exit status; -1 when killed
	TimedOut bool     `json:"timed_out"`
	Seconds  float64  `json:"seconds"`
	// Final is the binary's verdict line ("PASS" or "FAIL"); "" when it
	// ended without one.
	Final string `json:"final"`
	// Order lists the tests (and subtests, by their full names) as they
	// started; Tests gives each one's outcome.
	Order []string          `json:"order"`
	Tests map[string]string `json:"tests"`
	// Evidence is, for each failed or crashed test, the output lines that
	// show why.
	Evidence map[string]string `json:"evidence"`
	// Death is the line that ended a binary without a verdict (panic:,
	// fatal error:, the emulator's message), Warnings the emulator's
	// warning lines.
	Death string `json:"death"`
	// DiedIn is the test that was last to start or report before the
	// binary ended without a verdict.
	DiedIn   string   `json:"died_in,omitempty"`
	Warnings []string `json:"warnings"`
	// Log is the file holding the whole output.
	Log string `json:"log"`
	// Resumed holds the logs of the runs that went on after the binary
	// ended early: the native run's remaining tests, selected by
	// -test.run, in a new process (see config.resume).
	Resumed []string `json:"resumed,omitempty"`
}

// merge adds a continuation's outcomes to r; the ending (verdict, status)
// becomes the continuation's, the first death line stays.
func (r *testRun) merge(cont *testRun) {
	for _, name := range cont.Order {
		if _, ok := r.Tests[name]; !ok {
			r.Order = append(r.Order, name)
		}
		r.Tests[name] = cont.Tests[name]
		if e, ok := cont.Evidence[name]; ok {
			r.Evidence[name] = e
		}
	}
	for _, w := range cont.Warnings {
		if !slices.Contains(r.Warnings, w) {
			r.Warnings = append(r.Warnings, w)
		}
	}
	if r.Death == "" {
		r.Death = cont.Death
	}
	if r.DiedIn == "" {
		r.DiedIn = cont.DiedIn
	}
	r.Final, r.Status, r.TimedOut = cont.Final, cont.Status, cont.TimedOut
}

// whenLayout is the layout of testRun.When.
const whenLayout = "2006-01-02 15:04:05"

// completed reports whether the binary ran to its verdict.
func (r *testRun) completed() bool { return r.Final != "" && !r.TimedOut }

// exitClass is the run's ending in one word, for comparing runs.
func (r *testRun) exitClass() string {
	if r.TimedOut {
		return "timeout"
	}
	return fmt.Sprintf("exit %d", r.Status)
}

// counts returns the numbers of top-level tests that passed, failed,
// were skipped, and crashed.
func (r *testRun) counts() (p, f, s, c int) {
	for _, name := range r.Order {
		if strings.Contains(name, "/") {
			continue
		}
		switch r.Tests[name] {
		case pass:
			p++
		case fail:
			f++
		case skip:
			s++
		case crash:
			c++
		}
	}
	return
}

var (
	startRe  = regexp.MustCompile(`=== (RUN|CONT|NAME)\s+(\S+)`)
	resultRe = regexp.MustCompile(`--- (PASS|FAIL|SKIP): (\S+) \(`)
	// deathRe matches the lines that end a test binary abnormally.
	deathRe = regexp.MustCompile(`^(panic: |fatal error: |gouth-emu: |qemu: |SIG[A-Z]+: |\*\*\* Test killed|unexpected fault address|runtime: )`)
)

// maxTestLines bounds the output lines kept per test for evidence.
const maxTestLines = 40

// parse reads -test.v output into a testRun's outcomes and evidence.
func parse(out []byte, r *testRun) {
	r.Tests = map[string]string{}
	r.Evidence = map[string]string{}
	lines := map[string][]string{}
	cur := ""
	seenWarn := map[string]bool{}
	for _, raw := range bytes.Split(out, []byte("\n")) {
		line := strings.TrimRight(string(raw), "\r")
		if m := resultRe.FindStringSubmatch(line); m != nil {
			name := m[2]
			if _, ok := r.Tests[name]; !ok {
				r.Order = append(r.Order, name)
			}
			r.Tests[name] = m[1]
			cur = name
			continue
		}
		if m := startRe.FindStringSubmatch(line); m != nil {
			name := m[2]
			if _, ok := r.Tests[name]; !ok {
				r.Order = append(r.Order, name)
				r.Tests[name] = crash
			}
			cur = name
			continue
		}
		if strings.Contains(line, "=== PAUSE") {
			continue
		}
		if line == "PASS" || line == "FAIL" {
			r.Final = line
			continue
		}
		trim := strings.TrimSpace(line)
		if trim == "" {
			continue
		}
		if strings.HasPrefix(trim, "gouth-emu: warning") {
			if !seenWarn[trim] && len(r.Warnings) < 20 {
				seenWarn[trim] = true
				r.Warnings = append(r.Warnings, trim)
			}
		} else if r.Death == "" && deathRe.MatchString(trim) {
			r.Death = clip(trim)
		}
		if cur != "" && len(lines[cur]) < maxTestLines {
			lines[cur] = append(lines[cur], trim)
		}
	}
	if r.Final == "" && len(r.Order) > 0 {
		r.DiedIn = r.Order[len(r.Order)-1]
	}
	for name, o := range r.Tests {
		if o == fail || o == crash || o == skip {
			r.Evidence[name] = pickEvidence(lines[name])
		}
	}
}

// pickEvidence chooses up to three lines of a test's output that say why
// it failed: its t.Error lines (file_test.go:N:) first, else its first lines.
func pickEvidence(lines []string) string {
	var pick []string
	for _, l := range lines {
		if strings.Contains(l, "_test.go:") || strings.Contains(l, "testenv.go:") || strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") {
			pick = append(pick, clip(l))
			if len(pick) == 3 {
				break
			}
		}
	}
	if len(pick) == 0 {
		for _, l := range lines {
			pick = append(pick, clip(l))
			if len(pick) == 3 {
				break
			}
		}
	}
	return strings.Join(pick, "\n")
}

// clip shortens a line for the report.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// runSpec says how to start one run.
type runSpec struct {
	runner  string
	argv    []string
	dir     string // cwd: GOROOT/src/PKG
	env     []string
	timeout time.Duration // wall clock, after which the process group is killed
	log     string        // where the output goes
}

// execute runs spec with stdout and stderr into its log file and parses it.
func execute(spec runSpec) (*testRun, error) {
	if err := os.MkdirAll(filepath.Dir(spec.log), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(spec.log)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), spec.timeout)
	defer cancel()
	when := time.Now().UTC().Format(whenLayout)
	status, timedOut, secs, err := start(ctx, spec, f)
	if err != nil {
		return nil, err
	}
	out, err := os.ReadFile(spec.log)
	if err != nil {
		return nil, err
	}
	r := &testRun{When: when, Runner: spec.runner, Argv: spec.argv, Status: status, TimedOut: timedOut, Seconds: secs, Log: spec.log}
	parse(out, r)
	// gouth-emu's --timeout ends the guest with status 124.
	if spec.runner == emu && status == 124 && r.Final == "" {
		r.TimedOut = true
	}
	return r, nil
}

// start runs spec's command in its own process group with both output
// streams into w, killing the group at ctx's deadline.
func start(ctx context.Context, spec runSpec, w io.Writer) (status int, timedOut bool, secs float64, err error) {
	cmd := exec.CommandContext(ctx, spec.argv[0], spec.argv[1:]...)
	cmd.Dir = spec.dir
	cmd.Env = spec.env
	cmd.Stdout = w
	cmd.Stderr = w
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	t0 := time.Now()
	err = cmd.Run()
	secs = time.Since(t0).Seconds()
	if ctx.Err() == context.DeadlineExceeded {
		return -1, true, secs, nil
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), false, secs, nil
	}
	if err != nil {
		return 0, false, secs, err
	}
	return 0, false, secs, nil
}

// failingSyscallRe matches an --strace line of a call that failed.
var failingSyscallRe = regexp.MustCompile(`\) = -1 (E[A-Z0-9]+)`)

// noisyErrno are errnos the Go runtime gets all the time (futex waits,
// non-blocking reads, interrupted sleeps); they say nothing about a failure.
var noisyErrno = map[string]bool{"EAGAIN": true, "ETIMEDOUT": true, "EINTR": true}

// noisyCallRe matches failing calls every Go binary makes on its way
// (start-up probes, regular files refused by epoll, os.RemoveAll's tries).
var noisyCallRe = regexp.MustCompile(`PR_SET_VMA|/proc/self/cgroup|epoll_ctl\(.*EPERM|unlinkat\(.*(EISDIR|ENOTEMPTY)|rt_sigreturn|ESRCH`)

// straceEvidence runs one test again under gouth-emu --strace and returns
// the last failing system calls before the test's failure (or the end),
// with the emulator's warnings.
func straceEvidence(spec runSpec) []string {
	pr, pw, err := os.Pipe()
	if err != nil {
		return []string{"strace rerun: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), spec.timeout)
	defer cancel()
	done := make(chan []string)
	go func() {
		var ring, warns []string
		stopped := false
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if stopped {
				continue
			}
			if strings.Contains(line, "gouth-emu: warning") && len(warns) < 3 {
				warns = append(warns, clip(strings.TrimSpace(line)))
				continue
			}
			// After the verdict comes clean-up.
			if strings.Contains(line, "--- FAIL") ||
				strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ") {
				stopped = true
				continue
			}
			if m := failingSyscallRe.FindStringSubmatch(line); m != nil && !noisyErrno[m[1]] && !noisyCallRe.MatchString(line) {
				ring = append(ring, clip(line))
				if len(ring) > 4 {
					ring = ring[1:]
				}
			}
		}
		io.Copy(io.Discard, pr)
		done <- append(ring, warns...)
	}()
	_, timedOut, _, err := start(ctx, spec, pw)
	pw.Close()
	lines := <-done
	pr.Close()
	if err != nil {
		lines = append(lines, "strace rerun: "+err.Error())
	}
	if timedOut {
		lines = append(lines, "(strace rerun timed out)")
	}
	return lines
}

// fileHash is the hex SHA-256 of a file, "" if unreadable.
func fileHash(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}

// loadRun returns the cached run at path if its key is key.
func loadRun(path, key string) *testRun {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r testRun
	if json.Unmarshal(b, &r) != nil || r.Key != key {
		return nil
	}
	// Parse the logs again, so that a change to the parser applies.
	if out, err := os.ReadFile(r.Log); err == nil {
		final := r.Final
		r.Order, r.Final, r.Death, r.DiedIn, r.Warnings = nil, "", "", "", nil
		parse(out, &r)
		for _, log := range r.Resumed {
			if out, err := os.ReadFile(log); err == nil {
				var cont testRun
				parse(out, &cont)
				r.merge(&cont)
			}
		}
		if len(r.Resumed) > 0 {
			r.Final = final
		}
	}
	return &r
}

// saveRun caches r at path.
func saveRun(path string, r *testRun) error {
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// straceCache holds the --strace evidence of one gouth-emu run's failures,
// by test.
type straceCache struct {
	Key   string              `json:"key"`
	Lines map[string][]string `json:"lines"`
}

// loadStrace returns the cache at path if it belongs to the run with key,
// else an empty one for it.
func loadStrace(path, key string) *straceCache {
	var sc straceCache
	if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &sc) == nil && sc.Key == key && sc.Lines != nil {
		return &sc
	}
	return &straceCache{Key: key, Lines: map[string][]string{}}
}

// saveStrace writes the cache to path.
func saveStrace(path string, sc *straceCache) error {
	b, err := json.MarshalIndent(sc, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
