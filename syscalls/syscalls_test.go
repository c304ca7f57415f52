package syscalls

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

func TestErrnoInOnePlace(t *testing.T) {
	tk := newTestKernel()
	tests := []struct {
		name string
		args []uint64
		want uint64
	}{
		{"close", []uint64{77}, neg(abi.EBADF)},
		{"write", []uint64{1, 0x1, 5}, neg(abi.EFAULT)}, // bad pointer: EFAULT, no crash
		{"openat", []uint64{uint64(0xffffff9c), 0xdead0000, 0}, neg(abi.EFAULT)},
		{"rt_sigaction", []uint64{abi.SIGSEGV, 0, 0, 4}, neg(abi.EINVAL)}, // wrong sigsetsize
		{"arch_prctl", []uint64{0x9999, 0}, neg(abi.EINVAL)},
		{"sched_getaffinity", []uint64{0, 4, 0x10000}, neg(abi.EINVAL)},
	}
	for _, tt := range tests {
		if got := tk.call(t, tt.name, tt.args...); got != tt.want {
			t.Errorf("%s%v = %#x, want %#x", tt.name, tt.args, got, tt.want)
		}
	}
}

func TestUnknownSyscallWarnsOnce(t *testing.T) {
	tk := newTestKernel()
	for i := 0; i < 3; i++ {
		if got := tk.Dispatch(tk.m, 999, [6]uint64{}).RAX; got != neg(abi.ENOSYS) {
			t.Fatalf("syscall 999 = %#x, want -ENOSYS", got)
		}
		if got := tk.Dispatch(tk.m, 7, [6]uint64{}).RAX; got != neg(abi.ENOSYS) { // poll: known, not implemented
			t.Fatalf("poll = %#x, want -ENOSYS", got)
		}
	}
	want := "gouth-emu: warning: syscall 999 (unknown) not implemented, returned ENOSYS\n" +
		"gouth-emu: warning: syscall 7 (poll) not implemented, returned ENOSYS\n"
	if got := tk.warn.String(); got != want {
		t.Fatalf("warnings:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriteStdoutAndTrace(t *testing.T) {
	tk := newTestKernel()
	tk.m.putStr(0x10100, "hello, world\n")
	if got := tk.call(t, "write", 1, 0x10100, 13); got != 13 {
		t.Fatalf("write = %d, want 13", got)
	}
	if got := tk.stdout.String(); got != "hello, world\n" {
		t.Fatalf("stdout = %q, want %q", got, "hello, world\n")
	}
	tk.m.putStr(0x10200, "/no/such/file")
	tk.call(t, "openat", uint64(0xffffff9c), 0x10200, abi.O_RDONLY|abi.O_CLOEXEC)
	want := `[1000] write(1, "hello, world\n", 13) = 13
[1000] openat(AT_FDCWD, "/no/such/file", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
`
	if got := tk.trace.String(); got != want {
		t.Fatalf("trace:\n%s\nwant:\n%s", got, want)
	}
}

func TestSynthesizedFiles(t *testing.T) {
	tk := newTestKernel()
	tk.m.putStr(0x10100, "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	fd := tk.call(t, "openat", uint64(0xffffff9c), 0x10100, abi.O_RDONLY)
	if int64(fd) < 3 {
		t.Fatalf("openat(hpage_pmd_size) = %d, want a descriptor", int64(fd))
	}
	n := tk.call(t, "read", fd, 0x10800, 64)
	if got := string(tk.m.mem[0x800 : 0x800+n]); got != "2097152\n" {
		t.Fatalf("read = %q, want %q", got, "2097152\n")
	}
	tk.m.putStr(0x10100, "/proc/self/cgroup")
	if got := tk.call(t, "openat", uint64(0xffffff9c), 0x10100, abi.O_RDONLY); got != neg(abi.ENOENT) {
		t.Fatalf("openat(/proc/self/cgroup) = %#x, want -ENOENT (no host cgroups leak in)", got)
	}
	tk.m.putStr(0x10100, "/proc/self/exe")
	n = tk.call(t, "readlinkat", uint64(0xffffff9c), 0x10100, 0x10800, 256)
	if got := string(tk.m.mem[0x800 : 0x800+n]); got != "/guest/hello" {
		t.Fatalf("readlinkat(/proc/self/exe) = %q, want %q", got, "/guest/hello")
	}
	tk.m.putStr(0x10100, "/tmp/gouth-new-file")
	if got := tk.call(t, "openat", uint64(0xffffff9c), 0x10100, abi.O_WRONLY|abi.O_CREAT); got != neg(abi.EACCES) {
		t.Fatalf("openat(O_CREAT) = %#x, want -EACCES (host is read-only)", got)
	}
}

func TestFutex(t *testing.T) {
	tk := newTestKernel()
	tk.m.putU32(0x10040, 7)
	if got := tk.call(t, "futex", 0x10040, abi.FUTEX_WAIT|abi.FUTEX_PRIVATE_FLAG, 6); got != neg(abi.EAGAIN) {
		t.Fatalf("futex wait with a stale value = %#x, want -EAGAIN", got)
	}
	_, w := tk.dispatch(t, "futex", 0x10040, abi.FUTEX_WAIT|abi.FUTEX_PRIVATE_FLAG, 7)
	if w == nil || w.Kind != "futex" || w.Addr != 0x10040 || w.Deadline != NoDeadline {
		t.Fatalf("futex wait = %+v, want an unbounded futex wait on 0x10040", w)
	}
	if got := tk.Complete(w, false); got != 0 {
		t.Fatalf("woken futex wait returns %#x, want 0", got)
	}
	// A relative timeout of 1.5 ms on the virtual clock.
	tk.m.now = 1000
	binary.LittleEndian.PutUint64(tk.m.mem[0x100:], 0)
	binary.LittleEndian.PutUint64(tk.m.mem[0x108:], 1_500_000)
	_, w = tk.dispatch(t, "futex", 0x10040, abi.FUTEX_WAIT|abi.FUTEX_PRIVATE_FLAG, 7, 0x10100)
	if w == nil || w.Deadline != 1000+1_500_000 {
		t.Fatalf("futex wait deadline = %+v, want 1501000", w)
	}
	if got := tk.Complete(w, true); got != neg(abi.ETIMEDOUT) {
		t.Fatalf("timed-out futex wait returns %#x, want -ETIMEDOUT", got)
	}
	tk.call(t, "futex", 0x10040, abi.FUTEX_WAKE|abi.FUTEX_PRIVATE_FLAG, 1)
	if len(tk.m.woken) != 1 || tk.m.woken[0] != 0x10040 {
		t.Fatalf("futex wake woke %#x, want [0x10040]", tk.m.woken)
	}
	if got := tk.call(t, "futex", 0x10041, abi.FUTEX_WAKE, 1); got != neg(abi.EINVAL) {
		t.Fatalf("futex on an unaligned word = %#x, want -EINVAL", got)
	}
}

func TestEventfdEpoll(t *testing.T) {
	tk := newTestKernel()
	ep := tk.call(t, "epoll_create1", abi.O_CLOEXEC)
	efd := tk.call(t, "eventfd2", 0, abi.EFD_CLOEXEC|abi.EFD_NONBLOCK)
	// struct epoll_event {u32 events; u64 data} packed: 12 bytes.
	binary.LittleEndian.PutUint32(tk.m.mem[0x100:], abi.EPOLLIN)
	binary.LittleEndian.PutUint64(tk.m.mem[0x104:], 0xabcdef)
	if got := tk.call(t, "epoll_ctl", ep, abi.EPOLL_CTL_ADD, efd, 0x10100); got != 0 {
		t.Fatalf("epoll_ctl ADD = %#x, want 0", got)
	}
	if got := tk.call(t, "epoll_ctl", ep, abi.EPOLL_CTL_ADD, 1, 0x10100); got != neg(abi.EPERM) {
		t.Fatalf("epoll_ctl on stdout = %#x, want -EPERM (not pollable)", got)
	}
	if got := tk.call(t, "epoll_pwait", ep, 0x10200, 8, 0); got != 0 {
		t.Fatalf("epoll_pwait(timeout 0) with nothing ready = %d, want 0", got)
	}
	tk.m.now = 5000
	_, w := tk.dispatch(t, "epoll_pwait", ep, 0x10200, 8, 10)
	if w == nil || w.Deadline != 5000+10_000_000 || w.Ready() {
		t.Fatalf("epoll_pwait(10ms) = %+v, want a 10 ms wait, not ready", w)
	}
	if got := tk.call(t, "read", efd, 0x10300, 8); got != neg(abi.EAGAIN) {
		t.Fatalf("read of an empty nonblocking eventfd = %#x, want -EAGAIN", got)
	}
	binary.LittleEndian.PutUint64(tk.m.mem[0x300:], 1)
	tk.call(t, "write", efd, 0x10300, 8)
	if !w.Ready() {
		t.Fatal("epoll wait not ready after the eventfd was written")
	}
	if got := tk.Complete(w, false); got != 1 {
		t.Fatalf("epoll_pwait result = %d, want 1 event", got)
	}
	if ev, data := binary.LittleEndian.Uint32(tk.m.mem[0x200:]), binary.LittleEndian.Uint64(tk.m.mem[0x204:]); ev != abi.EPOLLIN || data != 0xabcdef {
		t.Fatalf("event = %#x data %#x, want EPOLLIN data 0xabcdef", ev, data)
	}
}

func TestPipeBlockingRead(t *testing.T) {
	tk := newTestKernel()
	tk.call(t, "pipe2", 0x10100, 0)
	r := uint64(binary.LittleEndian.Uint32(tk.m.mem[0x100:]))
	wfd := uint64(binary.LittleEndian.Uint32(tk.m.mem[0x104:]))
	_, w := tk.dispatch(t, "read", r, 0x10200, 16)
	if w == nil || w.Kind != "read" || w.Ready() {
		t.Fatalf("read of an empty blocking pipe = %+v, want a read wait", w)
	}
	tk.m.putStr(0x10300, "ping")
	if got := tk.call(t, "write", wfd, 0x10300, 4); got != 4 {
		t.Fatalf("write = %d, want 4", got)
	}
	if !w.Ready() {
		t.Fatal("reader not ready after the write")
	}
	if got := tk.Complete(w, false); got != 4 || string(tk.m.mem[0x200:0x204]) != "ping" {
		t.Fatalf("read = %d %q, want 4 \"ping\"", got, tk.m.mem[0x200:0x204])
	}
	tk.call(t, "close", wfd)
	if got := tk.call(t, "read", r, 0x10200, 16); got != 0 {
		t.Fatalf("read after the writer closed = %d, want 0 (EOF)", got)
	}
}

func TestCloneRefusesProcesses(t *testing.T) {
	tk := newTestKernel()
	if got := tk.call(t, "clone", 0x11 /* SIGCHLD: fork */); got != neg(abi.ENOSYS) {
		t.Fatalf("clone(fork) = %#x, want -ENOSYS", got)
	}
	if want := "gouth-emu: warning: clone(SIGCHLD): creating processes is not emulated, returned ENOSYS\n"; tk.warn.String() != want {
		t.Fatalf("got warning %q, want %q", tk.warn.String(), want)
	}
	flags := uint64(abi.CLONE_VM | abi.CLONE_FS | abi.CLONE_FILES | abi.CLONE_SIGHAND | abi.CLONE_THREAD | abi.CLONE_SYSVSEM | abi.CLONE_SETTLS)
	if got := tk.call(t, "clone", flags, 0x10800, 0, 0, 0x10900); got != Pid+1 {
		t.Fatalf("clone(thread) = %d, want %d", got, Pid+1)
	}
}

func TestGetrandomDeterministic(t *testing.T) {
	a, b := newTestKernel(), newTestKernel()
	a.call(t, "getrandom", 0x10100, 32, 0)
	b.call(t, "getrandom", 0x10100, 32, 0)
	if string(a.m.mem[0x100:0x120]) != string(b.m.mem[0x100:0x120]) {
		t.Fatal("getrandom differs between two kernels with the same seed")
	}
	if string(a.m.mem[0x100:0x120]) == string(make([]byte, 32)) {
		t.Fatal("getrandom returned zeros")
	}
}

func TestMadviseDontneedZeroes(t *testing.T) {
	tk := newTestKernel()
	for i := 0x1000; i < 0x3000; i++ {
		tk.m.mem[i] = 0xab
	}
	if got := tk.call(t, "madvise", 0x11000, 0x1000, abi.MADV_DONTNEED); got != 0 {
		t.Fatalf("madvise(DONTNEED) = %#x, want 0", got)
	}
	if tk.m.mem[0x1000] != 0 || tk.m.mem[0x1fff] != 0 || tk.m.mem[0x2000] != 0xab {
		t.Fatalf("after DONTNEED: bytes %#x %#x %#x, want 0 0 0xab", tk.m.mem[0x1000], tk.m.mem[0x1fff], tk.m.mem[0x2000])
	}
	if got := tk.call(t, "madvise", 0x11000, 0x1000, 15 /* MADV_NOHUGEPAGE */); got != 0 {
		t.Fatalf("madvise(NOHUGEPAGE) = %#x, want 0", got)
	}
}

// TestRlimitNofile checks that RLIMIT_NOFILE starts from the host's
// (within maxFDs), that lowering it bounds the descriptor table, and
// Linux's errors for bad limits.
func TestRlimitNofile(t *testing.T) {
	tk := newTestKernel()
	var host syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &host); err != nil {
		t.Fatal(err)
	}
	tk.call(t, "getrlimit", abi.RLIMIT_NOFILE, 0x10800)
	cur, max := binary.LittleEndian.Uint64(tk.m.mem[0x800:]), binary.LittleEndian.Uint64(tk.m.mem[0x808:])
	if cur != min(host.Cur, maxFDs) || max != min(host.Max, maxFDs) {
		t.Fatalf("getrlimit(NOFILE) = {%d, %d}, want the host's {%d, %d} within %d", cur, max, host.Cur, host.Max, maxFDs)
	}
	set := func(cur, max uint64) uint64 {
		binary.LittleEndian.PutUint64(tk.m.mem[0x900:], cur)
		binary.LittleEndian.PutUint64(tk.m.mem[0x908:], max)
		return tk.call(t, "setrlimit", abi.RLIMIT_NOFILE, 0x10900)
	}
	for _, tt := range []struct {
		name string
		got  uint64
		want abi.Errno
	}{
		{"soft above hard", set(max+1, max), abi.EINVAL},
		{"hard above the cap", set(5, maxFDs+1), abi.EPERM},
		{"resource out of range", tk.call(t, "getrlimit", 16, 0x10800), abi.EINVAL},
		{"bad pointer", tk.call(t, "setrlimit", abi.RLIMIT_NOFILE, 8), abi.EFAULT},
		{"soft 5", set(5, max), 0},
	} {
		if tt.got != neg(tt.want) {
			t.Errorf("%s: got %d, want -%s", tt.name, int64(tt.got), tt.want.Name())
		}
	}
	for want := uint64(3); want < 5; want++ {
		if got := tk.call(t, "eventfd2", 0, 0); got != want {
			t.Fatalf("eventfd2 = %d, want %d", int64(got), want)
		}
	}
	if got := tk.call(t, "eventfd2", 0, 0); got != neg(abi.EMFILE) {
		t.Fatalf("eventfd2 beyond RLIMIT_NOFILE = %d, want -EMFILE", int64(got))
	}
	if got := tk.call(t, "dup2", 0, 5); got != neg(abi.EBADF) {
		t.Fatalf("dup2 onto 5 = %d, want -EBADF", int64(got))
	}
}

func TestGroups(t *testing.T) {
	tk := newTestKernel()
	host, _ := os.Getgroups()
	n := tk.call(t, "getgroups", 0, 0)
	if n != uint64(len(host)) {
		t.Fatalf("getgroups(0) = %d, want the host's %d", int64(n), len(host))
	}
	if got := tk.call(t, "getgroups", ^uint64(0), 0x10800); got != neg(abi.EINVAL) {
		t.Errorf("getgroups(-1) = %d, want -EINVAL", int64(got))
	}
	binary.LittleEndian.PutUint32(tk.m.mem[0x900:], 7)
	got := tk.call(t, "setgroups", 1, 0x10900)
	if os.Geteuid() != 0 {
		if got != neg(abi.EPERM) {
			t.Fatalf("setgroups as a user = %d, want -EPERM", int64(got))
		}
		return
	}
	if got != 0 || tk.call(t, "getgroups", 4, 0x10800) != 1 || binary.LittleEndian.Uint32(tk.m.mem[0x800:]) != 7 {
		t.Fatalf("setgroups([7]) as root = %d, then getgroups gave %v, want [7]", int64(got), tk.m.mem[0x800:0x804])
	}
	if hostNow, _ := os.Getgroups(); len(hostNow) != len(host) {
		t.Fatalf("the host's groups changed to %v", hostNow)
	}
}

func TestMincore(t *testing.T) {
	tk := newTestKernel()
	for _, tt := range []struct {
		name         string
		addr, n, vec uint64
		want         abi.Errno
	}{
		{"mapped", 0x10000, 0x2000, 0x18000, 0},
		{"unaligned", 0x10001, 1, 0x18000, abi.EINVAL},
		{"unmapped", 0x40000, 0x1000, 0x18000, abi.ENOMEM},
		{"unmapped before a bad vector", 0x40000, 0x1000, 8, abi.ENOMEM},
		{"bad vector", 0x10000, 0x1000, 8, abi.EFAULT},
		{"kernel half", 1 << 47, 0x1000, 0x18000, abi.ENOMEM},
	} {
		if got := tk.call(t, "mincore", tt.addr, tt.n, tt.vec); got != neg(tt.want) {
			t.Errorf("mincore %s = %d, want -%s", tt.name, int64(got), tt.want.Name())
		}
	}
	if v := tk.m.mem[0x8000:0x8002]; v[0] != 1 || v[1] != 1 {
		t.Errorf("mincore vector = %v, want [1 1]", v)
	}
}

func TestCloseRangeAndCopyFileRange(t *testing.T) {
	d := t.TempDir()
	src := filepath.Join(d, "src")
	os.WriteFile(src, []byte("0123456789"), 0o644)
	tk := newTestKernelFS(FSReadWrite)
	in := tk.call(t, "open", tk.str(0x10100, src), abi.O_RDONLY)
	out := tk.call(t, "open", tk.str(0x10100, filepath.Join(d, "dst")), abi.O_CREAT|abi.O_RDWR, 0o644)
	binary.LittleEndian.PutUint64(tk.m.mem[0x900:], 6)
	if got := tk.call(t, "copy_file_range", in, 0x10900, out, 0, 100, 0); got != 4 {
		t.Fatalf("copy_file_range = %d, want 4", int64(got))
	}
	if off := binary.LittleEndian.Uint64(tk.m.mem[0x900:]); off != 10 || fileText(filepath.Join(d, "dst")) != "6789" {
		t.Fatalf("after copy_file_range: offset %d, dst %q; want 10, \"6789\"", off, fileText(filepath.Join(d, "dst")))
	}
	for _, tt := range []struct {
		name string
		got  uint64
		want abi.Errno
	}{
		{"copy flags", tk.call(t, "copy_file_range", in, 0, out, 0, 1, 1), abi.EINVAL},
		{"copy to a read-only descriptor", tk.call(t, "copy_file_range", out, 0, in, 0, 1, 0), abi.EBADF},
		{"copy from stdin", tk.call(t, "copy_file_range", 0, 0, out, 0, 1, 0), abi.EINVAL},
		{"close_range backwards", tk.call(t, "close_range", 5, 4, 0), abi.EINVAL},
		{"close_range bad flags", tk.call(t, "close_range", 3, 4, 1), abi.EINVAL},
		{"close_range cloexec", tk.call(t, "close_range", in, in, abi.CLOSE_RANGE_CLOEXEC), 0},
		{"F_GETFD", tk.call(t, "fcntl", in, abi.F_GETFD) - abi.FD_CLOEXEC, 0},
		{"close_range", tk.call(t, "close_range", 3, 0xffffffff, 0), 0},
		{"closed", tk.call(t, "fcntl", out, abi.F_GETFD), abi.EBADF},
	} {
		if tt.got != neg(tt.want) {
			t.Errorf("%s: got %d, want -%s", tt.name, int64(tt.got), tt.want.Name())
		}
	}
}
