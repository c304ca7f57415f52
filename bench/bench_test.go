package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestWorkloads keeps the harness from rotting without timing anything:
// every workload builds, runs natively and under `gouth-emu run` with the
// same output, and the 20-breakpoint session stops at every breakpoint.
func TestWorkloads(t *testing.T) {
	emu := os.Getenv("GOUTH_EMU")
	if emu == "" {
		t.Skip("GOUTH_EMU is not set: `make test` sets it to the absolute path of bin/gouth-emu")
	}
	if !filepath.IsAbs(emu) {
		t.Fatalf("GOUTH_EMU=%q: want an absolute path", emu)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{goCmd: goCmd(), emu: emu, root: root, tmp: t.TempDir()}
	if h.bins, err = buildWorkloads(h.goCmd, root, h.tmp, workloadNames); err != nil {
		t.Fatal(err)
	}
	if err := h.writeScripts(); err != nil {
		t.Fatal(err)
	}
	byName := map[string]config{}
	for _, c := range h.configs() {
		byName[c.name] = c
	}
	for _, w := range workloadNames {
		t.Run(w, func(t *testing.T) {
			natives := map[string]string{}
			cfgs := []string{cfgNative, cfgRun}
			if w == "hello" {
				cfgs = append(cfgs, cfgBreak)
			}
			for _, name := range cfgs {
				c := byName[name]
				res := run(c.argv(h, h.bins[w]), name != cfgNative)
				if err := verify(c, w, res, natives); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

// TestWorkloadList checks that workloadNames names exactly the directories
// in bench/workloads, so a new workload is not silently left out.
func TestWorkloadList(t *testing.T) {
	entries, err := os.ReadDir("workloads")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, e.Name())
		}
	}
	want := slices.Sorted(slices.Values(workloadNames))
	if !slices.Equal(dirs, want) {
		t.Errorf("bench/workloads has %v, workloadNames lists %v", dirs, want)
	}
}

// TestGuestOutput checks the transcript parsing on a session's shape.
func TestGuestOutput(t *testing.T) {
	transcript := strings.Join([]string{
		"gouth-emu: ./hello (go1.26.8), stopped at the first instruction",
		"=> 0x4805a0 _rt0_amd64_linux+0x0 (runtime/rt0_linux_amd64.s:8) [thread 1000]",
		"(gouth) break main.main",
		"Breakpoint 1 at 0x49e140: main.main+0x0 (main.go:6)",
		"(gouth) continue",
		"Breakpoint 1, main.main+0x0 (main.go:6)",
		"(gouth) continue",
		"line one",
		"line two",
		"[guest exited with status 0]",
		"(gouth) continue",
		"error: the guest has exited; 'restart' starts it again",
		"",
	}, "\n")
	got, err := guestOutput(transcript)
	if err != nil {
		t.Fatal(err)
	}
	if want := "line one\nline two\n"; got != want {
		t.Errorf("guestOutput = %q, want %q", got, want)
	}
	if _, err := guestOutput("(gouth) stepi 5\n=> 0x1 x\n"); err == nil {
		t.Error("guestOutput accepted a transcript whose guest did not exit")
	}
}
