package abi

import (
	"sort"
	"strconv"
)

// Linux x86-64 ABI constants used by the guest. They are written out here,
// with their Linux names, rather than taken from the host's syscall package:
// the guest's ABI must not depend on what the host happens to be.

// Errno is a Linux error number. Handlers return it as an error; syscalls'
// Dispatch turns it into -errno, the only place where that happens.
type Errno uint64

// Linux errno values (asm-generic/errno-base.h, errno.h).
const (
	EPERM        Errno = 1
	ENOENT       Errno = 2
	ESRCH        Errno = 3
	EINTR        Errno = 4
	EIO          Errno = 5
	EBADF        Errno = 9
	ECHILD       Errno = 10
	EAGAIN       Errno = 11
	ENOMEM       Errno = 12
	EACCES       Errno = 13
	EFAULT       Errno = 14
	EBUSY        Errno = 16
	EEXIST       Errno = 17
	EXDEV        Errno = 18
	ENODEV       Errno = 19
	ENOTDIR      Errno = 20
	EISDIR       Errno = 21
	EINVAL       Errno = 22
	EMFILE       Errno = 24
	ENOTTY       Errno = 25
	EFBIG        Errno = 27
	ENOSPC       Errno = 28
	ESPIPE       Errno = 29
	EROFS        Errno = 30
	EMLINK       Errno = 31
	EPIPE        Errno = 32
	ERANGE       Errno = 34
	ENAMETOOLONG Errno = 36
	ENOSYS       Errno = 38
	ENOTEMPTY    Errno = 39
	ELOOP        Errno = 40
	EOVERFLOW    Errno = 75
	ENOTSUP      Errno = 95
	ETIMEDOUT    Errno = 110
	EDQUOT       Errno = 122
)

var errnoNames = map[Errno]string{
	EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO",
	EBADF: "EBADF", ECHILD: "ECHILD", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
	EACCES: "EACCES", EFAULT: "EFAULT", EEXIST: "EEXIST", ENODEV: "ENODEV", ENOTDIR: "ENOTDIR",
	EISDIR: "EISDIR", EINVAL: "EINVAL", EMFILE: "EMFILE", ENOTTY: "ENOTTY",
	ESPIPE: "ESPIPE", EPIPE: "EPIPE", ERANGE: "ERANGE", ENOSYS: "ENOSYS",
	ENOTSUP: "EOPNOTSUPP", ETIMEDOUT: "ETIMEDOUT",
	EBUSY: "EBUSY", EXDEV: "EXDEV", EFBIG: "EFBIG", ENOSPC: "ENOSPC", EROFS: "EROFS",
	EMLINK: "EMLINK", ENAMETOOLONG: "ENAMETOOLONG", ENOTEMPTY: "ENOTEMPTY", ELOOP: "ELOOP",
	EDQUOT: "EDQUOT", EOVERFLOW: "EOVERFLOW",
}

var errnoText = map[Errno]string{
	EPERM: "Operation not permitted", ENOENT: "No such file or directory",
	ESRCH: "No such process", EINTR: "Interrupted system call", EIO: "Input/output error",
	EBADF: "Bad file descriptor", ECHILD: "No child processes",
	EAGAIN: "Resource temporarily unavailable", ENOMEM: "Cannot allocate memory",
	EACCES: "Permission denied", EFAULT: "Bad address", EEXIST: "File exists", ENODEV: "No such device",
	ENOTDIR: "Not a directory", EISDIR: "Is a directory", EINVAL: "Invalid argument",
	EMFILE: "Too many open files", ENOTTY: "Inappropriate ioctl for device",
	ESPIPE: "Illegal seek", EPIPE: "Broken pipe", ERANGE: "Numerical result out of range",
	ENOSYS: "Function not implemented", ENOTSUP: "Operation not supported",
	ETIMEDOUT: "Connection timed out",
	EBUSY:     "Device or resource busy", EXDEV: "Invalid cross-device link",
	EFBIG: "File too large", ENOSPC: "No space left on device",
	EROFS: "Read-only file system", EMLINK: "Too many links",
	ENAMETOOLONG: "File name too long", ENOTEMPTY: "Directory not empty",
	ELOOP: "Too many levels of symbolic links", EDQUOT: "Disk quota exceeded",
	EOVERFLOW: "Value too large for defined data type",
}

// Name is the errno's symbolic name, as strace prints it.
func (e Errno) Name() string {
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return "E?"
}

func (e Errno) Error() string {
	if s, ok := errnoText[e]; ok {
		return s
	}
	return "errno " + itoa(int64(e))
}

// Memory mapping flags (asm-generic/mman*.h). The protection bits are
// abi.Prot.
const (
	MAP_SHARED          = 0x01
	MAP_PRIVATE         = 0x02
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_NORESERVE       = 0x4000
	MAP_POPULATE        = 0x8000
	MAP_FIXED_NOREPLACE = 0x100000
	MAP_STACK           = 0x20000
	MAP_GROWSDOWN       = 0x0100

	MADV_DONTNEED = 4
	MADV_FREE     = 8
)

// clone(2) flags (linux/sched.h).
const (
	CSIGNAL              = 0x000000ff
	CLONE_VM             = 0x00000100
	CLONE_FS             = 0x00000200
	CLONE_FILES          = 0x00000400
	CLONE_SIGHAND        = 0x00000800
	CLONE_PIDFD          = 0x00001000
	CLONE_PTRACE         = 0x00002000
	CLONE_VFORK          = 0x00004000
	CLONE_PARENT         = 0x00008000
	CLONE_THREAD         = 0x00010000
	CLONE_NEWNS          = 0x00020000
	CLONE_SYSVSEM        = 0x00040000
	CLONE_SETTLS         = 0x00080000
	CLONE_PARENT_SETTID  = 0x00100000
	CLONE_CHILD_CLEARTID = 0x00200000
	CLONE_DETACHED       = 0x00400000
	CLONE_UNTRACED       = 0x00800000
	CLONE_CHILD_SETTID   = 0x01000000
)

// futex(2) operations (linux/futex.h).
const (
	FUTEX_WAIT           = 0
	FUTEX_WAKE           = 1
	FUTEX_WAIT_BITSET    = 9
	FUTEX_WAKE_BITSET    = 10
	FUTEX_PRIVATE_FLAG   = 128
	FUTEX_CLOCK_REALTIME = 256
)

// arch_prctl(2) codes (asm/prctl.h).
const (
	ARCH_SET_GS = 0x1001
	ARCH_SET_FS = 0x1002
	ARCH_GET_FS = 0x1003
	ARCH_GET_GS = 0x1004
)

// openat(2) flags and *at(2) conventions (asm-generic/fcntl.h).
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_NOCTTY    = 0x100
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_DIRECTORY = 0x10000
	O_NOFOLLOW  = 0x20000
	O_CLOEXEC   = 0x80000
	O_LARGEFILE = 0x8000
	O_PATH      = 0x200000

	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_SYMLINK_FOLLOW   = 0x400
	AT_EMPTY_PATH       = 0x1000

	RENAME_NOREPLACE = 0x1
	RENAME_EXCHANGE  = 0x2
	RENAME_WHITEOUT  = 0x4

	// access(2) modes.
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// fcntl(2) commands.
const (
	F_DUPFD         = 0
	F_GETFD         = 1
	F_SETFD         = 2
	F_GETFL         = 3
	F_SETFL         = 4
	F_DUPFD_CLOEXEC = 1030
	FD_CLOEXEC      = 1
)

// epoll(7) constants (linux/eventpoll.h) and eventfd flags.
const (
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3

	EPOLLIN      = 0x001
	EPOLLPRI     = 0x002
	EPOLLOUT     = 0x004
	EPOLLERR     = 0x008
	EPOLLHUP     = 0x010
	EPOLLRDHUP   = 0x2000
	EPOLLET      = 1 << 31
	EPOLLONESHOT = 1 << 30

	EFD_SEMAPHORE = 1
	EFD_NONBLOCK  = O_NONBLOCK
	EFD_CLOEXEC   = O_CLOEXEC
)

// Clock ids (linux/time.h).
const (
	CLOCK_REALTIME           = 0
	CLOCK_MONOTONIC          = 1
	CLOCK_PROCESS_CPUTIME_ID = 2
	CLOCK_THREAD_CPUTIME_ID  = 3
	CLOCK_MONOTONIC_RAW      = 4
	CLOCK_REALTIME_COARSE    = 5
	CLOCK_MONOTONIC_COARSE   = 6
	CLOCK_BOOTTIME           = 7
)

// Signal numbers (asm/signal.h) and sigprocmask(2) operations.
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	NSIG      = 64

	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2

	SA_SIGINFO   = 0x4
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
	SA_RESTORER  = 0x04000000

	SS_ONSTACK = 1
	SS_DISABLE = 2
)

var signalNames = [...]string{
	SIGHUP: "SIGHUP", SIGINT: "SIGINT", SIGQUIT: "SIGQUIT", SIGILL: "SIGILL",
	SIGTRAP: "SIGTRAP", SIGABRT: "SIGABRT", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
	SIGKILL: "SIGKILL", SIGUSR1: "SIGUSR1", SIGSEGV: "SIGSEGV", SIGUSR2: "SIGUSR2",
	SIGPIPE: "SIGPIPE", SIGALRM: "SIGALRM", SIGTERM: "SIGTERM", SIGSTKFLT: "SIGSTKFLT",
	SIGCHLD: "SIGCHLD", SIGCONT: "SIGCONT", SIGSTOP: "SIGSTOP", SIGTSTP: "SIGTSTP",
	SIGTTIN: "SIGTTIN", SIGTTOU: "SIGTTOU", SIGURG: "SIGURG", SIGXCPU: "SIGXCPU",
	SIGXFSZ: "SIGXFSZ", SIGVTALRM: "SIGVTALRM", SIGPROF: "SIGPROF", SIGWINCH: "SIGWINCH",
	SIGIO: "SIGIO", SIGPWR: "SIGPWR", SIGSYS: "SIGSYS",
}

// SignalName returns "SIGSEGV" for 11, "SIGRT3" for 35 and "SIG<n>" for any
// other number.
func SignalName(sig int) string {
	if sig > 0 && sig < len(signalNames) && signalNames[sig] != "" {
		return signalNames[sig]
	}
	if sig >= 32 && sig <= NSIG {
		return "SIGRT" + itoa(int64(sig-32))
	}
	return "SIG" + itoa(int64(sig))
}

// prlimit64 resources and prctl options used by the Go runtime.
const (
	RLIMIT_STACK  = 3
	RLIMIT_NOFILE = 7
	RLIMIT_AS     = 9

	PR_GET_KEEPCAPS = 7
	PR_SET_KEEPCAPS = 8
	PR_SET_NAME     = 15
	PR_GET_NAME     = 16
	PR_SET_VMA      = 0x53564d41
)

// File types for st_mode.
const (
	S_IFMT   = 0o170000
	S_IFIFO  = 0o010000
	S_IFCHR  = 0o020000
	S_IFDIR  = 0o040000
	S_IFBLK  = 0o060000
	S_IFREG  = 0o100000
	S_IFLNK  = 0o120000
	S_IFSOCK = 0o140000
)

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

// More *at(2) flags (fcntl.h), utimensat(2)'s special times and statx(2)'s
// masks (linux/stat.h).
const (
	AT_EACCESS         = 0x200
	AT_NO_AUTOMOUNT    = 0x800
	AT_STATX_SYNC_TYPE = 0x6000

	UTIME_NOW  = 1<<30 - 1
	UTIME_OMIT = 1<<30 - 2

	STATX_BASIC_STATS = 0x7ff
	STATX__RESERVED   = 0x80000000
)

// Directory entry types (d_type).
const (
	DT_UNKNOWN = 0
	DT_FIFO    = 1
	DT_CHR     = 2
	DT_DIR     = 4
	DT_BLK     = 6
	DT_REG     = 8
	DT_LNK     = 10
	DT_SOCK    = 12
)

// Flags of close_range.
const (
	CLOSE_RANGE_UNSHARE = 2
	CLOSE_RANGE_CLOEXEC = 4
)

// Signal dispositions for sigaction's handler (asm-generic/signal-defs.h).
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// si_code values (asm-generic/siginfo.h).
const (
	SI_USER     = 0
	SI_KERNEL   = 0x80
	SI_TKILL    = -6
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	ILL_ILLOPN  = 2
	FPE_INTDIV  = 1
	TRAP_BRKPT  = 1
)

// clock_nanosleep(2)'s flag for an absolute time (linux/time.h).
const TIMER_ABSTIME = 1

// Errnos returns the error numbers this package names, in increasing order.
func Errnos() []Errno {
	nums := make([]Errno, 0, len(errnoText))
	for e := range errnoText {
		nums = append(nums, e)
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums
}
