package syscalls

import (
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/abi"
)

// Arg says how the trace shows one system call argument.
type Arg uint8

const (
	Hex        Arg = iota // 0x1f
	Int                   // signed decimal
	Uint                  // unsigned decimal
	FD                    // descriptor, decimal
	DirFD                 // descriptor or AT_FDCWD
	Path                  // NUL-terminated string
	InBuf                 // buffer read by the call; its length is the next argument
	OutBuf                // buffer filled by the call; its length is the result
	Ptr                   // address or NULL
	Prot                  // PROT_* flags
	MapFlags              // MAP_* flags
	CloneFlags            // CLONE_* flags
	FutexOp               // FUTEX_* operation
	Signal                // signal number
	SigHow                // SIG_BLOCK ...
	OpenFlags             // O_* flags
	ArchPrctl             // ARCH_* code
	FcntlCmd              // F_* command
	EpollOp               // EPOLL_CTL_*
	ClockID               // CLOCK_*
	Timespec              // pointer to struct timespec
	Mode                  // octal permission bits
	CPUMask               // CPU set filled by the call: [0 1]
	PrctlOp               // PR_* option
	MadvAdvice            // MADV_* advice
	CreateMode            // open's mode: shown only when the flags before it have O_CREAT
)

type flagName struct {
	bit  uint64
	name string
}

var protNames = func() []flagName {
	var names []flagName
	for _, b := range abi.ProtBits {
		names = append(names, flagName{uint64(b.Bit), b.Name})
	}
	return names
}()

var mapFlagNames = []flagName{
	{abi.MAP_SHARED, "MAP_SHARED"}, {abi.MAP_PRIVATE, "MAP_PRIVATE"}, {abi.MAP_FIXED, "MAP_FIXED"},
	{abi.MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {abi.MAP_GROWSDOWN, "MAP_GROWSDOWN"}, {abi.MAP_NORESERVE, "MAP_NORESERVE"},
	{abi.MAP_POPULATE, "MAP_POPULATE"}, {abi.MAP_STACK, "MAP_STACK"}, {abi.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
}

var cloneFlagNames = []flagName{
	{abi.CLONE_VM, "CLONE_VM"}, {abi.CLONE_FS, "CLONE_FS"}, {abi.CLONE_FILES, "CLONE_FILES"},
	{abi.CLONE_SIGHAND, "CLONE_SIGHAND"}, {abi.CLONE_PIDFD, "CLONE_PIDFD"}, {abi.CLONE_PTRACE, "CLONE_PTRACE"},
	{abi.CLONE_VFORK, "CLONE_VFORK"}, {abi.CLONE_PARENT, "CLONE_PARENT"}, {abi.CLONE_THREAD, "CLONE_THREAD"},
	{abi.CLONE_NEWNS, "CLONE_NEWNS"}, {abi.CLONE_SYSVSEM, "CLONE_SYSVSEM"}, {abi.CLONE_SETTLS, "CLONE_SETTLS"},
	{abi.CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"}, {abi.CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
	{abi.CLONE_DETACHED, "CLONE_DETACHED"}, {abi.CLONE_UNTRACED, "CLONE_UNTRACED"},
	{abi.CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
}

var openFlagNames = []flagName{
	{abi.O_CREAT, "O_CREAT"}, {abi.O_EXCL, "O_EXCL"}, {abi.O_NOCTTY, "O_NOCTTY"}, {abi.O_TRUNC, "O_TRUNC"},
	{abi.O_APPEND, "O_APPEND"}, {abi.O_NONBLOCK, "O_NONBLOCK"}, {abi.O_LARGEFILE, "O_LARGEFILE"},
	{abi.O_DIRECTORY, "O_DIRECTORY"}, {abi.O_NOFOLLOW, "O_NOFOLLOW"}, {abi.O_CLOEXEC, "O_CLOEXEC"}, {abi.O_PATH, "O_PATH"},
}

// formatFlags renders v as NAME|NAME|0x.. with the leftover bits in hex.
func formatFlags(v uint64, names []flagName) string {
	var parts []string
	for _, f := range names {
		if v&f.bit == f.bit && f.bit != 0 {
			parts = append(parts, f.name)
			v &^= f.bit
		}
	}
	if v != 0 || len(parts) == 0 {
		parts = append(parts, "0x"+strconv.FormatUint(v, 16))
	}
	return strings.Join(parts, "|")
}

func enumName(v int64, names map[int64]string) string {
	if s, ok := names[v]; ok {
		return s
	}
	return strconv.FormatInt(v, 10)
}

var (
	futexNames   = map[int64]string{abi.FUTEX_WAIT: "FUTEX_WAIT", abi.FUTEX_WAKE: "FUTEX_WAKE", abi.FUTEX_WAIT_BITSET: "FUTEX_WAIT_BITSET", abi.FUTEX_WAKE_BITSET: "FUTEX_WAKE_BITSET"}
	sigHowNames  = map[int64]string{abi.SIG_BLOCK: "SIG_BLOCK", abi.SIG_UNBLOCK: "SIG_UNBLOCK", abi.SIG_SETMASK: "SIG_SETMASK"}
	archNames    = map[int64]string{abi.ARCH_SET_GS: "ARCH_SET_GS", abi.ARCH_SET_FS: "ARCH_SET_FS", abi.ARCH_GET_FS: "ARCH_GET_FS", abi.ARCH_GET_GS: "ARCH_GET_GS"}
	fcntlNames   = map[int64]string{abi.F_DUPFD: "F_DUPFD", abi.F_GETFD: "F_GETFD", abi.F_SETFD: "F_SETFD", abi.F_GETFL: "F_GETFL", abi.F_SETFL: "F_SETFL", abi.F_DUPFD_CLOEXEC: "F_DUPFD_CLOEXEC"}
	epollOpNames = map[int64]string{abi.EPOLL_CTL_ADD: "EPOLL_CTL_ADD", abi.EPOLL_CTL_DEL: "EPOLL_CTL_DEL", abi.EPOLL_CTL_MOD: "EPOLL_CTL_MOD"}
	prctlNames   = map[int64]string{abi.PR_SET_NAME: "PR_SET_NAME", abi.PR_GET_NAME: "PR_GET_NAME", abi.PR_SET_VMA: "PR_SET_VMA"}
	madvNames    = map[int64]string{0: "MADV_NORMAL", 1: "MADV_RANDOM", 2: "MADV_SEQUENTIAL", 3: "MADV_WILLNEED", abi.MADV_DONTNEED: "MADV_DONTNEED", abi.MADV_FREE: "MADV_FREE", 14: "MADV_HUGEPAGE", 15: "MADV_NOHUGEPAGE", 25: "MADV_COLLAPSE"}
	clockNames   = map[int64]string{abi.CLOCK_REALTIME: "CLOCK_REALTIME", abi.CLOCK_MONOTONIC: "CLOCK_MONOTONIC", abi.CLOCK_PROCESS_CPUTIME_ID: "CLOCK_PROCESS_CPUTIME_ID", abi.CLOCK_THREAD_CPUTIME_ID: "CLOCK_THREAD_CPUTIME_ID", abi.CLOCK_MONOTONIC_RAW: "CLOCK_MONOTONIC_RAW", abi.CLOCK_REALTIME_COARSE: "CLOCK_REALTIME_COARSE", abi.CLOCK_MONOTONIC_COARSE: "CLOCK_MONOTONIC_COARSE", abi.CLOCK_BOOTTIME: "CLOCK_BOOTTIME"}
)

// maxShown bounds how much of a buffer or string the trace prints, as
// strace's default -s 32 does.
const maxShown = 32

// quote renders bytes the way strace does: C escapes, "..." when cut.
func quote(b []byte, cut bool) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch c {
		case '\n':
			sb.WriteString(`\n`)
		case '\t':
			sb.WriteString(`\t`)
		case '\r':
			sb.WriteString(`\r`)
		case '"':
			sb.WriteString(`\"`)
		case '\\':
			sb.WriteString(`\\`)
		default:
			if c < 0x20 || c >= 0x7f {
				sb.WriteString(`\` + strconv.FormatUint(uint64(c), 8))
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
	if cut {
		sb.WriteString("...")
	}
	return sb.String()
}

func hex(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

// formatArg renders argument i of c.
func (k *Kernel) formatArg(c *Call, i int, a Arg) string {
	v := c.Args[i]
	switch a {
	case Int:
		return strconv.FormatInt(int64(v), 10)
	case Uint:
		return strconv.FormatUint(v, 10)
	case FD:
		return strconv.FormatInt(int64(int32(v)), 10)
	case DirFD:
		if int32(v) == abi.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(int64(int32(v)), 10)
	case Path:
		if v == 0 {
			return "NULL"
		}
		s, err := readCString(c.M, v, 4096)
		if err != nil {
			return hex(v)
		}
		if len(s) > 4096 {
			s = s[:4096]
		}
		return quote([]byte(s), false)
	case InBuf:
		n := uint64(0)
		if i+1 < len(c.Args) {
			n = c.Args[i+1]
		}
		shown := n
		if shown > maxShown {
			shown = maxShown
		}
		b := make([]byte, shown)
		if c.M.ReadMem(v, b) != nil {
			return hex(v)
		}
		return quote(b, n > maxShown)
	case OutBuf:
		if c.err != nil || c.outBuf == nil {
			return hex(v)
		}
		b := c.outBuf
		cut := len(b) > maxShown
		if cut {
			b = b[:maxShown]
		}
		return quote(b, cut)
	case Ptr:
		if v == 0 {
			return "NULL"
		}
		return hex(v)
	case Prot:
		if v == 0 {
			return "PROT_NONE"
		}
		return formatFlags(v, protNames)
	case MapFlags:
		return formatFlags(v, mapFlagNames)
	case CloneFlags:
		s := formatFlags(v&^abi.CSIGNAL, cloneFlagNames)
		if sig := v & abi.CSIGNAL; sig != 0 {
			s += "|" + abi.SignalName(int(sig))
		}
		return s
	case FutexOp:
		op := int64(int32(v))
		s := enumName(op&^(abi.FUTEX_PRIVATE_FLAG|abi.FUTEX_CLOCK_REALTIME), futexNames)
		if op&abi.FUTEX_PRIVATE_FLAG != 0 {
			s += "_PRIVATE"
		}
		if op&abi.FUTEX_CLOCK_REALTIME != 0 {
			s += "|FUTEX_CLOCK_REALTIME"
		}
		return s
	case Signal:
		return abi.SignalName(int(int32(v)))
	case SigHow:
		return enumName(int64(int32(v)), sigHowNames)
	case OpenFlags:
		acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&abi.O_ACCMODE]
		if rest := v &^ abi.O_ACCMODE; rest != 0 {
			return acc + "|" + formatFlags(rest, openFlagNames)
		}
		return acc
	case ArchPrctl:
		return enumName(int64(int32(v)), archNames)
	case FcntlCmd:
		return enumName(int64(int32(v)), fcntlNames)
	case EpollOp:
		return enumName(int64(int32(v)), epollOpNames)
	case ClockID:
		return enumName(int64(int32(v)), clockNames)
	case Timespec:
		if v == 0 {
			return "NULL"
		}
		b := make([]byte, 16)
		if c.M.ReadMem(v, b) != nil {
			return hex(v)
		}
		sec := int64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 | uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		nsec := int64(uint64(b[8]) | uint64(b[9])<<8 | uint64(b[10])<<16 | uint64(b[11])<<24 | uint64(b[12])<<32 | uint64(b[13])<<40 | uint64(b[14])<<48 | uint64(b[15])<<56)
		return "{tv_sec=" + strconv.FormatInt(sec, 10) + ", tv_nsec=" + strconv.FormatInt(nsec, 10) + "}"
	case Mode:
		return "0" + strconv.FormatUint(v, 8)
	case CPUMask:
		if c.err != nil || c.outBuf == nil {
			return hex(v)
		}
		var cpus []string
		for i, b := range c.outBuf {
			for bit := 0; bit < 8; bit++ {
				if b&(1<<bit) != 0 {
					cpus = append(cpus, strconv.Itoa(8*i+bit))
				}
			}
		}
		return "[" + strings.Join(cpus, " ") + "]"
	case CreateMode:
		if i == 0 || c.Args[i-1]&abi.O_CREAT == 0 {
			return ""
		}
		return "0" + strconv.FormatUint(v, 8)
	case PrctlOp:
		return enumName(int64(int32(v)), prctlNames)
	case MadvAdvice:
		return enumName(int64(int32(v)), madvNames)
	}
	return hex(v)
}

// FormatCall renders a finished call as one strace-style line:
// "[1000] openat(AT_FDCWD, "/etc/x", O_RDONLY) = -1 ENOENT (No such file or directory)".
func (k *Kernel) FormatCall(c *Call) string {
	var sb strings.Builder
	sb.WriteString("[" + strconv.Itoa(c.Tid) + "] ")
	var args []Arg
	if c.Nr >= 0 && c.Nr < len(Table) && abi.SyscallName(c.Nr) != "" {
		sb.WriteString(abi.SyscallName(c.Nr))
		args = Table[c.Nr].Args
		if Table[c.Nr].Handler == nil && args == nil {
			args = []Arg{Hex, Hex, Hex, Hex, Hex, Hex}
		}
	} else {
		sb.WriteString("syscall_" + strconv.Itoa(c.Nr))
		args = []Arg{Hex, Hex, Hex, Hex, Hex, Hex}
	}
	sb.WriteByte('(')
	for i, a := range args {
		s := k.formatArg(c, i, a)
		if s == "" && a == CreateMode {
			continue
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(s)
	}
	sb.WriteString(") = ")
	if c.restarted {
		sb.WriteString("? ERESTARTSYS (To be restarted if SA_RESTART is set)")
	} else if c.err != nil {
		en := abi.Errno(-int64(c.ret))
		sb.WriteString("-1 " + en.Name() + " (" + en.Error() + ")")
	} else {
		sb.WriteString(k.formatResult(c))
	}
	return sb.String()
}

// formatResult shows addresses in hex, counts in decimal.
func (k *Kernel) formatResult(c *Call) string {
	switch abi.SyscallName(c.Nr) {
	case "exit", "exit_group":
		return "?" // the caller never sees a result
	case "mmap", "brk":
		return hex(c.ret)
	}
	return strconv.FormatInt(int64(c.ret), 10)
}
