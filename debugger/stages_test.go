package debugger

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/debugger/disasm"
	"github.com/gouth-emu/gouth-emu/debugger/stages"
	"github.com/gouth-emu/gouth-emu/emu"
	"github.com/gouth-emu/gouth-emu/loader"
)

// TestStageOrder walks hello's boot with 'stage' on every toolchain: the
// stages reached, in order, must match testdata/stages/order.TOOLCHAIN.txt
// (regenerate with -update and read the diff), and every stage of the
// table is either reached or says why it cannot be.
func TestStageOrder(t *testing.T) {
	type target struct {
		name string
		bin  func(t *testing.T) string
	}
	var targets []target
	for _, tc := range toolchains {
		tc := tc
		targets = append(targets, target{tc.name, func(t *testing.T) string { return tc.binary(t, "hello") }})
	}
	targets = append(targets, target{"go1.17", go117})
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			bin := tg.bin(t)
			s, out := openSession(t, bin, "hello")
			var order []string
			for i := 0; i < 200 && s.exited == nil; i++ {
				if err := s.Exec("stage"); err != nil {
					t.Fatal(err)
				}
			}
			for _, m := range regexp.MustCompile(`(?m)^── stage \d+/\d+ · (.+?) ──`).FindAllStringSubmatch(out.String(), -1) {
				order = append(order, m[1])
			}
			for _, r := range s.stages.Stages() {
				if !r.Reached && r.Symbol == "" && r.Why == "" {
					t.Errorf("stage %s: neither reached nor explained", r.ID)
				}
			}
			got := strings.Join(order, "\n") + "\n"
			checkGolden(t, filepath.Join("testdata", "stages", "order."+tg.name+".txt"), got)
			for _, key := range []string{"_rt0_amd64_linux", "runtime.rt0_go", "runtime.schedinit", "runtime.main", "main.main", "runtime.exit"} {
				if !strings.Contains(got, key+"\n") {
					t.Errorf("stage %s not reached; order:\n%s", key, got)
				}
			}
		})
	}
}

// TestChaptersExist checks every chapter reference against the book's table
// of contents (shared/seed beside the checkout).
func TestChaptersExist(t *testing.T) {
	toc, err := os.ReadFile(filepath.Join("..", "..", "shared", "seed", "go-under-the-hood-README.md"))
	if err != nil {
		t.Skipf("the book's table of contents is not beside the checkout: %v", err)
	}
	entries := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\d+)\.\s+(.*)$`).FindAllStringSubmatch(string(toc), -1) {
		n, _ := strconv.Atoi(m[1])
		entries[n] = m[2]
	}
	for _, st := range stages.Table {
		ch, ok := stages.Chapters[st.Chapter]
		if !ok {
			t.Errorf("stage %s: chapter %d is not in the chapter list", st.ID, st.Chapter)
			continue
		}
		entry, ok := entries[ch.N]
		if !ok {
			t.Errorf("stage %s: chapter %d is not in the book's table of contents", st.ID, ch.N)
			continue
		}
		if ch.Path != "" && !strings.Contains(string(toc), "("+ch.Path+")") {
			t.Errorf("chapter %d: path %s is not in the table of contents (entry %q)", ch.N, ch.Path, entry)
		}
	}
}

// TestWatchFacts cross-checks values the stage banners show with facts
// known independently: the CPUs given with --cpus, GOMAXPROCS from the
// environment, and the main goroutine's id.
func TestWatchFacts(t *testing.T) {
	bin := machine.binary(t, "hello")
	for _, tc := range []struct {
		cpus     int
		env      []string
		wantProc string
	}{
		{3, nil, "3"},
		{4, []string{"GOMAXPROCS=2"}, "2"},
	} {
		f, err := loader.Open(bin)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		s, err := New(Config{File: f, Guest: emu.Config{Args: []string{"hello"}, Env: append([]string{}, tc.env...), Cpus: tc.cpus,
			Stdout: &out, Stderr: &out, Warn: &out}, Out: &out, Syntax: disasm.Go})
		if err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"stage main.main", "print runtime.numCPUStartup", "print runtime.gomaxprocs", "goroutines", "ps"} {
			if err := s.Exec(cmd); err != nil {
				t.Fatalf("%s: %v", cmd, err)
			}
		}
		s.Close()
		text := out.String()
		if want := "runtime.numCPUStartup = " + strconv.Itoa(tc.cpus); !strings.Contains(text, want) {
			t.Errorf("--cpus %d: got\n%s\nwant %q", tc.cpus, text, want)
		}
		if want := "runtime.gomaxprocs = " + tc.wantProc; !strings.Contains(text, want) {
			t.Errorf("--cpus %d env %v: want %q in\n%s", tc.cpus, tc.env, want, text)
		}
		// One P per GOMAXPROCS.
		psOut := text[strings.LastIndex(text, "P  status"):]
		ps := regexp.MustCompile(`(?m)^\*?\s+\d+\s+(idle|running|syscall|gcstop|dead)\s`).FindAllString(psOut, -1)
		if strconv.Itoa(len(ps)) != tc.wantProc {
			t.Errorf("ps lists %d Ps, want %s (GOMAXPROCS):\n%s", len(ps), tc.wantProc, text)
		}
		// The main goroutine has id 1 and, at main.main, runs it.
		if !regexp.MustCompile(`(?m)^\*\s+1\s+running\s+\d+\s+runtime\.main\s+main\.main `).MatchString(text) {
			t.Errorf("goroutines does not show G 1 running main.main for runtime.main:\n%s", text)
		}
	}
}

// TestGoroutinesMatchNumGoroutine stops where the guest reports
// runtime.NumGoroutine and checks the debugger's goroutine list against it:
// the runtime counts every live goroutine but its own system ones.
func TestGoroutinesMatchNumGoroutine(t *testing.T) {
	for _, tc := range toolchains {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "numg")
			s, out := openSession(t, bin, "numg")
			for _, cmd := range []string{"break main.report", "continue", "goroutines"} {
				if err := s.Exec(cmd); err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
			}
			view := out.String()[strings.LastIndex(out.String(), "G  status"):]
			user := 0
			for _, row := range regexp.MustCompile(`(?m)^\*?\s+\d+\s+(\S+)\s+\S+\s+(\S+)`).FindAllStringSubmatch(view, -1) {
				status, start := row[1], row[2]
				if status != "dead" && (start == "runtime.main" || !strings.HasPrefix(start, "runtime.")) {
					user++
				}
			}
			if err := s.Exec("continue"); err != nil {
				t.Fatal(err)
			}
			m := regexp.MustCompile(`NumGoroutine: (\d+)`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("the guest did not report NumGoroutine:\n%s", out.String())
			}
			if strconv.Itoa(user) != m[1] {
				t.Errorf("goroutines lists %d user goroutines, the runtime counts %s:\n%s", user, m[1], view)
			}
		})
	}
}

// TestBreakpointOwners deletes, disables and steps over user breakpoints
// that sit on stage addresses: the stage tracker's hold must survive, so
// the stage is still reached and explained.
func TestBreakpointOwners(t *testing.T) {
	for _, tc := range []*toolchain{toolchains[0], machine} {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.binary(t, "hello")
			for _, c := range []struct{ name, script string }{
				{"delete", "break runtime.schedinit\ndelete 1\nstage schedinit\n"},
				{"disable", "break runtime.schedinit\ndisable 1\nstage schedinit\n"},
				{"tbreak hit", "tbreak runtime.schedinit\ncontinue\nrestart\nstage schedinit\n"},
				{"advance", "advance runtime.schedinit\nrestart\nstage schedinit\n"},
			} {
				out := session(t, bin, c.script, emu.Config{Env: []string{}})
				// The banner, then the stop at the stage's entry.
				if !regexp.MustCompile(`(?m)^── stage \d+/\d+ · runtime\.schedinit ──`).MatchString(out) ||
					!regexp.MustCompile(`(?m)^=> 0x[0-9a-f]+ runtime\.schedinit\+0x0 `).MatchString(out) {
					t.Errorf("%s: got no stop at stage runtime.schedinit, want its banner and the stop:\n%s", c.name, out)
				}
			}
		})
	}
}
