package syscalls

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// atFDCWD is AT_FDCWD as a raw register value.
const atFDCWD = uint64(0xffffff9c)

// str puts s, NUL-terminated, in guest memory at addr and returns addr.
func (tk *testKernel) str(addr uint64, s string) uint64 {
	tk.m.putStr(addr, s)
	return addr
}

// readAll reads fd until EOF into guest memory at 0x18000 and returns it.
func (tk *testKernel) readAll(t *testing.T, fd uint64) string {
	t.Helper()
	var out []byte
	for {
		n := tk.call(t, "read", fd, 0x18000, 100)
		if int64(n) < 0 {
			t.Fatalf("read(%d) = %d, want data", fd, int64(n))
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, tk.m.mem[0x8000:0x8000+n]...)
	}
}

// snapshot records every name under dir with its mode, contents or link
// target, to check that nothing changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			v += " -> " + target
		case fi.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			v += " " + string(b)
		}
		snap[p] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// fsOp is one filesystem change tried under each --fs mode.
type fsOp struct {
	name string
	call func(t *testing.T, tk *testKernel, dir string) uint64
	want [3]Errno // by FSMode (ro, rw, none); 0 is success
	// done checks, after success with rw, that the host changed.
	done func(dir string) bool
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func fileText(p string) string { b, _ := os.ReadFile(p); return string(b) }

var fsOps = []fsOp{
	{"open O_CREAT new", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "openat", atFDCWD, tk.str(0x10100, d+"/new"), O_WRONLY|O_CREAT|O_TRUNC, 0o644)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return exists(d + "/new") }},
	{"open O_CREAT|O_EXCL existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "openat", atFDCWD, tk.str(0x10100, d+"/old"), O_WRONLY|O_CREAT|O_EXCL, 0o644)
	}, [3]Errno{EEXIST, EEXIST, ENOENT}, nil},
	{"open O_RDWR existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/old"), O_RDWR)
	}, [3]Errno{EACCES, 0, ENOENT}, nil},
	{"open O_WRONLY missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/missing"), O_WRONLY)
	}, [3]Errno{ENOENT, ENOENT, ENOENT}, nil},
	{"creat", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "creat", tk.str(0x10100, d+"/new"), 0o600)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return exists(d + "/new") }},
	{"open O_RDONLY", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/old"), O_RDONLY)
	}, [3]Errno{0, 0, ENOENT}, nil},
	{"stat", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "stat", tk.str(0x10100, d+"/old"), 0x10800)
	}, [3]Errno{0, 0, ENOENT}, nil},
	{"access W_OK", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "access", tk.str(0x10100, d+"/old"), W_OK)
	}, [3]Errno{EACCES, 0, ENOENT}, nil},
	{"access R_OK", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "access", tk.str(0x10100, d+"/old"), R_OK)
	}, [3]Errno{0, 0, ENOENT}, nil},
	{"readlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "readlink", tk.str(0x10100, d+"/link"), 0x10800, 256)
	}, [3]Errno{0, 0, ENOENT}, nil},
	{"unlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, d+"/old"))
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return !exists(d + "/old") }},
	{"unlink missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, d+"/missing"))
	}, [3]Errno{ENOENT, ENOENT, ENOENT}, nil},
	{"unlinkat AT_REMOVEDIR", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlinkat", atFDCWD, tk.str(0x10100, d+"/empty"), AT_REMOVEDIR)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return !exists(d + "/empty") }},
	{"rmdir not empty", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rmdir", tk.str(0x10100, d+"/sub"))
	}, [3]Errno{EACCES, ENOTEMPTY, ENOENT}, nil},
	{"rename", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rename", tk.str(0x10100, d+"/old"), tk.str(0x10400, d+"/moved"))
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return !exists(d+"/old") && exists(d+"/moved") }},
	{"renameat2 RENAME_NOREPLACE onto a file", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "renameat2", atFDCWD, tk.str(0x10100, d+"/old"), atFDCWD, tk.str(0x10400, d+"/sub/inner"), RENAME_NOREPLACE)
	}, [3]Errno{EEXIST, EEXIST, ENOENT}, nil},
	{"rename missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "renameat", atFDCWD, tk.str(0x10100, d+"/missing"), atFDCWD, tk.str(0x10400, d+"/x"))
	}, [3]Errno{ENOENT, ENOENT, ENOENT}, nil},
	{"mkdir", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdir", tk.str(0x10100, d+"/newdir"), 0o755)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return exists(d + "/newdir") }},
	{"mkdir existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdirat", atFDCWD, tk.str(0x10100, d+"/sub"), 0o755)
	}, [3]Errno{EEXIST, EEXIST, ENOENT}, nil},
	{"mkdir in a missing directory", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdir", tk.str(0x10100, d+"/missing/newdir"), 0o755)
	}, [3]Errno{ENOENT, ENOENT, ENOENT}, nil},
	{"rmdir", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rmdir", tk.str(0x10100, d+"/empty"))
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return !exists(d + "/empty") }},
	{"truncate", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "truncate", tk.str(0x10100, d+"/old"), 1)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return fileText(d+"/old") == "o" }},
	{"chmod", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "chmod", tk.str(0x10100, d+"/old"), 0o600)
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool {
		fi, err := os.Stat(d + "/old")
		return err == nil && fi.Mode().Perm() == 0o600
	}},
	{"symlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "symlink", tk.str(0x10100, "old"), tk.str(0x10400, d+"/sym"))
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { t, _ := os.Readlink(d + "/sym"); return t == "old" }},
	{"link", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "link", tk.str(0x10100, d+"/old"), tk.str(0x10400, d+"/hard"))
	}, [3]Errno{EACCES, 0, ENOENT}, func(d string) bool { return fileText(d+"/hard") == "old\n" }},
	{"unlink /proc/self/status", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, "/proc/self/status"))
	}, [3]Errno{EACCES, EACCES, EACCES}, nil},
}

// fsTree makes the host directory the fsOps work on.
func fsTree(t *testing.T) string {
	d := t.TempDir()
	for _, p := range []string{"sub", "empty"} {
		if err := os.Mkdir(filepath.Join(d, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range map[string]string{"old": "old\n", "sub/inner": "inner\n"} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("old", filepath.Join(d, "link")); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFSPolicy(t *testing.T) {
	for _, mode := range []FSMode{FSReadOnly, FSReadWrite, FSNone} {
		for _, op := range fsOps {
			t.Run(mode.String()+"/"+op.name, func(t *testing.T) {
				dir := fsTree(t)
				before := snapshot(t, dir)
				tk := newTestKernelFS(mode)
				got := op.call(t, tk, dir)
				want := op.want[mode]
				switch {
				case want != 0 && got != neg(want):
					t.Fatalf("got %d, want -%s", int64(got), want.Name())
				case want == 0 && int64(got) < 0:
					t.Fatalf("got -%s, want success", Errno(-int64(got)).Name())
				}
				changed := !reflect.DeepEqual(snapshot(t, dir), before)
				switch {
				case mode == FSReadWrite && want == 0 && op.done != nil && !op.done(dir):
					t.Fatalf("the host directory did not change as asked: got %v", snapshot(t, dir))
				case (mode != FSReadWrite || want != 0) && changed:
					t.Fatalf("the host directory changed: got %v, want %v", snapshot(t, dir), before)
				}
			})
		}
	}
}

// TestFSReadWrite writes, appends and reads back a host file through
// descriptors with --fs rw.
func TestFSReadWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "f")
	tk := newTestKernelFS(FSReadWrite)
	fd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, name), O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0o640)
	if int64(fd) < 3 {
		t.Fatalf("openat(O_CREAT) = %d, want a descriptor", int64(fd))
	}
	steps := []struct {
		name string
		args []uint64
		want uint64
	}{
		{"write", []uint64{fd, tk.str(0x10200, "hello, world"), 12}, 12},
		{"pwrite64", []uint64{fd, tk.str(0x10300, "W"), 1, 7}, 1},
		{"ftruncate", []uint64{fd, 5}, 0},
		{"fsync", []uint64{fd}, 0},
		{"fcntl", []uint64{fd, F_GETFL}, O_RDWR},
		{"close", []uint64{fd}, 0},
	}
	for _, st := range steps {
		if got := tk.call(t, st.name, st.args...); got != st.want {
			t.Fatalf("%s = %d, want %d", st.name, int64(got), st.want)
		}
	}
	if got := fileText(name); got != "hello" {
		t.Fatalf("host file = %q, want %q", got, "hello")
	}
	fd = tk.call(t, "open", tk.str(0x10100, name), O_WRONLY|O_APPEND)
	tk.call(t, "write", fd, tk.str(0x10200, "!\n"), 2)
	if got := fileText(name); got != "hello!\n" {
		t.Fatalf("host file after an O_APPEND write = %q, want %q", got, "hello!\n")
	}
	if got := tk.call(t, "read", fd, 0x10800, 10); got != neg(EBADF) {
		t.Fatalf("read of an O_WRONLY descriptor = %#x, want -EBADF", got)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm()&^0o640 != 0 {
		t.Fatalf("created file mode = %v (%v), want at most 0640 (the umask may remove bits)", fi.Mode(), err)
	}
}

// TestFSReadOnlyDescriptors checks that descriptors of host files cannot
// write with --fs ro, and that *at calls work relative to a directory
// descriptor.
func TestFSReadOnlyDescriptors(t *testing.T) {
	dir := fsTree(t)
	tk := newTestKernel()
	dfd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, dir), O_RDONLY|O_DIRECTORY)
	if int64(dfd) < 3 {
		t.Fatalf("openat(dir) = %d, want a descriptor", int64(dfd))
	}
	fd := tk.call(t, "openat", dfd, tk.str(0x10100, "sub/inner"), O_RDONLY)
	if int64(fd) < 3 {
		t.Fatalf("openat(dirfd, sub/inner) = %d, want a descriptor", int64(fd))
	}
	if got := tk.readAll(t, fd); got != "inner\n" {
		t.Fatalf("read = %q, want %q", got, "inner\n")
	}
	tests := []struct {
		name string
		args []uint64
		want Errno
	}{
		{"write", []uint64{fd, tk.str(0x10200, "x"), 1}, EBADF},
		{"pwrite64", []uint64{fd, 0x10200, 1, 0}, EBADF},
		{"ftruncate", []uint64{fd, 0}, EINVAL},
		{"fchmod", []uint64{fd, 0o777}, EACCES},
		{"unlinkat", []uint64{dfd, tk.str(0x10300, "old"), 0}, EACCES},
		{"openat", []uint64{fd, tk.str(0x10400, "x"), O_RDONLY}, ENOTDIR},
		{"socket", []uint64{2, 1, 0}, EACCES},
	}
	for _, tt := range tests {
		if got := tk.call(t, tt.name, tt.args...); got != neg(tt.want) {
			t.Errorf("%s%v = %d, want -%s", tt.name, tt.args, int64(got), tt.want.Name())
		}
	}
	if got := tk.call(t, "fsync", fd); got != 0 {
		t.Errorf("fsync of a read-only host file = %d, want 0", int64(got))
	}
	if got := tk.call(t, "fsync", 1); got != neg(EINVAL) {
		t.Errorf("fsync(stdout) = %d, want -EINVAL", int64(got))
	}
}

// dirents parses linux_dirent64 records, checking their layout.
func dirents(t *testing.T, b []byte) (names []string, types []uint8) {
	t.Helper()
	for len(b) > 0 {
		reclen := int(binary.LittleEndian.Uint16(b[16:]))
		if reclen%8 != 0 || reclen < direntHeader+1 || reclen > len(b) {
			t.Fatalf("d_reclen = %d, want a multiple of 8 within %d bytes", reclen, len(b))
		}
		name := b[direntHeader:reclen]
		name = name[:strings.IndexByte(string(name), 0)]
		names = append(names, string(name))
		types = append(types, b[18])
		b = b[reclen:]
	}
	return names, types
}

func TestGetdents64(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b", "a", "c.d", "a-long-name-that-takes-more-room"} {
		os.WriteFile(filepath.Join(dir, name), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "z"), 0o755)
	os.Symlink("a", filepath.Join(dir, "l"))
	tk := newTestKernel()
	fd := tk.call(t, "open", tk.str(0x10100, dir), O_RDONLY|O_DIRECTORY)

	if got := tk.call(t, "getdents64", fd, 0x10800, 20); got != neg(EINVAL) {
		t.Fatalf("getdents64 into 20 bytes = %d, want -EINVAL (no room for one record)", int64(got))
	}
	// A small buffer: the listing takes several calls and resumes.
	var names []string
	var types []uint8
	var calls int
	for {
		n := tk.call(t, "getdents64", fd, 0x10800, 64)
		if int64(n) < 0 {
			t.Fatalf("getdents64 = %d, want a byte count", int64(n))
		}
		if n == 0 {
			break
		}
		calls++
		nm, ty := dirents(t, tk.m.mem[0x800:0x800+n])
		names, types = append(names, nm...), append(types, ty...)
	}
	want := []string{".", "..", "a", "a-long-name-that-takes-more-room", "b", "c.d", "l", "z"}
	if !reflect.DeepEqual(names, want) || calls < 3 {
		t.Fatalf("getdents64 listing = %q in %d calls, want %q in several", names, calls, want)
	}
	wantTypes := []uint8{DT_DIR, DT_DIR, DT_REG, DT_REG, DT_REG, DT_REG, DT_LNK, DT_DIR}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Fatalf("d_type = %v, want %v", types, wantTypes)
	}
	// Rewinding lists it again, in one call with a large buffer.
	tk.call(t, "lseek", fd, 0, 0)
	n := tk.call(t, "getdents64", fd, 0x10800, 4096)
	if got, _ := dirents(t, tk.m.mem[0x800:0x800+n]); !reflect.DeepEqual(got, want) {
		t.Fatalf("after lseek(0): %q, want %q", got, want)
	}
	if got := tk.call(t, "getdents64", 1, 0x10800, 4096); got != neg(ENOTDIR) {
		t.Fatalf("getdents64(stdout) = %d, want -ENOTDIR", int64(got))
	}
}

func TestProcSelf(t *testing.T) {
	status := "Name:\thello\nState:\tR (running)\nTgid:\t1000\nNgid:\t0\nPid:\t1000\nPPid:\t1\nTracerPid:\t0\n" +
		"Uid:\t" + strings.Repeat(strconv.Itoa(os.Getuid())+"\t", 3) + strconv.Itoa(os.Getuid()) + "\n" +
		"Gid:\t" + strings.Repeat(strconv.Itoa(os.Getgid())+"\t", 3) + strconv.Itoa(os.Getgid()) + "\n" +
		"VmSize:\t     136 kB\nVmRSS:\t      12 kB\nThreads:\t1\n"
	tests := []struct{ path, want string }{
		{"/proc/self/maps", newFake().Proc().Maps},
		{"/proc/1000/maps", newFake().Proc().Maps},
		{"/proc/self/cmdline", "/guest/hello\x00-v\x00"},
		{"/proc/self/environ", "HOME=/root\x00LANG=C\x00"},
		{"/proc/self/status", status},
		{"/proc/./self/../self/status", status},
	}
	for _, mode := range []FSMode{FSReadOnly, FSNone} {
		for _, tt := range tests {
			tk := newTestKernelFS(mode)
			fd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, tt.path), O_RDONLY|O_CLOEXEC)
			if int64(fd) < 0 {
				t.Fatalf("--fs %s: open(%s) = %d, want a descriptor", mode, tt.path, int64(fd))
			}
			if got := tk.readAll(t, fd); got != tt.want {
				t.Errorf("--fs %s: %s = %q, want %q", mode, tt.path, got, tt.want)
			}
		}
	}
	tk := newTestKernelFS(FSNone)
	n := tk.call(t, "readlinkat", atFDCWD, tk.str(0x10100, "/proc/self/exe"), 0x10800, 256)
	if got := string(tk.m.mem[0x800 : 0x800+n]); got != "/guest/hello" {
		t.Fatalf("readlink(/proc/self/exe) = %q, want /guest/hello", got)
	}
	for _, tt := range []struct {
		name, path string
		args       []uint64
		want       Errno
	}{
		{"open", "/proc/self/exe", []uint64{O_RDONLY}, ENOENT}, // its target is a host file
		{"open", "/proc/self/status", []uint64{O_WRONLY}, EACCES},
		{"open", "/proc/self/mounts", []uint64{O_RDONLY}, ENOENT},
		{"open", "/proc/1/status", []uint64{O_RDONLY}, ENOENT},
		{"open", "/etc/passwd", []uint64{O_RDONLY}, ENOENT},
		{"readlink", "/proc/self/maps", []uint64{0x10800, 256}, EINVAL},
	} {
		args := append([]uint64{tk.str(0x10100, tt.path)}, tt.args...)
		if got := tk.call(t, tt.name, args...); got != neg(tt.want) {
			t.Errorf("--fs none: %s(%q) = %d, want -%s", tt.name, tt.path, int64(got), tt.want.Name())
		}
	}
	if n := tk.call(t, "getcwd", 0x10800, 64); n != 2 || string(tk.m.mem[0x800:0x802]) != "/\x00" {
		t.Errorf("--fs none: getcwd = %d %q, want 2 \"/\\x00\" (the host's directories are hidden)", int64(n), tk.m.mem[0x800:0x800+n])
	}
	if got := tk.call(t, "lstat", tk.str(0x10100, "/proc/self/exe"), 0x10800); got != 0 {
		t.Fatalf("lstat(/proc/self/exe) = %d, want 0", int64(got))
	}
	if mode := binary.LittleEndian.Uint32(tk.m.mem[0x800+24:]); mode&S_IFMT != S_IFLNK {
		t.Fatalf("lstat(/proc/self/exe) mode = %#o, want a symbolic link", mode)
	}
}

func TestSocketsDenied(t *testing.T) {
	tk := newTestKernel()
	for _, name := range []string{"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4"} {
		if got := tk.call(t, name, 2, 1, 0, 0x10800); got != neg(EACCES) {
			t.Errorf("%s = %d, want -EACCES", name, int64(got))
		}
	}
	want := "[1000] socket(2, 1, 0) = -1 EACCES (Permission denied)\n"
	if got := strings.SplitAfter(tk.trace.String(), "\n")[0]; got != want {
		t.Errorf("trace = %q, want %q", got, want)
	}
}

func TestProcessesRefused(t *testing.T) {
	tk := newTestKernel()
	for _, name := range []string{"fork", "fork", "vfork", "execve", "execveat", "execve"} {
		if got := tk.call(t, name, tk.str(0x10100, "/bin/true"), 0, 0); got != neg(ENOSYS) {
			t.Errorf("%s = %d, want -ENOSYS", name, int64(got))
		}
	}
	want := "gouth-emu: warning: fork: creating processes is not emulated, returned ENOSYS\n" +
		"gouth-emu: warning: vfork: creating processes is not emulated, returned ENOSYS\n" +
		"gouth-emu: warning: execve: running another program is not emulated, returned ENOSYS\n" +
		"gouth-emu: warning: execveat: running another program is not emulated, returned ENOSYS\n"
	if got := tk.warn.String(); got != want {
		t.Errorf("warnings:\n%s\nwant one per call kind:\n%s", got, want)
	}
	for _, name := range []string{"wait4", "waitid"} {
		if got := tk.call(t, name, ^uint64(0), 0, 0, 0); got != neg(ECHILD) {
			t.Errorf("%s = %d, want -ECHILD", name, int64(got))
		}
	}
}
