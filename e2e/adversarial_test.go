package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// The adversarial guest (testdata/guests/adversarial) does one hostile
// thing per case: bad pointers, absurd lengths, bad descriptors, jumps into
// nowhere, an unmapped stack, processes, the network, host files, endless
// loops and allocations. Cases that are harmless on the host run natively
// too, and gouth-emu must answer as Linux did; the others check the outcome
// the README documents. Every emulated run must also end the way the
// emulator documents, never with a crash of the emulator itself.

// emulatorSound fails the test if gouth-emu itself broke during r: a Go
// panic of the emulator names its own packages, a handler panic prints
// "internal error", and the status must be one the case allows.
func emulatorSound(t *testing.T, r result, statuses ...int) {
	t.Helper()
	for _, bad := range []string{"github.com/gouth-emu", "gouth-emu: internal error"} {
		if strings.Contains(string(r.stderr), bad) {
			t.Errorf("gouth-emu itself failed: stderr contains %q:\n%s", bad, r.stderr)
		}
	}
	for _, s := range statuses {
		if r.status == s && r.how == "exited" {
			return
		}
	}
	t.Errorf("gouth-emu ended with status %d (%s), want one of %v", r.status, r.how, statuses)
}

// diffResultLines compares "name: outcome" lines one by one and reports
// each that differs as "got X, want Y".
func diffResultLines(t *testing.T, got, want, wantFrom string) {
	t.Helper()
	for _, d := range testbin.DiffLines(strings.TrimSuffix(got, "\n"), strings.TrimSuffix(want, "\n")) {
		t.Errorf("stdout line %d: got %q under gouth-emu, want %q (%s)", d.N, d.Got, d.Want, wantFrom)
	}
}

// firstLines returns the first n lines of b.
func firstLines(b []byte, n int) string {
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}

// TestAdversarialNative runs the cases whose native run is harmless, with
// every toolchain, and compares gouth-emu with Linux.
func TestAdversarialNative(t *testing.T) {
	tests := []struct {
		name string
		// how to compare the two runs' stderr: "equal", the first three
		// lines of a fatal fault ("fault"), or "killed" (the process died
		// of SIGSEGV natively; gouth-emu must say so and exit 139).
		stderr string
	}{
		{"badptr", "equal"},
		{"hugelen", "equal"},
		{"badfd", "equal"},
		{"jumpnull", "equal"},
		{"loadbad", "fault"},
		{"jumpbad", "fault"},
		{"jumpunmapped", "fault"},
		{"unmapstack", "killed"},
	}
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name(), func(t *testing.T) {
			t.Parallel()
			for _, tt := range tests {
				tt := tt
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					bin := tc.binary(t, "adversarial")
					emu := runEmu(t, nil, nil, bin, tt.name)
					native := nativeAgreeing(t, func(n result) bool { return bytes.Equal(n.stdout, emu.stdout) }, nil, bin, tt.name)
					diffResultLines(t, string(emu.stdout), string(native.stdout), "as native")
					switch tt.stderr {
					case "equal":
						emulatorSound(t, emu, native.status)
						if string(emu.stderr) != string(native.stderr) {
							t.Errorf("stderr: got %s under gouth-emu, want %s as native", show(emu.stderr), show(native.stderr))
						}
					case "fault":
						emulatorSound(t, emu, 2)
						if native.status != 2 {
							t.Fatalf("native run: got %v, want status 2 (the guest itself is wrong)", native)
						}
						if got, want := firstLines(emu.stderr, 3), firstLines(native.stderr, 3); got != want {
							t.Errorf("first lines of the fault report: got\n%s\nunder gouth-emu, want\n%s\nas native", got, want)
						}
					case "killed":
						emulatorSound(t, emu, 128+11)
						if !strings.Contains(native.how, "segmentation fault") {
							t.Fatalf("native run: got %v, want it killed by SIGSEGV (the guest itself is wrong)", native)
						}
						if !strings.Contains(string(emu.stderr), "gouth-emu: guest killed by SIGSEGV") {
							t.Errorf("stderr: got %s, want the line \"gouth-emu: guest killed by SIGSEGV ...\"", show(emu.stderr))
						}
					}
					if t.Failed() {
						t.Logf("native: %v / gouth-emu: %v", native, emu)
						logStraceTail(t, nil, nil, bin, tt.name)
					}
				})
			}
		})
	}
}

// TestAdversarialEmulated runs the cases that must not run natively (they
// fork, exec, change files, never end or take all memory) or whose native
// answer depends on the host, and checks the documented outcome.
func TestAdversarialEmulated(t *testing.T) {
	bin := machine.binary(t, "adversarial")
	tests := []struct {
		name       string
		flags      []string
		args       []string
		status     int
		stdout     string
		stderr     string // exact; for status 124 a one-line prefix
		stderrPart string // for status 2: a part of stderr
	}{
		{name: "socket", args: []string{"socket"},
			stdout: "socket: errno 13 EACCES\n"},
		{name: "fork", args: []string{"fork"},
			stdout: "fork: errno 38 ENOSYS\n",
			stderr: "gouth-emu: warning: fork: creating processes is not emulated, returned ENOSYS\n"},
		{name: "execve", args: []string{"execve"},
			stdout: "execve: errno 38 ENOSYS\n",
			stderr: "gouth-emu: warning: execve: running another program is not emulated, returned ENOSYS\n"},
		// The emulated process is pid 1000, alone: every other pid, tid
		// and process group does not exist (ESRCH); kill(-1) reaches only
		// itself; signal 0 delivers nothing.
		{name: "signals-to-others", args: []string{"signals-to-others"},
			stdout: `tgkill own pid, tid 99999: errno 3 ESRCH
tgkill own pid, tid 0: errno 22 EINVAL
tkill 99999: errno 3 ESRCH
kill self: ok 0
kill 1: errno 3 ESRCH
kill 99999: errno 3 ESRCH
kill -99999: errno 3 ESRCH
kill self signal 65: errno 22 EINVAL
kill -1: ok 0
`},
		{name: "spin-max-insns", flags: []string{"--max-insns", "5000000"}, args: []string{"spin"},
			status: 124, stderr: "gouth-emu: stopped after "},
		{name: "spin-timeout", flags: []string{"--timeout", "1s"}, args: []string{"spin"},
			status: 124, stderr: "gouth-emu: stopped by --timeout 1s"},
		{name: "allocate", flags: []string{"--mem-limit", "256M"}, args: []string{"allocate"},
			status: 2, stderrPart: "fatal error: runtime: out of memory"},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runEmu(t, tt.flags, nil, bin, tt.args...)
			emulatorSound(t, r, tt.status)
			diffResultLines(t, string(r.stdout), tt.stdout, "documented")
			switch {
			case tt.status == 124:
				oneLine(t, r, 124, tt.stderr)
			case tt.stderrPart != "":
				if !strings.Contains(string(r.stderr), tt.stderrPart) {
					t.Errorf("stderr: got %s, want it to contain %q", show(r.stderr), tt.stderrPart)
				}
			case string(r.stderr) != tt.stderr:
				t.Errorf("stderr: got %s, want %q", show(r.stderr), tt.stderr)
			}
			if t.Failed() {
				logStraceTail(t, tt.flags, nil, bin, tt.args...)
			}
		})
	}
}

// TestAdversarialHostFiles lets the guest try to create, overwrite,
// rename, delete and mkdir in a directory under --fs ro and none: every
// attempt must fail and the directory must stay as it was.
func TestAdversarialHostFiles(t *testing.T) {
	bin := machine.binary(t, "adversarial")
	tests := []struct{ mode, want string }{
		{"ro", `openat create new.txt: errno 13 EACCES
openat overwrite existing.txt: errno 13 EACCES
openat read existing.txt: ok
write read-only fd: errno 9 EBADF
renameat existing.txt: errno 13 EACCES
unlinkat existing.txt: errno 13 EACCES
mkdirat sub: errno 13 EACCES
rmdir DIR: errno 13 EACCES
`},
		{"none", `openat create new.txt: errno 2 ENOENT
openat overwrite existing.txt: errno 2 ENOENT
openat read existing.txt: errno 2 ENOENT
renameat existing.txt: errno 2 ENOENT
unlinkat existing.txt: errno 2 ENOENT
mkdirat sub: errno 2 ENOENT
rmdir DIR: errno 2 ENOENT
`},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			existing := filepath.Join(dir, "existing.txt")
			if err := os.WriteFile(existing, []byte("before\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before := dirNames(t, dir)
			flags := []string{"--fs", tt.mode}
			r := runEmu(t, flags, nil, bin, "hostfile", dir)
			emulatorSound(t, r, 0)
			diffResultLines(t, string(r.stdout), tt.want, "documented for --fs "+tt.mode)
			if len(r.stderr) != 0 {
				t.Errorf("stderr: got %s, want nothing", show(r.stderr))
			}
			after := dirNames(t, dir)
			b, err := os.ReadFile(existing)
			if !reflect.DeepEqual(after, before) || err != nil || string(b) != "before\n" {
				t.Errorf("the host directory changed: got %v, existing.txt %q (%v); want %v, existing.txt \"before\\n\"", after, b, err, before)
			}
			if t.Failed() {
				logStraceTail(t, flags, nil, bin, "hostfile", dir)
			}
		})
	}
}
