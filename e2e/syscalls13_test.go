package e2e

import (
	"strings"
	"testing"
)

// TestSyscalls13 runs the syscalls13 probe (the calls of issue 13: the
// working directory, umask, utimes, chown, groups, fchmodat2, mknod,
// mincore, copy_file_range, faccessat2, statx, close_range, RLIMIT_NOFILE)
// natively and under --fs rw, each in a fresh directory, on every
// toolchain: the outputs must be the same byte for byte.
func TestSyscalls13(t *testing.T) {
	flags := []string{"--fs", "rw"}
	for _, tc := range toolchains {
		tc := tc
		t.Run(tc.name(), func(t *testing.T) {
			t.Parallel()
			bin := tc.binary(t, "syscalls13")
			native := runNative(t, nil, bin, t.TempDir())
			if native.status != 0 || !strings.Contains(string(native.stdout), "== rlimit") {
				t.Fatalf("native run (the probe itself is wrong): got %v, stdout %s; want status 0 and every section", native, show(native.stdout))
			}
			dir := t.TempDir()
			emu := runEmu(t, flags, nil, bin, dir)
			compare(t, emu, native, flags, nil, bin, dir)
		})
	}
}

// TestSyscalls13ReadOnly runs the probe under the default --fs ro: it must
// finish, leave its directory empty, and get the read-only answers Linux
// gives a read-only filesystem's callers, existence errors first.
func TestSyscalls13ReadOnly(t *testing.T) {
	t.Parallel()
	bin := machine.binary(t, "syscalls13")
	dir := t.TempDir()
	r := runEmu(t, nil, nil, bin, dir)
	if r.status != 0 {
		t.Fatalf("got %v, stderr %s; want status 0", r, show(r.stderr))
	}
	for _, want := range []string{
		"chdir DIR: ok\n",
		"mkdir sub: permission denied\n",
		"chdir missing: no such file or directory\n",
		"chdir long: file name too long\n",
		"chdir /: ok\n",
		"fchdir back: ok\n",
		"utimensat missing: no such file or directory\n",
		"utimensat nsec 1e9: invalid argument\n",
		"chown missing: no such file or directory\n",
		"fchmodat2 bad flags: invalid argument\n",
		"mknod fifo: permission denied\n",
		"mknod dir: operation not permitted\n",
		"mincore unaligned: invalid argument\n",
		"faccessat2 missing: no such file or directory\n",
		"statx missing: no such file or directory\n",
		"close_range first > last: invalid argument\n",
		"setrlimit soft > hard: invalid argument\n",
	} {
		if !strings.Contains(string(r.stdout), want) {
			t.Errorf("stdout lacks %q; stdout:\n%s", want, r.stdout)
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("the host directory changed: got %v, want it empty", names)
	}
}
