package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/internal/testbin"
)

// ulimitRun runs gouth-emu with args under ulimit -v kb (KiB), as a
// shared host or CI runner would start it.
func ulimitRun(t *testing.T, kb string, args ...string) result {
	t.Helper()
	return run(t, nil, "sh", append([]string{"-c", `ulimit -v "$0" && exec "$@"`, kb, emulator}, args...)...)
}

// TestUlimit runs hello under real address-space limits with no flags:
// with 4000000 and 2500000 KiB the default limit, the reservation and
// Unicorn's translation buffer are sized to fit and the output is the
// native run's; with 1600000 KiB gouth-emu itself starts (its Go runtime
// and heap take about 1.25 GiB) but no guest fits, and with 1000000 KiB
// not even gouth-emu's runtime does: one line each, status 2, never a
// Go trace.
func TestUlimit(t *testing.T) {
	t.Parallel()
	hello := machine.binary(t, "hello")
	native := runNative(t, nil, hello)
	if native.status != 0 || len(native.stdout) == 0 {
		t.Fatalf("native hello: %v", native)
	}
	for _, kb := range []string{"4000000", "2500000"} {
		t.Run(kb, func(t *testing.T) {
			compare(t, ulimitRun(t, kb, emuArgs(nil, nil, hello)...), native, nil, nil, hello)
		})
	}
	t.Run("go1.11-2500000", func(t *testing.T) {
		// go1.11 commits 108 MiB to start, twice what later runtimes do.
		old := testbin.Go111Guest(t, repoRoot, "hello", t.TempDir())
		compare(t, ulimitRun(t, "2500000", emuArgs(nil, nil, old)...), runNative(t, nil, old), nil, nil, old)
	})
	t.Run("1600000", func(t *testing.T) {
		r := ulimitRun(t, "1600000", emuArgs(nil, nil, hello)...)
		oneLine(t, r, 2, "gouth-emu: ulimit -v is 1.5 GiB, which leaves ", "a Go program needs to start", "raise it with ulimit -v ")
		// The remedy must work.
		kb := strings.Fields(string(r.stderr[strings.LastIndex(string(r.stderr), "ulimit -v "):]))[2]
		compare(t, ulimitRun(t, kb, emuArgs(nil, nil, hello)...), native, nil, nil, hello)
	})
	t.Run("1600000 --mem-limit 512M", func(t *testing.T) {
		oneLine(t, ulimitRun(t, "1600000", emuArgs([]string{"--mem-limit", "512M"}, nil, hello)...), 2,
			"gouth-emu: cannot reserve 640 MiB of address space for the guest (ulimit -v is 1.5 GiB); raise it with ulimit -v ")
	})
	t.Run("1000000", func(t *testing.T) {
		oneLine(t, ulimitRun(t, "1000000", emuArgs(nil, nil, hello)...), 2,
			"gouth-emu: ulimit -v is 1000000, less than the 1572864 gouth-emu itself needs to start; raise it with ulimit -v 1835008 or more")
		// The remedy must work.
		compare(t, ulimitRun(t, "1835008", emuArgs(nil, nil, hello)...), native, nil, nil, hello)
	})
}

// TestUlimitMemLimit checks that a --mem-limit that fits under ulimit -v
// is honoured, and one that does not names the largest that does; that
// suggestion must then work.
func TestUlimitMemLimit(t *testing.T) {
	t.Parallel()
	hello := machine.binary(t, "hello")
	native := runNative(t, nil, hello)
	compare(t, ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", "256M"}, nil, hello)...), native, nil, nil, hello)
	r := ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", "8G"}, nil, hello)...)
	oneLine(t, r, 2, "gouth-emu: cannot reserve 10.0 GiB of address space for the guest (ulimit -v is 2.4 GiB); use --mem-limit ")
	line := strings.TrimSpace(string(r.stderr))
	suggested := line[strings.LastIndex(line, " ")+1:]
	compare(t, ulimitRun(t, "2500000", emuArgs([]string{"--mem-limit", suggested}, nil, hello)...), native, nil, nil, hello)
}

// TestMemLimitFlag: sizes --mem-limit does not take are one line and
// status 2, before any guest is loaded.
func TestMemLimitFlag(t *testing.T) {
	for _, v := range []string{"", "1.5G", "-1", "512MB", "99999999999G", "1T"} {
		t.Run(v, func(t *testing.T) {
			oneLine(t, run(t, nil, emulator, "run", "--mem-limit", v, "x"), 2, "gouth-emu: --mem-limit \""+v+"\": want a size such as ")
		})
	}
}

// TestCheckDemo runs tools/check-demo.sh, which make demo runs, on the
// demo itself and on broken demos: a broken one must fail CI.
func TestCheckDemo(t *testing.T) {
	t.Parallel()
	hello := machine.binary(t, "hello")
	script := filepath.Join(repoRoot, "tools", "check-demo.sh")
	tests := []struct {
		name   string
		args   []string
		status int
		want   string // the script's last line
	}{
		{"the demo", []string{emulator, "run", "--strace", "--stats", hello}, 0, "demo: ok (hello, world; exit_group(0); stats)"},
		{"no --strace", []string{emulator, "run", "--stats", hello}, 1, `demo: FAILED: no write of the guest's line in the output`},
		{"no --stats", []string{emulator, "run", "--strace", hello}, 1, "demo: FAILED: no instruction counts in the output"},
		{"a failing run", []string{emulator, "run", "--strace", "--stats", filepath.Join(t.TempDir(), "missing")}, 1, "demo: FAILED: the command exited with status 2"},
	}
	for _, tt := range tests {
		r := run(t, os.Environ(), script, tt.args...)
		out := strings.TrimSpace(string(r.stdout) + string(r.stderr))
		last := out[strings.LastIndex(out, "\n")+1:]
		if r.status != tt.status || !strings.HasPrefix(last, tt.want) {
			t.Errorf("%s: got status %d, last line %q; want status %d, %q", tt.name, r.status, last, tt.status, tt.want)
		}
	}
}

// TestDepsWithoutRoot runs tools/deps.sh with fake id, sudo and apt-get
// first on PATH and nothing else a build needs: without root or a sudo
// that works without a password it prints the exact install command and
// stops before installing anything; with either, it installs through them.
func TestDepsWithoutRoot(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dirname, err := exec.LookPath("dirname")
	if err != nil {
		t.Skip("no dirname")
	}
	// What deps.sh installs, in its order; packages recognised by a file
	// are missing only if the file is (on this host too).
	var missing []string
	for _, p := range []struct{ pkg, file string }{
		{"cmake", ""}, {"ninja-build", ""}, {"gcc", ""},
		{"golang-1.19-go", "/usr/lib/go-1.19/bin/go"},
		{"linux-libc-dev", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"},
		{"qemu-user", ""}, {"strace", ""}, {"patch", ""},
		{"libcapstone-dev", "/usr/include/capstone/capstone.h"},
		{"binutils", ""}, {"gdb", ""}, {"librsvg2-bin", ""},
	} {
		if _, err := os.Stat(p.file); p.file == "" || err != nil {
			missing = append(missing, p.pkg)
		}
	}
	list := strings.Join(missing, " ")
	tests := []struct {
		name       string
		uid        string
		sudo       string // "": no sudo; else the status of sudo -n true
		wantStatus int
		wantErr    string // all of stderr
		wantLog    string // the fake commands' calls
	}{
		{"no root, no sudo", "1000", "", 1,
			"deps: missing Debian packages; install them with:\n  su -c 'apt-get update && apt-get install -y " + list + "'\n", ""},
		{"no root, sudo wants a password", "1000", "1", 1,
			"deps: missing Debian packages; install them with:\n  sudo apt-get update && sudo apt-get install -y " + list + "\n", "sudo -n true\n"},
		// The fake apt-get fails (status 100, as apt-get does), which
		// stops deps.sh (set -e) before it builds anything.
		{"passwordless sudo", "1000", "0", 100, "", "sudo -n true\nsudo apt-get update -qq\napt-get update -qq\n"},
		{"root", "0", "0", 100, "", "apt-get update -qq\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			logFile := filepath.Join(dir, "log")
			fake := map[string]string{
				"id":      "#!/bin/sh\necho " + tt.uid + "\n",
				"apt-get": "#!/bin/sh\necho \"apt-get $*\" >>" + logFile + "\nexit 100\n",
			}
			if tt.sudo != "" {
				fake["sudo"] = "#!/bin/sh\necho \"sudo $*\" >>" + logFile + "\nif [ \"$1\" = -n ]; then exit " + tt.sudo + "; fi\nexec \"$@\"\n"
			}
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, text := range fake {
				if err := os.WriteFile(filepath.Join(bin, name), []byte(text), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Symlink(dirname, filepath.Join(bin, "dirname")); err != nil {
				t.Fatal(err)
			}
			r := run(t, []string{"PATH=" + bin}, bash, filepath.Join(repoRoot, "tools", "deps.sh"))
			log, _ := os.ReadFile(logFile)
			if r.status != tt.wantStatus || (tt.wantErr != "" && string(r.stderr) != tt.wantErr) || string(log) != tt.wantLog {
				t.Errorf("got status %d, stderr %q, calls %q;\nwant status %d, stderr %q, calls %q", r.status, r.stderr, log, tt.wantStatus, tt.wantErr, tt.wantLog)
			}
		})
	}
}
