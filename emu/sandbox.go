package emu

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"github.com/gouth-emu/gouth-emu/emu/mem"
	"github.com/gouth-emu/gouth-emu/syscalls"
)

// What the guest may take from the host: memory (Config.MemLimit), the
// filesystem policy, and what /proc/self shows of the process.

// vsyscallPage is go1.11's legacy vsyscall page, outside the address space
// proper but listed in /proc/self/maps as on Linux.
const vsyscallPage = 0xffffffffff600000

// DefaultMemLimit is the memory limit when none is given: a quarter of the
// host's memory (MemTotal in /proc/meminfo, 4 GiB if unreadable), at most
// 16 GiB, so a runaway guest fails with "out of memory" before the host
// starts swapping.
func DefaultMemLimit() uint64 {
	total := hostMemTotal()
	if total == 0 {
		total = 16 << 30
	}
	return min(total/4, 16<<30)
}

// PhysSize is the size of the host reservation that backs a guest whose
// memory limit is limit: the limit, plus slack for what the accounting does
// not count (read-only data touched, page tables of the guest's own
// making), plus the vsyscall page. It is always a multiple of the page
// size, as Unicorn requires of every mapping. The reservation is address
// space only (MAP_NORESERVE); pages are committed on first touch.
func PhysSize(limit uint64) uint64 {
	limit = pageAlign(limit)
	return limit + pageAlign(max(limit/4, 64<<20)) + mem.PageSize
}

// pageAlign rounds n up to a multiple of the page size.
func pageAlign(n uint64) uint64 { return (n + mem.PageSize - 1) &^ (mem.PageSize - 1) }

// hostMemTotal reads MemTotal from /proc/meminfo; 0 if it cannot.
func hostMemTotal() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text()) // "MemTotal:  24684084 kB"
		if len(fields) == 3 && fields[0] == "MemTotal:" && fields[2] == "kB" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// Proc implements syscalls.Machine.
func (m *Machine) Proc() syscalls.ProcInfo {
	vsyscall := mem.VMA{Start: vsyscallPage, End: vsyscallPage + mem.PageSize, Prot: mem.Exec, Name: "[vsyscall]"}
	return syscalls.ProcInfo{
		Args:    m.cfg.Args,
		Env:     m.cfg.Env,
		Maps:    m.space.Maps() + vsyscall.MapsLine(),
		Threads: m.sched.Len(),
		VmSize:  m.space.Size(),
		VmRSS:   m.eng.committed() * mem.PageSize,
	}
}
