package syscalls

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gouth-emu/gouth-emu/abi"
)

// unistdHeader is the kernel's own list of x86-64 syscall numbers, shipped
// by Debian's linux-libc-dev: an independent check of Table.
const unistdHeader = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

func TestTableMatchesKernelHeaders(t *testing.T) {
	f, err := os.Open(unistdHeader)
	if err != nil {
		t.Fatalf("%v (install Debian's linux-libc-dev; make deps does)", err)
	}
	defer f.Close()
	want := map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || fields[0] != "#define" || !strings.HasPrefix(fields[1], "__NR_") {
			continue
		}
		nr, err := strconv.Atoi(fields[2])
		if err != nil {
			continue
		}
		want[nr] = strings.TrimPrefix(fields[1], "__NR_")
	}
	if len(want) < 300 {
		t.Fatalf("parsed only %d syscalls from %s", len(want), unistdHeader)
	}
	// Numbers newer than the installed header come from the kernel's
	// arch/x86/entry/syscalls/syscall_64.tbl; a newer header must agree.
	for nr, name := range newerSyscalls {
		if have, ok := want[nr]; ok && have != name {
			t.Errorf("%s says %d is %q, newerSyscalls says %q", unistdHeader, nr, have, name)
		}
		want[nr] = name
	}
	for nr, name := range want {
		if got := abi.SyscallName(nr); got != name {
			t.Errorf("Table[%d].Name = %q, want %q", nr, got, name)
		}
	}
	for nr := range Table {
		if abi.SyscallName(nr) != "" && want[nr] == "" {
			t.Errorf("Table[%d] = %q, but the kernel has no syscall %d", nr, abi.SyscallName(nr), nr)
		}
	}
}

func TestTableEntries(t *testing.T) {
	seen := map[string]int{}
	implemented := 0
	for nr, e := range Table {
		if abi.SyscallName(nr) == "" {
			continue
		}
		if prev, ok := seen[abi.SyscallName(nr)]; ok {
			t.Errorf("name %q used by %d and %d", abi.SyscallName(nr), prev, nr)
		}
		seen[abi.SyscallName(nr)] = nr
		if e.Handler != nil {
			implemented++
			if e.Args == nil && !noArgs[abi.SyscallName(nr)] {
				t.Errorf("%s (%d) has a handler but no argument formats", abi.SyscallName(nr), nr)
			}
		}
	}
	// The calls the Go runtime itself makes (boot, threads, signals, timers,
	// the netpoller): each must have a handler.
	for _, name := range []string{
		"arch_prctl", "sched_getaffinity", "mmap", "munmap", "mprotect", "madvise",
		"rt_sigaction", "rt_sigprocmask", "sigaltstack", "gettid", "getpid", "clone",
		"futex", "nanosleep", "sched_yield", "clock_gettime", "tgkill", "fcntl",
		"readlinkat", "openat", "read", "pread64", "close", "prlimit64", "prctl",
		"getrandom", "write", "exit", "exit_group", "epoll_create1", "epoll_ctl",
		"epoll_pwait", "eventfd2", "pipe2",
	} {
		nr, ok := seen[name]
		if !ok || Table[nr].Handler == nil {
			t.Errorf("%s: not implemented, but the Go runtime needs it", name)
		}
	}
	if implemented < 60 {
		t.Errorf("only %d syscalls implemented", implemented)
	}
}

// noArgs are syscalls that take no arguments.
var noArgs = map[string]bool{
	"getpid": true, "gettid": true, "getppid": true, "getuid": true, "getgid": true,
	"geteuid": true, "getegid": true, "sched_yield": true,
}

// newerSyscalls are x86-64 system calls added after Debian bookworm's
// linux-libc-dev (6.1, which ends at 450), by the kernel release that
// added them.
var newerSyscalls = map[int]string{
	451: "cachestat",                                           // 6.5
	452: "fchmodat2",                                           // 6.6
	453: "map_shadow_stack",                                    // 6.6
	454: "futex_wake", 455: "futex_wait", 456: "futex_requeue", // 6.7
	457: "statmount", 458: "listmount", // 6.8
	459: "lsm_get_self_attr", 460: "lsm_set_self_attr", 461: "lsm_list_modules", // 6.8
	462: "mseal",                                                                   // 6.10
	463: "setxattrat", 464: "getxattrat", 465: "listxattrat", 466: "removexattrat", // 6.13
	467: "open_tree_attr",                    // 6.15
	468: "file_getattr", 469: "file_setattr", // 6.17
	470: "listns", 471: "rseq_slice_yield", // newer: as in golang.org/x/sys v0.50.0
}
