// Command adversarial does one hostile thing to whatever runs it, chosen by
// its first argument, and prints the raw outcome of every system call it
// makes ("name: ok N" or "name: errno N NAME"), so gouth-emu's answers can
// be compared with Linux's:
//
//	badptr             bad pointers (0x1, 0xdead00000000, read-only data) to ~20 calls
//	hugelen            absurd lengths: write, read, getrandom, mmap
//	badfd              descriptors that are not open, or not what the call wants
//	unmapstack         munmap the running goroutine's stack, then use it: SIGSEGV
//	jumpnull           call a nil func: a recoverable nil-pointer panic
//	loadbad            read a byte at 0xdead00000000 (non-canonical): SIGSEGV, fatal
//	jumpbad            call code at 0xdead00000000 (non-canonical): SIGSEGV, fatal
//	jumpunmapped       call code at 0x100000 (unmapped): SIGSEGV, fatal
//	socket             socket(AF_INET, SOCK_STREAM, 0)
//	fork               the raw fork system call (never run natively: it forks)
//	execve             execve("/bin/true") (never run natively: it replaces the process)
//	hostfile DIR       create, write, rename, delete and mkdir in DIR
//	spin               loop forever
//	allocate           allocate and touch 64 MiB slices until the runtime gives up
//	signals-to-others  signal 0 to threads and processes that are not ours
//
// It uses only the standard library and syscall, and builds with go1.11
// as well as the current toolchain.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// Linux x86-64 system call numbers, spelled out: the syscall package's
// table lacks the newer ones.
const (
	sysRead            = 0
	sysWrite           = 1
	sysClose           = 3
	sysStat            = 4
	sysFstat           = 5
	sysMmap            = 9
	sysMprotect        = 10
	sysMunmap          = 11
	sysRtSigaction     = 13
	sysRtSigprocmask   = 14
	sysNanosleep       = 35
	sysGetpid          = 39
	sysSocket          = 41
	sysFork            = 57
	sysExecve          = 59
	sysKill            = 62
	sysUname           = 63
	sysGetcwd          = 79
	sysSigaltstack     = 131
	sysTkill           = 200
	sysFutex           = 202
	sysSchedGetaff     = 204
	sysClockGettime    = 228
	sysEpollCtl        = 233
	sysTgkill          = 234
	sysOpenat          = 257
	sysMkdirat         = 258
	sysNewfstatat      = 262
	sysUnlinkat        = 263
	sysRenameat        = 264
	sysReadlinkat      = 267
	sysEpollPwait      = 281
	sysEpollCreate1    = 291
	sysDup3            = 292
	sysPipe2           = 293
	sysPrlimit64       = 302
	sysGetrandom       = 318
	atFDCWD            = -100
	epollCtlAdd        = 1
	epollIn            = 1
	epollOut           = 4
	futexWaitPrivate   = 128
	rlimitNofile       = 7
	oRdonly            = 0
	oWronly            = 1
	oCreat             = 0x40
	oNonblock          = 0x800
	oTrunc             = 0x200
	protNone           = 0
	protRW             = 3
	mapPrivateAnon     = 0x22
	sigusr1            = 10
	afInet, sockStream = 2, 1
	clockMonotonic     = 1
)

// Bad pointers: just above NULL, far in unmapped user space, and read-only
// data (a string constant), which is fine to read from but not to write to.
const (
	ptrLow  = uintptr(0x1)
	ptrDead = uintptr(0xdead00000000)
)

// roText is read-only data: an output buffer the kernel must refuse. It
// is also a NUL-terminated path that does not exist, long enough for any
// structure the calls below write.
const roText = "/gouth-emu/adversarial/no-such-path\x00" +
	"................................................................" +
	"................................................................" +
	"................................................................" +
	"................................................................" +
	"................................................................" +
	"................................................................" +
	"................................................................"

// roZeros is a read-only struct timespec {0, 0}.
const roZeros = "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

const rootPath = "/\x00"
const exeLink = "/proc/self/exe\x00"

func addr(s string) uintptr { return *(*uintptr)(unsafe.Pointer(&s)) }

var errnoNames = map[syscall.Errno]string{
	1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 9: "EBADF", 11: "EAGAIN",
	12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 17: "EEXIST", 20: "ENOTDIR",
	21: "EISDIR", 22: "EINVAL", 24: "EMFILE", 25: "ENOTTY", 29: "ESPIPE",
	38: "ENOSYS", 110: "ETIMEDOUT",
}

// show prints one call's raw outcome.
func show(name string, r1 uintptr, e syscall.Errno) {
	if e != 0 {
		fmt.Printf("%s: errno %d %s\n", name, int(e), errnoNames[e])
		return
	}
	fmt.Printf("%s: ok %d\n", name, int64(r1))
}

// showErr prints only whether the call failed and how: for calls whose
// successful result differs from host to host (sizes, counts, addresses).
func showErr(name string, r1 uintptr, e syscall.Errno) {
	if e != 0 {
		show(name, r1, e)
		return
	}
	fmt.Printf("%s: ok\n", name)
}

func call(nr uintptr, a ...uintptr) (uintptr, syscall.Errno) {
	var x [6]uintptr
	copy(x[:], a)
	r1, _, e := syscall.Syscall6(nr, x[0], x[1], x[2], x[3], x[4], x[5])
	return r1, e
}

func must(name string, nr uintptr, a ...uintptr) uintptr {
	r1, e := call(nr, a...)
	if e != 0 {
		fmt.Fprintf(os.Stderr, "adversarial: set-up %s failed: %v\n", name, e)
		os.Exit(3)
	}
	return r1
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: adversarial CASE [ARG]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "badptr":
		badptr()
	case "hugelen":
		hugelen()
	case "badfd":
		badfd()
	case "unmapstack":
		unmapstack()
	case "jumpnull":
		jumpnull()
	case "loadbad":
		loadbad()
	case "jumpbad":
		jump(ptrDead)
	case "jumpunmapped":
		jump(0x100000)
	case "socket":
		r1, e := call(sysSocket, afInet, sockStream, 0)
		showErr("socket", r1, e)
	case "fork":
		r1, e := call(sysFork)
		if e == 0 && r1 == 0 {
			os.Exit(0) // the child of a real fork: say nothing
		}
		showErr("fork", r1, e)
	case "execve":
		path := "/bin/true\x00"
		argv := []uintptr{addr(path), 0}
		envp := []uintptr{0}
		r1, e := call(sysExecve, addr(path), uintptr(unsafe.Pointer(&argv[0])), uintptr(unsafe.Pointer(&envp[0])))
		show("execve", r1, e)
	case "hostfile":
		if len(os.Args) != 3 {
			fmt.Fprintln(os.Stderr, "usage: adversarial hostfile DIR")
			os.Exit(2)
		}
		hostfile(os.Args[2])
	case "spin":
		spin()
	case "allocate":
		allocate()
	case "signals-to-others":
		signalsToOthers()
	default:
		fmt.Fprintf(os.Stderr, "adversarial: unknown case %q\n", os.Args[1])
		os.Exit(2)
	}
}

var badPtrs = []struct {
	name string
	p    uintptr
}{{"0x1", ptrLow}, {"dead", ptrDead}, {"rodata", addr(roText)}}

// badptr passes bad pointers to calls that read or write user memory. For
// outputs every kind must fail with EFAULT; read-only data is a good input.
func badptr() {
	// A non-blocking pipe: a read that wrongly consumed the data fails
	// with EAGAIN instead of hanging.
	var fds [2]int32
	must("pipe2", sysPipe2, uintptr(unsafe.Pointer(&fds)), oNonblock)
	rd, wr := uintptr(fds[0]), uintptr(fds[1])
	must("write", sysWrite, wr, addr(roZeros), 8)
	epReady := must("epoll_create1", sysEpollCreate1, 0)
	epEmpty := must("epoll_create1", sysEpollCreate1, 0)
	// epReady watches the pipe's write end, which stays writable whatever
	// happens to the data; struct epoll_event is packed: events, 8 bytes.
	ev := [3]uint32{epollOut, 7, 0}
	must("epoll_ctl", sysEpollCtl, epReady, epollCtlAdd, wr, uintptr(unsafe.Pointer(&ev)))
	var buf [512]byte
	good := uintptr(unsafe.Pointer(&buf))
	root := addr(rootPath)

	for _, bp := range badPtrs {
		p, n := bp.p, bp.name
		// Outputs.
		r1, e := call(sysRead, rd, p, 8)
		show("read "+n, r1, e)
		r1, e = call(sysFstat, 1, p)
		show("fstat "+n, r1, e)
		r1, e = call(sysStat, root, p)
		show("stat buf "+n, r1, e)
		r1, e = call(sysNewfstatat, atfdcwd(), root, p, 0)
		show("newfstatat buf "+n, r1, e)
		r1, e = call(sysReadlinkat, atfdcwd(), addr(exeLink), p, 64)
		show("readlinkat buf "+n, r1, e)
		r1, e = call(sysGetcwd, p, 4096)
		show("getcwd "+n, r1, e)
		r1, e = call(sysClockGettime, clockMonotonic, p)
		show("clock_gettime "+n, r1, e)
		r1, e = call(sysSchedGetaff, 0, 128, p)
		show("sched_getaffinity "+n, r1, e)
		r1, e = call(sysRtSigaction, sigusr1, 0, p, 8)
		show("rt_sigaction oldact "+n, r1, e)
		r1, e = call(sysRtSigprocmask, 0, 0, p, 8)
		show("rt_sigprocmask oldset "+n, r1, e)
		r1, e = call(sysSigaltstack, 0, p)
		show("sigaltstack old "+n, r1, e)
		r1, e = call(sysPipe2, p, 0)
		show("pipe2 "+n, r1, e)
		r1, e = call(sysEpollPwait, epReady, p, 8, 0, 0, 8)
		show("epoll_pwait ready "+n, r1, e)
		r1, e = call(sysEpollPwait, epEmpty, p, 8, 0, 0, 8)
		show("epoll_pwait empty "+n, r1, e)
		r1, e = call(sysGetrandom, p, 16, 0)
		show("getrandom "+n, r1, e)
		r1, e = call(sysUname, p)
		show("uname "+n, r1, e)
		r1, e = call(sysPrlimit64, 0, rlimitNofile, 0, p)
		show("prlimit64 old "+n, r1, e)
		if bp.p == addr(roText) {
			continue // inputs: read-only data is fine, tested below
		}
		// Inputs.
		r1, e = call(sysWrite, wr, p, 8)
		show("write "+n, r1, e)
		r1, e = call(sysOpenat, atfdcwd(), p, oRdonly)
		show("openat "+n, r1, e)
		r1, e = call(sysStat, p, good)
		show("stat path "+n, r1, e)
		r1, e = call(sysNewfstatat, atfdcwd(), p, good, 0)
		show("newfstatat path "+n, r1, e)
		r1, e = call(sysReadlinkat, atfdcwd(), p, good, 64)
		show("readlinkat path "+n, r1, e)
		r1, e = call(sysNanosleep, p, 0)
		show("nanosleep "+n, r1, e)
		r1, e = call(sysFutex, p, futexWaitPrivate, 0, 0)
		show("futex wait "+n, r1, e)
		r1, e = call(sysRtSigaction, sigusr1, p, 0, 8)
		show("rt_sigaction act "+n, r1, e)
		r1, e = call(sysRtSigprocmask, 0, p, 0, 8)
		show("rt_sigprocmask set "+n, r1, e)
		r1, e = call(sysSigaltstack, p, 0)
		show("sigaltstack new "+n, r1, e)
		r1, e = call(sysEpollCtl, epEmpty, epollCtlAdd, rd, p)
		show("epoll_ctl event "+n, r1, e)
		r1, e = call(sysEpollCtl, 1, epollCtlAdd, rd, p)
		show("epoll_ctl non-epoll event "+n, r1, e)
		r1, e = call(sysPrlimit64, 0, rlimitNofile, p, 0)
		show("prlimit64 new "+n, r1, e)
	}

	// Read-only data as input is fine.
	ro := addr(roText)
	r1, e := call(sysWrite, wr, ro, 8)
	show("write rodata", r1, e)
	r1, e = call(sysOpenat, atfdcwd(), ro, oRdonly)
	show("openat rodata", r1, e)
	r1, e = call(sysStat, ro, good)
	show("stat path rodata", r1, e)
	r1, e = call(sysNanosleep, addr(roZeros), 0)
	show("nanosleep rodata", r1, e)
	r1, e = call(sysFutex, (ro+3)&^3, futexWaitPrivate, 0xffffffff, 0) // the word is not ~0: EAGAIN
	show("futex wait rodata", r1, e)

	// Nothing was written to read-only data.
	fmt.Println("rodata intact:", roText[:36] == "/gouth-emu/adversarial/no-such-path\x00" && roText[36] == '.' && roText[len(roText)-1] == '.')
}

func atfdcwd() uintptr { v := int64(atFDCWD); return uintptr(v) }

// guarded maps two pages and makes the second PROT_NONE: the last n bytes
// of the first page are memory a call may use, and anything past them
// faults.
func guarded(n int) uintptr {
	p := must("mmap", sysMmap, 0, 8192, protRW, mapPrivateAnon, ^uintptr(0), 0)
	must("mprotect", sysMprotect, p+4096, 4096, protNone)
	return p + 4096 - uintptr(n)
}

// hugelen passes lengths far beyond any buffer, which is 64 bytes before a
// PROT_NONE page. Linux refuses a range that leaves user space (EFAULT
// before anything happens) and otherwise transfers the bytes up to the
// first fault and returns their count.
func hugelen() {
	buf := guarded(64)
	b := (*[64]byte)(unsafe.Pointer(buf))
	for i := range b {
		b[i] = 'x'
	}
	b[63] = '\n'
	// buf + 1<<62 is beyond user space wherever buf is.
	r1, e := call(sysWrite, 1, buf, 1<<62)
	show("write 1<<62", r1, e)
	r1, e = call(sysRead, 0, buf, 1<<62)
	show("read 1<<62", r1, e)
	// buf + 1 MiB is within user space wherever mmap put buf (there is
	// more than that between the mappings and the stack): 64 bytes go
	// through, then the PROT_NONE page stops the copy.
	var fds [2]int32
	must("pipe2", sysPipe2, uintptr(unsafe.Pointer(&fds)), oNonblock)
	r1, e = call(sysWrite, uintptr(fds[1]), buf, 1<<20)
	show("write pipe 1<<20", r1, e)
	r1, e = call(sysGetrandom, guarded(64), 1<<20, 0)
	show("getrandom 1<<20", r1, e)
	// Whether buf + 1<<40 (or the 2 GiB Linux caps it to) stays in user
	// space depends on where mmap put buf, which differs between the
	// emulator and the host: only show that the call returns.
	call(sysGetrandom, guarded(64), 1<<40, 0)
	fmt.Println("getrandom 1<<40: returned")
	r1, e = call(sysMmap, 0, 1<<46, protRW, mapPrivateAnon, ^uintptr(0), 0)
	showErr("mmap 1<<46 rw", r1, e)
	r1, e = call(sysMmap, 0, 1<<46, protNone, mapPrivateAnon|0x4000, ^uintptr(0), 0) // MAP_NORESERVE
	showErr("mmap 1<<46 none", r1, e)
	if e == 0 {
		r1, e = call(sysMunmap, r1, 1<<46)
		show("munmap 1<<46", r1, e)
	}
	r1, e = call(sysMmap, 0, 1<<48, protNone, mapPrivateAnon, ^uintptr(0), 0)
	showErr("mmap 1<<48 none", r1, e)
}

// badfd uses descriptors that are not open, or not what the call wants.
func badfd() {
	var st [144]byte
	var b [8]byte
	sp, bp := uintptr(unsafe.Pointer(&st)), uintptr(unsafe.Pointer(&b))
	r1, e := call(sysClose, ^uintptr(0)) // -1
	show("close -1", r1, e)
	r1, e = call(sysClose, 9999)
	show("close 9999", r1, e)
	r1, e = call(sysWrite, 9999, bp, 1)
	show("write 9999", r1, e)
	r1, e = call(sysRead, ^uintptr(4), bp, 1) // -5
	show("read -5", r1, e)
	r1, e = call(sysFstat, 777, sp)
	show("fstat 777", r1, e)

	// The native runtime raises the soft RLIMIT_NOFILE to the hard limit;
	// put it back to 1024 so descriptor 5000 is beyond it everywhere.
	var lim [2]uint64
	must("prlimit64", sysPrlimit64, 0, rlimitNofile, 0, uintptr(unsafe.Pointer(&lim)))
	lim[0] = 1024
	must("prlimit64", sysPrlimit64, 0, rlimitNofile, uintptr(unsafe.Pointer(&lim)), 0)
	r1, e = call(sysDup3, 1, 5000, 0)
	show("dup3 1 5000", r1, e)
	r1, e = call(sysDup3, 1, ^uintptr(0), 0)
	show("dup3 1 -1", r1, e)
	r1, e = call(sysDup3, 1, 1, 0)
	show("dup3 1 1", r1, e)
	r1, e = call(sysDup3, 9999, 20, 0)
	show("dup3 9999 20", r1, e)

	var fds [2]int32
	must("pipe2", sysPipe2, uintptr(unsafe.Pointer(&fds)), 0)
	rd := uintptr(fds[0])
	ep := must("epoll_create1", sysEpollCreate1, 0)
	ev := [3]uint32{epollIn, 0, 0}
	evp := uintptr(unsafe.Pointer(&ev))
	r1, e = call(sysEpollCtl, rd, epollCtlAdd, rd, evp)
	show("epoll_ctl on a pipe", r1, e)
	r1, e = call(sysEpollCtl, 9999, epollCtlAdd, rd, evp)
	show("epoll_ctl epfd 9999", r1, e)
	r1, e = call(sysEpollCtl, ep, epollCtlAdd, 9999, evp)
	show("epoll_ctl fd 9999", r1, e)
	r1, e = call(sysEpollCtl, rd, epollCtlAdd, 9999, evp)
	show("epoll_ctl pipe, fd 9999", r1, e)
	r1, e = call(sysEpollCtl, ep, epollCtlAdd, ep, evp)
	show("epoll_ctl itself", r1, e)
	r1, e = call(sysEpollCtl, ep, 99, rd, evp)
	show("epoll_ctl op 99", r1, e)
	r1, e = call(sysEpollPwait, rd, evp, 1, 0, 0, 8)
	show("epoll_pwait on a pipe", r1, e)
}

// unmapstack unmaps 64 KiB of the running goroutine's stack, from the page
// of a local variable up, and then returns into it.
func unmapstack() {
	var local [16]byte
	// Println first: it may grow the stack, which moves it (go1.11's
	// small frames do), and the page must be the one the goroutine runs
	// on when RawSyscall (which never grows the stack) unmaps it.
	fmt.Println("unmapping the stack")
	p := uintptr(unsafe.Pointer(&local)) &^ 4095
	syscall.RawSyscall(sysMunmap, p, 64<<10, 0)
	local[0] = 1 // the page is gone
	fmt.Println("still running after unmapping the stack", local[0])
}

// jumpnull calls a nil func value and recovers from the panic.
func jumpnull() {
	defer func() {
		fmt.Println("recovered:", recover())
	}()
	var f func()
	f()
	fmt.Println("returned from a nil func")
}

// loadbad reads a byte at 0xdead00000000. The address is not canonical, so
// x86 raises a general protection fault, not a page fault: Linux reports
// SIGSEGV with SI_KERNEL (0x80) and address 0, and Go dies with
// "unexpected fault address 0x0" (the deferred recover never runs).
func loadbad() {
	defer func() {
		fmt.Println("recovered:", recover())
	}()
	p := (*byte)(unsafe.Pointer(ptrDead))
	fmt.Println("read", *p)
}

// jump calls a func value whose code pointer is target: 0xdead00000000
// (jumpbad), which is not even a canonical x86-64 address, so the call
// itself faults with a general protection fault; or 0x100000 (jumpunmapped),
// canonical and unmapped, where the instruction fetch faults.
func jump(target uintptr) {
	code := target
	closure := &code
	f := *(*func())(unsafe.Pointer(&closure))
	f()
	fmt.Printf("returned from %#x\n", target)
}

// hostfile tries to change DIR, which holds existing.txt: every attempt
// prints its errno.
func hostfile(dir string) {
	cstr := func(s string) uintptr { return addr(s + "\x00") }
	existing := filepath.Join(dir, "existing.txt")
	fresh := filepath.Join(dir, "new.txt")

	r1, e := call(sysOpenat, atfdcwd(), cstr(fresh), oCreat|oWronly, 0644)
	showErr("openat create new.txt", r1, e)
	if e == 0 {
		r1, e = call(sysWrite, r1, addr("new\n"), 4)
		show("write new.txt", r1, e)
	}
	r1, e = call(sysOpenat, atfdcwd(), cstr(existing), oWronly|oTrunc)
	showErr("openat overwrite existing.txt", r1, e)
	if e == 0 {
		r1, e = call(sysWrite, r1, addr("overwritten\n"), 12)
		show("write existing.txt", r1, e)
	}
	r1, e = call(sysOpenat, atfdcwd(), cstr(existing), oRdonly)
	showErr("openat read existing.txt", r1, e)
	if e == 0 {
		r1, e = call(sysWrite, r1, addr("overwritten\n"), 12)
		show("write read-only fd", r1, e)
	}
	r1, e = call(sysRenameat, atfdcwd(), cstr(existing), atfdcwd(), cstr(filepath.Join(dir, "renamed.txt")))
	show("renameat existing.txt", r1, e)
	r1, e = call(sysUnlinkat, atfdcwd(), cstr(existing), 0)
	show("unlinkat existing.txt", r1, e)
	r1, e = call(sysMkdirat, atfdcwd(), cstr(filepath.Join(dir, "sub")), 0755)
	show("mkdirat sub", r1, e)
	r1, e = call(sysUnlinkat, atfdcwd(), cstr(dir), 0x200) // AT_REMOVEDIR
	show("rmdir DIR", r1, e)
}

var sink uint64

func spin() {
	for i := uint64(0); ; i++ {
		sink = i
	}
}

const chunk = 64 << 20

var kept [][]byte

func allocate() {
	for len(kept) < 64 { // 4 GiB: far beyond the tests' --mem-limit
		b := make([]byte, chunk)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		kept = append(kept, b)
	}
	fmt.Printf("allocated %d MiB without running out of memory\n", len(kept)*chunk>>20)
	os.Exit(1)
}

// signalsToOthers sends signal 0 (a permission and existence check that
// delivers nothing) to threads and processes that are not this one's.
// kill(-1) is made only under gouth-emu, which says so in uname: on a real
// host it would address every process the user may signal.
func signalsToOthers() {
	pid, _ := call(sysGetpid)
	r1, e := call(sysTgkill, pid, 99999, 0)
	show("tgkill own pid, tid 99999", r1, e)
	r1, e = call(sysTgkill, pid, 0, 0)
	show("tgkill own pid, tid 0", r1, e)
	r1, e = call(sysTkill, 99999, 0)
	show("tkill 99999", r1, e)
	r1, e = call(sysKill, pid, 0)
	show("kill self", r1, e)
	r1, e = call(sysKill, 1, 0)
	show("kill 1", r1, e)
	r1, e = call(sysKill, 99999, 0)
	show("kill 99999", r1, e)
	r1, e = call(sysKill, uintptr(^uint64(99998)), 0) // -99999: a process group
	show("kill -99999", r1, e)
	r1, e = call(sysKill, pid, 65)
	show("kill self signal 65", r1, e)
	var u [6 * 65]byte
	call(sysUname, uintptr(unsafe.Pointer(&u)))
	if string(u[65:74]) != "gouth-emu" {
		fmt.Println("kill -1: not made outside gouth-emu")
		return
	}
	r1, e = call(sysKill, ^uintptr(0), 0)
	show("kill -1", r1, e)
}
