package syscalls

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Fuzzing the system call interface: whatever a guest passes in the
// registers, Dispatch (and Complete, for a call that sleeps) must give an
// answer without a Go panic, and the strace line of the call must format.
//
// Everything stays in memory: the kernel runs with --fs ro (FuzzDispatch)
// or none (FuzzDispatchSequence), never rw: the fuzzer must not change the
// host. Stdin is a bytes.Reader; stdout, stderr, warnings and the trace go
// to buffers; host descriptors a call opens are closed after the input.
// The only host access is FuzzDispatch reading the few paths the fake
// memory holds (under this directory, or missing): one call, made twice,
// cannot build another path, so it cannot reach a device or FIFO that
// would block. Keep such paths out of this file, which it may read.

// Fixed guest addresses in the fake machine's memory (0x10000..0x20000).
const (
	fzBuf     = 0x10000 // 32 KiB of zeros: output buffers
	fzPaths   = 0x18000 // NUL-terminated paths, fzPathLen apart
	fzData    = 0x1c000 // structures: timespecs, futex word, sigaction ...
	fzPathLen = 0x100
)

// fzPathList are the paths at fzPaths + i*fzPathLen. None of them can block
// the host on open (no FIFOs, no devices), and their suffixes, which the
// fuzzer reaches by pointing inside them, are missing relative paths.
var fzPathList = []string{
	"/proc/self/maps",
	"/proc/self/exe",
	"/proc/self/status",
	"/proc/1000/cmdline",
	"/proc/self/environ",
	"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
	"/proc/self/mountinfo",
	".",
	"testdata",
	"fuzz_test.go",
	"testdata/no-such-file",
	"/no-such-dir/file",
	"/proc",
	"/sys",
	"",
}

// Structures at fzData.
const (
	fzTimespecShort = fzData + 0x00 // {0, 1000}
	fzTimespecLong  = fzData + 0x10 // {1, 0}
	fzTimespecBad   = fzData + 0x20 // {-1, 0}
	fzFutexWord     = fzData + 0x40 // 0
	fzSigaction     = fzData + 0x80 // {handler 0x401000, SA_SIGINFO|SA_ONSTACK|SA_RESTORER|SA_RESTART, restorer, mask}
	fzSigset        = fzData + 0xc0 // all signals
	fzEpollEvent    = fzData + 0x100
	fzRlimit        = fzData + 0x120 // {1024, 4096}
	fzStack         = fzData + 0x140 // stack_t {fzBuf, 0, 0x4000}
	fzEventValue    = fzData + 0x160 // 8-byte eventfd value 1
	fzBytes         = fzData + 0x180 // "hello, fuzzer\n"
)

// fzSetup is what a fuzzed call finds: the kernel, with
//
//	fd 3, 4   a pipe, 5 bytes written and not read
//	fd 5      an eventfd with count 1
//	fd 6      an epoll instance watching fds 3 and 5
type fzSetup struct {
	k                           *Kernel
	m                           *fakeMachine
	trace, warn, stdout, stderr bytes.Buffer
}

func newFuzzKernel(t *testing.T, mode FSMode) *fzSetup {
	if mode == FSReadWrite {
		t.Fatal("the fuzz kernel must not run with --fs rw")
	}
	s := &fzSetup{m: newFake()}
	s.k = NewKernel(Config{
		Cpus:    2,
		ExePath: "/guest/hello",
		FS:      mode, // never FSReadWrite: see the comment at the top
		Stdin:   bytes.NewReader([]byte("stdin line\n")),
		Stdout:  &s.stdout,
		Stderr:  &s.stderr,
		Warn:    &s.warn,
		Trace:   &s.trace,
	})
	m := s.m
	for i, p := range fzPathList {
		m.putStr(fzPaths+uint64(i*fzPathLen), p)
	}
	le := binary.LittleEndian
	put64 := func(addr, v uint64) { le.PutUint64(m.mem[addr-m.base:], v) }
	put64(fzTimespecShort, 0)
	put64(fzTimespecShort+8, 1000)
	put64(fzTimespecLong, 1)
	put64(fzTimespecLong+8, 0)
	put64(fzTimespecBad, ^uint64(0))
	put64(fzTimespecBad+8, 0)
	m.putU32(fzFutexWord, 0)
	put64(fzSigaction, 0x401000)
	put64(fzSigaction+8, 0x4|0x08000000|0x04000000|0x10000000)
	put64(fzSigaction+16, 0x401100)
	put64(fzSigaction+24, 1<<9)
	put64(fzSigset, ^uint64(0))
	m.putU32(fzEpollEvent, abi.EPOLLIN|abi.EPOLLOUT)
	put64(fzEpollEvent+4, 0x1234)
	put64(fzRlimit, 1024)
	put64(fzRlimit+8, 4096)
	put64(fzStack, fzBuf)
	put64(fzStack+16, 0x4000)
	put64(fzEventValue, 1)
	m.putStr(fzBytes, "hello, fuzzer\n")

	// The descriptors, made through Dispatch like a guest would.
	must := func(name string, want uint64, args ...uint64) {
		nr, ok := abi.SyscallNumber(name)
		if !ok {
			nr = -1
		}
		var a [6]uint64
		copy(a[:], args)
		o := s.k.Dispatch(m, uint64(nr), a)
		got, w := o.RAX, o.Wait
		if w != nil || got != want {
			t.Fatalf("fuzz set-up: %s = %#x (wait %v), want %#x", name, got, w, want)
		}
	}
	must("pipe2", 0, fzBuf+0x7ff8, 0)
	must("write", 5, 4, fzBytes, 5)
	must("eventfd2", 5, 1, 0)
	must("epoll_create1", 6, 0)
	must("epoll_ctl", 0, 6, abi.EPOLL_CTL_ADD, 3, fzEpollEvent)
	must("epoll_ctl", 0, 6, abi.EPOLL_CTL_ADD, 5, fzEpollEvent)
	clear(m.mem[fzBuf-m.base : fzBuf-m.base+0x8000])
	s.trace.Reset()
	s.warn.Reset()
	return s
}

// closeAll closes every descriptor, so host files a call opened do not
// pile up across inputs.
func (s *fzSetup) closeAll() {
	s.k.fsys.setCwd(nil) // the host directory the working directory holds
	for fd := range s.k.fds.fds {
		if s.k.fds.fds[fd] != nil {
			s.k.fds.closeFD(fd)
		}
	}
}

// fzSeeds are in-code seeds: one plausible call per implemented system
// call, its pointers into the fake memory, so the fuzzer starts inside
// every handler. The files in testdata/fuzz/FuzzDispatch add a few more.
func fzSeeds() [][7]uint64 {
	path := func(i int) uint64 { return fzPaths + uint64(i*fzPathLen) }
	at := uint64(0xffffffffffffff9c) // AT_FDCWD
	return [][7]uint64{
		{0, 3, fzBuf, 100},                   // read from the pipe
		{0, 0, fzBuf, 100},                   // read stdin
		{0, 5, fzBuf, 8},                     // read the eventfd
		{1, 1, fzBytes, 14},                  // write stdout
		{1, 4, fzBytes, 14},                  // write the pipe
		{1, 5, fzEventValue, 8},              // write the eventfd
		{2, path(0), 0},                      // open /proc/self/maps
		{2, path(9), 0},                      // open fuzz_test.go
		{3, 3},                               // close
		{4, path(9), fzBuf},                  // stat
		{5, 6, fzBuf},                        // fstat
		{6, path(1), fzBuf},                  // lstat /proc/self/exe
		{8, 0, 0, 1},                         // lseek
		{9, 0, 1 << 20, 3, 0x22, ^uint64(0)}, // mmap
		{10, 0x7f0000000000, 4096, 1},        // mprotect
		{11, 0x7f0000000000, 4096},           // munmap
		{12, 0},                              // brk
		{13, 10, fzSigaction, fzBuf, 8},      // rt_sigaction
		{14, 0, fzSigset, fzBuf, 8},          // rt_sigprocmask
		{15},                                 // rt_sigreturn
		{16, 1, 0x5401, fzBuf},               // ioctl TCGETS
		{17, 3, fzBuf, 10, 0},                // pread64
		{18, 4, fzBytes, 5, 0},               // pwrite64
		{21, path(8), 4},                     // access
		{22, fzBuf},                          // pipe
		{24},                                 // sched_yield
		{28, fzBuf, 4096, 4},                 // madvise DONTNEED
		{32, 1},                              // dup
		{35, fzTimespecShort, 0},             // nanosleep
		{39},                                 // getpid
		{41, 2, 1, 0},                        // socket
		{56, 0x3d0f00, fzBuf + 0x4000, fzBuf, fzBuf + 8, 0x1000}, // clone a thread
		{56, 17},                          // clone a process
		{57},                              // fork
		{59, path(9), 0, 0},               // execve
		{60, 3},                           // exit
		{61, ^uint64(0), 0, 0, 0},         // wait4
		{62, 1000, 0},                     // kill
		{63, fzBuf},                       // uname
		{72, 3, 4, 0x800},                 // fcntl F_SETFL
		{74, 3},                           // fsync
		{76, path(9), 0},                  // truncate
		{77, 3, 0},                        // ftruncate
		{79, fzBuf, 4096},                 // getcwd
		{82, path(9), path(10)},           // rename
		{83, path(10), 0o755},             // mkdir
		{84, path(8)},                     // rmdir
		{85, path(10), 0o644},             // creat
		{86, path(9), path(10)},           // link
		{87, path(9)},                     // unlink
		{88, path(9), path(10)},           // symlink
		{89, path(1), fzBuf, 100},         // readlink
		{90, path(9), 0o600},              // chmod
		{91, 3, 0o600},                    // fchmod
		{96, fzBuf, 0},                    // gettimeofday
		{97, 7, fzBuf},                    // getrlimit
		{102}, {104}, {107}, {108}, {110}, // ids
		{127, fzBuf, 8},         // rt_sigpending
		{131, fzStack, fzBuf},   // sigaltstack
		{157, 15, fzBytes},      // prctl PR_SET_NAME
		{157, 16, fzBuf},        // prctl PR_GET_NAME
		{158, 0x1002, 0x500000}, // arch_prctl ARCH_SET_FS
		{158, 0x1003, fzBuf},    // arch_prctl ARCH_GET_FS
		{186},                   // gettid
		{200, 1000, 0},          // tkill
		{201, fzBuf},            // time
		{202, fzFutexWord, 0x80, 0, fzTimespecShort},               // futex wait
		{202, fzFutexWord, 0x81, 1},                                // futex wake
		{202, fzFutexWord, 0x89, 0, fzTimespecLong, 0, ^uint64(0)}, // futex wait bitset
		{203, 0, 8, fzBuf},                                         // sched_setaffinity
		{204, 0, 8, fzBuf},                                         // sched_getaffinity
		{213, 1},                                                   // epoll_create
		{217, 3, fzBuf, 4096},                                      // getdents64
		{218, fzBuf},                                               // set_tid_address
		{228, 1, fzBuf},                                            // clock_gettime
		{229, 1, fzBuf},                                            // clock_getres
		{230, 1, 0, fzTimespecLong, 0},                             // clock_nanosleep
		{231, 0},                                                   // exit_group
		{232, 6, fzBuf, 8, ^uint64(0)},                             // epoll_wait
		{233, 6, 2, 3, 0},                                          // epoll_ctl DEL
		{234, 1000, 1000, 23},                                      // tgkill
		{247, 0, 0, fzBuf, 4, 0},                                   // waitid
		{257, at, path(7), 0x10000},                                // openat . O_DIRECTORY
		{257, at, path(5), 0},                                      // openat /sys/...
		{258, at, path(10), 0o755},                                 // mkdirat
		{262, at, path(9), fzBuf, 0},                               // newfstatat
		{262, 1, path(14), fzBuf, 0x1000},                          // newfstatat AT_EMPTY_PATH
		{263, at, path(9), 0},                                      // unlinkat
		{264, at, path(9), at, path(10)},                           // renameat
		{265, at, path(9), at, path(10), 0},                        // linkat
		{266, path(9), at, path(10)},                               // symlinkat
		{267, at, path(1), fzBuf, 100},                             // readlinkat
		{268, at, path(9), 0o600},                                  // fchmodat
		{269, at, path(9), 0},                                      // faccessat
		{281, 6, fzBuf, 8, 0, 0, 8},                                // epoll_pwait
		{284, 3},                                                   // eventfd
		{288, 3, 0, 0, 0},                                          // accept4
		{290, 0, 1},                                                // eventfd2 EFD_SEMAPHORE
		{291, 0x80000},                                             // epoll_create1
		{292, 1, 10, 0},                                            // dup3
		{293, fzBuf, 0x800},                                        // pipe2
		{302, 0, 7, fzRlimit, fzBuf},                               // prlimit64
		{316, at, path(9), at, path(10), 1},                        // renameat2 NOREPLACE
		{318, fzBuf, 64, 0},                                        // getrandom
		{322, at, path(9), 0, 0, 0},                                // execveat
		{27, fzBuf, 4096, fzBuf + 0x100},                           // mincore
		{33, 1, 9},                                                 // dup2
		{80, path(8)},                                              // chdir testdata
		{80, path(10)},                                             // chdir missing
		{81, 3},                                                    // fchdir a pipe
		{92, path(9), 0, 0},                                        // chown
		{93, 3, ^uint64(0), ^uint64(0)},                            // fchown
		{94, path(9), 0, 0},                                        // lchown
		{95, 0o22},                                                 // umask
		{115, 16, fzBuf},                                           // getgroups
		{116, 1, fzBuf},                                            // setgroups
		{132, path(9), fzTimespecShort},                            // utime
		{133, path(10), abi.S_IFIFO | 0o644, 0},                    // mknod
		{160, 7, fzRlimit},                                         // setrlimit
		{235, path(9), fzTimespecShort},                            // utimes
		{259, at, path(10), abi.S_IFIFO | 0o644, 0},                // mknodat
		{260, at, path(9), 0, 0, 0x100},                            // fchownat
		{261, at, path(9), 0},                                      // futimesat
		{280, at, path(9), fzTimespecShort, 0},                     // utimensat
		{280, 3, 0, 0, 0},                                          // futimens
		{326, 3, 0, 4, 0, 5, 0},                                    // copy_file_range
		{332, at, path(9), 0, 0x7ff, fzBuf},                        // statx
		{436, 3, 4, 4},                                             // close_range CLOEXEC
		{439, at, path(9), 4, 0x200},                               // faccessat2
		{452, at, path(9), 0o600, 0x100},                           // fchmodat2
		{1000},                                                     // beyond the table
	}
}

func FuzzDispatch(f *testing.F) {
	for _, s := range fzSeeds() {
		f.Add(uint16(s[0]), s[1], s[2], s[3], s[4], s[5], s[6])
	}
	f.Fuzz(func(t *testing.T, nr uint16, a0, a1, a2, a3, a4, a5 uint64) {
		s := newFuzzKernel(t, FSReadOnly)
		defer s.closeAll()
		args := [6]uint64{a0, a1, a2, a3, a4, a5}
		// The same call twice: the second one meets whatever state the
		// first left behind (a closed or replaced descriptor, a new
		// signal action, consumed data).
		for i := 0; i < 2; i++ {
			w := s.k.Dispatch(s.m, uint64(nr), args).Wait
			if w == nil {
				continue
			}
			if w.Done == nil {
				t.Fatalf("syscall %d (%s) returned a Wait (%s) without Done", nr, abi.SyscallName(int(nr)), w.Kind)
			}
			if w.Ready != nil {
				w.Ready()
			}
			s.k.Complete(w, true)
		}
		warn := s.warn.String()
		if strings.Contains(warn, "internal error") || strings.Contains(warn, "(returned EIO)") {
			t.Fatalf("syscall %d (%s) with args %#x: the handler failed:\n%s\ntrace:\n%s", nr, abi.SyscallName(int(nr)), args, warn, s.trace.String())
		}
		if !strings.Contains(s.trace.String(), ") = ") {
			t.Fatalf("syscall %d (%s) with args %#x: no trace line, got %q", nr, abi.SyscallName(int(nr)), args, s.trace.String())
		}
	})
}

// fzValues are the argument values FuzzDispatchSequence picks from: the
// descriptors a short run creates, sizes, flags, and the addresses of the
// fake memory's paths and structures, good and bad.
var fzValues = func() []uint64 {
	v := []uint64{
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1023, 1024, // descriptors, small counts
		Pid, Pid + 1, 99999, // pids and tids
		8, 12, 16, 64, 100, 4096, 1 << 20, 1 << 40, // sizes
		^uint64(0), 0xffffffffffffff9c, // -1, AT_FDCWD
		abi.O_WRONLY, abi.O_CREAT | abi.O_WRONLY, abi.O_TRUNC | abi.O_WRONLY, abi.O_APPEND | abi.O_WRONLY,
		abi.O_DIRECTORY, abi.O_NONBLOCK, abi.O_CLOEXEC, abi.AT_EMPTY_PATH, abi.AT_REMOVEDIR, abi.RENAME_NOREPLACE,
		abi.MAP_PRIVATE | abi.MAP_ANONYMOUS, abi.MAP_PRIVATE | abi.MAP_ANONYMOUS | abi.MAP_FIXED, 3, // PROT_READ|PROT_WRITE
		abi.F_DUPFD, abi.F_SETFL, abi.EPOLL_CTL_ADD, abi.EPOLL_CTL_DEL, abi.EPOLL_CTL_MOD, abi.EPOLLIN | abi.EPOLLET,
		abi.FUTEX_WAIT | abi.FUTEX_PRIVATE_FLAG, abi.FUTEX_WAIT_BITSET | abi.FUTEX_CLOCK_REALTIME, abi.SS_DISABLE,
		fzBuf, fzBuf + 0x1000, fzBuf + 0x7ffc, 0x1fff8, // buffers; the last one is 8 bytes before the end
		fzTimespecShort, fzTimespecLong, fzTimespecBad, fzFutexWord, fzSigaction, fzSigset,
		fzEpollEvent, fzRlimit, fzStack, fzEventValue, fzBytes,
		0x1, 0xfffc, 0x1fffc, 0xdead00000000, 1 << 47, // bad or partly bad pointers
	}
	for i := range fzPathList {
		v = append(v, fzPaths+uint64(i*fzPathLen), fzPaths+uint64(i*fzPathLen)+1)
	}
	return v
}()

// fzImplemented lists the numbers of the implemented system calls.
var fzImplemented = func() []uint64 {
	var nrs []uint64
	for i, e := range Table {
		if e.Handler != nil {
			nrs = append(nrs, uint64(i))
		}
	}
	return nrs
}()

// fzDecode turns data into up to 16 calls. Each call is one byte choosing
// an implemented system call, then one byte per argument: below 0xf0 an
// index into fzValues, otherwise the next 8 bytes as a raw value.
func fzDecode(data []byte) (calls [][7]uint64) {
	for len(data) > 0 && len(calls) < 16 {
		var c [7]uint64
		c[0] = fzImplemented[int(data[0])%len(fzImplemented)]
		data = data[1:]
		for i := 1; i < 7 && len(data) > 0; i++ {
			b := data[0]
			data = data[1:]
			if b < 0xf0 {
				c[i] = fzValues[int(b)%len(fzValues)]
				continue
			}
			var raw [8]byte
			n := copy(raw[:], data)
			data = data[n:]
			c[i] = binary.LittleEndian.Uint64(raw[:])
		}
		calls = append(calls, c)
	}
	return calls
}

// FuzzDispatchSequence runs short sequences of system calls on one
// kernel, so that handlers meet the state earlier calls leave: descriptors
// closed, duplicated or replaced, epoll sets holding closed files, /proc
// files read half-way, signal actions and masks changed. It runs with
// --fs none, so no host file is involved at all.
func FuzzDispatchSequence(f *testing.F) {
	idx := func(nr uint64) byte {
		for i, n := range fzImplemented {
			if n == nr {
				return byte(i)
			}
		}
		panic("not implemented")
	}
	val := func(v uint64) []byte {
		for i, x := range fzValues {
			if x == v {
				return []byte{byte(i)}
			}
		}
		return binary.LittleEndian.AppendUint64([]byte{0xff}, v)
	}
	at := uint64(0xffffffffffffff9c)
	path := func(i int) uint64 { return fzPaths + uint64(i*fzPathLen) }
	for _, seq := range [][][]uint64{
		// Open /proc as a directory, list it, close it.
		{{257, at, path(12), abi.O_DIRECTORY}, {217, 7, fzBuf, 4096}, {8, 7, 0, 0}, {3, 7}},
		// Close the pipe's read end that epoll watches, then wait.
		{{3, 3}, {281, 6, fzBuf, 8, 0}, {233, 6, abi.EPOLL_CTL_DEL, 3, fzEpollEvent}},
		// Replace the watched pipe end with stdout; read it; wait.
		{{292, 1, 3, 0}, {0, 3, fzBuf, 100}, {232, 6, fzBuf, 8, 0}},
		// Fill descriptors up to the limit.
		{{292, 1, 1023, 0}, {32, 1}, {291, 0}, {293, fzBuf, 0}},
		// The working directory: into /proc (ENOENT), to /, back with
		// fchdir, and a relative open there.
		{{80, path(12)}, {257, at, path(7), abi.O_DIRECTORY}, {80, path(7)}, {81, 7}, {79, fzBuf, 4096}, {257, at, path(8), 0}},
		// Lower RLIMIT_NOFILE below the open descriptors, then open more.
		{{160, 7, fzRlimit}, {32, 1}, {436, 3, 0xffffffff, 0}, {291, 0}},
		// Signal actions, masks and an alternate stack.
		{{13, 10, fzSigaction, 0, 8}, {14, 0, fzSigset, fzBuf, 8}, {131, fzStack, fzBuf}, {234, 1000, 1000, 10}, {127, fzBuf, 8}},
		// /proc files: open, read, seek, read, stat.
		{{257, at, path(0), 0}, {0, 7, fzBuf, 64}, {8, 7, 1 << 20, 0}, {0, 7, fzBuf, 64}, {5, 7, fzBuf}},
	} {
		var data []byte
		for _, c := range seq {
			data = append(data, idx(c[0]))
			for _, a := range c[1:] {
				data = append(data, val(a)...)
			}
			for i := len(c) - 1; i < 6; i++ {
				data = append(data, val(0)...)
			}
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// --fs none: a sequence could otherwise walk the host's
		// directories (getdents64 writes names, "..", into memory that
		// the next openat reads) and open a device or FIFO that blocks.
		s := newFuzzKernel(t, FSNone)
		defer s.closeAll()
		for _, c := range fzDecode(data) {
			args := [6]uint64{c[1], c[2], c[3], c[4], c[5], c[6]}
			w := s.k.Dispatch(s.m, c[0], args).Wait
			if w != nil {
				if w.Ready != nil {
					w.Ready()
				}
				s.k.Complete(w, true)
			}
			if warn := s.warn.String(); strings.Contains(warn, "internal error") || strings.Contains(warn, "(returned EIO)") {
				t.Fatalf("syscall %d (%s) with args %#x: the handler failed:\n%s\ntrace:\n%s", c[0], abi.SyscallName(int(c[0])), args, warn, s.trace.String())
			}
		}
	})
}
