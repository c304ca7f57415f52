package syscalls

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
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
	want [3]abi.Errno // by FSMode (ro, rw, none); 0 is success
	// done checks, after success with rw, that the host changed.
	done func(dir string) bool
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func fileText(p string) string { b, _ := os.ReadFile(p); return string(b) }

var fsOps = []fsOp{
	{"open O_CREAT new", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "openat", atFDCWD, tk.str(0x10100, d+"/new"), abi.O_WRONLY|abi.O_CREAT|abi.O_TRUNC, 0o644)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return exists(d + "/new") }},
	{"open O_CREAT|O_EXCL existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "openat", atFDCWD, tk.str(0x10100, d+"/old"), abi.O_WRONLY|abi.O_CREAT|abi.O_EXCL, 0o644)
	}, [3]abi.Errno{abi.EEXIST, abi.EEXIST, abi.ENOENT}, nil},
	{"open O_RDWR existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/old"), abi.O_RDWR)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, nil},
	{"open O_WRONLY missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/missing"), abi.O_WRONLY)
	}, [3]abi.Errno{abi.ENOENT, abi.ENOENT, abi.ENOENT}, nil},
	{"creat", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "creat", tk.str(0x10100, d+"/new"), 0o600)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return exists(d + "/new") }},
	{"open O_RDONLY", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "open", tk.str(0x10100, d+"/old"), abi.O_RDONLY)
	}, [3]abi.Errno{0, 0, abi.ENOENT}, nil},
	{"stat", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "stat", tk.str(0x10100, d+"/old"), 0x10800)
	}, [3]abi.Errno{0, 0, abi.ENOENT}, nil},
	{"access W_OK", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "access", tk.str(0x10100, d+"/old"), abi.W_OK)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, nil},
	{"access R_OK", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "access", tk.str(0x10100, d+"/old"), abi.R_OK)
	}, [3]abi.Errno{0, 0, abi.ENOENT}, nil},
	{"readlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "readlink", tk.str(0x10100, d+"/link"), 0x10800, 256)
	}, [3]abi.Errno{0, 0, abi.ENOENT}, nil},
	{"unlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, d+"/old"))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return !exists(d + "/old") }},
	{"unlink missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, d+"/missing"))
	}, [3]abi.Errno{abi.ENOENT, abi.ENOENT, abi.ENOENT}, nil},
	{"unlinkat AT_REMOVEDIR", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlinkat", atFDCWD, tk.str(0x10100, d+"/empty"), abi.AT_REMOVEDIR)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return !exists(d + "/empty") }},
	{"rmdir not empty", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rmdir", tk.str(0x10100, d+"/sub"))
	}, [3]abi.Errno{abi.EACCES, abi.ENOTEMPTY, abi.ENOENT}, nil},
	{"rename", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rename", tk.str(0x10100, d+"/old"), tk.str(0x10400, d+"/moved"))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return !exists(d+"/old") && exists(d+"/moved") }},
	{"renameat2 RENAME_NOREPLACE onto a file", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "renameat2", atFDCWD, tk.str(0x10100, d+"/old"), atFDCWD, tk.str(0x10400, d+"/sub/inner"), abi.RENAME_NOREPLACE)
	}, [3]abi.Errno{abi.EEXIST, abi.EEXIST, abi.ENOENT}, nil},
	{"rename missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "renameat", atFDCWD, tk.str(0x10100, d+"/missing"), atFDCWD, tk.str(0x10400, d+"/x"))
	}, [3]abi.Errno{abi.ENOENT, abi.ENOENT, abi.ENOENT}, nil},
	{"mkdir", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdir", tk.str(0x10100, d+"/newdir"), 0o755)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return exists(d + "/newdir") }},
	{"mkdir existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdirat", atFDCWD, tk.str(0x10100, d+"/sub"), 0o755)
	}, [3]abi.Errno{abi.EEXIST, abi.EEXIST, abi.ENOENT}, nil},
	{"mkdir in a missing directory", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mkdir", tk.str(0x10100, d+"/missing/newdir"), 0o755)
	}, [3]abi.Errno{abi.ENOENT, abi.ENOENT, abi.ENOENT}, nil},
	{"rmdir", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "rmdir", tk.str(0x10100, d+"/empty"))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return !exists(d + "/empty") }},
	{"truncate", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "truncate", tk.str(0x10100, d+"/old"), 1)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return fileText(d+"/old") == "o" }},
	{"chmod", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "chmod", tk.str(0x10100, d+"/old"), 0o600)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool {
		fi, err := os.Stat(d + "/old")
		return err == nil && fi.Mode().Perm() == 0o600
	}},
	{"symlink", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "symlink", tk.str(0x10100, "old"), tk.str(0x10400, d+"/sym"))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { t, _ := os.Readlink(d + "/sym"); return t == "old" }},
	{"link", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "link", tk.str(0x10100, d+"/old"), tk.str(0x10400, d+"/hard"))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return fileText(d+"/hard") == "old\n" }},
	{"utimensat", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "utimensat", atFDCWD, tk.str(0x10100, d+"/old"), tk.timespecs(0x10600, 1e9, 5, 15e8, 7), 0)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return mtime(d+"/old") == 15e8*1e9+7 }},
	{"utimensat UTIME_NOW is the virtual clock", func(t *testing.T, tk *testKernel, d string) uint64 {
		tk.m.now = 3e9
		return tk.call(t, "utimensat", atFDCWD, tk.str(0x10100, d+"/old"), tk.timespecs(0x10600, 0, abi.UTIME_OMIT, 0, abi.UTIME_NOW), 0)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return mtime(d+"/old") == (Epoch+3)*1e9 }},
	{"utimensat nofollow on a link", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "utimensat", atFDCWD, tk.str(0x10100, d+"/link"), tk.timespecs(0x10600, 1e9, 0, 1e9, 0), abi.AT_SYMLINK_NOFOLLOW)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return lmtime(d+"/link") == 1e18 && mtime(d+"/old") != 1e18 }},
	{"utimensat missing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "utimensat", atFDCWD, tk.str(0x10100, d+"/missing"), 0, 0)
	}, [3]abi.Errno{abi.ENOENT, abi.ENOENT, abi.ENOENT}, nil},
	{"utimensat nsec out of range", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "utimensat", atFDCWD, tk.str(0x10100, d+"/old"), tk.timespecs(0x10600, 0, 1e9, 0, 0), 0)
	}, [3]abi.Errno{abi.EINVAL, abi.EINVAL, abi.EINVAL}, nil},
	{"utimes", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "utimes", tk.str(0x10100, d+"/old"), tk.timespecs(0x10600, 1e9, 3, 2e9, 4))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool { return mtime(d+"/old") == 2e18+4000 }},
	{"futimesat usec out of range", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "futimesat", atFDCWD, tk.str(0x10100, d+"/old"), tk.timespecs(0x10600, 0, 1e6, 0, 0))
	}, [3]abi.Errno{abi.EINVAL, abi.EINVAL, abi.EINVAL}, nil},
	{"chown to itself", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "chown", tk.str(0x10100, d+"/old"), uint64(os.Getuid()), uint64(os.Getgid()))
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, nil},
	{"lchown a link", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "lchown", tk.str(0x10100, d+"/link"), 0xffffffff, 0xffffffff)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, nil},
	{"fchownat bad flags", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "fchownat", atFDCWD, tk.str(0x10100, d+"/old"), 0, 0, 1)
	}, [3]abi.Errno{abi.EINVAL, abi.EINVAL, abi.EINVAL}, nil},
	{"mknod FIFO", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mknod", tk.str(0x10100, d+"/fifo"), abi.S_IFIFO|0o644, 0)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool {
		fi, err := os.Lstat(d + "/fifo")
		return err == nil && fi.Mode()&os.ModeNamedPipe != 0
	}},
	{"mknodat existing", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mknodat", atFDCWD, tk.str(0x10100, d+"/old"), abi.S_IFIFO|0o644, 0)
	}, [3]abi.Errno{abi.EEXIST, abi.EEXIST, abi.ENOENT}, nil},
	{"mknod a directory", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mknod", tk.str(0x10100, d+"/dir"), abi.S_IFDIR|0o755, 0)
	}, [3]abi.Errno{abi.EPERM, abi.EPERM, abi.EPERM}, nil},
	{"mknod a device", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "mknod", tk.str(0x10100, d+"/dev"), abi.S_IFCHR|0o600, 0x0103)
	}, [3]abi.Errno{abi.EACCES, abi.EPERM, abi.ENOENT}, nil},
	{"fchmodat2", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "fchmodat2", atFDCWD, tk.str(0x10100, d+"/old"), 0o600, 0)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, func(d string) bool {
		fi, err := os.Stat(d + "/old")
		return err == nil && fi.Mode().Perm() == 0o600
	}},
	{"fchmodat2 AT_SYMLINK_NOFOLLOW on a link", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "fchmodat2", atFDCWD, tk.str(0x10100, d+"/link"), 0o600, abi.AT_SYMLINK_NOFOLLOW)
	}, [3]abi.Errno{abi.EACCES, abi.ENOTSUP, abi.ENOENT}, nil},
	{"faccessat2 W_OK", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "faccessat2", atFDCWD, tk.str(0x10100, d+"/old"), abi.W_OK, abi.AT_EACCESS)
	}, [3]abi.Errno{abi.EACCES, 0, abi.ENOENT}, nil},
	{"statx", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "statx", atFDCWD, tk.str(0x10100, d+"/old"), 0, abi.STATX_BASIC_STATS, 0x10800)
	}, [3]abi.Errno{0, 0, abi.ENOENT}, nil},
	{"unlink /proc/self/status", func(t *testing.T, tk *testKernel, d string) uint64 {
		return tk.call(t, "unlink", tk.str(0x10100, "/proc/self/status"))
	}, [3]abi.Errno{abi.EACCES, abi.EACCES, abi.EACCES}, nil},
}

// timespecs puts two struct timespec (or timeval) at addr and returns it.
func (tk *testKernel) timespecs(addr uint64, sec0, nsec0, sec1, nsec1 int64) uint64 {
	b := make([]byte, 32)
	for i, v := range []int64{sec0, nsec0, sec1, nsec1} {
		binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
	}
	tk.m.WriteMem(addr, b)
	return addr
}

// mtime and lmtime are a host file's modification time in ns, -1 if unknown.
func mtime(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return -1
	}
	return fi.ModTime().UnixNano()
}

func lmtime(p string) int64 {
	fi, err := os.Lstat(p)
	if err != nil {
		return -1
	}
	return fi.ModTime().UnixNano()
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
					t.Fatalf("got -%s, want success", abi.Errno(-int64(got)).Name())
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
	fd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, name), abi.O_RDWR|abi.O_CREAT|abi.O_EXCL|abi.O_CLOEXEC, 0o640)
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
		{"fcntl", []uint64{fd, abi.F_GETFL}, abi.O_RDWR},
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
	fd = tk.call(t, "open", tk.str(0x10100, name), abi.O_WRONLY|abi.O_APPEND)
	tk.call(t, "write", fd, tk.str(0x10200, "!\n"), 2)
	if got := fileText(name); got != "hello!\n" {
		t.Fatalf("host file after an O_APPEND write = %q, want %q", got, "hello!\n")
	}
	if got := tk.call(t, "read", fd, 0x10800, 10); got != neg(abi.EBADF) {
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
	dfd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, dir), abi.O_RDONLY|abi.O_DIRECTORY)
	if int64(dfd) < 3 {
		t.Fatalf("openat(dir) = %d, want a descriptor", int64(dfd))
	}
	fd := tk.call(t, "openat", dfd, tk.str(0x10100, "sub/inner"), abi.O_RDONLY)
	if int64(fd) < 3 {
		t.Fatalf("openat(dirfd, sub/inner) = %d, want a descriptor", int64(fd))
	}
	if got := tk.readAll(t, fd); got != "inner\n" {
		t.Fatalf("read = %q, want %q", got, "inner\n")
	}
	tests := []struct {
		name string
		args []uint64
		want abi.Errno
	}{
		{"write", []uint64{fd, tk.str(0x10200, "x"), 1}, abi.EBADF},
		{"pwrite64", []uint64{fd, 0x10200, 1, 0}, abi.EBADF},
		{"ftruncate", []uint64{fd, 0}, abi.EINVAL},
		{"fchmod", []uint64{fd, 0o777}, abi.EACCES},
		{"unlinkat", []uint64{dfd, tk.str(0x10300, "old"), 0}, abi.EACCES},
		{"openat", []uint64{fd, tk.str(0x10400, "x"), abi.O_RDONLY}, abi.ENOTDIR},
		{"socket", []uint64{2, 1, 0}, abi.EACCES},
	}
	for _, tt := range tests {
		if got := tk.call(t, tt.name, tt.args...); got != neg(tt.want) {
			t.Errorf("%s%v = %d, want -%s", tt.name, tt.args, int64(got), tt.want.Name())
		}
	}
	if got := tk.call(t, "fsync", fd); got != 0 {
		t.Errorf("fsync of a read-only host file = %d, want 0", int64(got))
	}
	if got := tk.call(t, "fsync", 1); got != neg(abi.EINVAL) {
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
	fd := tk.call(t, "open", tk.str(0x10100, dir), abi.O_RDONLY|abi.O_DIRECTORY)

	if got := tk.call(t, "getdents64", fd, 0x10800, 20); got != neg(abi.EINVAL) {
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
	wantTypes := []uint8{abi.DT_DIR, abi.DT_DIR, abi.DT_REG, abi.DT_REG, abi.DT_REG, abi.DT_REG, abi.DT_LNK, abi.DT_DIR}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Fatalf("d_type = %v, want %v", types, wantTypes)
	}
	// Rewinding lists it again, in one call with a large buffer.
	tk.call(t, "lseek", fd, 0, 0)
	n := tk.call(t, "getdents64", fd, 0x10800, 4096)
	if got, _ := dirents(t, tk.m.mem[0x800:0x800+n]); !reflect.DeepEqual(got, want) {
		t.Fatalf("after lseek(0): %q, want %q", got, want)
	}
	if got := tk.call(t, "getdents64", 1, 0x10800, 4096); got != neg(abi.ENOTDIR) {
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
			fd := tk.call(t, "openat", atFDCWD, tk.str(0x10100, tt.path), abi.O_RDONLY|abi.O_CLOEXEC)
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
		want       abi.Errno
	}{
		{"open", "/proc/self/exe", []uint64{abi.O_RDONLY}, abi.ENOENT}, // its target is a host file
		{"open", "/proc/self/status", []uint64{abi.O_WRONLY}, abi.EACCES},
		{"open", "/proc/self/mounts", []uint64{abi.O_RDONLY}, abi.ENOENT},
		{"open", "/proc/1/status", []uint64{abi.O_RDONLY}, abi.ENOENT},
		{"open", "/etc/passwd", []uint64{abi.O_RDONLY}, abi.ENOENT},
		{"readlink", "/proc/self/maps", []uint64{0x10800, 256}, abi.EINVAL},
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
	if mode := binary.LittleEndian.Uint32(tk.m.mem[0x800+24:]); mode&abi.S_IFMT != abi.S_IFLNK {
		t.Fatalf("lstat(/proc/self/exe) mode = %#o, want a symbolic link", mode)
	}
}

func TestSocketsDenied(t *testing.T) {
	tk := newTestKernel()
	for _, name := range []string{"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4"} {
		if got := tk.call(t, name, 2, 1, 0, 0x10800); got != neg(abi.EACCES) {
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
		if got := tk.call(t, name, tk.str(0x10100, "/bin/true"), 0, 0); got != neg(abi.ENOSYS) {
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
		if got := tk.call(t, name, ^uint64(0), 0, 0, 0); got != neg(abi.ECHILD) {
			t.Errorf("%s = %d, want -ECHILD", name, int64(got))
		}
	}
}

// getcwd returns the guest's working directory, or the errno.
func (tk *testKernel) getcwd(t *testing.T) string {
	t.Helper()
	n := tk.call(t, "getcwd", 0x18000, 4096)
	if int64(n) < 0 {
		return "-" + abi.Errno(-int64(n)).Name()
	}
	return string(tk.m.mem[0x8000 : 0x8000+n-1])
}

// TestWorkingDirectory walks the emulated working directory with chdir and
// fchdir and checks that relative paths and AT_FDCWD follow it while the
// host process's own never moves.
func TestWorkingDirectory(t *testing.T) {
	hostWd, _ := os.Getwd()
	d, err := filepath.EvalSymlinks(fsTree(t))
	if err != nil {
		t.Fatal(err)
	}
	tk := newTestKernelFS(FSReadOnly)
	if got := tk.getcwd(t); got != hostWd {
		t.Fatalf("getcwd at start = %q, want the host's %q", got, hostWd)
	}
	var dot uint64
	steps := []struct {
		name string
		do   func() uint64
		want abi.Errno
		cwd  string // "" to skip
	}{
		{"chdir dir", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, d)) }, 0, d},
		{"open relative", func() uint64 { return tk.call(t, "open", tk.str(0x10100, "sub/inner"), abi.O_RDONLY) }, 0, ""},
		{"stat relative", func() uint64 { return tk.call(t, "newfstatat", atFDCWD, tk.str(0x10100, "old"), 0x10800, 0) }, 0, ""},
		{"open . for later", func() uint64 {
			dot = tk.call(t, "open", tk.str(0x10100, "."), abi.O_RDONLY|abi.O_DIRECTORY)
			return dot
		}, 0, ""},
		{"chdir sub", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "sub")) }, 0, d + "/sub"},
		{"chdir ..", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "..")) }, 0, d},
		{"chdir through a link to a file", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "link")) }, abi.ENOTDIR, d},
		{"chdir missing", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "missing")) }, abi.ENOENT, d},
		{"chdir empty", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "")) }, abi.ENOENT, d},
		{"chdir bad pointer", func() uint64 { return tk.call(t, "chdir", 8) }, abi.EFAULT, d},
		{"chdir too long", func() uint64 {
			return tk.call(t, "chdir", tk.str(0x11000, strings.Repeat("a/", 2100)))
		}, abi.ENAMETOOLONG, d},
		{"chdir /proc", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "/proc")) }, abi.ENOENT, d},
		{"chdir /", func() uint64 { return tk.call(t, "chdir", tk.str(0x10100, "/")) }, 0, "/"},
		{"fchdir back", func() uint64 { return tk.call(t, "fchdir", dot) }, 0, d},
		{"fchdir stdout", func() uint64 { return tk.call(t, "fchdir", 1) }, abi.ENOTDIR, d},
		{"fchdir bad", func() uint64 { return tk.call(t, "fchdir", 77) }, abi.EBADF, d},
		{"getcwd small", func() uint64 { return tk.call(t, "getcwd", 0x18000, 2) }, abi.ERANGE, d},
	}
	for _, st := range steps {
		got := st.do()
		switch {
		case st.want != 0 && got != neg(st.want):
			t.Fatalf("%s: got %d, want -%s", st.name, int64(got), st.want.Name())
		case st.want == 0 && int64(got) < 0:
			t.Fatalf("%s: got -%s, want success", st.name, abi.Errno(-int64(got)).Name())
		}
		if st.cwd != "" {
			if got := tk.getcwd(t); got != st.cwd {
				t.Fatalf("after %s: getcwd = %q, want %q", st.name, got, st.cwd)
			}
		}
	}
	if wd, _ := os.Getwd(); wd != hostWd {
		t.Fatalf("the host's working directory moved to %q, want %q", wd, hostWd)
	}
}

// TestWorkingDirectoryFSNone checks the empty root --fs none shows: "/" is
// the only directory, and the host's are ENOENT.
func TestWorkingDirectoryFSNone(t *testing.T) {
	tk := newTestKernelFS(FSNone)
	hostWd, _ := os.Getwd()
	for _, tt := range []struct {
		path string
		want abi.Errno
	}{
		{"/", 0}, {".", 0}, {"/..", 0}, {"x/..", abi.ENOENT}, {hostWd, abi.ENOENT}, {"/proc", abi.ENOENT},
	} {
		if got := tk.call(t, "chdir", tk.str(0x10100, tt.path)); got != neg(tt.want) {
			t.Errorf("chdir(%q) = %d, want -%s", tt.path, int64(got), tt.want.Name())
		}
		if got := tk.getcwd(t); got != "/" {
			t.Errorf("after chdir(%q): getcwd = %q, want /", tt.path, got)
		}
	}
}

// TestUmask checks umask's old values and that files the guest creates get
// its umask, not the host process's.
func TestUmask(t *testing.T) {
	d := t.TempDir()
	tk := newTestKernelFS(FSReadWrite)
	host := tk.fsys.hostUmask
	if got := tk.call(t, "umask", 0o7077); uint32(got) != host {
		t.Fatalf("umask = %o, want the host's %o", got, host)
	}
	if got := tk.call(t, "umask", 0); got != 0o077 {
		t.Fatalf("umask = %o, want 077 (only the permission bits are kept)", got)
	}
	for _, c := range []struct {
		name string
		do   func(p uint64) uint64
		want os.FileMode
	}{
		{"f", func(p uint64) uint64 { return tk.call(t, "open", p, abi.O_CREAT|abi.O_WRONLY, 0o666) }, 0o666},
		{"dir", func(p uint64) uint64 { return tk.call(t, "mkdir", p, 0o777) }, 0o777 | os.ModeDir},
		{"fifo", func(p uint64) uint64 { return tk.call(t, "mknod", p, abi.S_IFIFO|0o666, 0) }, 0o666 | os.ModeNamedPipe},
	} {
		p := filepath.Join(d, c.name)
		if got := c.do(tk.str(0x10100, p)); int64(got) < 0 {
			t.Fatalf("creating %s: got -%s", c.name, abi.Errno(-int64(got)).Name())
		}
		if fi, err := os.Lstat(p); err != nil || fi.Mode() != c.want {
			t.Errorf("%s under umask 0: mode %v (%v), want %v", c.name, fi.Mode(), err, c.want)
		}
	}
}

// TestDirectoriesFollowRenames checks that a directory descriptor and the
// working directory name their directory after it is renamed, and what is
// left of them once it is removed, as on Linux.
func TestDirectoriesFollowRenames(t *testing.T) {
	d, err := filepath.EvalSymlinks(fsTree(t))
	if err != nil {
		t.Fatal(err)
	}
	tk := newTestKernelFS(FSReadWrite)
	dirfd := tk.call(t, "open", tk.str(0x10100, d+"/sub"), abi.O_RDONLY|abi.O_DIRECTORY)
	tk.call(t, "chdir", tk.str(0x10100, d+"/sub"))
	if err := os.Rename(d+"/sub", d+"/moved"); err != nil {
		t.Fatal(err)
	}
	if fd := tk.call(t, "openat", dirfd, tk.str(0x10100, "inner"), abi.O_RDONLY); int64(fd) < 0 {
		t.Errorf("openat(dirfd, inner) after the rename = -%s, want a descriptor", abi.Errno(-int64(fd)).Name())
	}
	if fd := tk.call(t, "open", tk.str(0x10100, "inner"), abi.O_RDONLY); int64(fd) < 0 {
		t.Errorf("open(inner) in the renamed working directory = -%s, want a descriptor", abi.Errno(-int64(fd)).Name())
	}
	if got := tk.getcwd(t); got != d+"/moved" {
		t.Errorf("getcwd after the rename = %q, want %q", got, d+"/moved")
	}
	os.Remove(d + "/moved/inner")
	if err := os.Remove(d + "/moved"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		got  uint64
		want abi.Errno
	}{
		{"getcwd", tk.call(t, "getcwd", 0x18000, 4096), abi.ENOENT},
		{"open .", tk.call(t, "open", tk.str(0x10100, "."), abi.O_RDONLY|abi.O_DIRECTORY), 0},
		{"create a file", tk.call(t, "open", tk.str(0x10100, "new"), abi.O_CREAT|abi.O_WRONLY, 0o644), abi.ENOENT},
		{"openat(dirfd, new)", tk.call(t, "openat", dirfd, tk.str(0x10100, "new"), abi.O_CREAT|abi.O_WRONLY, 0o644), abi.ENOENT},
		{"fchdir to the removed directory", tk.call(t, "fchdir", dirfd), 0},
	} {
		switch {
		case tt.want != 0 && tt.got != neg(tt.want):
			t.Errorf("%s in a removed directory: got %d, want -%s", tt.name, int64(tt.got), tt.want.Name())
		case tt.want == 0 && int64(tt.got) < 0:
			t.Errorf("%s in a removed directory: got -%s, want success", tt.name, abi.Errno(-int64(tt.got)).Name())
		}
	}
}
