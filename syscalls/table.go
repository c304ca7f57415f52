package syscalls

// Table is every Linux x86-64 system call, indexed by number and kept
// sorted by it; abi.SyscallName has their names, and a trailing comment
// names an entry whose handler does not. Entries with a nil Handler are
// not implemented: the guest gets ENOSYS.
var Table = [...]Entry{
	0:   {Handler: sysRead, Args: []Arg{FD, OutBuf, Uint}},
	1:   {Handler: sysWrite, Args: []Arg{FD, InBuf, Uint}, Note: "fds 1 and 2 go to the host; pipes and eventfds"},
	2:   {Handler: sysOpen, Args: []Arg{Path, OpenFlags, CreateMode}, Note: "--fs policy; /proc and /sys synthesized"},
	3:   {Handler: sysClose, Args: []Arg{FD}},
	4:   {Handler: sysStat, Args: []Arg{Path, Ptr}},
	5:   {Handler: sysFstat, Args: []Arg{FD, Ptr}},
	6:   {Handler: sysLstat, Args: []Arg{Path, Ptr}},
	7:   {}, // poll
	8:   {Handler: sysLseek, Args: []Arg{FD, Int, Int}},
	9:   {Handler: sysMmap, Args: []Arg{Ptr, Uint, Prot, MapFlags, FD, Uint}, Note: "anonymous mappings only"},
	10:  {Handler: sysMprotect, Args: []Arg{Ptr, Uint, Prot}},
	11:  {Handler: sysMunmap, Args: []Arg{Ptr, Uint}},
	12:  {Handler: sysBrk, Args: []Arg{Ptr}, Note: "no heap: always fails, callers fall back to mmap"},
	13:  {Handler: sysRtSigaction, Args: []Arg{Signal, Ptr, Ptr, Uint}, Note: "all flags: SA_SIGINFO, SA_ONSTACK, SA_RESTORER, SA_RESTART, SA_NODEFER, SA_RESETHAND"},
	14:  {Handler: sysRtSigprocmask, Args: []Arg{SigHow, Ptr, Ptr, Uint}, Note: "per-thread mask recorded"},
	15:  {Handler: sysRtSigreturn, Args: []Arg{}, Note: "restores the context saved at signal delivery"},
	16:  {Handler: sysIoctl, Args: []Arg{FD, Hex, Hex}, Note: "ENOTTY: no terminal"},
	17:  {Handler: sysPread64, Args: []Arg{FD, OutBuf, Uint, Int}},
	18:  {Handler: sysPwrite64, Args: []Arg{FD, InBuf, Uint, Int}, Note: "host files opened for writing (--fs rw)"},
	19:  {}, // readv
	20:  {}, // writev
	21:  {Handler: sysAccess, Args: []Arg{Path, Hex}},
	22:  {Handler: sysPipe, Args: []Arg{Ptr}},
	23:  {}, // select
	24:  {Handler: sysSchedYield, Note: "switches to the next runnable thread"},
	25:  {}, // mremap
	26:  {}, // msync
	27:  {Handler: sysMincore, Args: []Arg{Ptr, Uint, Ptr}, Note: "every mapped page resident"},
	28:  {Handler: sysMadvise, Args: []Arg{Ptr, Uint, MadvAdvice}, Note: "advice accepted and ignored"},
	29:  {}, // shmget
	30:  {}, // shmat
	31:  {}, // shmctl
	32:  {Handler: sysDup, Args: []Arg{FD}},
	33:  {Handler: sysDup2, Args: []Arg{FD, FD}},
	34:  {}, // pause
	35:  {Handler: sysNanosleep, Args: []Arg{Timespec, Ptr}, Note: "virtual clock"},
	36:  {}, // getitimer
	37:  {}, // alarm
	38:  {}, // setitimer
	39:  {Handler: sysGetpid, Note: "always 1000"},
	40:  {},                                                                                      // sendfile
	41:  {Handler: sysSocketDenied, Args: []Arg{Int, Int, Int}, Note: "EACCES: no network"},      // socket
	42:  {Handler: sysSocketDenied, Args: []Arg{FD, Ptr, Uint}, Note: "EACCES: no network"},      // connect
	43:  {Handler: sysSocketDenied, Args: []Arg{FD, Ptr, Ptr}, Note: "EACCES: no network"},       // accept
	44:  {},                                                                                      // sendto
	45:  {},                                                                                      // recvfrom
	46:  {},                                                                                      // sendmsg
	47:  {},                                                                                      // recvmsg
	48:  {},                                                                                      // shutdown
	49:  {Handler: sysSocketDenied, Args: []Arg{FD, Ptr, Uint}, Note: "EACCES: no network"},      // bind
	50:  {Handler: sysSocketDenied, Args: []Arg{FD, Int}, Note: "EACCES: no network"},            // listen
	51:  {},                                                                                      // getsockname
	52:  {},                                                                                      // getpeername
	53:  {Handler: sysSocketDenied, Args: []Arg{Int, Int, Int, Ptr}, Note: "EACCES: no network"}, // socketpair
	54:  {},                                                                                      // setsockopt
	55:  {},                                                                                      // getsockopt
	56:  {Handler: sysClone, Args: []Arg{CloneFlags, Ptr, Ptr, Ptr, Ptr}, Note: "threads only (CLONE_VM|CLONE_THREAD|CLONE_SIGHAND)"},
	57:  {Handler: sysFork, Args: []Arg{}, Note: "ENOSYS and a warning: processes are not emulated"},
	58:  {Handler: sysVfork, Args: []Arg{}, Note: "ENOSYS and a warning: processes are not emulated"},
	59:  {Handler: sysExecve, Args: []Arg{Path, Ptr, Ptr}, Note: "ENOSYS and a warning: processes are not emulated"},
	60:  {Handler: sysExit, Args: []Arg{Int}, Note: "ends the calling thread"},
	61:  {Handler: sysWait, Args: []Arg{Int, Ptr, Hex, Ptr}, Note: "ECHILD: there are no children"}, // wait4
	62:  {Handler: sysKill, Args: []Arg{Int, Signal}, Note: "to itself only"},
	63:  {Handler: sysUname, Args: []Arg{Ptr}, Note: "fixed answer"},
	64:  {}, // semget
	65:  {}, // semop
	66:  {}, // semctl
	67:  {}, // shmdt
	68:  {}, // msgget
	69:  {}, // msgsnd
	70:  {}, // msgrcv
	71:  {}, // msgctl
	72:  {Handler: sysFcntl, Args: []Arg{FD, FcntlCmd, Hex}, Note: "F_GETFD/SETFD/GETFL/SETFL/DUPFD"},
	73:  {}, // flock
	74:  {Handler: sysFsync, Args: []Arg{FD}},
	75:  {Handler: sysFsync, Args: []Arg{FD}}, // fdatasync
	76:  {Handler: sysTruncate, Args: []Arg{Path, Int}, Note: "--fs policy"},
	77:  {Handler: sysFtruncate, Args: []Arg{FD, Int}},
	78:  {}, // getdents
	79:  {Handler: sysGetcwd, Args: []Arg{Ptr, Uint}, Note: "the emulated working directory"},
	80:  {Handler: sysChdir, Args: []Arg{Path}, Note: "emulated working directory; the host's never changes"},
	81:  {Handler: sysFchdir, Args: []Arg{FD}, Note: "emulated working directory"},
	82:  {Handler: sysRename, Args: []Arg{Path, Path}, Note: "--fs policy"},
	83:  {Handler: sysMkdir, Args: []Arg{Path, Mode}, Note: "--fs policy"},
	84:  {Handler: sysRmdir, Args: []Arg{Path}, Note: "--fs policy"},
	85:  {Handler: sysCreat, Args: []Arg{Path, Mode}, Note: "--fs policy"},
	86:  {Handler: sysLink, Args: []Arg{Path, Path}, Note: "--fs policy"},
	87:  {Handler: sysUnlink, Args: []Arg{Path}, Note: "--fs policy"},
	88:  {Handler: sysSymlink, Args: []Arg{Path, Path}, Note: "--fs policy"},
	89:  {Handler: sysReadlink, Args: []Arg{Path, OutBuf, Uint}},
	90:  {Handler: sysChmod, Args: []Arg{Path, Mode}, Note: "--fs policy"},
	91:  {Handler: sysFchmod, Args: []Arg{FD, Mode}, Note: "--fs policy"},
	92:  {Handler: sysChown, Args: []Arg{Path, Int, Int}, Note: "--fs policy"},
	93:  {Handler: sysFchown, Args: []Arg{FD, Int, Int}, Note: "--fs policy"},
	94:  {Handler: sysLchown, Args: []Arg{Path, Int, Int}, Note: "--fs policy"},
	95:  {Handler: sysUmask, Args: []Arg{Mode}, Note: "emulated; starts as the host's"},
	96:  {Handler: sysGettimeofday, Args: []Arg{Ptr, Ptr}, Note: "virtual clock"},
	97:  {Handler: sysGetrlimit, Args: []Arg{Int, Ptr}},
	98:  {}, // getrusage
	99:  {}, // sysinfo
	100: {}, // times
	101: {}, // ptrace
	102: {Handler: sysGetuid},
	103: {}, // syslog
	104: {Handler: sysGetgid},
	105: {}, // setuid
	106: {}, // setgid
	107: {Handler: sysGeteuid},
	108: {Handler: sysGetegid},
	109: {}, // setpgid
	110: {Handler: sysGetppid},
	111: {}, // getpgrp
	112: {}, // setsid
	113: {}, // setreuid
	114: {}, // setregid
	115: {Handler: sysGetgroups, Args: []Arg{Int, Ptr}, Note: "the host user's groups"},
	116: {Handler: sysSetgroups, Args: []Arg{Int, Ptr}, Note: "root only; recorded, the host's never change"},
	117: {}, // setresuid
	118: {}, // getresuid
	119: {}, // setresgid
	120: {}, // getresgid
	121: {}, // getpgid
	122: {}, // setfsuid
	123: {}, // setfsgid
	124: {}, // getsid
	125: {}, // capget
	126: {}, // capset
	127: {Handler: sysRtSigpending, Args: []Arg{Ptr, Uint}},
	128: {}, // rt_sigtimedwait
	129: {}, // rt_sigqueueinfo
	130: {}, // rt_sigsuspend
	131: {Handler: sysSigaltstack, Args: []Arg{Ptr, Ptr}, Note: "per-thread, recorded"},
	132: {Handler: sysUtime, Args: []Arg{Path, Ptr}, Note: "--fs policy; now is the virtual clock"},
	133: {Handler: sysMknod, Args: []Arg{Path, Mode, Hex}, Note: "--fs policy; files, FIFOs, sockets; devices EPERM"},
	134: {}, // uselib
	135: {}, // personality
	136: {}, // ustat
	137: {}, // statfs
	138: {}, // fstatfs
	139: {}, // sysfs
	140: {}, // getpriority
	141: {}, // setpriority
	142: {}, // sched_setparam
	143: {}, // sched_getparam
	144: {}, // sched_setscheduler
	145: {}, // sched_getscheduler
	146: {}, // sched_get_priority_max
	147: {}, // sched_get_priority_min
	148: {}, // sched_rr_get_interval
	149: {}, // mlock
	150: {}, // munlock
	151: {}, // mlockall
	152: {}, // munlockall
	153: {}, // vhangup
	154: {}, // modify_ldt
	155: {}, // pivot_root
	156: {}, // _sysctl
	157: {Handler: sysPrctl, Args: []Arg{PrctlOp, Hex, Hex, Hex, Hex}, Note: "PR_SET_NAME, PR_GET_NAME"},
	158: {Handler: sysArchPrctl, Args: []Arg{ArchPrctl, Hex}, Note: "ARCH_SET_FS, ARCH_GET_FS"},
	159: {}, // adjtimex
	160: {Handler: sysSetrlimit, Args: []Arg{Int, Ptr}},
	161: {}, // chroot
	162: {}, // sync
	163: {}, // acct
	164: {}, // settimeofday
	165: {}, // mount
	166: {}, // umount2
	167: {}, // swapon
	168: {}, // swapoff
	169: {}, // reboot
	170: {}, // sethostname
	171: {}, // setdomainname
	172: {}, // iopl
	173: {}, // ioperm
	174: {}, // create_module
	175: {}, // init_module
	176: {}, // delete_module
	177: {}, // get_kernel_syms
	178: {}, // query_module
	179: {}, // quotactl
	180: {}, // nfsservctl
	181: {}, // getpmsg
	182: {}, // putpmsg
	183: {}, // afs_syscall
	184: {}, // tuxcall
	185: {}, // security
	186: {Handler: sysGettid},
	187: {}, // readahead
	188: {}, // setxattr
	189: {}, // lsetxattr
	190: {}, // fsetxattr
	191: {}, // getxattr
	192: {}, // lgetxattr
	193: {}, // fgetxattr
	194: {}, // listxattr
	195: {}, // llistxattr
	196: {}, // flistxattr
	197: {}, // removexattr
	198: {}, // lremovexattr
	199: {}, // fremovexattr
	200: {Handler: sysTkill, Args: []Arg{Int, Signal}, Note: "to itself only"},
	201: {Handler: sysTime, Args: []Arg{Ptr}, Note: "virtual clock"},
	202: {Handler: sysFutex, Args: []Arg{Ptr, FutexOp, Uint, Timespec, Ptr, Hex}, Note: "WAIT, WAKE and their BITSET forms"},
	203: {Handler: sysSchedSetaffinity, Args: []Arg{Int, Uint, Ptr}, Note: "accepted"},
	204: {Handler: sysSchedGetaffinity, Args: []Arg{Int, Uint, CPUMask}, Note: "reports --cpus CPUs"},
	205: {}, // set_thread_area
	206: {}, // io_setup
	207: {}, // io_destroy
	208: {}, // io_getevents
	209: {}, // io_submit
	210: {}, // io_cancel
	211: {}, // get_thread_area
	212: {}, // lookup_dcookie
	213: {Handler: sysEpollCreate, Args: []Arg{Int}},
	214: {}, // epoll_ctl_old
	215: {}, // epoll_wait_old
	216: {}, // remap_file_pages
	217: {Handler: sysGetdents64, Args: []Arg{FD, Ptr, Uint}, Note: "sorted by name, . and .. first"},
	218: {Handler: sysSetTidAddress, Args: []Arg{Ptr}},
	219: {}, // restart_syscall
	220: {}, // semtimedop
	221: {}, // fadvise64
	222: {}, // timer_create
	223: {}, // timer_settime
	224: {}, // timer_gettime
	225: {}, // timer_getoverrun
	226: {}, // timer_delete
	227: {}, // clock_settime
	228: {Handler: sysClockGettime, Args: []Arg{ClockID, Ptr}, Note: "virtual clock"},
	229: {Handler: sysClockGetres, Args: []Arg{ClockID, Ptr}},
	230: {Handler: sysClockNanosleep, Args: []Arg{ClockID, Hex, Timespec, Ptr}, Note: "virtual clock"},
	231: {Handler: sysExitGroup, Args: []Arg{Int}},
	232: {Handler: sysEpollWait, Args: []Arg{FD, Ptr, Int, Int}, Note: "virtual-clock timeouts"},
	233: {Handler: sysEpollCtl, Args: []Arg{FD, EpollOp, FD, Ptr}, Note: "pipes, eventfds, epoll; regular files EPERM"},
	234: {Handler: sysTgkill, Args: []Arg{Int, Int, Signal}, Note: "threads of the emulated process"},
	235: {Handler: sysUtimes, Args: []Arg{Path, Ptr}, Note: "--fs policy; now is the virtual clock"},
	236: {},                                                                                              // vserver
	237: {},                                                                                              // mbind
	238: {},                                                                                              // set_mempolicy
	239: {},                                                                                              // get_mempolicy
	240: {},                                                                                              // mq_open
	241: {},                                                                                              // mq_unlink
	242: {},                                                                                              // mq_timedsend
	243: {},                                                                                              // mq_timedreceive
	244: {},                                                                                              // mq_notify
	245: {},                                                                                              // mq_getsetattr
	246: {},                                                                                              // kexec_load
	247: {Handler: sysWait, Args: []Arg{Int, Int, Ptr, Hex, Ptr}, Note: "ECHILD: there are no children"}, // waitid
	248: {},                                                                                              // add_key
	249: {},                                                                                              // request_key
	250: {},                                                                                              // keyctl
	251: {},                                                                                              // ioprio_set
	252: {},                                                                                              // ioprio_get
	253: {},                                                                                              // inotify_init
	254: {},                                                                                              // inotify_add_watch
	255: {},                                                                                              // inotify_rm_watch
	256: {},                                                                                              // migrate_pages
	257: {Handler: sysOpenat, Args: []Arg{DirFD, Path, OpenFlags, CreateMode}, Note: "--fs policy; /proc and /sys synthesized"},
	258: {Handler: sysMkdirat, Args: []Arg{DirFD, Path, Mode}, Note: "--fs policy"},
	259: {Handler: sysMknodat, Args: []Arg{DirFD, Path, Mode, Hex}, Note: "--fs policy; files, FIFOs, sockets; devices EPERM"},
	260: {Handler: sysFchownat, Args: []Arg{DirFD, Path, Int, Int, Hex}, Note: "--fs policy"},
	261: {Handler: sysFutimesat, Args: []Arg{DirFD, Path, Ptr}, Note: "--fs policy; now is the virtual clock"},
	262: {Handler: sysNewfstatat, Args: []Arg{DirFD, Path, Ptr, Hex}},
	263: {Handler: sysUnlinkat, Args: []Arg{DirFD, Path, Hex}, Note: "--fs policy"},
	264: {Handler: sysRenameat, Args: []Arg{DirFD, Path, DirFD, Path}, Note: "--fs policy"},
	265: {Handler: sysLinkat, Args: []Arg{DirFD, Path, DirFD, Path, Hex}, Note: "--fs policy"},
	266: {Handler: sysSymlinkat, Args: []Arg{Path, DirFD, Path}, Note: "--fs policy"},
	267: {Handler: sysReadlinkat, Args: []Arg{DirFD, Path, OutBuf, Uint}, Note: "/proc/self/exe answered by the emulator"},
	268: {Handler: sysFchmodat, Args: []Arg{DirFD, Path, Mode}, Note: "--fs policy"},
	269: {Handler: sysFaccessat, Args: []Arg{DirFD, Path, Hex}},
	270: {}, // pselect6
	271: {}, // ppoll
	272: {}, // unshare
	273: {}, // set_robust_list
	274: {}, // get_robust_list
	275: {}, // splice
	276: {}, // tee
	277: {}, // sync_file_range
	278: {}, // vmsplice
	279: {}, // move_pages
	280: {Handler: sysUtimensat, Args: []Arg{DirFD, Path, Ptr, Hex}, Note: "--fs policy; UTIME_NOW is the virtual clock"},
	281: {Handler: sysEpollPwait, Args: []Arg{FD, Ptr, Int, Int, Ptr, Uint}, Note: "virtual-clock timeouts"},
	282: {}, // signalfd
	283: {}, // timerfd_create
	284: {Handler: sysEventfd, Args: []Arg{Uint}},
	285: {},                                                                                     // fallocate
	286: {},                                                                                     // timerfd_settime
	287: {},                                                                                     // timerfd_gettime
	288: {Handler: sysSocketDenied, Args: []Arg{FD, Ptr, Ptr, Hex}, Note: "EACCES: no network"}, // accept4
	289: {},                                                                                     // signalfd4
	290: {Handler: sysEventfd2, Args: []Arg{Uint, Hex}},
	291: {Handler: sysEpollCreate1, Args: []Arg{Hex}},
	292: {Handler: sysDup3, Args: []Arg{FD, FD, Hex}},
	293: {Handler: sysPipe2, Args: []Arg{Ptr, Hex}},
	294: {}, // inotify_init1
	295: {}, // preadv
	296: {}, // pwritev
	297: {}, // rt_tgsigqueueinfo
	298: {}, // perf_event_open
	299: {}, // recvmmsg
	300: {}, // fanotify_init
	301: {}, // fanotify_mark
	302: {Handler: sysPrlimit64, Args: []Arg{Int, Int, Ptr, Ptr}},
	303: {}, // name_to_handle_at
	304: {}, // open_by_handle_at
	305: {}, // clock_adjtime
	306: {}, // syncfs
	307: {}, // sendmmsg
	308: {}, // setns
	309: {}, // getcpu
	310: {}, // process_vm_readv
	311: {}, // process_vm_writev
	312: {}, // kcmp
	313: {}, // finit_module
	314: {}, // sched_setattr
	315: {}, // sched_getattr
	316: {Handler: sysRenameat2, Args: []Arg{DirFD, Path, DirFD, Path, Hex}, Note: "--fs policy; RENAME_NOREPLACE"},
	317: {}, // seccomp
	318: {Handler: sysGetrandom, Args: []Arg{Ptr, Uint, Hex}, Note: "deterministic stream"},
	319: {}, // memfd_create
	320: {}, // kexec_file_load
	321: {}, // bpf
	322: {Handler: sysExecveat, Args: []Arg{DirFD, Path, Ptr, Ptr, Hex}, Note: "ENOSYS and a warning: processes are not emulated"},
	323: {}, // userfaultfd
	324: {}, // membarrier
	325: {}, // mlock2
	326: {Handler: sysCopyFileRange, Args: []Arg{FD, Ptr, FD, Ptr, Uint, Hex}, Note: "host files; at most 16 MiB a call"},
	327: {}, // preadv2
	328: {}, // pwritev2
	329: {}, // pkey_mprotect
	330: {}, // pkey_alloc
	331: {}, // pkey_free
	332: {Handler: sysStatx, Args: []Arg{DirFD, Path, Hex, Hex, Ptr}, Note: "STATX_BASIC_STATS"},
	333: {}, // io_pgetevents
	334: {}, // rseq
	424: {}, // pidfd_send_signal
	425: {}, // io_uring_setup
	426: {}, // io_uring_enter
	427: {}, // io_uring_register
	428: {}, // open_tree
	429: {}, // move_mount
	430: {}, // fsopen
	431: {}, // fsconfig
	432: {}, // fsmount
	433: {}, // fspick
	434: {}, // pidfd_open
	435: {}, // clone3
	436: {Handler: sysCloseRange, Args: []Arg{FD, FD, Hex}},
	437: {}, // openat2
	438: {}, // pidfd_getfd
	439: {Handler: sysFaccessat2, Args: []Arg{DirFD, Path, Hex, Hex}},
	440: {}, // process_madvise
	441: {}, // epoll_pwait2
	442: {}, // mount_setattr
	443: {}, // quotactl_fd
	444: {}, // landlock_create_ruleset
	445: {}, // landlock_add_rule
	446: {}, // landlock_restrict_self
	447: {}, // memfd_secret
	448: {}, // process_mrelease
	449: {}, // futex_waitv
	450: {}, // set_mempolicy_home_node
	451: {}, // cachestat
	452: {Handler: sysFchmodat2, Args: []Arg{DirFD, Path, Mode, Hex}, Note: "--fs policy"},
	453: {}, // map_shadow_stack
	454: {}, // futex_wake
	455: {}, // futex_wait
	456: {}, // futex_requeue
	457: {}, // statmount
	458: {}, // listmount
	459: {}, // lsm_get_self_attr
	460: {}, // lsm_set_self_attr
	461: {}, // lsm_list_modules
	462: {}, // mseal
	463: {}, // setxattrat
	464: {}, // getxattrat
	465: {}, // listxattrat
	466: {}, // removexattrat
	467: {}, // open_tree_attr
	468: {}, // file_getattr
	469: {}, // file_setattr
	470: {}, // listns
	471: {}, // rseq_slice_yield
}
