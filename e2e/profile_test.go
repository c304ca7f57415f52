package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestProfiles runs hello under run and step with --cpuprofile and
// --memprofile and checks that both files are gzip-compressed profiles that
// go tool pprof reads, of the expected type.
func TestProfiles(t *testing.T) {
	hello := machine.binary(t, "hello")
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	script := filepath.Join(t.TempDir(), "quit.gouth")
	if err := os.WriteFile(script, []byte("stepi 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{{"run", "--clean-env"}, {"step", "--clean-env", "--batch", "-x", script}} {
		t.Run(cmd[0], func(t *testing.T) {
			dir := t.TempDir()
			cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
			args := append(append(cmd[:len(cmd):len(cmd)], "--cpuprofile", cpu, "--memprofile", mem), hello)
			if r := run(t, nil, emulator, args...); r.status != 0 {
				t.Fatalf("gouth-emu %s: got %s, want status 0", strings.Join(args, " "), r)
			}
			for _, tt := range []struct{ file, typ string }{{cpu, "Type: cpu"}, {mem, "Type: alloc_space"}} {
				b, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
					t.Errorf("%s: got first bytes % x, want the gzip magic 1f 8b", filepath.Base(tt.file), b[:min(len(b), 2)])
				}
				out, err := exec.Command(goCmd, "tool", "pprof", "-top", tt.file).CombinedOutput()
				if err != nil || !bytes.Contains(out, []byte(tt.typ)) {
					t.Errorf("go tool pprof -top %s: got %v and:\n%s\nwant a table of %q", filepath.Base(tt.file), err, out, tt.typ)
				}
			}
		})
	}
}

// TestStartupStats checks that --stats reports the start-up phases, with
// the symbol table loaded only when something needs it. Timings are not
// checked: they are host measurements.
func TestStartupStats(t *testing.T) {
	hello := machine.binary(t, "hello")
	line := regexp.MustCompile(`(?m)^gouth-emu: stats: startup wall time [0-9.]+ms to the first instruction: ` +
		`go runtime and flags [0-9.]+ms, elf load [0-9.]+ms, uc_open [0-9.]+ms, engine set-up [0-9.]+ms, ` +
		`process image [0-9.]+ms, boot stages [0-9.]+ms, other [0-9.]+ms; symbol table (not loaded|loaded in [0-9.]+ms)$`)
	tests := []struct {
		flags   []string
		symbols string
	}{
		{[]string{"--stats"}, "not loaded"},
		{[]string{"--stats", "--stages"}, "loaded in"},
	}
	for _, tt := range tests {
		r := runEmu(t, tt.flags, nil, hello)
		m := line.FindSubmatch(r.stderr)
		if r.status != 0 || m == nil {
			t.Fatalf("run %v: got %s, want status 0 and a start-up line", tt.flags, r)
		}
		if got := string(m[1]); !strings.HasPrefix(got, tt.symbols) {
			t.Errorf("run %v: got symbol table %q, want %q", tt.flags, got, tt.symbols)
		}
	}
}
