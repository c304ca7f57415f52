package debugger

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// rtDeepSrc grows the main goroutine's stack: runtime.newstack runs on g0,
// called by runtime.morestack.
const rtDeepSrc = `package main

import "os"

//go:noinline
func deep(n int) int {
	var buf [512]byte
	buf[n%512] = byte(n)
	if n == 0 {
		return int(buf[0])
	}
	return deep(n-1) + int(buf[n%512])
}

func main() {
	os.Exit(deep(64) & 0)
}
`

var rtGuests struct {
	sync.Mutex
	bins map[string]string
}

// rtGuest builds, once per run, a guest the transcript toolchains do
// not: "preempt" (testdata/guests/preempt), "deep" (rtDeepSrc), or
// "hello-nodwarf" and "preempt-nodwarf" (linked with -w).
func rtGuest(t *testing.T, tc *toolchain, name string) string {
	t.Helper()
	tc.tc.Need(t)
	rtGuests.Lock()
	defer rtGuests.Unlock()
	key := tc.name + "-" + name
	if rtGuests.bins == nil {
		rtGuests.bins = map[string]string{}
	}
	if p, ok := rtGuests.bins[key]; ok {
		return p
	}
	out, err := filepath.Abs(filepath.Join(binDir, "extra-"+key))
	if err != nil {
		t.Fatal(err)
	}
	var dir string
	var flags []string
	switch name {
	case "preempt":
		dir = filepath.Join("..", "testdata", "guests", "preempt")
	case "hello-nodwarf", "preempt-nodwarf":
		dir = filepath.Join("..", "testdata", "guests", strings.TrimSuffix(name, "-nodwarf"))
		flags = []string{"-ldflags=-w"}
	case "deep":
		dir = filepath.Join(binDir, "src-"+key)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(rtDeepSrc), 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("no guest %q", name)
	}
	if dir, err = filepath.Abs(dir); err != nil {
		t.Fatal(err)
	}
	tc.build(t, dir, out, flags...)
	rtGuests.bins[key] = out
	return out
}

// rtRun runs script on bin and returns the transcript.
func rtRun(t *testing.T, bin, script string) string {
	t.Helper()
	return session(t, bin, script, emu.Config{Env: []string{}, Cpus: 2})
}

// rtOutputs splits a transcript into the output of each command, keyed by
// its position: out[i] is what the i-th command printed.
func rtOutputs(transcript string) []string {
	var out []string
	for _, chunk := range strings.Split(transcript, "(gouth) ")[1:] {
		_, rest, _ := strings.Cut(chunk, "\n")
		out = append(out, rest)
	}
	return out
}

var (
	rtFrameLine  = regexp.MustCompile(`^[ *]#(\d+) +0x[0-9a-f]+ in ([^\s(]+)(?:\(.*\))? at `)
	rtThreadLine = regexp.MustCompile(`^([ *]) thread (\d+) +(.*?) +(?:(M\d+ (?:g0|gsignal|G\d+)(?: \(.*?\))?) +)?0x[0-9a-f]+ `)
)

// rtFrames returns the function of each frame of a bt output, and the
// lines between them that mark stack switches.
func rtFrames(t *testing.T, out string) (funcs, switches []string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if m := rtFrameLine.FindStringSubmatch(l); m != nil {
			if want := fmt.Sprint(len(funcs)); m[1] != want {
				t.Errorf("frame number %s, want %s: %s", m[1], want, l)
			}
			funcs = append(funcs, m[2])
			continue
		}
		if strings.HasPrefix(l, "--- ") {
			switches = append(switches, l)
			continue
		}
		t.Errorf("bt printed %q", l)
	}
	return funcs, switches
}

// rtCheckTop fails unless bt's frames end at an outermost function.
func rtCheckTop(t *testing.T, funcs []string, out string) {
	t.Helper()
	if len(funcs) == 0 {
		t.Fatalf("no frames:\n%s", out)
	}
	switch funcs[len(funcs)-1] {
	case "runtime.goexit", "runtime.mstart", "runtime.rt0_go":
	default:
		t.Errorf("bt does not reach an outermost frame:\n%s", out)
	}
}

// rtGoroutineTarget is a breakpoint in a function that runs on a goroutine
// of its own, and the start functions that goroutine may have.
type rtGoroutineTarget struct {
	name  string
	bin   func(t *testing.T) string
	bp    string
	start *regexp.Regexp // the G's function in threads
}

func rtGoroutineTargets() []rtGoroutineTarget {
	var out []rtGoroutineTarget
	for _, tc := range toolchains {
		tc := tc
		out = append(out, rtGoroutineTarget{
			name: tc.name,
			bin:  func(t *testing.T) string { return tc.binary(t, "goroutines") },
			bp:   "main.workerResults.func1",
			// go1.19 and go1.26 wrap a go statement with arguments in
			// a closure of their own (func2, gowrap1).
			start: regexp.MustCompile(`^main\.workerResults\.(func\d+|gowrap\d+)$`),
		})
	}
	// The go1.17 binary is a hello world: its goroutines are the
	// runtime's, such as the background sweeper.
	return append(out, rtGoroutineTarget{
		name:  "go1.17",
		bin:   go117,
		bp:    "runtime.bgsweep",
		start: regexp.MustCompile(`^runtime\.bgsweep$`),
	})
}

// TestRuntimeThreads stops in a goroutine's function: threads shows the
// Ms and gs, and bt reaches runtime.goexit on the goroutine's stack.
func TestRuntimeThreads(t *testing.T) {
	for _, tg := range rtGoroutineTargets() {
		tg := tg
		t.Run(tg.name, func(t *testing.T) {
			bin := tg.bin(t)
			tr := rtRun(t, bin, "break "+tg.bp+"\ncontinue\nbt\nthreads\n")
			out := rtOutputs(tr)
			if len(out) != 4 {
				t.Fatalf("transcript:\n%s", tr)
			}
			funcs, switches := rtFrames(t, out[2])
			rtCheckTop(t, funcs, out[2])
			if funcs[0] != tg.bp || funcs[len(funcs)-1] != "runtime.goexit" || len(switches) != 0 {
				t.Errorf("bt:\n%s", out[2])
			}

			var cur []string
			ms := map[string]bool{}
			lines := strings.Split(strings.TrimRight(out[3], "\n"), "\n")
			for _, l := range lines {
				m := rtThreadLine.FindStringSubmatch(l)
				if m == nil {
					t.Errorf("threads printed %q", l)
					continue
				}
				if m[4] != "" {
					ms[strings.Fields(m[4])[0]] = true
				}
				if m[1] == "*" {
					cur = m
				}
			}
			if cur == nil || cur[3] != "running" {
				t.Fatalf("no running current thread:\n%s", out[3])
			}
			label := regexp.MustCompile(`^M\d+ G(\d+) \((.*)\)$`).FindStringSubmatch(cur[4])
			if label == nil || label[1] == "0" || label[1] == "1" || !tg.start.MatchString(label[2]) {
				t.Errorf("current thread's M and G: %q, want a goroutine of %s\n%s", cur[4], tg.start, out[3])
			}
			if len(lines) < 2 || len(ms) < 2 {
				t.Errorf("threads shows %d Ms for %d threads:\n%s", len(ms), len(lines), out[3])
			}
		})
	}
}

// TestRuntimeStackSwitches stops on g0 and gsignal stacks where the pcsp tables
// end, and checks that bt goes on where the runtime's traceback would.
func TestRuntimeStackSwitches(t *testing.T) {
	cases := []struct {
		name   string
		guest  string
		script string
		check  func(t *testing.T, bts []string)
		// versions, when set, are the releases the case holds for.
		versions loader.Range
	}{{
		// A goroutine parks: mcall(park_m) on g0, curg still set.
		name: "park", guest: "hello",
		script: "break runtime.park_m\ncontinue\nbt\n",
		check: func(t *testing.T, bts []string) {
			funcs, sw := rtFrames(t, bts[0])
			rtCheckTop(t, funcs, bts[0])
			if len(sw) != 1 || !regexp.MustCompile(`^--- switched to goroutine \d+ stack ---$`).MatchString(sw[0]) ||
				funcs[0] != "runtime.park_m" || funcs[1] != "runtime.mcall" || funcs[2] != "runtime.gopark" || funcs[len(funcs)-1] != "runtime.goexit" {
				t.Errorf("bt:\n%s", bts[0])
			}
		},
	}, {
		// Gosched: mcall(gosched_m) on g0, curg still set.
		name: "gosched", guest: "goroutines",
		script: "break runtime.gosched_m\ncontinue\nbt\n",
		check: func(t *testing.T, bts []string) {
			funcs, sw := rtFrames(t, bts[0])
			rtCheckTop(t, funcs, bts[0])
			if len(sw) != 1 || !regexp.MustCompile(`^--- switched to goroutine \d+ stack ---$`).MatchString(sw[0]) ||
				funcs[0] != "runtime.gosched_m" || funcs[1] != "runtime.mcall" || funcs[len(funcs)-1] != "runtime.goexit" ||
				!strings.Contains(bts[0], "in runtime.Gosched at") || !strings.Contains(bts[0], "in main.mutexCounter.func1() at") {
				t.Errorf("bt:\n%s", bts[0])
			}
		},
	}, {
		// schedule on g0: from mstart1, or from park_m after mcall, once
		// the goroutine is dropped: the g0 stack goes on at g0.sched.
		name: "g0", guest: "hello",
		script: "break runtime.schedule\n" + strings.Repeat("continue\nbt\n", 6),
		check: func(t *testing.T, bts []string) {
			parked := 0
			for _, bt := range bts {
				funcs, sw := rtFrames(t, bt)
				rtCheckTop(t, funcs, bt)
				if funcs[0] != "runtime.schedule" || funcs[len(funcs)-1] != "runtime.mstart" {
					t.Errorf("bt:\n%s", bt)
				}
				if len(sw) > 0 {
					parked++
					if len(sw) != 1 || !strings.Contains(sw[0], "g0.sched") || funcs[1] != "runtime.park_m" {
						t.Errorf("bt:\n%s", bt)
					}
				}
			}
			if parked == 0 {
				t.Errorf("no stop in schedule after mcall(park_m):\n%s", strings.Join(bts, ""))
			}
		},
	}, {
		// Stack growth: newstack on g0, called by morestack.
		name: "morestack", guest: "deep",
		script: "break runtime.newstack\ncontinue\nbt\ncontinue\nbt\n",
		check: func(t *testing.T, bts []string) {
			funcs, sw := rtFrames(t, bts[1])
			rtCheckTop(t, funcs, bts[1])
			if len(sw) != 1 || !strings.HasPrefix(sw[0], "--- switched to goroutine 1 stack") ||
				funcs[1] != "runtime.morestack" || funcs[2] != "main.deep" || funcs[len(funcs)-1] != "runtime.goexit" {
				t.Errorf("bt:\n%s", bts[1])
			}
		},
	}, {
		// Preemption: SIGURG interrupts the spinning goroutine. Signals
		// preempt since go1.14; the guest uses atomic.Bool (go1.19).
		name: "signal", guest: "preempt", versions: loader.Range{From: loader.MustVersion("go1.19")},
		script: "break runtime.sighandler\ncontinue\nbt\n",
		check: func(t *testing.T, bts []string) {
			funcs, sw := rtFrames(t, bts[0])
			rtCheckTop(t, funcs, bts[0])
			if len(sw) == 0 || !regexp.MustCompile(`^--- switched to (goroutine \d+|g0) stack, interrupted by SIGURG ---$`).MatchString(sw[0]) ||
				funcs[0] != "runtime.sighandler" || !strings.Contains(bts[0], "in runtime.sigtramp at") {
				t.Errorf("bt:\n%s", bts[0])
			}
		},
	}}
	// The go1.17 binary is a hello world, built elsewhere: nil toolchain.
	for _, tc := range append(append([]*toolchain(nil), toolchains...), nil) {
		for _, c := range cases {
			tc, c := tc, c
			name := "go1.17"
			if tc != nil {
				name = tc.name
			}
			t.Run(name+"/"+c.name, func(t *testing.T) {
				var bin string
				switch {
				case tc == nil && c.guest == "hello":
					bin = go117(t)
				case tc == nil:
					t.Skipf("no %s guest built with go1.17", c.guest)
				case c.versions != (loader.Range{}) && !c.versions.Contains(tc.version(t)):
					t.Skipf("case %s holds for %v, not %s", c.name, c.versions, tc.tc.Name)
				case c.guest == "hello" || c.guest == "goroutines":
					bin = tc.binary(t, c.guest)
				default:
					bin = rtGuest(t, tc, c.guest)
				}
				tr := rtRun(t, bin, c.script)
				var bts []string
				for i, l := range strings.Split(c.script, "\n") {
					if l == "bt" {
						out := rtOutputs(tr)
						if i >= len(out) {
							t.Fatalf("transcript:\n%s", tr)
						}
						bts = append(bts, out[i])
					}
				}
				if strings.Contains(tr, "unwinding stopped") {
					t.Errorf("a walk stopped early:\n%s", tr)
				}
				c.check(t, bts)
			})
		}
	}
}

// TestRuntimeNoDWARF checks that without DWARF bt and threads show what the
// pclntab gives: no Ms or gs, so no switches to a goroutine's stack; only
// signal frames, which the stack itself describes, are followed.
func TestRuntimeNoDWARF(t *testing.T) {
	bin := rtGuest(t, machine, "hello-nodwarf")
	out := rtOutputs(rtRun(t, bin, "break syscall clone\ncontinue\nbt\nthreads\n"))
	if len(out) != 4 {
		t.Fatalf("outputs: %q", out)
	}
	if !strings.Contains(out[2], "(unwinding stopped: stack incomplete: runtime.systemstack switches stacks)") || strings.Contains(out[2], "---") {
		t.Errorf("bt:\n%s", out[2])
	}
	if m := rtThreadLine.FindStringSubmatch(strings.TrimRight(out[3], "\n")); m == nil || m[4] != "" || strings.Contains(out[3], " M0 ") {
		t.Errorf("threads:\n%s", out[3])
	}

	bin = rtGuest(t, machine, "preempt-nodwarf")
	out = rtOutputs(rtRun(t, bin, "break runtime.sighandler\ncontinue\nbt\n"))
	if len(out) != 3 {
		t.Fatalf("outputs: %q", out)
	}
	funcs, sw := rtFrames(t, out[2])
	rtCheckTop(t, funcs, out[2])
	if len(sw) != 1 || sw[0] != "--- switched to the interrupted stack, interrupted by SIGURG ---" {
		t.Errorf("bt:\n%s", out[2])
	}
}

// TestRuntimeThreadsOneMEach stops just after each of the first clones of
// hello's boot, when the new thread has not run yet: threads must never
// show one M on two threads. The child shares its parent's FS base until
// it sets its own TLS (go1.11 clones without CLONE_SETTLS), and minit has
// bound the parent's M to the parent's thread id.
func TestRuntimeThreadsOneMEach(t *testing.T) {
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "hello")
			script := "break syscall clone\n" + strings.Repeat("continue\nsi\nthreads\n", 3)
			out := rtOutputs(rtRun(t, bin, script))
			if len(out) != 10 {
				t.Fatalf("outputs: %q", out)
			}
			for i := 3; i < len(out); i += 3 {
				threads := 0
				seen := map[string]string{}
				for _, l := range strings.Split(strings.TrimRight(out[i], "\n"), "\n") {
					m := rtThreadLine.FindStringSubmatch(l)
					if m == nil {
						t.Fatalf("threads printed %q", l)
					}
					threads++
					if m[4] == "" {
						continue
					}
					id := strings.Fields(m[4])[0]
					if other, ok := seen[id]; ok {
						t.Errorf("%s on threads %s and %s:\n%s", id, other, m[2], out[i])
					}
					seen[id] = m[2]
				}
				if want := i/3 + 1; threads != want {
					t.Errorf("after clone %d: got %d threads, want %d:\n%s", i/3, threads, want, out[i])
				}
			}
		})
	}
}
