package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// arm64Emulator is the linux/arm64 build of gouth-emu that TestArm64Host
// runs under qemu-aarch64: GOUTH_EMU_ARM64, which make test sets to
// bin/linux-arm64/gouth-emu after building it with tools/arm64.sh.
func arm64Emulator(t *testing.T) (qemu, emu string) {
	t.Helper()
	if runtime.GOARCH == "arm64" {
		t.Skip("the host is arm64: every e2e test runs the arm64 build natively")
	}
	emu = os.Getenv("GOUTH_EMU_ARM64")
	if emu == "" {
		t.Skip("GOUTH_EMU_ARM64 not set: make test builds bin/linux-arm64/gouth-emu (tools/arm64.sh, needs gcc-aarch64-linux-gnu and libc6-dev-arm64-cross) and sets it")
	}
	if _, err := os.Stat(emu); err != nil {
		t.Skipf("GOUTH_EMU_ARM64: %v: tools/arm64.sh could not build it (it names the missing package)", err)
	}
	qemu, err := exec.LookPath("qemu-aarch64")
	if err != nil {
		t.Skip("qemu-aarch64 not found: install qemu-user (tools/deps.sh does)")
	}
	return qemu, emu
}

// hostTime matches what --stats measures on the host rather than in the
// guest: wall time, the MIPS derived from it, and the start-up phases.
var hostTime = regexp.MustCompile(`wall time [^,]+, [0-9.]+ MIPS|startup wall time .*`)

// TestArm64Host runs amd64 guests under the linux/arm64 build of
// gouth-emu, itself emulated by qemu-aarch64, and wants output identical to
// the amd64 build's, byte for byte: the guest's output, the strace lines,
// the instruction, block and syscall counts, a debugger session. Only the
// host times in --stats may differ. The gc guest frees and reuses memory
// under 64 KiB host pages (qemu-aarch64 -p), as on some arm64 kernels,
// where a 4 KiB guest page is not a whole host page (16 KiB pages take the
// same path; emu's TestFreedPageReadsZero covers both).
func TestArm64Host(t *testing.T) {
	qemu, armEmu := arm64Emulator(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "smoke.gouth")
	if err := os.WriteFile(script, []byte("break runtime.schedinit\ncontinue\nbt\nstage\nquit\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	runFlags := []string{"run", "--clean-env", "--strace", "--stats"}
	tests := []struct {
		name  string
		guest func(t *testing.T) string
		args  []string // gouth-emu's arguments before the guest
		qemu  []string // qemu-aarch64's flags
	}{
		{"hello/go-machine", machineGuest("hello", dir), runFlags, nil},
		{"goroutines/go-machine", machineGuest("goroutines", dir), runFlags, nil},
		{"hello/go1.11", go111Guest("hello", dir), runFlags, nil},
		{"goroutines/go1.11", go111Guest("goroutines", dir), runFlags, nil},
		{"step/go-machine", machineGuest("hello", dir), []string{"step", "--clean-env", "-x", script, "--batch"}, nil},
		{"gc/64K-pages", machineGuest("gc", dir), []string{"run", "--clean-env", "--stats"}, []string{"-p", "65536"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			guest := tt.guest(t)
			args := append(append([]string{}, tt.args...), guest)
			t0 := time.Now()
			want := run(t, nil, emulator, args...)
			t1 := time.Now()
			got := run(t, nil, qemu, append(append(append([]string{}, tt.qemu...), armEmu), args...)...)
			t.Logf("amd64 gouth-emu %v, arm64 gouth-emu under qemu-aarch64 %v", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
			if want.status != 0 || want.how != "exited" {
				t.Fatalf("amd64 gouth-emu %v: %v\n%s", args, want, want.stderr)
			}
			if got.status != want.status || got.how != want.how {
				t.Errorf("exit status: got %d (%s) on arm64, want %d (%s) as on amd64", got.status, got.how, want.status, want.how)
			}
			if !bytes.Equal(got.stdout, want.stdout) {
				t.Errorf("stdout: got (arm64) %s, want (amd64) %s", show(got.stdout), show(want.stdout))
			}
			gotErr, wantErr := hostTime.ReplaceAll(got.stderr, nil), hostTime.ReplaceAll(want.stderr, nil)
			if !bytes.Equal(gotErr, wantErr) {
				diffs := testbin.DiffLines(string(gotErr), string(wantErr))
				for i, d := range diffs {
					if i == 10 {
						t.Errorf("... and %d more lines of stderr differ", len(diffs)-i)
						break
					}
					t.Errorf("stderr line %d: got (arm64) %q, want (amd64) %q", d.N, d.Got, d.Want)
				}
			}
		})
	}
}

// machineGuest builds testdata/guests/NAME with the machine's go command.
func machineGuest(name, dir string) func(*testing.T) string {
	return func(t *testing.T) string { return testbin.Machine.BuildGuest(t, repoRoot, name, dir) }
}

// go111Guest is the go1.11.1 build of testdata/guests/NAME.
func go111Guest(name, dir string) func(*testing.T) string {
	return func(t *testing.T) string { return testbin.Go111Guest(t, repoRoot, name, dir) }
}
