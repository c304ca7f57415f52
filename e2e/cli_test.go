package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// oneLine checks that r printed exactly one line on stderr, starting with
// prefix and containing every part, and exited with status.
func oneLine(t *testing.T, r result, status int, prefix string, parts ...string) {
	t.Helper()
	line := string(r.stderr)
	if r.status != status || strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, prefix) {
		t.Fatalf("got status %d, stderr %q; want status %d and one line starting %q", r.status, line, status, prefix)
	}
	for _, p := range parts {
		if !strings.Contains(line, p) {
			t.Fatalf("got stderr %q, want it to mention %q", line, p)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty", nil)
	text := write("script.sh", []byte("#!/bin/sh\necho hi\n"))
	truncated := write("truncated", []byte("\x7fELF\x02\x01\x01"))
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		name  string
		args  []string
		parts []string
	}{
		{"empty file", []string{"run", empty}, []string{empty + ": ", "empty"}},
		{"not ELF", []string{"run", text}, []string{text + ": not an ELF file"}},
		{"truncated", []string{"run", truncated}, []string{truncated + ": truncated ELF header"}},
		{"missing", []string{"run", missing}, []string{missing + ": no such file"}},
		{"directory", []string{"run", dir}, []string{dir + ": is a directory"}},
		{"dynamic", []string{"run", "/bin/true"}, []string{"/bin/true: dynamically linked (PT_INTERP"}},
		{"info on a missing file", []string{"info", missing}, []string{missing + ": no such file"}},
		{"unknown flag", []string{"run", "--bogus", "x"}, []string{"unknown flag: --bogus"}},
		{"bad --cpus", []string{"run", "--cpus", "0", "x"}, []string{"--cpus 0"}},
		{"bad --env", []string{"run", "--env", "NOEQUALS", "x"}, []string{"--env \"NOEQUALS\""}},
		{"bad --fs", []string{"run", "--fs", "bogus", "x"}, []string{"--fs \"bogus\"", "ro, rw or none"}},
		{"bad --mem-limit", []string{"run", "--mem-limit", "bogus", "x"}, []string{"--mem-limit \"bogus\"", "512M"}},
		{"zero --mem-limit", []string{"run", "--mem-limit", "0", "x"}, []string{"--mem-limit \"0\""}},
		{"no binary", []string{"run"}, []string{"requires at least 1 arg"}},
		{"unwritable --cpuprofile", []string{"run", "--cpuprofile", missing + "/cpu.pprof", "x"}, []string{"--cpuprofile " + missing + "/cpu.pprof", "no such file"}},
		{"unwritable --memprofile", []string{"step", "--memprofile", dir, "x"}, []string{"--memprofile " + dir, "is a directory"}},
		{"unknown command", []string{"frobnicate"}, []string{"unknown command"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oneLine(t, run(t, nil, emulator, tt.args...), 2, "gouth-emu: ", tt.parts...)
		})
	}
}

func TestLimits(t *testing.T) {
	spin := machine.binary(t, "spin")
	t.Run("max-insns", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, emulator, "run", "--max-insns", "2000000", spin)
		oneLine(t, r, 124, "gouth-emu: stopped after ", "--max-insns")
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		r := run(t, nil, emulator, "run", "--timeout", "500ms", spin)
		oneLine(t, r, 124, "gouth-emu: stopped by --timeout 500ms")
	})
	t.Run("ctrl-c", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command(emulator, "run", spin)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond) // let it boot; the result does not depend on when
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(runTimeout):
			cmd.Process.Kill()
			t.Fatal("gouth-emu did not stop on SIGINT")
		}
		r := result{stderr: []byte(stderr.String()), status: cmd.ProcessState.ExitCode()}
		oneLine(t, r, 130, "gouth-emu: guest killed by SIGINT")
	})
}
