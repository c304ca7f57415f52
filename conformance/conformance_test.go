package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// subset is the conformance test of `make test`: a few packages, each cut
// to tests that take well under a second natively and under gouth-emu,
// chosen to cover files (os, with the directory-descriptor rename case
// TestRootRenameAfterOpen), signals (os/signal), timers (time),
// goroutines (sync) and the runtime (runtime/debug). The patterns leave
// out the slow tests (os's TestRootMulti*, time's TestTimerGC,
// TestResetResult, TestStopResult and stress tests). It keeps the tests of
// bugs the full run found and that were fixed (os's TestRemoveAllLongPath,
// TestCopyFile*, TestFifoEOF; os/signal's TestAllThreadsSyscallSignals).
// Each pattern works on every toolchain (go1.11 has no -test.skip).
var subset = []struct {
	pkg  string
	args []string
}{
	{"os", []string{"-test.run", "^Test(Chdir|Getwd|ReadDir|Readdir|ReadFile|WriteFile|Stat|Lstat|Fstat|Rename|RemoveAll$|RemoveAllDot|RemoveAllLongPath|CopyFile|RemoveAllLarge|RemoveReadOnly|RemoveUnreadableDir|Mkdir|Chmod|Chtimes|Truncate|Symlink|Seek|OpenFile|CreateTemp|Pipe|Fifo|Chown|RootRenameAfterOpen)"}},
	{"os/signal", []string{"-test.run", "^(Test(AllThreadsSyscallSignals|Signal|Stress|Reset|Ignore|Ignored|DetectNohup|Stop|Nohup|SIGCONT|AtomicStop|Time|NotifyContext)|Example)"}},
	{"time", []string{"-test.run", "^Test(Sleep$|SleepZeroDeadlock|After$|AfterFunc$|AfterStop|AfterQueuing|AfterTimes|AfterTick|Ticker$|TickTimes|Tick$|Reset$|ZeroTimer|TimerModifiedEarlier|Format|Parse|Monotonic|Duration|ZeroTime)"}},
	{"sync", nil},
	{"runtime/debug", nil},
}

// TestSubset runs the subset on every toolchain natively and under
// gouth-emu (GOUTH_EMU, which make test sets), and fails on any
// difference conformance/expected.txt does not list. qemu-user is not
// run: the subset judges gouth-emu against native only.
func TestSubset(t *testing.T) {
	emuPath := os.Getenv("GOUTH_EMU")
	if emuPath == "" {
		t.Skip("GOUTH_EMU not set: make test builds bin/gouth-emu and sets it")
	}
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	exps, err := readExpected(filepath.Join(root, "conformance", "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	c := &config{root: root, cache: filepath.Join(root, "build", "conformance"), state: t.TempDir(),
		emu: emuPath, emuHash: "-", timeout: 60 * time.Second, strace: 2, fresh: true, exps: exps,
		logf: t.Logf}
	if err := os.MkdirAll(c.cache, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range toolchains(root) {
		tc := tc
		t.Run(tc.label(), func(t *testing.T) {
			if tc.goCmd == "" {
				t.Skip(tc.missing)
			}
			t.Parallel()
			for _, s := range subset {
				j := &job{tc: tc, pkg: s.pkg, args: s.args}
				c.runJob(j)
				if j.buildErr != "" {
					t.Errorf("%s: %s", s.pkg, j.buildErr)
					continue
				}
				for r, e := range j.runErr {
					t.Errorf("%s: %s: %s", s.pkg, r, e)
				}
				if n := j.runs[native]; n != nil && len(n.Order) == 0 {
					// go1.19's time tests need GOROOT/lib/time/zoneinfo.zip,
					// which Debian's package lacks: they panic natively.
					t.Logf("%s: the native run reported no tests (%s), so only its ending is compared", s.pkg, n.exitClass())
				}
				t.Logf("%s: %s", s.pkg, j.summary())
				for _, d := range j.diffs[emu] {
					if d.Reason != "" {
						continue
					}
					msg := d.Evidence
					for _, l := range d.Strace {
						msg += "\n  strace: " + l
					}
					t.Errorf("%s %s: native %s, gouth-emu %s (not in expected.txt)\n%s", s.pkg, d.Test, d.Native, d.Other, msg)
				}
			}
		})
	}
}

// TestToolchainTable checks that the command's toolchain table is
// internal/testbin's: the same labels in the same order, each installed
// or missing alike, at the same GOROOT.
func TestToolchainTable(t *testing.T) {
	root, err := testbin.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ours := toolchains(root)
	if len(ours) != len(testbin.Toolchains) {
		t.Fatalf("%d toolchains here, %d in testbin", len(ours), len(testbin.Toolchains))
	}
	for i, tb := range testbin.Toolchains {
		o := ours[i]
		if o.short != tb.Short {
			t.Errorf("toolchain %d: %s here, %s in testbin", i, o.short, tb.Short)
			continue
		}
		ok, _ := tb.Available()
		if ok != (o.goCmd != "") {
			t.Errorf("%s: available %v here (%s), %v in testbin", o.short, o.goCmd != "", o.missing, ok)
			continue
		}
		if ok && (o.name != tb.Name || o.goroot != tb.GOROOT()) {
			t.Errorf("%s: %s at %s here, %s at %s in testbin", o.short, o.name, o.goroot, tb.Name, tb.GOROOT())
		}
	}
}

// TestParse checks the reading of -test.v output: subtests, parallel
// tests resumed by CONT, a go1.11-style failure message after its
// verdict, and a binary that dies inside a test.
func TestParse(t *testing.T) {
	out := strings.Join([]string{
		"=== RUN   TestA",
		"--- PASS: TestA (0.00s)",
		"=== RUN   TestB",
		"=== RUN   TestB/sub_1",
		"    b_test.go:10: skipping",
		"=== RUN   TestB/sub_2",
		"--- FAIL: TestB (0.01s)",
		"    --- SKIP: TestB/sub_1 (0.00s)",
		"    --- FAIL: TestB/sub_2 (0.00s)",
		"        b_test.go:12: want 1, got 2",
		"=== RUN   TestC",
		"=== PAUSE TestC",
		"=== CONT  TestC",
		"panic: boom",
		"",
	}, "\n")
	var r testRun
	parse([]byte(out), &r)
	want := map[string]string{"TestA": pass, "TestB": fail, "TestB/sub_1": skip, "TestB/sub_2": fail, "TestC": crash}
	for name, o := range want {
		if r.Tests[name] != o {
			t.Errorf("%s: %q, want %q", name, r.Tests[name], o)
		}
	}
	if r.Final != "" || r.Death != "panic: boom" {
		t.Errorf("final %q, death %q; want none and the panic", r.Final, r.Death)
	}
	if got := r.Evidence["TestB/sub_2"]; got != "b_test.go:12: want 1, got 2" {
		t.Errorf("evidence of TestB/sub_2: %q", got)
	}
	if p, f, s, c := r.counts(); p != 1 || f != 1 || s != 0 || c != 1 {
		t.Errorf("counts %d/%d/%d/%d, want 1/1/0/1", p, f, s, c)
	}
}

// TestCompareAndExplain checks the comparison with native and the
// reading of expected.txt's lines: a listed test covers its subtests, a
// parent whose differing subtests are all listed follows them, and the
// tests a crashed binary never started are one entry.
func TestCompareAndExplain(t *testing.T) {
	nat := &testRun{Final: "PASS", Order: []string{"TestA", "TestA/x", "TestB", "TestC", "TestD"},
		Tests: map[string]string{"TestA": pass, "TestA/x": pass, "TestB": pass, "TestC": pass, "TestD": pass}}
	other := &testRun{Status: 2, Death: "panic: boom", Order: []string{"TestA", "TestA/x", "TestB", "TestC"},
		Tests: map[string]string{"TestA": fail, "TestA/x": fail, "TestB": pass, "TestC": crash}, Evidence: map[string]string{}}
	diffs := compareRuns(nat, other)
	var names []string
	for _, d := range diffs {
		names = append(names, d.Test)
	}
	if got := strings.Join(names, ","); got != "TestA,TestA/x,TestC,(not run)" {
		t.Fatalf("diffs %s", got)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "expected.txt")
	os.WriteFile(path, []byte("# comment\ngo1.11,go1.26 pkg TestA/x no processes\n* pkg TestC no sockets\n"), 0o644)
	exps, err := readExpected(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := explain(exps, "go1.26.8", "pkg", diffs); n != 0 {
		for _, d := range diffs {
			t.Logf("%s: %q", d.Test, d.Reason)
		}
		t.Fatalf("%d unexplained", n)
	}
	if n := explain(exps, "go1.19.8", "pkg", compareRuns(nat, other)); n != 3 {
		t.Errorf("go1.19: %d unexplained, want 3 (TestA/x is listed for go1.26 only)", n)
	}
}

// TestMerge checks that a continuation's outcomes join the run that died
// and that the run then counts as completed, with the test it died in kept.
func TestMerge(t *testing.T) {
	var first, cont testRun
	parse([]byte("=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\npanic: boom\n"), &first)
	parse([]byte("=== RUN   TestC\n--- PASS: TestC (0.00s)\nPASS\n"), &cont)
	if first.completed() || first.DiedIn != "TestB" {
		t.Fatalf("first: completed %v, died in %q", first.completed(), first.DiedIn)
	}
	first.merge(&cont)
	if !first.completed() || strings.Join(first.Order, ",") != "TestA,TestB,TestC" ||
		first.Tests["TestB"] != crash || first.Tests["TestC"] != pass || first.Death != "panic: boom" {
		t.Errorf("merged: completed %v, order %v, tests %v, death %q", first.completed(), first.Order, first.Tests, first.Death)
	}
}
