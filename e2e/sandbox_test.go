package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestMemLimit runs a guest that allocates until it fails: under
// --mem-limit the Go runtime must report "out of memory" itself, with its
// exit status 2, when mmap returns ENOMEM.
func TestMemLimit(t *testing.T) {
	t.Parallel()
	bin := machine.binary(t, "memlimit")
	r := runEmu(t, []string{"--mem-limit", "256M"}, nil, bin)
	if r.status != 2 || !strings.Contains(string(r.stderr), "fatal error: runtime: out of memory") || len(r.stdout) != 0 {
		t.Fatalf("got %v, stdout %s, stderr %s; want status 2, no output and the runtime's \"out of memory\"",
			r, show(r.stdout), show(r.stderr))
	}
}

// dirNames lists dir, to check that a run left it as it was.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestFSModes runs the sandbox guest's file operations under each --fs
// mode: with rw it must print what a native run prints; with ro and none
// the host directory must stay as it was.
func TestFSModes(t *testing.T) {
	bin := machine.binary(t, "sandbox")
	t.Run("rw", func(t *testing.T) {
		t.Parallel()
		native := runNative(t, nil, bin, "files", t.TempDir())
		if native.status != 0 {
			t.Fatalf("native run: got %v, want status 0", native)
		}
		flags := []string{"--fs", "rw"}
		dir := t.TempDir()
		emu := runEmu(t, flags, nil, bin, "files", dir)
		compare(t, emu, native, flags, nil, bin, "files", dir)
	})
	tests := []struct {
		mode string
		want string
	}{
		{"ro", `write: open: permission denied
append: open: permission denied
read: ok "before\n"
mkdirall: mkdir: permission denied
rename: rename: no such file or directory
readdir: ok [a.txt] [no such file or directory]
symlink: symlink: no such file or directory
chmod: chmod: no such file or directory
truncate: truncate: no such file or directory
removeall: ok
readdir: ok [a.txt]
`},
		{"none", `write: open: no such file or directory
append: open: no such file or directory
read: open: no such file or directory
mkdirall: mkdir: no such file or directory
rename: rename: no such file or directory
readdir: ok [no such file or directory] [no such file or directory]
symlink: symlink: no such file or directory
chmod: chmod: no such file or directory
truncate: truncate: no such file or directory
removeall: ok
readdir: ok [no such file or directory]
`},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := filepath.Join(dir, "a.txt")
			if err := os.WriteFile(a, []byte("before\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r := runEmu(t, []string{"--fs", tt.mode}, nil, bin, "files", dir)
			if got := strings.ReplaceAll(string(r.stdout), " \n", "\n"); r.status != 0 || got != tt.want {
				t.Fatalf("got %v, stdout:\n%s\nwant status 0, stdout:\n%s", r, got, tt.want)
			}
			if b, err := os.ReadFile(a); err != nil || string(b) != "before\n" || !reflect.DeepEqual(dirNames(t, dir), []string{"a.txt"}) {
				t.Fatalf("the host directory changed: got %v, a.txt %q (%v); want only a.txt, unchanged", dirNames(t, dir), b, err)
			}
		})
	}
}

// TestProcAndNetwork checks what the guest sees of /proc/self and that it
// cannot use the network, in every --fs mode.
func TestProcAndNetwork(t *testing.T) {
	bin := machine.binary(t, "sandbox")
	want := `cmdline: ok true
maps: ok true true
status: ok [Pid: 1000 PPid: 1]
mountinfo: open: no such file or directory
listen: listen tcp 127.0.0.1:0: socket: permission denied
dial: dial tcp 127.0.0.1:9: socket: permission denied
`
	for _, mode := range []string{"ro", "rw", "none"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			r := runEmu(t, []string{"--fs", mode}, nil, bin, "proc")
			if r.status != 0 || string(r.stdout) != want || len(r.stderr) != 0 {
				t.Fatalf("got %v, stdout:\n%s\nstderr %s; want status 0, stdout:\n%s", r, r.stdout, show(r.stderr), want)
			}
		})
	}
}
